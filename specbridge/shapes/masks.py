"""Keras's implicit masks: which tensors carry one, and where a layer's call refuses the one it is given.

Keras 3 attaches a mask to a layer's output when the layer supports masking (the MASKING trait of its declaration):
Embedding(mask_zero=True) and Masking make one; RNNs, GlobalAveragePooling1D, Softmax and attention read it; most
other layers that support masking pass the first input's mask on; a layer without masking support drops it (Keras
warns), and a keras.ops call drops it without a word. The masks are the ones the model runs with: where the run
differs from the symbolic build (a layer returning its input tensor itself, mask included: the augmentation layers
at inference, a cast to the same dtype), the run's. This module holds the types whose output mask follows a rule
of its own (the recurrent layers, the merges) and the mask shapes each layer whose call takes a mask accepts (Keras
fails when the model runs otherwise); tests/shapes/test_masks.py compares every type with Keras's own `_keras_mask`
and runs the models it generates on data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Optional

from ..diagnostics import codes
from ..spec.base import Layer
from ..spec.layers import attention as A
from ..spec.layers import core as C
from ..spec.layers import merging as M
from ..spec.layers import normalization as N
from ..spec.layers import ops as O
from ..spec.layers import pooling as P
from ..spec.layers import preprocessing as PP
from ..spec.layers import recurrent as R
from ..spec.layers import wrappers as W
from .errors import ShapeError
from .records import Mask, Shape, Tensor, format_shape

MaskRule = Callable[[Layer, str, list[str], list[Tensor], Shape], Optional[Mask]]
RULES: dict[type, MaskRule] = {}


def mask_rule(*classes: type) -> Callable[[MaskRule], MaskRule]:
    def register(fn: MaskRule) -> MaskRule:
        for cls in classes:
            RULES[cls] = fn
        return fn
    return register


def output_mask(layer: Layer, name: str, names: list[str], ins: list[Tensor], shape: Shape,
                channels_last: bool = True) -> Optional[Mask]:
    """The mask Keras attaches to the layer's output (None: none). Raises ShapeError where the layer's call reads
    a mask of a shape it cannot use (Keras fails when the model runs)."""
    positional = layer.bind(ins)[0]
    if takes_mask(layer):
        check_read(layer, positional, channels_last, shape)
    rule = RULES.get(type(layer))
    if rule is not None:
        return rule(layer, name, layer.bind(names)[0], positional, shape)
    if layer.MASKING in ("keeps", "reads"):
        return positional[0].mask
    return None


def takes_mask(layer: Layer) -> bool:
    """Keras hands the layer's call the mask: the readers, and BatchNormalization and TimeDistributed, whose calls
    take `mask` too. BatchNormalization uses it in training only (for the batch moments), so at inference it keeps
    the mask like a layer that ignores it, but it checks the mask's rank at every call; TimeDistributed hands each
    step's mask to its layer, which reads it if that layer does."""
    return layer.MASKING == "reads" or isinstance(layer, (N.BatchNormalization, W.TimeDistributed))


def dropped(layer: Layer, ins: list[Tensor]) -> Optional[Mask]:
    """The mask a layer without masking support receives (and drops): Keras looks at the first input only."""
    if layer.MASKING != "drops" or not ins:
        return None
    return layer.bind(ins)[0][0].mask


# ---------------------------------------------------------------- the layers that make a mask


@mask_rule(C.Embedding)
def _embedding(layer: C.Embedding, name, names, ins, shape) -> Optional[Mask]:
    """Keras: ops.not_equal(ids, 0), the ids' shape."""
    if not layer.mask_zero:
        return None
    return Mask(tuple(ins[0].shape), name, "not_equal", source=names[0], value=0.0)


@mask_rule(C.Masking)
def _masking(layer: C.Masking, name, names, ins, shape) -> Mask:
    """Keras: ops.any(ops.not_equal(x, mask_value), axis=-1)."""
    return Mask(tuple(ins[0].shape[:-1]), name, "any_not_equal", source=names[0], value=float(layer.mask_value))


# ---------------------------------------------------------------- the layers that end or pass one on


@mask_rule(R.SimpleRNN, R.LSTM, R.GRU, R.ConvLSTM1D, R.ConvLSTM2D, R.ConvLSTM3D)
def _recurrent(layer, name, names, ins, shape) -> Optional[Mask]:
    """RNN.compute_mask: the mask goes on with the sequence, and ends with the last step."""
    return ins[0].mask if layer.return_sequences else None


@mask_rule(R.Bidirectional)
def _bidirectional(layer: R.Bidirectional, name, names, ins, shape) -> Optional[Mask]:
    return ins[0].mask if layer.layer.return_sequences else None


@mask_rule(*[cls for cls in PP.LAYERS if issubclass(cls, PP.RandomImageLayer)])
def _augmentation(layer: PP.RandomImageLayer, name, names, ins, shape) -> Optional[Mask]:
    """No mask support, so the symbolic build attaches none; but at inference the layer returns its input tensor
    itself (after a cast to float32 that TensorFlow skips when it is one already), which still carries the mask,
    and the layers after it read that mask when the model runs: the values follow the run."""
    same_tensor = not layer.CASTS or ins[0].dtype == "float32"
    return ins[0].mask if same_tensor else None


@mask_rule(O.Cast)
def _cast(layer: O.Cast, name, names, ins, shape) -> Optional[Mask]:
    """keras.ops calls pass no mask on, but a cast to the dtype the tensor has returns the tensor itself
    (tf.cast), mask included, as the run shows."""
    return ins[0].mask if layer.dtype == ins[0].dtype else None


@mask_rule(P.GlobalAveragePooling1D, M.Dot)
def _ends(layer, name, names, ins, shape) -> None:
    """compute_mask returns None: the steps are pooled (or contracted) away."""
    return None


@mask_rule(M.Add, M.Subtract, M.Multiply, M.Average, M.Maximum, M.Minimum)
def _merge(layer, name, names, ins, shape) -> Optional[Mask]:
    """Merge.compute_mask: None when an input has none, else the inputs' masks or-ed."""
    masks = [t.mask for t in ins]
    if any(m is None for m in masks):
        return None
    if all(m == masks[0] for m in masks):
        return masks[0]
    return Mask(_broadcast([m.shape for m in masks]), name, "or", parts=tuple(masks),
                part_shapes=tuple(m.shape for m in masks))


@mask_rule(M.Concatenate)
def _concatenate(layer: M.Concatenate, name, names, ins, shape) -> Optional[Mask]:
    """Concatenate.compute_mask: each mask (all-true for an input without one) widened to its input's shape,
    joined on `axis`, then any() over the last axis. Joined on the last axis, that is the masks or-ed when every
    input has one, and a mask that is true everywhere otherwise (Keras attaches it: a Softmax after it fails as
    after any mask of fewer axes); on another axis, the masks joined on it."""
    masks = [t.mask for t in ins]
    if all(m is None for m in masks):
        return None
    rank = len(ins[0].shape)
    axis = layer.axis - 1 if layer.axis > 0 else rank + layer.axis
    if axis == rank - 1:
        if any(m is None for m in masks):
            return Mask(tuple(shape[:-1]), name, "true", parts=tuple(masks),
                        part_shapes=tuple(tuple(t.shape[:-1]) for t in ins))
        return _merge(layer, name, names, ins, shape)
    part_shapes = tuple(tuple(t.shape[:-1]) for t in ins)
    return Mask(tuple(shape[:-1]), name, "concatenate", parts=tuple(masks), part_shapes=part_shapes, axis=axis)


def _broadcast(shapes: list[Shape]) -> Shape:
    """NumPy's broadcast of mask shapes (every mask here has passed its layer's own shape rule)."""
    rank = max(len(s) for s in shapes)
    padded = [(1,) * (rank - len(s)) + tuple(s) for s in shapes]
    out = []
    for dims in zip(*padded, strict=True):
        known = [d for d in dims if d not in (1, None)]
        out.append(known[0] if known else (None if None in dims else 1))
    return tuple(out)


# ---------------------------------------------------------------- the mask each reader accepts


def check_read(layer: Layer, positional: list[Tensor], channels_last: bool = True,
               shape: Optional[Shape] = None) -> None:
    """Raise where the layer's call reads a mask of a shape it cannot use (Keras fails when the model runs);
    `shape`: the layer's output shape (a ConvLSTM's steps, None: unknown)."""
    if isinstance(layer, (R.RNN, R.Bidirectional, R.ConvLSTM)):
        _recurrent_mask(layer, positional[0], _step_shape(layer, shape))
    elif isinstance(layer, P.GlobalAveragePooling1D):
        steps = positional[0].shape[:1] if channels_last else positional[0].shape[1:2]
        _steps_mask(layer, positional[0], steps, "a (batch, steps) mask")
    elif isinstance(layer, C.Softmax):
        _softmax_mask(layer, positional[0])
    elif isinstance(layer, A.AttentionLayer):
        for role, tensor in zip(layer.CALL.tensors, positional, strict=False):
            _steps_mask(layer, tensor, tuple(tensor.shape[:-1]), f"a {role} mask of the {role}'s positions",
                        role=role)
        _attention_masks(layer, positional)
    elif isinstance(layer, N.BatchNormalization):
        _rank_below(layer, positional[0])
    elif isinstance(layer, W.TimeDistributed):
        _each_step(layer, positional[0], channels_last, shape)


def _step_shape(layer: Layer, shape: Optional[Shape]) -> Optional[Shape]:
    """The shape of one step's output and states (batch excluded): (units,), or a ConvLSTM's output step."""
    if isinstance(layer, R.Bidirectional):
        return (layer.layer.units,)
    if isinstance(layer, R.RNN):
        return (layer.units,)
    if shape is None:
        return None
    return tuple(shape[1:]) if layer.return_sequences else tuple(shape)


def _recurrent_mask(layer: Layer, tensor: Tensor, step: Optional[Shape]) -> None:
    """Keras's recurrent loop (TensorFlow backend) unstacks the mask along the steps, and at each step keeps the
    new output and states where the step's mask is true: out = where(mask_t, new, previous), mask_t expanded at the
    end to the output's rank. A (steps,) mask masks whole steps; a mask of more axes lines its other axes up with
    the step's output from the left (each position of a ConvLSTM's output: Masking before ConvLSTM2D with 'same'
    padding), each of them 1 or the output's size, else Keras fails when the model runs."""
    mask = tensor.mask
    if mask is None:
        return
    steps, rest = tuple(mask.shape[:1]), tuple(mask.shape[1:])
    fits = bool(steps) and _same_size(steps[0], tensor.shape[0]) and (step is None or (
        len(rest) <= len(step) and all(r is None or o is None or r in (1, o) for r, o in zip(rest, step, strict=False))))
    if fits:
        return
    each = "" if step is None else f", the rest lined up with each step's output {format_shape(step)} from the left"
    raise ShapeError(
        codes.MERGE_MISMATCH,
        f"{layer.kind} reads a mask of its {tensor.shape[0]} steps{each}, but its input carries the mask of "
        f"{mask.origin!r} of shape {format_shape(mask.shape)}: Keras fails when the model runs",
        hint=f"the mask of {mask.origin!r} no longer lines up with this input's steps; drop it with a layer that "
             "does not pass masks on (e.g. a Reshape), or mask after reshaping (Masking)",
    )


def _same_size(a: Optional[int], b: Optional[int]) -> bool:
    return a is None or b is None or a == b


def _steps_mask(layer: Layer, tensor: Tensor, want: Shape, what: str, role: str = "input") -> None:
    mask = tensor.mask
    if mask is None or tuple(mask.shape) == tuple(want):
        return
    raise ShapeError(
        codes.MERGE_MISMATCH,
        f"{layer.kind} reads {what} {format_shape(want)}, but its {role} carries the mask of {mask.origin!r} of "
        f"shape {format_shape(mask.shape)}: Keras fails when the model runs",
        hint=f"the mask of {mask.origin!r} no longer lines up with this {role}'s positions; drop it with a layer "
             "that does not pass masks on (e.g. a Reshape), or mask after reshaping (Masking)",
    )


def _softmax_mask(layer: C.Softmax, tensor: Tensor) -> None:
    """Softmax.call broadcasts the mask against its input from the last axis, batch axes included: a mask of one
    axis fewer (a padding mask of steps, on (steps, features)) lines its batch axis up with the steps."""
    mask = tensor.mask
    if mask is None:
        return
    ok = len(mask.shape) == len(tensor.shape) and all(
        m is None or i is None or m in (1, i) for m, i in zip(mask.shape, tensor.shape, strict=True))
    if ok:
        return
    raise ShapeError(
        codes.MERGE_MISMATCH,
        f"Softmax reads the mask of {mask.origin!r}, {format_shape(mask.shape)}, and broadcasts it against its "
        f"input {format_shape(tensor.shape)} from the last axis: the axes do not line up, and Keras fails when the "
        "model runs (\"The `mask` must be broadcastable to `inputs`\")",
        hint="use Activation('softmax') (or Dense(..., activation='softmax')), which does not read the mask, or "
             "give the Softmax an input whose mask has its own shape",
    )


def _attention_masks(layer: A.AttentionLayer, positional: list[Tensor]) -> None:
    """The implicit masks of a query or value of more than one position axis (a grid). MultiHeadAttention and
    GroupQueryAttention combine them as for sequences, query_mask[..., None] & value_mask[..., None, :], which
    lines up with the scores only when attention runs over the last position axis alone; Attention and
    AdditiveAttention apply a value mask of several axes to the scores unexpanded (expanded only with
    use_causal_mask), which does not broadcast."""
    query, value = positional[0], positional[1]
    masked = [t for t in positional if t.mask is not None]
    if not masked or len(query.shape) <= 2:
        return
    rank = len(query.shape) + 1  # batch counted, as attention_axes are
    if isinstance(layer, A.MultiHeadAttention) and layer.attention_axes_for(rank) == (rank - 2,):
        return
    if isinstance(layer, (A.Attention, A.AdditiveAttention)) and (value.mask is None or layer.use_causal_mask):
        return
    mask = masked[0].mask
    axes = "" if not isinstance(layer, A.MultiHeadAttention) else \
        f" (attention_axes {list(layer.attention_axes_for(rank))}; only [{rank - 2}] lines up)"
    raise ShapeError(
        codes.MERGE_MISMATCH,
        f"{layer.kind} reads the mask of {mask.origin!r}, {format_shape(mask.shape)}, on inputs of several position "
        f"axes {format_shape(query.shape)}: Keras builds the attention mask as for sequences, and it does not line "
        f"up with the scores{axes}: Keras fails when the model runs",
        hint=f"drop the mask before {layer.kind} (a layer that does not pass masks on, e.g. a Reshape), or give it "
             "sequences",
    )


def _rank_below(layer: Layer, tensor: Tensor) -> None:
    """BatchNormalization.call checks that the mask has one axis fewer than its input, at inference too."""
    mask = tensor.mask
    if mask is None or len(mask.shape) == len(tensor.shape) - 1:
        return
    raise ShapeError(
        codes.MERGE_MISMATCH,
        f"BatchNormalization checks that its mask has one axis fewer than its input (it uses the mask in training "
        f"only, for the batch moments): the mask of {mask.origin!r} is {format_shape(mask.shape)}, the input "
        f"{format_shape(tensor.shape)}, and Keras fails when the model runs (\"The mask provided should be one "
        "dimension less than the inputs\")",
        hint=f"the mask of {mask.origin!r} no longer lines up with this input's positions; drop it with a layer "
             "that does not pass masks on (e.g. a Reshape)",
    )


def _each_step(layer: W.TimeDistributed, tensor: Tensor, channels_last: bool, shape: Optional[Shape]) -> None:
    """TimeDistributed checks that the mask starts with the time axis, and hands each step's mask (the mask
    without its time axis) to its layer, which checks it as any call of it would."""
    mask = tensor.mask
    if mask is None:
        return
    if not mask.shape or (None not in (mask.shape[0], tensor.shape[0]) and mask.shape[0] != tensor.shape[0]):
        raise ShapeError(
            codes.MERGE_MISMATCH,
            f"TimeDistributed reads a mask that starts with the time axis, {tensor.shape[0]}, but its input carries "
            f"the mask of {mask.origin!r} of shape {format_shape(mask.shape)}: Keras fails when the model runs",
            hint=f"drop the mask of {mask.origin!r} with a layer that does not pass masks on (e.g. a Reshape)")
    inner = layer.layer
    if not takes_mask(inner):
        return
    step = Tensor(tuple(tensor.shape[1:]), tensor.dtype, replace(mask, shape=tuple(mask.shape[1:])))
    try:
        check_read(inner, [step], channels_last, None if shape is None else tuple(shape[1:]))
    except ShapeError as exc:
        raise ShapeError(exc.code, f"TimeDistributed hands its {inner.kind} each time step's mask, "
                         f"{format_shape(step.mask.shape)}, with each step {format_shape(step.shape)}: {exc.message}",
                         hint=exc.hint) from exc
