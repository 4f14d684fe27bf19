"""Helpers shared by inference functions: the rank check and the zero-or-negative size check, each with one
message template."""

from __future__ import annotations

from typing import Optional

from ...diagnostics import codes
from ..errors import ShapeError
from ..records import Step, Tensor, format_shape


def require_rank(
    layer, tensor: Tensor, *, ndim: Optional[int] = None, min_ndim: Optional[int] = None,
    expected: str = "", hint: Optional[str] = None,
) -> None:
    """Keras's input-spec check (ndim / min_ndim, batch axis included), one message for all layers."""
    rank = tensor.rank
    if ndim is not None and rank != ndim:
        want = f"ndim={ndim}"
    elif min_ndim is not None and rank < min_ndim:
        want = f"min_ndim={min_ndim}"
    else:
        return
    shown = f" {expected}" if expected else ""
    raise ShapeError(
        codes.NDIM_MISMATCH,
        f"{layer.kind} expects {want}{shown}, found ndim={rank}: input shape {format_shape(tensor.shape)}",
        hint=hint,
    )


def fmt(n: Optional[int]) -> str:
    """1,234,567 style for counts; 'None' for unknown."""
    return "None" if n is None else f"{n:,}"


def check_positive(step: Step, tensor: Tensor, argument: str, value, hint: str) -> None:
    """SB201 when an axis length computed by a shapes.rules function (`step`) is zero or negative.

    One message for every layer that shrinks an axis (convolution, pooling, cropping); `argument` and its
    `value` say what shrank it, and the hint is the layer's own advice.
    """
    length = step.result
    if length is None or length > 0:
        return
    raise ShapeError(
        codes.NONPOSITIVE_SIZE,
        f"output {step.topic} would be {length} (zero or negative): {arithmetic(step)}; "
        f"input shape {format_shape(tensor.shape)}, {argument} {value}",
        hint=hint,
        argument=argument,
    )


def arithmetic(step: Step) -> str:
    """A length step of shapes.rules with its numbers, without the axis: "floor((3 - 5) / 1) + 1 = -1".

    Those templates are "{topic}: " and plain fields, so str.format renders them as explain does.
    """
    return step.template.removeprefix("{topic}: ").format(**step.values, result=step.result)


# TensorFlow's oneDNN Softmax kernel takes at most 5 axes; its standard kernel takes any rank (REFERENCE.md, CPU
# dependence). oneDNN is on by default on CPUs with AVX-512 or AMX, so such a model runs on some machines only.
SOFTMAX_MAX_RANK = 5


def check_softmax_rank(layer, rank: int, shape, what: str, hint: str, argument: Optional[str] = None) -> None:
    """SB210 for a softmax over one axis of a tensor of more than 5 axes (batch included), on every machine.

    Keras runs it with TensorFlow's standard kernels and aborts the call with its oneDNN kernels; PyTorch runs it.
    A verdict that depends on the CPU is reported as an error everywhere (as for transposed convolutions).
    Over several axes Keras computes exp(x - logsumexp(x)) instead, which every kernel runs.
    """
    if rank <= SOFTMAX_MAX_RANK:
        return
    raise ShapeError(
        codes.INVALID_ARGUMENT,
        f"{layer.kind} {what} over one axis of a tensor of {rank} axes {format_shape(shape)}: Keras builds the "
        "model, TensorFlow's standard kernels run it, but its oneDNN kernels (TF_ENABLE_ONEDNN_OPTS, on by default "
        f"on CPUs with AVX-512 or AMX) abort the call (\"Softmax: Input dims must be <= {SOFTMAX_MAX_RANK}\"), and "
        "PyTorch runs it: whether the model runs depends on the machine, so it is an error on every machine",
        hint=hint, argument=argument,
    )
