"""Every layer's output, from a live Keras model and from a live torch module."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Optional

import numpy as np


def keras_layer_outputs(model, names: list[str], inputs: list[np.ndarray],
                        calls: Optional[dict[str, tuple[str, int]]] = None,
                        extra: Optional[dict[str, tuple[str, int]]] = None,
                        ops: Optional[list[OpNode]] = None) -> dict[str, np.ndarray]:
    """Run `model` in inference mode and return the output of each named layer. `calls` (CheckResult.calls()):
    a layer that calls another's Keras object again is that object's output at that call (its node), not the
    first call's, which `layer.output` gives. `extra` places an extra output (`mha.scores`: layer, position);
    `ops` the spec's op nodes, found in the model's graph (keras_op_tensors)."""
    import keras

    calls, extra = calls or {}, extra or {}
    found = keras_op_tensors(model, ops or [], lambda ref: _symbolic_output(model, ref, calls, extra))
    probe = keras.Model(model.inputs, [found[name] if name in found else _symbolic_output(model, name, calls, extra)
                                       for name in names])
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


@dataclass(frozen=True)
class OpNode:
    """A spec op as the cross-check finds it in a Keras graph: its saved class, the references it reads (tensors
    only, in call order) and the references of its outputs."""

    keras_class: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    shape: tuple  # the first output's shape, batch excluded


def keras_op_tensors(model, ops: list[OpNode], layer_tensor) -> dict:
    """{reference: KerasTensor} of each op's outputs. keras.ops calls have no names of their own, so an op is the
    first unused operation of its class, in the order they were made (their names count them: get_item,
    get_item_1...), whose call read exactly the tensors the spec says (by identity) and gave the spec's shape."""
    operations: dict[str, list] = {}
    for operation in getattr(model, "operations", model.layers):
        operations.setdefault(type(operation).__name__, []).append(operation)
    for same in operations.values():
        same.sort(key=_made)
    found: dict = {}
    used: set[int] = set()
    for op in ops:
        wanted = [id(found[r]) if r in found else id(layer_tensor(r)) for r in op.inputs]
        reading = [n for operation in operations.get(op.keras_class, []) for n in operation._inbound_nodes
                   if [id(t) for t in n.input_tensors] == wanted and id(n) not in used]
        shaped = [n for n in reading if _compatible(tuple(n.output_tensors[0].shape[1:]), op.shape)]
        # The shape tells apart ops of one class reading the same tensors; Keras's symbolic shape may contradict
        # the run's (attention scores), so a lone reader is the op whatever its symbolic shape says.
        node = shaped[0] if shaped else reading[0] if len(reading) == 1 else None
        if node is not None:
            used.add(id(node))
            found.update(zip(op.outputs, node.output_tensors, strict=False))
    return found


def _compatible(symbolic: tuple, spec: tuple) -> bool:
    """Keras's symbolic shape agrees with the spec's where both know a size: Keras's symbolic shapes can be less
    precise than the run (a MultiHeadAttention's scores are (heads, Tq, Tq) symbolically), never contradict it."""
    return len(symbolic) == len(spec) and all(a is None or b is None or a == b for a, b in zip(symbolic, spec, strict=True))


def _made(operation) -> int:
    """An operation's rank among those of its class, from its automatic name (`add`, `add_1`, `add_2`...)."""
    base, _, count = operation.name.rpartition("_")
    return int(count) if base and count.isdigit() else 0


def _symbolic_output(model, reference: str, calls: dict[str, tuple[str, int]], extra: dict[str, tuple[str, int]]):
    """A layer's output, or an extra output (`extra`: reference -> (layer, position among its outputs))."""
    name, index = extra.get(reference, (reference, 0))
    owner, call = calls.get(name, (name, 0))
    layer = model.get_layer(owner)
    return layer._inbound_nodes[call].output_tensors[index]  # Keras 3 has no public get_output_at


class TorchCaptureError(RuntimeError):
    pass


def torch_layer_outputs(
    model, inputs: list[np.ndarray], returned: Optional[list[np.ndarray]] = None, order: Optional[list[str]] = None,
    extra: Optional[dict[str, tuple[str, ...]]] = None,
) -> dict[str, np.ndarray]:
    """Run `model` under inference_mode with a forward hook on each SPEC_LAYERS submodule.

    Returns the raw (torch-layout) output of each spec layer observed, and of each op (SPEC_OPS: forward()'s local
    variables, forward_locals); what forward() itself returns is
    appended to `returned` when a list is given. Layers sharing one submodule (`shares:`) get its outputs in the
    order forward() calls them, `order` (the spec layers in forward's order; default SPEC_LAYERS's). A module
    called more often than its layers, or returning a tuple, breaks the one-call-per-layer contract: an error;
    a layer with extra outputs (`extra`: layer -> their references, `mha.scores`) returns them after its output.
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
        with torch.inference_mode(), forward_locals(model) as frame:
            final = model(*(torch.from_numpy(x) for x in inputs))
    finally:
        for handle in handles:
            handle.remove()
    if returned is not None:
        returned.extend(_numpy(out) for out in (final if isinstance(final, (tuple, list)) else [final]))
    captured = {}
    for attribute, names in users.items():
        if len(calls[attribute]) > len(names):
            raise TorchCaptureError(f"the module of layer {names[0]!r} ran {len(calls[attribute])} times in one "
                                    f"forward pass, for {len(names)} spec layer{'s' if len(names) > 1 else ''}")
        captured.update(zip(names, calls[attribute], strict=False))  # a call not reached: the caller reports it
    result = {}
    for name, out in captured.items():
        refs = (extra or {}).get(name, ())
        if refs and isinstance(out, (tuple, list)) and len(out) == 1 + len(refs):
            result.update((ref, value.detach().cpu().numpy()) for ref, value in zip(refs, out[1:], strict=True))
            out = out[0]
        if not isinstance(out, torch.Tensor):
            raise TorchCaptureError(f"the module of layer {name!r} returned {type(out).__name__}, not a tensor")
        result[name] = out.detach().cpu().numpy()
    result.update(op_outputs(model, frame))
    return result


@contextmanager
def forward_locals(model) -> Iterator[dict]:
    """forward()'s local variables as they are when it returns, for the call made in the block: the tensors of the
    ops (SPEC_OPS), which are expressions in forward(), where no module hook sees them. A profile hook
    (sys.setprofile) copies them on forward's 'return' event; the previous hook is back when the block ends, also
    when it raises. A model without ops is not profiled."""
    seen: dict = {}
    if not getattr(model, "SPEC_OPS", None):
        yield seen
        return
    code = type(model).forward.__code__

    def hook(frame, event, _arg):
        if event == "return" and frame.f_code is code and not seen:
            seen.update(frame.f_locals)

    previous = sys.getprofile()
    sys.setprofile(hook)
    try:
        yield seen
    finally:
        sys.setprofile(previous)


def op_outputs(model, frame: dict) -> dict[str, np.ndarray]:
    """Each SPEC_OPS entry's tensor among forward()'s locals `frame` (one not there: the caller reports it)."""
    import torch

    return {reference: _numpy(frame[variable]) for reference, variable in getattr(model, "SPEC_OPS", {}).items()
            if isinstance(frame.get(variable), torch.Tensor)}


def _numpy(tensor) -> np.ndarray:
    """A torch tensor's values; a bfloat16 one (NumPy has none: ops.cast) as float32, which holds them exactly."""
    import torch

    tensor = tensor.detach().cpu()
    return (tensor.float() if tensor.dtype == torch.bfloat16 else tensor).numpy()
