"""Every layer's output, from a live Keras model and from a live torch module."""

from __future__ import annotations

from typing import Optional

import numpy as np


def keras_layer_outputs(model, names: list[str], inputs: list[np.ndarray]) -> dict[str, np.ndarray]:
    """Run `model` in inference mode and return the output of each named layer."""
    import keras

    probe = keras.Model(model.inputs, [model.get_layer(name).output for name in names])
    import tensorflow as tf

    try:
        outputs = probe(list(inputs), training=False)
    except (tf.errors.UnimplementedError, tf.errors.InvalidArgumentError):
        # TF's CPU kernels lack some cases Keras can express (float64 NCHW convolutions, NCHW transposed
        # convolutions: "only supports NHWC"); XLA compiles the same graph with its own kernels, so the Keras
        # model is still what gets checked (a graph that is really invalid fails there too).
        outputs = tf.function(lambda xs: probe(xs, training=False), jit_compile=True)(list(inputs))
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]  # Keras unwraps a one-element output list
    return {name: keras.ops.convert_to_numpy(out) for name, out in zip(names, outputs, strict=True)}


class TorchCaptureError(RuntimeError):
    pass


def torch_layer_outputs(
    model, inputs: list[np.ndarray], returned: Optional[list[np.ndarray]] = None
) -> dict[str, np.ndarray]:
    """Run `model` under inference_mode with a forward hook on each SPEC_LAYERS submodule.

    Returns the raw (torch-layout) output of each spec layer observed; what forward() itself returns is
    appended to `returned` when a list is given. A layer module that is called more than once, or returns a
    tuple, breaks the one-module-per-layer contract and is an error.
    """
    import torch

    captured: dict[str, list] = {name: [] for name in model.SPEC_LAYERS}
    handles = []
    for name, attribute in model.SPEC_LAYERS.items():
        module = model.get_submodule(attribute)
        handles.append(module.register_forward_hook(lambda _m, _i, out, name=name: captured[name].append(out)))
    try:
        with torch.inference_mode():
            final = model(*(torch.from_numpy(x) for x in inputs))
    finally:
        for handle in handles:
            handle.remove()
    if returned is not None:
        returned.extend(out.detach().cpu().numpy() for out in (final if isinstance(final, (tuple, list)) else [final]))
    result = {}
    for name, outs in captured.items():
        if len(outs) == 0:
            continue  # not reached: reported as missing by the caller
        if len(outs) > 1:
            raise TorchCaptureError(f"the module of layer {name!r} ran {len(outs)} times in one forward pass")
        if not isinstance(outs[0], torch.Tensor):
            raise TorchCaptureError(f"the module of layer {name!r} returned {type(outs[0]).__name__}, not a tensor")
        result[name] = outs[0].detach().cpu().numpy()
    return result
