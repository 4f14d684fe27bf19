"""to_onnx's weights: read from a live Keras model, from an emitted PyTorch model (through the torch -> Keras
mapping), from a dict, or drawn at random; whichever the source, onnxruntime computes what Keras computes."""

from __future__ import annotations

import numpy as np
import pytest
from frameworks import import_framework

import specbridge
import specbridge.emit
from specbridge.check import check_text
from specbridge.crosscheck.inputs import random_inputs
from specbridge.crosscheck.run import DEFAULT_TOLERANCES, build_pair
from specbridge.emit import to_onnx

# Every layer family with weights that is laid out differently in ONNX: conv kernels (plain, depthwise, separable),
# BatchNormalization's moving statistics, PReLU's alpha, Dense after a channels_last Flatten, an Embedding table
# and an LSTM's reordered gates.
IMAGE = """\
specbridge: 1
name: image_weights
input: {shape: [10, 10, 3]}
layers:
  - {type: Conv2D, name: conv, filters: 4, kernel_size: 3, padding: same}
  - {type: BatchNormalization, name: bn}
  - {type: DepthwiseConv2D, name: depthwise, kernel_size: 3, depth_multiplier: 2}
  - {type: SeparableConv2D, name: separable, filters: 5, kernel_size: 3, strides: 2, padding: same}
  - {type: PReLU, name: prelu}
  - {type: Flatten, name: flat}
  - {type: Dense, name: dense, units: 6}
"""
TEXT = """\
specbridge: 1
name: text_weights
input: {shape: [12], dtype: int32}
layers:
  - {type: Embedding, name: embedding, input_dim: 30, output_dim: 6}
  - {type: LSTM, name: lstm, units: 5, return_sequences: true}
  - {type: GlobalAveragePooling1D, name: pool}
  - {type: Dense, name: dense, units: 3}
"""
DENSE = """\
specbridge: 1
name: dense_only
input: {shape: [4]}
layers:
  - {type: Dense, name: dense, units: 3}
"""


def checked(text: str):
    result = check_text(text, lint=False)
    assert result.ok, [d.message for d in result.errors]
    return result


def run_ort(model, inputs: list[np.ndarray]) -> list[np.ndarray]:
    onnxruntime = import_framework("onnxruntime")
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: x for i, x in zip(session.get_inputs(), inputs, strict=True)})


def assert_close(expected: np.ndarray, actual: np.ndarray, what: str) -> None:
    """The cross-check's rule: max|a - b| <= atol + rtol * max|a| (float32)."""
    atol, rtol = DEFAULT_TOLERANCES["float32"]
    assert expected.shape == actual.shape, f"{what}: shapes {expected.shape} != {actual.shape}"
    error = float(np.max(np.abs(expected - actual)))
    limit = atol + rtol * float(np.max(np.abs(expected)))
    assert error <= limit, f"{what}: max abs error {error:.3g} > {limit:.3g}"


@pytest.mark.parametrize("text", [IMAGE, TEXT], ids=["image", "text"])
def test_weights_from_keras_and_from_torch_compute_what_keras_computes(text, frameworks):
    result = checked(text)
    keras_model, torch_model = build_pair(result, "float32", seed=3)
    inputs = random_inputs(result, 3, 3, "float32")
    expected = np.asarray(keras_model(inputs[0], training=False))
    assert float(np.std(expected)) > 1e-3  # a constant output would agree with anything
    for source, model in (("Keras", keras_model), ("PyTorch", torch_model)):
        (actual,) = run_ort(to_onnx(result, model), inputs)
        assert_close(expected, actual, f"ONNX with weights from the {source} model")
    (random_weights,) = run_ort(to_onnx(result, seed=3), inputs)
    assert not np.allclose(expected, random_weights, atol=1e-3)  # the weights were read, not drawn


def test_dict_weights_are_used_as_given():
    rng = np.random.default_rng(0)
    kernel, bias = rng.normal(size=(4, 3)), rng.normal(size=3)
    x = rng.normal(size=(2, 4)).astype(np.float32)
    model = to_onnx(DENSE, {"dense": {"kernel": kernel, "bias": bias}})
    (y,) = run_ort(model, [x])
    assert_close(x.astype(np.float64) @ kernel + bias, y, "Dense with dict weights")


def test_dict_weights_of_the_wrong_shape_name_the_layer():
    with pytest.raises(ValueError, match=r"'dense'.*kernel.*\(3, 4\).*\(4, 3\)"):
        to_onnx(DENSE, {"dense": {"kernel": np.zeros((3, 4)), "bias": np.zeros(3)}})
    with pytest.raises(ValueError, match=r"'dense'.*bias"):
        to_onnx(DENSE, {"dense": {"kernel": np.zeros((4, 3)), "bias": np.zeros(4)}})


def test_dict_weights_missing_a_variable_name_it():
    with pytest.raises(ValueError, match=r"bias.*'dense'"):
        to_onnx(DENSE, {"dense": {"kernel": np.zeros((4, 3))}})


def initializers(model) -> dict[str, np.ndarray]:
    from onnx import numpy_helper

    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def test_random_weights_depend_on_the_seed_only():
    first, again, other = (initializers(to_onnx(IMAGE, seed=seed)) for seed in (5, 5, 6))
    assert first.keys() == again.keys() == other.keys()
    floats = [name for name, value in first.items() if value.dtype.kind == "f" and value.size > 1]
    assert floats
    for name in first:
        np.testing.assert_array_equal(first[name], again[name], err_msg=name)
    differing = [name for name in floats if not np.array_equal(first[name], other[name])]
    assert differing == floats


def test_to_onnx_is_on_the_top_level_package():
    assert "to_onnx" in specbridge.__all__
    assert specbridge.to_onnx is specbridge.emit.to_onnx
