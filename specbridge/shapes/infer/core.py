"""Dense, Embedding, Flatten, dropout, Softmax and activation layers.

Activation('softmax') is element-wise here: Keras applies it over the last axis at any rank.
"""

from __future__ import annotations

from ...diagnostics import codes
from ...spec.catalog import sibling_name
from ...spec.layers import core as L
from ...spec.model import INTEGER_DTYPES
from ..axes import layout
from ..errors import ShapeError
from ..records import Inferred, Step, Tensor, format_shape
from ..rules import dropout_mask_problem, product
from . import Context, rule
from .common import require_rank


@rule(L.Dense)
def infer_dense(layer: L.Dense, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    require_rank(layer, tensor, min_ndim=2, expected="(batch, ..., features)")
    features = tensor.shape[-1]
    if features is None:
        raise ShapeError(
            codes.UNKNOWN_DIMENSION,
            f"Dense needs a known last axis to size its kernel, got {format_shape(tensor.shape)}",
            hint="give the last axis a size in the input shape, or pool it to a known size first",
        )
    if layer.in_features is not None and layer.in_features != features:
        raise ShapeError(
            codes.CHANNEL_MISMATCH,
            f"in_features={layer.in_features} but the input's last axis has {features}: {format_shape(tensor.shape)} "
            f"(PyTorch would fail with 'mat1 and mat2 shapes cannot be multiplied')",
            hint=f"set in_features: {features}", argument="in_features",
        )
    steps = dense_steps(tensor.shape, layer)
    return Inferred(tensor.shape[:-1] + (layer.units,), steps[1].result, steps=steps)


def dense_steps(shape, layer: L.Dense) -> tuple[Step, ...]:
    """What Dense does to the last axis, its params (steps[1]) and its kernel shape."""
    features, units = shape[-1], layer.units
    values = {"features": features, "units": units}
    acts, leading = values, ""
    if len(shape) > 1:
        acts = {**values, "leading": shape[:-1]}
        leading = "; the leading axes {leading:batch} pass through (same weights at every position)"
    weights = features * units
    if layer.use_bias:
        params = Step(
            "params", "params = {features}*{units} + {units} = {result:,}", values, weights + units,
            formula="features * units + units",
        )
    else:
        params = Step("params", "params = {features}*{units} = {result:,}", values, weights, formula="features * units")
    return (
        Step("features", "Dense acts on the last axis: {features} features -> {units} units" + leading, acts, units),
        params,
        Step(
            "kernel shape", "kernel shape: Keras ({features}, {units}), PyTorch Linear weight ({units}, {features})",
            values,
        ),
    )


@rule(L.Dropout, L.ActivationLayer, L.ReLU, L.LeakyReLU, L.ELU)
def infer_elementwise(layer, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    if getattr(layer, "noise_shape", None) is not None:
        check_noise_shape(layer, tensor)
    return Inferred(tensor.shape, steps=(Step("shape", "element-wise: the shape is unchanged", {}, tensor.shape),))


def check_noise_shape(layer: L.Dropout, tensor: Tensor) -> None:
    """Keras's noise_shape counts the batch axis; the mask it draws must broadcast to the input when training
    (shapes.rules.dropout_mask_problem). Keras does not check it when building: the model fails in training
    ("condition [2,3], then [2,4] ... must be broadcastable")."""
    noise, full = tuple(layer.noise_shape), (None,) + tuple(tensor.shape)
    problem = dropout_mask_problem(noise, full)
    if problem is None:
        return
    raise ShapeError(
        codes.INVALID_ARGUMENT,
        f"Dropout noise_shape={list(noise)} does not broadcast to the input {format_shape(tensor.shape)}: {problem}; "
        "Keras fills a null entry with the input's size at the same index, then broadcasts the mask against the "
        "input from the last axis (Keras builds it; training fails)",
        hint=f"one entry per axis, batch included, each null, 1 or the input's size: e.g. {[None] * len(full)}; "
             "or fewer entries, aligned with the last axes, each 1 or that axis's size",
        argument="noise_shape",
    )


@rule(L.Softmax)
def infer_softmax(layer: L.Softmax, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    rank = tensor.rank
    # Keras builds Softmax with any axis symbolically; an out-of-range axis only fails when data runs
    # ("`dim` must be in the range [-3, 3)"), so catch it here.
    if not -rank <= layer.axis < rank:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"Softmax axis={layer.axis} is out of range for an input of rank {rank} {format_shape(tensor.shape)}: "
            f"it must lie in [-{rank}, {rank})",
            hint="axes count the batch axis: axis -1 (the default) is the last axis", argument="axis",
        )
    step = Step("shape", "softmax over axis {axis}: the shape is unchanged", {"axis": layer.axis}, tensor.shape)
    return Inferred(tensor.shape, steps=(step,))


@rule(L.Identity)
def infer_identity(layer: L.Identity, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    step = Step("shape", "returns its input unchanged: the same shape and dtype", {}, tensor.shape)
    return Inferred(tensor.shape, steps=(step,))


@rule(L.Masking)
def infer_masking(layer: L.Masking, inputs: list[Tensor], ctx: Context) -> Inferred:
    """The same shape; the steps whose features all equal mask_value become 0 and are masked (shapes/masks.py)."""
    (tensor,) = inputs
    mask = format_shape(tensor.shape[:-1])
    step = Step("mask", "masks the positions whose {features} features all equal {value}: they become 0, and the "
                "mask {mask} goes to the layers after it", {"features": tensor.shape[-1] if tensor.shape else 1,
                                                             "value": layer.mask_value, "mask": mask}, tensor.shape)
    return Inferred(tensor.shape, steps=(step,))


@rule(L.SpatialDropout1D, L.SpatialDropout2D, L.SpatialDropout3D)
def infer_spatial_dropout(layer, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    rank = layer.RANK
    channels_last = ctx.channels_last(layer)
    fits = sibling_name(type(layer), tensor.rank - 2, fallback="Dropout")
    require_rank(
        layer, tensor, ndim=rank + 2, expected=layout(rank, channels_last),
        hint=f"the input has rank {tensor.rank}: use {fits}",
    )
    step = Step("shape", "drops whole channels (feature maps) at training time: the shape is unchanged", {}, tensor.shape)
    return Inferred(tensor.shape, steps=(step,))


@rule(L.Embedding)
def infer_embedding(layer: L.Embedding, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    # Keras accepts float ids symbolically (it casts them), but PyTorch's nn.Embedding rejects every
    # dtype but int32/int64 ("Expected tensor for argument #1 'indices' to have one of the following
    # scalar types: Long, Int"), and float ids are a sign of a wrong input: require an integer dtype.
    if tensor.dtype not in INTEGER_DTYPES:
        raise ShapeError(
            codes.EMBEDDING_DTYPE,
            f"Embedding looks up integer token ids, but its input is {tensor.dtype} {format_shape(tensor.shape)} "
            "(PyTorch's nn.Embedding rejects non-integer indices)",
            hint="set dtype: int32 on the input (the ids must lie in [0, input_dim))",
        )
    v, d = layer.input_dim, layer.output_dim
    values = {"input_dim": v, "output_dim": d}
    shape = tensor.shape + (d,)
    steps = (
        Step(
            "shape", "each integer id in {input:batch} becomes a {output_dim}-vector: output = input shape + ({output_dim},)",
            {"input": tensor.shape, "output_dim": d}, shape,
        ),
        Step(
            "params",
            "params = input_dim * output_dim = {input_dim} * {output_dim} = {result:,} (one row per token id 0..{last_id})",
            {**values, "last_id": v - 1}, v * d, formula="input_dim * output_dim",
        ),
        Step(
            "kernel shape",
            "embeddings matrix: Keras ({input_dim}, {output_dim}), PyTorch Embedding weight ({input_dim}, {output_dim})",
            values,
        ),
    )
    if layer.mask_zero:
        steps += (Step("mask", "mask_zero: id 0 is padding: the output carries the mask ids != 0 {mask}, which the "
                               "layers after it that read masks honour (RNNs, GlobalAveragePooling1D, attention)",
                       {"mask": format_shape(tensor.shape)}),)
    return Inferred(shape, v * d, dtype="float32", steps=steps)


@rule(L.PReLU)
def infer_prelu(layer: L.PReLU, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    shared = layer.shared_axes if isinstance(layer.shared_axes, list) else [layer.shared_axes] * (layer.shared_axes is not None)
    for axis in shared:
        if axis >= tensor.rank:  # Keras: IndexError in build
            raise ShapeError(
                codes.INVALID_ARGUMENT,
                f"PReLU shared_axes={layer.shared_axes}: axis {axis} is out of range for {format_shape(tensor.shape)}, "
                f"whose axes are 1..{tensor.rank - 1}",
                hint="shared_axes count the batch axis: on (batch, rows, cols, channels) share rows and cols with [1, 2]",
                argument="shared_axes",
            )
    alpha = layer.alpha_shape(tensor.shape)
    if None in alpha:
        raise ShapeError(
            codes.UNKNOWN_DIMENSION,
            f"PReLU learns one alpha per input position, shaped like {format_shape(tensor.shape)} without the batch "
            f"axis: alpha {format_shape(alpha, batch=False)} cannot have an unknown size",
            hint="share alpha along the unknown axes (shared_axes), or give them a size",
            argument="shared_axes",
        )
    params = product(alpha)
    steps = (
        Step("note", "element-wise: max(x, 0) + alpha * min(x, 0); the shape is unchanged"),
        Step(
            "params",
            "params = alpha, shaped like the input" + (" with the shared axes {shared} set to 1" if shared else "")
            + ": {alpha:*} = {result:,}",
            {"shared": shared, "alpha": alpha}, params, formula="prod(alpha shape)",
        ),
    )
    return Inferred(tensor.shape, params, steps=steps)


from . import einsum_dense  # noqa: E402, F401  (registers EinsumDense's rule with this family)
