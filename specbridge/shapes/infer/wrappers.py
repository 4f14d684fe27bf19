"""TimeDistributed, and what every wrapper shares (Bidirectional, in recurrent.py, uses it too).

A wrapper infers its inner layer through ctx.infer, so the inner layer gets exactly the checks it
would get on its own; its errors are re-worded from the wrapper's point of view.
"""

from __future__ import annotations

from ...diagnostics import codes
from ...spec.layers import wrappers as L
from ..errors import ShapeError
from ..records import Inferred, Step, Tensor, format_shape
from . import Context, rule


def check_wrapped(wrapper, inner) -> None:
    """A wrapped layer has no place in the graph of its own: `inputs` or `expect` on it would be ignored."""
    if inner.inputs is not None:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{wrapper.kind}: the wrapped {inner.kind} sets `inputs`, but a wrapped layer always reads the wrapper's input",
            hint=f"remove `inputs` from the inner layer (set it on the {wrapper.kind} instead)", argument="layer",
        )
    if inner.expect is not None:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{wrapper.kind}: the wrapped {inner.kind} sets `expect`, which is only checked on the {wrapper.kind} itself",
            hint=f"move `expect` to the {wrapper.kind} layer", argument="layer",
        )


def infer_wrapped(wrapper, inner, tensor: Tensor, ctx: Context, seen: str = "", rank_hint=None) -> Inferred:
    """ctx.infer on the inner layer; its error is prefixed with the wrapper and points at `layer:`.

    `rank_hint` replaces the inner layer's hint for a rank error, which it words for a bare layer.
    """
    try:
        return ctx.infer(inner, [tensor])
    except ShapeError as exc:
        hint = rank_hint if rank_hint and exc.code is codes.NDIM_MISMATCH else exc.hint
        raise ShapeError(
            exc.code, f"{wrapper.kind}({inner.kind}){seen}: {exc.message}", hint=hint, argument="layer",
        ) from None


def wrapped_trainable(inner, result: Inferred, copies: int = 1):
    """Trainable count of `copies` of the inner layer, honouring the inner layer's own `trainable: false`."""
    if not inner.trainable:
        return 0
    return None if result.trainable_params is None else copies * result.trainable_params


@rule(L.TimeDistributed)
def infer_time_distributed(layer: L.TimeDistributed, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    inner = layer.layer
    check_wrapped(layer, inner)
    if tensor.rank < 3:
        raise ShapeError(
            codes.NDIM_MISMATCH,
            f"TimeDistributed Layer should be passed an input_shape with at least 3 dimensions "
            f"(batch, timesteps, ...), received: {format_shape(tensor.shape)}",
            hint=(
                f"the input has no time axis: apply {inner.kind} directly, or make a sequence first "
                "(RepeatVector, or Reshape to (timesteps, ...))"
            ),
        )
    timesteps, frame = tensor.shape[0], tensor.shape[1:]
    seen = f" on each time step {format_shape(frame)}"
    rank_hint = (
        f"TimeDistributed removes axis 1 (time) before {inner.kind} sees the data, so {inner.kind} gets rank "
        f"{tensor.rank - 1}: if {format_shape(tensor.shape)} has no time axis, use {inner.kind} without "
        f"TimeDistributed; otherwise give each time step the rank {inner.kind} expects"
    )
    one = infer_wrapped(layer, inner, Tensor(frame, tensor.dtype), ctx, seen, rank_hint)
    shape = (timesteps,) + tuple(one.shape)
    timesteps_text = "{timesteps}" if timesteps is not None else "unknown number of"
    steps = (
        Step(
            "shape",
            "TimeDistributed folds the " + timesteps_text + " time steps into the batch: {inner} sees {frame:batch} "
            "and returns {inner_shape:batch}, then the time axis is put back: {result:batch}",
            {"timesteps": timesteps, "inner": inner.kind, "frame": frame, "inner_shape": tuple(one.shape)}, shape,
        ),
        *(s.inside(inner.kind) for s in one.steps),
        Step(
            "params", "params = those of one {inner} = {result:,} (the same weights at every time step)",
            {"inner": inner.kind}, one.params,
        ),
    )
    return Inferred(shape, one.params, wrapped_trainable(inner, one), one.dtype, steps)
