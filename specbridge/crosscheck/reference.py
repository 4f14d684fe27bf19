"""An independent NumPy evaluation of one layer, to say which framework is right when Keras and PyTorch differ.

A cross-check difference is usually a translation bug, but not always: Keras 3.15 on TensorFlow 2.21 CPU adds a
channels_first Conv1D's bias along the wrong axis when the output length equals the number of filters (see
docs/reliability.md). So for a layer that differs, the layer alone is evaluated here in NumPy, from the same input
(the Keras outputs of the layers it reads, which agree with PyTorch's since the layers before agree) and the same
weights (the Keras layer's), and the report names the side that agrees with this reference.

Only the layer types whose arithmetic is short enough to be obviously right have a reference: Dense, the forward
convolutions (no groups) and Max/AveragePooling; other types get "no reference available".
"""

from __future__ import annotations

import itertools
from typing import Optional

import numpy as np

from ..shapes.rules import as_tuple, effective_kernel, same_padding

NO_REFERENCE = "no reference available"
ACTIVATIONS = {
    None: lambda x: x, "linear": lambda x: x, "relu": lambda x: np.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + np.exp(-x)), "tanh": np.tanh,
}


def verdict(reference: np.ndarray, keras_out: np.ndarray, torch_out: np.ndarray, atol: float, rtol: float) -> str:
    """Which side agrees with the reference: 'keras', 'pytorch', 'both' or 'neither'."""
    scale = float(np.max(np.abs(reference), initial=0.0))

    def close(out: np.ndarray) -> bool:
        return out.shape == reference.shape and float(np.max(np.abs(out - reference), initial=0.0)) <= atol + rtol * scale

    agree = [side for side, out in (("keras", keras_out), ("pytorch", torch_out)) if close(out)]
    return "both" if len(agree) == 2 else (agree[0] if agree else "neither")


def evaluate(layer, weights: list[np.ndarray], inputs: list[np.ndarray], data_format: str) -> Optional[np.ndarray]:
    """The layer's output computed in NumPy (float64), or None when there is no reference for it."""
    from ..spec.layers import conv, core, pooling

    activation = ACTIVATIONS.get(getattr(layer, "activation", None), None)
    (x,) = inputs if len(inputs) == 1 else (None,)
    if x is None:
        return None
    x = x.astype(np.float64)
    channels_first = layer.data_format_in(data_format) == "channels_first"
    if isinstance(layer, core.Dense) and activation is not None:
        out = x @ weights[0] + (weights[1] if layer.use_bias else 0)
        return activation(out)
    if isinstance(layer, conv.Conv) and activation is not None and layer.groups == 1:
        if channels_first:
            x = np.moveaxis(x, 1, -1)
        out = activation(_conv(layer, x, weights))
        return np.moveaxis(out, -1, 1) if channels_first else out
    if isinstance(layer, pooling.Pooling):
        if channels_first:
            x = np.moveaxis(x, 1, -1)
        out = _pool(layer, x)
        return np.moveaxis(out, -1, 1) if channels_first else out
    return None


def _pads(layer, spatial: tuple, kernel: tuple, strides: tuple, dilation: tuple) -> list[tuple[int, int]]:
    """Per-axis (before, after) padding of a windowed op, as TensorFlow pads 'valid', 'same' and 'causal' (and as
    PyTorch pads an explicit integer padding)."""
    padding = layer.padding
    if not isinstance(padding, str):
        return [(p, p) for p in as_tuple(padding, layer.RANK)]
    if padding == "causal":
        return [(effective_kernel(kernel[0], dilation[0]) - 1, 0)]
    if padding == "same":
        return [same_padding(n, k, s, d) for n, k, s, d in zip(spatial, kernel, strides, dilation, strict=True)]
    return [(0, 0)] * len(spatial)


def _padded_windows(layer, x: np.ndarray, kernel: tuple, strides: tuple, dilation: tuple, value: float = 0.0):
    """x padded as the layer pads it, the padding, and the output size of each spatial axis: every mode is a
    'valid' window over the padded input."""
    pads = _pads(layer, x.shape[1:-1], kernel, strides, dilation)
    padded = np.pad(x, [(0, 0), *pads, (0, 0)], constant_values=value)
    sizes = [(n - effective_kernel(k, d)) // s + 1
             for n, k, s, d in zip(padded.shape[1:-1], kernel, strides, dilation, strict=True)]
    return padded, pads, sizes


def _conv(layer, x: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    rank = layer.RANK
    kernel, strides = as_tuple(layer.kernel_size, rank), as_tuple(layer.strides, rank)
    dilation = as_tuple(layer.dilation_rate, rank)
    x, _, sizes = _padded_windows(layer, x, kernel, strides, dilation)
    w = weights[0].astype(np.float64)
    out = np.zeros((x.shape[0], *sizes, w.shape[-1]))
    for pos in itertools.product(*(range(k) for k in kernel)):
        index = tuple(slice(p * d, p * d + (o - 1) * s + 1, s)
                      for p, d, o, s in zip(pos, dilation, sizes, strides, strict=True))
        out += np.tensordot(x[(slice(None), *index)], w[pos], axes=([-1], [0]))
    if layer.use_bias:
        out += weights[1]
    return out


def _pool(layer, x: np.ndarray) -> np.ndarray:
    rank = layer.RANK
    kernel = as_tuple(layer.pool_size, rank)
    strides = as_tuple(layer.strides if layer.strides is not None else layer.pool_size, rank)
    average = layer.MODE == "average"
    padded, pads, sizes = _padded_windows(layer, x, kernel, strides, (1,) * rank, 0.0 if average else -np.inf)
    real = np.pad(np.ones(x.shape[1:-1]), pads)  # TF averages over the real cells only
    out = np.full((x.shape[0], *sizes, x.shape[-1]), 0.0 if average else -np.inf)
    count = np.zeros(sizes)
    for pos in itertools.product(*(range(k) for k in kernel)):
        index = tuple(slice(p, p + (o - 1) * s + 1, s) for p, o, s in zip(pos, sizes, strides, strict=True))
        window = padded[(slice(None), *index)]
        out = out + window if average else np.maximum(out, window)
        count += real[index]
    return out / count[None, ..., None] if average else out


def judge(result, keras_model, name: str, outputs: dict, keras_out: np.ndarray, torch_out: np.ndarray,
          atol: float, rtol: float) -> str:
    """The reference verdict for layer `name`; `outputs` maps layer and input names to their Keras values."""
    entry = next(e for e in result.document.entries if e.name == name)
    record = next(r for r in result.records if r.name == name)
    if any(n not in outputs for n in record.inputs) or entry.layer.FAMILY == "ops":
        return NO_REFERENCE  # an op is no Keras layer: no get_layer, and no NumPy reference of its own
    weights = [np.asarray(w, np.float64) for w in keras_model.get_layer(name).get_weights()]
    reference = evaluate(entry.layer, weights, [outputs[n] for n in record.inputs], result.document.spec().data_format)
    if reference is None:
        return NO_REFERENCE
    return verdict(reference, keras_out.astype(np.float64), torch_out.astype(np.float64), atol, rtol)
