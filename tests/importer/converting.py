"""What the conversion tests share: "trained" weights (every variable non-trivial), inputs, the original's
prediction, and the written files run on their own, with no specbridge involved."""

from __future__ import annotations

import runpy
import sys

import numpy as np

from specbridge.crosscheck.run import tolerances


def trained(model, seed: int = 0):
    """Every floating-point variable set to a seeded value of the kind training leaves (see random_values)."""
    from specbridge.emit.random_values import random_value

    rng = np.random.default_rng(seed)
    for variable in model.weights:
        dtype = np.dtype(getattr(variable.dtype, "name", variable.dtype))
        if not np.issubdtype(dtype, np.floating):
            continue  # the random layers' seed states, Normalization's count
        name = str(variable.name).split("/")[-1].split(":")[0]
        variable.assign(random_value(name, tuple(int(d) for d in variable.shape), rng).astype(dtype))
    return model


def inputs_for(model, samples: int = 3) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    return [rng.normal(0.0, 1.0, (samples, *tensor.shape[1:])).astype("float32") for tensor in model.inputs]


def predict(model, inputs: list[np.ndarray]) -> np.ndarray:
    return np.asarray(model(inputs[0] if len(inputs) == 1 else inputs, training=False))


def assert_close(got: np.ndarray, want: np.ndarray) -> None:
    """Within the cross-check's float32 tolerance: atol + rtol * the largest |output|."""
    atol, rtol = tolerances("float32")
    assert got.shape == want.shape
    error, limit = float(np.max(np.abs(got - want))), atol + rtol * float(np.max(np.abs(want)))
    assert error <= limit, f"max abs error {error:.3g} > {limit:.3g}"


def run_written(to: str, files: list, inputs: list[np.ndarray], torch=None, onnxruntime=None) -> np.ndarray:
    """The written model's prediction, with no specbridge involved: what a user of the files does."""
    if to == "onnx":
        session = onnxruntime.InferenceSession(str(files[0]), providers=["CPUExecutionProvider"])
        feed = {i.name: x for i, x in zip(session.get_inputs(), inputs, strict=True)}
        return session.run(None, feed)[0]
    model = runpy.run_path(str(files[0]))["build_model"]()
    if to == "keras":
        model.load_weights(str(files[1]))
        return predict(model, inputs)
    model.load_state_dict(torch.load(str(files[1])))
    layouts = list(type(model).INPUT_LAYOUT.values())
    tensors = [torch.from_numpy(np.moveaxis(x, -1, 1).copy() if layout == "channels_first" else x)
               for x, layout in zip(inputs, layouts, strict=True)]
    with torch.no_grad():
        out = model(*tensors).numpy()
    last = list(type(model).OUTPUT_LAYOUT.values())[-1]
    return np.moveaxis(out, 1, -1) if last == "channels_first" else out


OUT = {"pytorch": "model.py", "onnx": "model.onnx", "keras": "model.py"}


def assert_converted_files_compute_the_original(model, path, to: str, tmp_path, torch, onnxruntime) -> None:
    """`specbridge.convert` verifies the conversion, and the written files alone predict what the original does."""
    import specbridge

    converted = specbridge.convert(path, to=to, out=tmp_path / OUT[to], samples=2)
    assert converted.report.ok, converted.report.to_dict()
    inputs = inputs_for(model)
    assert_close(run_written(to, converted.files, inputs, torch, onnxruntime), predict(model, inputs))


def keras_leaves(model) -> dict:
    """Every layer of a Keras 3 or tf_keras model by name, nested models walked into, InputLayers left out."""
    framework = sys.modules[type(model).__module__.split(".")[0]]
    found = {}
    for layer in model.layers:
        if isinstance(layer, framework.Model):
            found.update(keras_leaves(layer))
        elif type(layer).__name__ != "InputLayer":
            found[layer.name] = layer
    return found
