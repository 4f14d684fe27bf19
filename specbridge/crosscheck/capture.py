"""Every layer's output, from a live Keras model and from a live torch module."""

from __future__ import annotations

from typing import Optional

import numpy as np


def keras_layer_outputs(model, names: list[str], inputs: list[np.ndarray],
                        calls: Optional[dict[str, tuple[str, int]]] = None) -> dict[str, np.ndarray]:
    """Run `model` in inference mode and return the output of each named layer. `calls` (CheckResult.calls()):
    a layer that calls another's Keras object again is that object's output at that call (its node), not the
    first call's, which `layer.output` gives."""
    import keras

    probe = keras.Model(model.inputs, [_symbolic_output(model, name, calls or {}) for name in names])
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


def _symbolic_output(model, name: str, calls: dict[str, tuple[str, int]]):
    owner, call = calls.get(name, (name, 0))
    layer = model.get_layer(owner)
    if call == 0:
        return layer.output
    return layer._inbound_nodes[call].output_tensors[0]  # Keras 3 has no public get_output_at


class TorchCaptureError(RuntimeError):
    pass


def torch_layer_outputs(
    model, inputs: list[np.ndarray], returned: Optional[list[np.ndarray]] = None, order: Optional[list[str]] = None
) -> dict[str, np.ndarray]:
    """Run `model` under inference_mode with a forward hook on each SPEC_LAYERS submodule.

    Returns the raw (torch-layout) output of each spec layer observed; what forward() itself returns is
    appended to `returned` when a list is given. Layers sharing one submodule (`shares:`) get its outputs in the
    order forward() calls them, `order` (the spec layers in forward's order; default SPEC_LAYERS's). A module
    called more often than its layers, or returning a tuple, breaks the one-call-per-layer contract: an error.
    """
    import torch

    users: dict[str, list[str]] = {}  # submodule -> its spec layers, in call order
    for name in sorted(model.SPEC_LAYERS, key=(order or list(model.SPEC_LAYERS)).index):
        users.setdefault(model.SPEC_LAYERS[name], []).append(name)
    calls: dict[str, list] = {attribute: [] for attribute in users}
    handles = []
    for attribute in users:
        module = model.get_submodule(attribute)
        handles.append(module.register_forward_hook(lambda _m, _i, out, a=attribute: calls[a].append(out)))
    try:
        with torch.inference_mode():
            final = model(*(torch.from_numpy(x) for x in inputs))
    finally:
        for handle in handles:
            handle.remove()
    if returned is not None:
        returned.extend(out.detach().cpu().numpy() for out in (final if isinstance(final, (tuple, list)) else [final]))
    captured = {}
    for attribute, names in users.items():
        if len(calls[attribute]) > len(names):
            raise TorchCaptureError(f"the module of layer {names[0]!r} ran {len(calls[attribute])} times in one "
                                    f"forward pass, for {len(names)} spec layer{'s' if len(names) > 1 else ''}")
        captured.update(zip(names, calls[attribute], strict=False))  # a call not reached: the caller reports it
    result = {}
    for name, out in captured.items():
        if not isinstance(out, torch.Tensor):
            raise TorchCaptureError(f"the module of layer {name!r} returned {type(out).__name__}, not a tensor")
        result[name] = out.detach().cpu().numpy()
    return result
