"""Layouts of the tensors inside an emitted PyTorch model, and the padding arithmetic of its modules.

Two layouts: "keras" (the same axis order as Keras) and "channels_first" (Keras's last axis moved to position 1,
i.e. NCHW for a channels_last spec), defined in specbridge/layouts.py with the rule that picks the model's inputs' and
outputs' layouts. They are the values of an emitted class's INPUT_LAYOUT / OUTPUT_LAYOUT, which the cross-check
reads. Inside the model each layer is emitted for the layout its input has. Every padding is computed
from the static shapes; TF 'same' padding with stride > 1 on an axis of unknown size raises NotExpressible,
since its split depends on the size.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

from ...layouts import CHANNELS_FIRST, KERAS
from ...shapes.records import Shape
from ...shapes.rules import as_tuple, effective_kernel, same_padding, torch_pad_order
from ..source import compact, literal

if TYPE_CHECKING:
    from .stage import Ctx

__all__ = ["CHANNELS_FIRST", "KERAS", "conv_padding", "conversion", "conversion_expr", "normalize_layout", "pad_module",
           "same_pads", "torch_dim"]


def normalize_layout(layout: Optional[str], shape: Shape) -> Optional[str]:
    """Rank <= 2 (batch included) tensors look the same in both layouts."""
    if layout is not None and len(shape) <= 1:
        return KERAS
    return layout


def torch_dim(axis: int, shape: Shape, layout: str) -> int:
    """The PyTorch dim of Keras axis `axis` (batch counted) for a tensor of Keras shape `shape`."""
    rank = len(shape) + 1
    axis = axis + rank if axis < 0 else axis
    if layout == CHANNELS_FIRST and rank > 2 and axis > 0:
        return 1 if axis == rank - 1 else axis + 1
    return axis


def conversion(have: Optional[str], want: Optional[str], ctx: Ctx) -> list[str]:
    """The stage converting a tensor from layout `have` to `want` (none when they agree or either is open)."""
    if want is None or have is None or have == want:
        return []
    return [f"{ctx.helper('ChannelsLast' if want == KERAS else 'ChannelsFirst')}()"]


def conversion_expr(var: str, have: str, want: str) -> str:
    """The same conversion as an expression on a variable (for the arguments of a merge in forward())."""
    if have == want:
        return var
    return f"{var}.movedim(1, -1)" if want == KERAS else f"{var}.movedim(-1, 1)"


# ---------------------------------------------------------------- padding


def same_pads(ctx: Ctx, spatial: Shape, kernel, strides, dilation) -> list[tuple[int, int]]:
    """TF SAME (before, after) per axis; stride 1 does not depend on the (maybe unknown) size."""
    if any(length is None and s != 1 for length, s in zip(spatial, strides, strict=True)):
        raise ctx.fail(
            "'same' padding with stride > 1 on an axis of unknown size: its TF split (extra cell at the end) "
            "depends on the size; give the input a known size"
        )
    return [same_padding(n, k, s, d) for n, k, s, d in zip(spatial, kernel, strides, dilation, strict=True)]


def pad_module(rank: int, pads: list[tuple[int, int]], value: Optional[str] = None) -> str:
    """nn.ZeroPad/ConstantPad for per-axis (before, after) pairs, first spatial axis first."""
    order = torch_pad_order(pads)
    if value is None:
        return f"nn.ZeroPad{rank}d({literal(order)})"
    return f"nn.ConstantPad{rank}d({literal(order)}, {value})"


def conv_padding(layer, ctx: Ctx, spatial: Shape, kernel, strides, dilation) -> tuple[list[str], dict]:
    """(stages before the conv, padding kwargs for the conv) reproducing Keras's padding."""
    rank = layer.RANK
    padding = layer.padding
    if padding == "valid":
        return [], {}
    if not isinstance(padding, str):
        return [], {"padding": compact(as_tuple(padding, rank))}
    if padding == "causal":
        return [pad_module(1, [(effective_kernel(kernel[0], dilation[0]) - 1, 0)])], {}
    pads = same_pads(ctx, spatial, kernel, strides, dilation)
    if all(b == a for b, a in pads):
        return [], {"padding": compact(b for b, _ in pads)} if any(b for b, _ in pads) else {}
    if all(s == 1 for s in strides):
        return [], {"padding": "same"}
    return [pad_module(rank, pads)], {}
