"""Emitters of spec/layers/pooling.py: windowed and global pooling."""

from __future__ import annotations

from ...shapes.rules import as_tuple
from ...spec.layers import pooling as P
from ..source import call, compact, literal
from .layout import KERAS, pad_module, same_pads, torch_dim
from .stage import Built, Ctx, emitter

# The torch class-name part for each pooling MODE trait.
KINDS = {"max": "Max", "average": "Avg"}


@emitter(P.MaxPooling1D, P.MaxPooling2D, P.MaxPooling3D, P.AveragePooling1D, P.AveragePooling2D, P.AveragePooling3D)
def emit_pooling(layer, ctx: Ctx) -> Built:
    rank = layer.RANK
    spatial, _ = ctx.split(layer, ctx.in_shape)
    kernel = as_tuple(layer.pool_size, rank)
    strides = as_tuple(layer.strides, rank) if layer.strides is not None else kernel
    kind = KINDS[layer.MODE]
    kwargs = {} if strides == kernel else {"stride": compact(strides)}
    layout = ctx.spatial_layout(layer)
    pool_args = (f"nn.{kind}Pool{rank}d", literal(compact(kernel)))
    if layer.padding == "valid":
        return Built([call(*pool_args, **kwargs)], layout, layout)
    pads = same_pads(ctx, spatial, kernel, strides, (1,) * rank)
    symmetric = all(b == a and b <= k // 2 for (b, a), k in zip(pads, kernel, strict=True))
    if symmetric:
        if any(b for b, _ in pads):
            kwargs["padding"] = compact(b for b, _ in pads)
            if layer.MODE == "average":
                kwargs["count_include_pad"] = False
        return Built([call(*pool_args, **kwargs)], layout, layout)
    if layer.MODE == "max":
        return Built([pad_module(rank, pads, 'float("-inf")'), call(*pool_args, **kwargs)], layout, layout)
    if any(length is None for length in spatial):
        raise ctx.fail("average pooling with asymmetric 'same' padding over an axis of unknown size")
    pool = call(*pool_args, **kwargs)
    module = f"{ctx.helper('AvgPoolSame')}({pool}, {pad_module(rank, pads)}, {literal(tuple(spatial))})"
    return Built([module], layout, layout)


@emitter(
    P.GlobalMaxPooling1D, P.GlobalMaxPooling2D, P.GlobalMaxPooling3D,
    P.GlobalAveragePooling1D, P.GlobalAveragePooling2D, P.GlobalAveragePooling3D,
)
def emit_global_pooling(layer, ctx: Ctx) -> Built:
    if isinstance(layer, P.GlobalAveragePooling1D) and ctx.in_mask is not None:  # the others drop the mask
        return _masked_average(layer, ctx)
    layout = ctx.spatial_layout(layer)
    pool = f"nn.Adaptive{KINDS[layer.MODE]}Pool{layer.RANK}d(1)"
    if layer.keepdims:
        return Built([pool], layout, layout)
    return Built([pool, "nn.Flatten()"], layout, KERAS)


def _masked_average(layer: P.GlobalAveragePooling1D, ctx: Ctx) -> Built:
    """runtime.py's MaskedGlobalAveragePooling1D on the input as it comes (the mask, (batch, steps), has no channel
    axis to move): Keras's steps axis is 1, or 2 for a channels_first layer."""
    steps = torch_dim(1 if ctx.channels_last(layer) else 2, ctx.in_shape, ctx.in_layout)
    args = [f"steps_dim={steps}"] + (["keepdims=True"] if layer.keepdims else [])
    module = f"{ctx.helper('MaskedGlobalAveragePooling1D')}({', '.join(args)})"
    return Built([module], None, None) if layer.keepdims else Built([module], None, KERAS)
