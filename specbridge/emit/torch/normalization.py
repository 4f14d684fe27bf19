"""Emitters of spec/layers/normalization.py: BatchNormalization, LayerNormalization, GroupNormalization,
UnitNormalization and RMSNormalization."""

from __future__ import annotations

from ...shapes.rules import as_tuple
from ...spec.layers import normalization as N
from ..source import call, compact, literal
from .layout import CHANNELS_FIRST, KERAS, torch_dim
from .stage import Built, Ctx, emitter


@emitter(N.BatchNormalization)
def emit_batch_norm(layer, ctx: Ctx) -> Built:
    shape = ctx.in_shape
    rank = len(shape) + 1
    axis = layer.axis + rank if layer.axis < 0 else layer.axis
    if rank == 2 and axis == 1:
        layout = KERAS
    elif axis == rank - 1:
        layout = CHANNELS_FIRST
    elif axis == 1:
        layout = KERAS
    else:
        raise ctx.fail(f"BatchNormalization over axis {layer.axis} of a rank-{rank} tensor: PyTorch normalizes axis 1")
    if rank > 5:
        raise ctx.fail(f"BatchNormalization on a rank-{rank} tensor: PyTorch has BatchNorm1d/2d/3d only")
    kwargs = {"eps": layer.epsilon, "momentum": round(1 - layer.momentum, 12)}
    if not (layer.center and layer.scale):
        kwargs["affine"] = False
    dims = max(rank - 2, 1)
    norm = call(f"nn.BatchNorm{dims}d", str(shape[axis - 1]), **kwargs)
    if layer.center != layer.scale:  # one affine term: PyTorch's BatchNorm has both or neither
        norm = (f"{ctx.helper('BatchNormPartialAffine')}({norm}, {shape[axis - 1]}, scale={layer.scale}, "
                f"center={layer.center})")
    return Built([norm], layout, layout)


@emitter(N.LayerNormalization)
def emit_layer_norm(layer, ctx: Ctx) -> Built:
    shape = ctx.in_shape
    rank = len(shape) + 1
    axes = sorted(a + rank if a < 0 else a for a in as_tuple(layer.axis, 1))
    if axes != list(range(rank - len(axes), rank)):
        raise ctx.fail(f"LayerNormalization over axes {layer.axis}: PyTorch normalizes trailing axes only")
    if layer.center and not layer.scale:
        raise ctx.fail("center without scale: PyTorch LayerNorm has no bias-only form")
    normalized = tuple(shape[a - 1] for a in axes)
    if None in normalized:  # no weights to size (inference refuses it otherwise): sizes taken when it runs
        return Built([call(ctx.helper("LayerNormUnsized"), str(len(axes)), eps=layer.epsilon)], KERAS, KERAS)
    kwargs: dict = {"eps": layer.epsilon}
    if not layer.scale:
        kwargs["elementwise_affine"] = False
    elif not layer.center:
        kwargs["bias"] = False
    return Built([call("nn.LayerNorm", literal(compact(normalized)), **kwargs)], KERAS, KERAS)


@emitter(N.GroupNormalization)
def emit_group_norm(layer, ctx: Ctx) -> Built:
    shape = ctx.in_shape
    rank = len(shape) + 1
    axis = layer.axis + rank if layer.axis < 0 else layer.axis
    if axis == 1:
        layout = KERAS
    elif axis == rank - 1:
        layout = CHANNELS_FIRST  # brings the last axis to dim 1, where nn.GroupNorm groups
    else:
        raise ctx.fail(
            f"GroupNormalization over axis {layer.axis} of a rank-{rank} tensor: PyTorch's GroupNorm groups axis 1, "
            "and no layout of the tensor puts that axis there"
        )
    channels = shape[axis - 1]
    groups = channels if layer.groups == -1 else layer.groups
    if layer.center != layer.scale:
        raise ctx.fail("center and scale differ: PyTorch GroupNorm has both affine terms or neither")
    kwargs: dict = {"eps": layer.epsilon}
    if not layer.center:
        kwargs["affine"] = False
    return Built([call("nn.GroupNorm", str(groups), str(channels), **kwargs)], layout, layout)


@emitter(N.UnitNormalization)
def emit_unit_norm(layer, ctx: Ctx) -> Built:
    """runtime_normalization.py's UnitNormalize over Keras's axes as PyTorch dims of whatever layout the input has
    (a norm needs no weights laid out, so no transpose)."""
    dims = sorted(torch_dim(a, ctx.in_shape, ctx.in_layout) for a in as_tuple(layer.axis, 1))
    return Built([f"{ctx.helper('UnitNormalize')}({literal(tuple(dims))})"])


@emitter(N.RMSNormalization)
def emit_rms_norm(layer, ctx: Ctx) -> Built:
    """nn.RMSNorm: x * rsqrt(mean(x**2) + eps) * weight over the trailing axes, Keras's formula in the input's dtype;
    the shape rule has made sure Keras's axes are the trailing ones (in the Keras layout), in order."""
    shape = ctx.in_shape
    count = len(as_tuple(layer.axis, 1))
    normalized = tuple(shape[len(shape) - count:])
    return Built([call("nn.RMSNorm", literal(compact(normalized)), eps=layer.epsilon)], KERAS, KERAS)
