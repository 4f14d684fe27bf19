"""Build both emitted models for a spec, randomize every Keras weight, transfer, and compare every layer.

A small stand-in for specbridge.crosscheck, so the emitter tests do not depend on it.
"""

from __future__ import annotations

import numpy as np

from specbridge.check import check_text
from specbridge.emit import to_keras, to_torch
from specbridge.emit.weights import keras_to_torch, torch_to_keras

UNKNOWN_SIZE = 9  # concrete size for null dims when drawing inputs


def checked(text: str):
    result = check_text(text, lint=False)
    assert result.ok, [d.message for d in result.errors]
    return result


def randomize_keras(model, rng) -> None:
    for var in model.weights:
        shape = tuple(var.shape)
        if var.name == "moving_variance":
            value = rng.uniform(0.5, 1.5, shape)
        elif var.name == "moving_mean":
            value = rng.normal(0, 0.5, shape)
        elif len(shape) >= 2:  # kernels: scaled by fan-in like Glorot, so deep/recurrent stacks stay tame
            fan_in = int(np.prod(shape[:-1])) if var.name != "embeddings" else 1
            value = rng.normal(0, 1.0 / np.sqrt(fan_in), shape)
        else:  # biases, gamma, beta: clearly non-zero
            value = rng.normal(0, 0.5, shape)
        var.assign(value.astype(var.dtype))


def randomize_torch(model, rng) -> None:
    import torch

    with torch.no_grad():
        for tensor in list(model.parameters()) + list(model.buffers()):
            if tensor.dtype.is_floating_point and tensor.dim() > 0:
                tensor.copy_(torch.from_numpy(rng.uniform(0.5, 1.5, tuple(tensor.shape))).to(tensor.dtype))


def draw_inputs(result, rng) -> list[np.ndarray]:
    spec = result.document.spec()
    vocab = {}
    for layer in spec.layers:
        inner = getattr(layer, "layer", layer)
        if inner.kind == "Embedding":
            vocab.setdefault(tuple(layer.inputs or [spec.named_inputs()[0].name])[0], inner.input_dim)
    out = []
    for inp in spec.named_inputs():
        shape = (3,) + tuple(UNKNOWN_SIZE if d is None else d for d in inp.shape)
        if inp.dtype.startswith(("int", "uint")):
            out.append(rng.integers(0, vocab.get(inp.name, 10), shape).astype(inp.dtype))
        else:
            out.append(rng.normal(0, 1, shape).astype(inp.dtype))
    return out


def to_torch_layout(x: np.ndarray, layout: str) -> np.ndarray:
    return np.moveaxis(x, -1, 1) if layout == "channels_first" and x.ndim > 2 else x


def to_keras_layout(x: np.ndarray, layout: str) -> np.ndarray:
    return np.moveaxis(x, 1, -1) if layout == "channels_first" and x.ndim > 2 else x


def run_both(result, keras_model, torch_model, inputs):
    """Every spec layer's output from both models, in Keras layout: {name: (keras, torch)}."""
    import keras
    import torch

    names = list(type(torch_model).SPEC_LAYERS)
    probe = keras.Model(keras_model.inputs, [keras_model.get_layer(n).output for n in names])
    keras_outs = probe(inputs, training=False)
    if not isinstance(keras_outs, (list, tuple)):
        keras_outs = [keras_outs]
    keras_outs = [np.asarray(o) for o in keras_outs]

    captured = {}
    hooks = []
    for name, attribute in type(torch_model).SPEC_LAYERS.items():
        def hook(module, args, output, name=name):
            captured[name] = output.detach().numpy()

        hooks.append(torch_model.get_submodule(attribute).register_forward_hook(hook))
    spec = result.document.spec()
    torch_in = [
        torch.from_numpy(np.ascontiguousarray(to_torch_layout(x, torch_model.INPUT_LAYOUT[i.name])))
        for x, i in zip(inputs, spec.named_inputs(), strict=False)
    ]
    with torch.inference_mode():
        final = torch_model(*torch_in)
    for h in hooks:
        h.remove()
    outputs = spec.outputs or [result.document.entries[-1].name]
    finals = final if isinstance(final, tuple) else (final,)
    for name, value in zip(outputs, finals, strict=False):  # forward's return values are the hooked tensors
        assert np.array_equal(value.numpy(), captured[name])
    return {
        n: (k, to_keras_layout(captured[n], torch_model.OUTPUT_LAYOUT[n])) for n, k in zip(names, keras_outs, strict=False)
    }


def max_error(pairs) -> tuple[str | None, float]:
    """(first layer over tolerance or None, worst error relative to max(1, |keras output|))."""
    first, worst = None, 0.0
    for name, (k, t) in pairs.items():
        assert k.shape == t.shape, f"{name}: keras {k.shape} vs torch {t.shape}"
        scale = max(1.0, float(np.abs(k).max()) if k.size else 1.0)
        err = float(np.abs(k.astype(np.float64) - t.astype(np.float64)).max()) / scale if k.size else 0.0
        worst = max(worst, err)
        if err > 1e-5 and first is None:
            first = name
    return first, worst


def crosscheck(text: str, seed: int = 0, reverse: bool = False):
    """Build both models, randomize one side, transfer, and compare every layer; returns (first bad, error)."""
    result = checked(text)
    keras_model = to_keras(result)
    torch_model = to_torch(result)
    rng = np.random.default_rng(seed)
    if reverse:
        randomize_torch(torch_model, rng)
        torch_to_keras(torch_model, keras_model, result)
    else:
        randomize_keras(keras_model, rng)
        keras_to_torch(keras_model, torch_model, result)
    pairs = run_both(result, keras_model, torch_model, draw_inputs(result, rng))
    return max_error(pairs)


def spec(layers: str, input_shape, *, dtype: str = "float32", data_format: str = "channels_last") -> str:
    """A one-input spec around YAML flow-style layer lines."""
    shape = "[" + ", ".join("null" if d is None else str(d) for d in input_shape) + "]"
    body = "\n".join(f"  - {line}" for line in layers.strip().splitlines())
    return (
        f"specbridge: 1\nname: t\ndata_format: {data_format}\n"
        f"input: {{shape: {shape}, dtype: {dtype}}}\nlayers:\n{body}\n"
    )
