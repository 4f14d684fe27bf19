"""Every activation of the installed Keras's keras.activations through the cross-check, on inputs that reach each
function's edges: Keras, PyTorch and ONNX compute the same function, float32 and float64, within the cross-check's
DEFAULT_TOLERANCES.

The list is the real module's: a name Keras adds fails test_every_keras_activation_is_swept until the spec takes it
(spec.base.KERAS_ACTIVATIONS, then every emitter) or refuses it with a reason (spec.base.NEEDS_ARGUMENTS).
test_layers.py's activation_* cases run each one on random normal inputs (and test_float64.py checks them against
onnx.reference in float64); here the inputs are chosen: three bands, each read by its own Activation layer, so each
band's error is measured against its own output scale.
"""

from __future__ import annotations

import numpy as np
import pytest
from frameworks import import_framework

from specbridge.crosscheck.run import DEFAULT_TOLERANCES
from specbridge.spec.base import ACTIVATIONS, FUNCTION_ACTIVATIONS, KERAS_ACTIVATIONS, NEEDS_ARGUMENTS

from .onnx_float64 import ORT_NO_FLOAT64, no_kernel_op
from .specs import crosscheck, spec, why

# keras.activations' functions that are not activations.
KERAS_API = {"get", "serialize", "deserialize"}
# Where each function changes form: the kinks and clips (0, ±0.5, ±1, ±3, ±6), TensorFlow's softplus thresholds
# (13.94 in float32, 34.04 in float64) and PyTorch's (20), exp's float32 overflow (88.7) kept out of reach.
EDGES = (0.0, 0.5, 1.0, 3.0, 6.0, 13.9, 14.0, 16.0, 20.0, 34.0, 34.1, 36.0)
# Activations whose float64 ONNX model onnxruntime cannot run (the op it lacks a kernel for): test_float64.py's
# activation_* case compares that model in onnx.reference instead.
ONNX_FLOAT64_LEFT_OUT = {"gelu": "Erf"}
ONNX_REFUSES = {"sparsemax": "the sparsemax activation has no ONNX op"}
# In float64, max |a - b| / max |a| per band, every pair: the cross-check's rtol (1e-9) lets a wide band's scale (88)
# hide a digit-level difference (PyTorch's softplus(20) is 2e-9 off TensorFlow's: 2.3e-11 of 88); rounding gives
# at most ~1e-16 here.
EXACT_FLOAT64 = 1e-12


def bands(dtype: str) -> dict[str, np.ndarray]:
    """Each band's values, an even count (glu halves the last axis)."""
    kind = np.dtype(dtype).type
    around = []
    for edge in EDGES:
        for value in (kind(edge), kind(-edge)):
            around += [np.nextafter(value, kind(-np.inf)), value, np.nextafter(value, kind(np.inf))]
    wide = np.concatenate([np.linspace(-88, 88, 177), around[1:]])  # -0.0 and 0.0 once each
    unit = np.linspace(-7, 7, 282)  # steps of 0.05: the clips and kinks themselves, and between
    tiny = np.array([0.0, -0.0] + [s * 10.0 ** -k for k in range(1, 38, 2) for s in (1, -1)])
    return {"wide": wide.astype(dtype), "unit": unit.astype(dtype), "tiny": tiny.astype(dtype)}


def band_spec(activation: str, values: dict[str, np.ndarray]) -> str:
    inputs = "\n".join(f"  - {{name: {band}, shape: [{len(x)}]}}" for band, x in values.items())
    layers = "\n".join(f"  - {{type: Activation, name: {band}_{activation}, activation: {activation}, inputs: [{band}]}}"
                       for band in values)
    outputs = ", ".join(f"{band}_{activation}" for band in values)
    return f"specbridge: 1\nname: sweep\ninputs:\n{inputs}\nlayers:\n{layers}\noutputs: [{outputs}]\n"


def test_every_keras_activation_is_swept():
    """The installed Keras's activations are the spec's Keras names and the refused ones, no more and no fewer."""
    keras = import_framework("keras")
    names = {n for n in dir(keras.activations) if not n.startswith("_")} - KERAS_API
    assert names - set(KERAS_ACTIVATIONS) - set(NEEDS_ARGUMENTS) == set(), "activations no stage handles"
    assert set(KERAS_ACTIVATIONS) | set(NEEDS_ARGUMENTS) <= names, "names this Keras does not resolve"
    for name in set(NEEDS_ARGUMENTS) | set(FUNCTION_ACTIVATIONS):
        assert name not in ACTIVATIONS or name in FUNCTION_ACTIVATIONS
    for name in FUNCTION_ACTIVATIONS:
        with pytest.raises(ValueError):  # not a Keras name: only the emitted function makes it one
            keras.activations.get(name)


def check_onnx(activation: str, dtype: str, report) -> None:
    """ONNX was compared, or it is left out for a listed reason."""
    import_framework("onnxruntime")
    reason = report.unavailable.get("onnx")
    if activation in ONNX_REFUSES:
        assert reason is not None and ONNX_REFUSES[activation] in reason, reason
    elif dtype == "float64" and activation in ONNX_FLOAT64_LEFT_OUT:
        assert no_kernel_op(reason or "") == ONNX_FLOAT64_LEFT_OUT[activation] in ORT_NO_FLOAT64, reason
    else:
        assert "onnx" in report.backends, f"{activation}: ONNX was not compared: {reason}"


def pair_errors(report) -> str:
    return ", ".join(f"{p.a}-{p.b} {p.max_abs_error:.2g} (relative {p.max_rel_error:.2g})" for p in report.pairs)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activation_at_its_edges(activation, dtype):
    values = bands(dtype)
    inputs = [np.stack([x, x[::-1]]) for x in values.values()]  # reversed: another softmax, glu halves swapped
    report = crosscheck(band_spec(activation, values), dtype=dtype, samples=2, inputs=inputs)
    assert report.ok, f"{activation} {dtype}: {why(report)}"
    check_onnx(activation, dtype, report)
    if dtype == "float64":
        assert report.max_rel_error <= EXACT_FLOAT64, f"{activation}: {pair_errors(report)}"
    print(f"ACTIVATION {activation} {dtype}: {pair_errors(report)}")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("layer", ["{type: Dense, units: 6, activation: %s}",
                                   "{type: Conv2D, filters: 4, kernel_size: 2, activation: %s}"])
def test_activation_argument(activation, dtype, layer):
    """As the `activation` of a Dense and of a Conv2D (channels first in PyTorch: softmax, glu and sparsemax act on
    the Keras channel axis), on random inputs."""
    report = crosscheck(spec(layer % activation, [5] if "Dense" in layer else [4, 3, 2]), dtype=dtype)
    assert report.ok and (report.atol, report.rtol) == DEFAULT_TOLERANCES[dtype], f"{activation}: {why(report)}"
    reason = report.unavailable.get("onnx")
    if activation in ONNX_REFUSES:
        assert ONNX_REFUSES[activation] in reason
    elif reason is not None:  # onnxruntime has no float64 Conv (or Erf) kernel: that ONNX model is float32-only
        assert dtype == "float64" and no_kernel_op(reason) in ORT_NO_FLOAT64, reason
