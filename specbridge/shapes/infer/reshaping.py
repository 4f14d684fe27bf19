"""Layers that move data without weights: ZeroPadding, Cropping, UpSampling, Reshape, Permute, RepeatVector,
Flatten."""

from __future__ import annotations

from ...diagnostics import codes
from ...spec.catalog import sibling_name
from ...spec.layers import reshaping as L
from ..axes import SPATIAL_NAMES, join_channels, layout, split_channels
from ..errors import ShapeError
from ..records import Inferred, Step, Tensor, format_shape
from ..rules import as_tuple, axis_pairs, cropped_length, padded_length, product, reshape_output, upsampled_length
from . import Context, rule
from .common import check_positive, fmt, require_rank


def spatial_input(layer, tensor: Tensor, channels_last: bool) -> tuple[tuple, object]:
    """InputSpec(ndim=rank+2) of the per-axis layers; returns (spatial dims, channels)."""
    rank = layer.RANK
    expected = layout(rank, channels_last)
    hint = f"{layer.kind} works on {expected}: Reshape the input first"
    if tensor.rank == rank + 1:
        missing = tensor.shape + (1,) if channels_last else (1,) + tensor.shape
        hint = f"the input has no channel axis: give it one, e.g. input shape {format_shape(missing, batch=False)}"
        if rank > 1:
            hint += f", or use {sibling_name(type(layer), rank - 1)}"
    elif 1 <= tensor.rank - 2 <= 3:
        hint = f"the input has {tensor.rank - 2} spatial axis(es): use {sibling_name(type(layer), tensor.rank - 2)}"
    require_rank(layer, tensor, ndim=rank + 2, expected=expected, hint=hint)
    return split_channels(tensor.shape, channels_last)


def per_axis(layer, inputs: list[Tensor], ctx: Context, intro: Step, length_of) -> Inferred:
    """The shared shape of ZeroPadding/Cropping/UpSampling: each spatial axis maps on its own, channels pass.

    `length_of(i, name, length)` returns the step (a shapes.rules length) of spatial axis i, or raises ShapeError.
    """
    (tensor,) = inputs
    channels_last = ctx.channels_last(layer)
    spatial, channels = spatial_input(layer, tensor, channels_last)
    axes = [length_of(i, name, spatial[i]) for i, name in enumerate(SPATIAL_NAMES[layer.RANK])]
    steps = (intro, *axes, Step("params", "params = 0", {}, 0))
    return Inferred(join_channels([a.result for a in axes], channels, channels_last), steps=steps)


@rule(L.ZeroPadding1D, L.ZeroPadding2D, L.ZeroPadding3D)
def infer_zero_padding(layer, inputs: list[Tensor], ctx: Context) -> Inferred:
    amounts = axis_pairs(layer.padding, layer.RANK)
    formula = "L + before + after"
    intro = Step("rule", f"zeros are added before and after each spatial axis: out = {formula}", formula=formula)
    return per_axis(
        layer, inputs, ctx, intro, lambda i, name, length: padded_length(length, *amounts[i], axis=name),
    )


@rule(L.Cropping1D, L.Cropping2D, L.Cropping3D)
def infer_cropping(layer, inputs: list[Tensor], ctx: Context) -> Inferred:
    amounts = axis_pairs(layer.cropping, layer.RANK)

    def cropped(i: int, name: str, length) -> Step:
        step = cropped_length(length, *amounts[i], axis=name)
        check_positive(
            step, inputs[0], "cropping", layer.cropping,
            hint=f"the cropping on {name} must add up to less than {length}",
        )
        return step

    formula = "L - before - after"
    intro = Step("rule", f"cells are cut from the start and the end of each spatial axis: out = {formula}", formula=formula)
    return per_axis(layer, inputs, ctx, intro, cropped)


@rule(L.UpSampling1D, L.UpSampling2D, L.UpSampling3D)
def infer_upsampling(layer, inputs: list[Tensor], ctx: Context) -> Inferred:
    sizes = as_tuple(layer.size, layer.RANK)
    how = getattr(layer, "interpolation", "nearest")
    word = "repeated" if how == "nearest" else "interpolated ({interpolation})"
    intro = Step(
        "rule", "each cell is " + word + " size times along each spatial axis: out = L * size",
        {"interpolation": how}, formula="L * size",
    )
    return per_axis(
        layer, inputs, ctx, intro, lambda i, name, length: upsampled_length(length, sizes[i], axis=name),
    )


@rule(L.Reshape)
def infer_reshape(layer: L.Reshape, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    target = list(layer.target_shape)
    shape, size, known = reshape_output(tensor.shape, target)
    held = counted(tensor.shape, size)
    known_dims = [d for d in target if d != -1]
    if shape is None:
        if -1 in target:
            raise ShapeError(
                codes.RESHAPE_SIZE,
                f"cannot reshape {format_shape(tensor.shape)} ({held} values per sample) into target_shape {target}: "
                f"the -1 entry would be {fmt(size)} / {divisor(known_dims, known)} = {size / known:g}, "
                "not a whole number",
                hint=f"make the known entries of target_shape multiply to a divisor of {fmt(size)}",
                argument="target_shape",
            )
        raise ShapeError(
            codes.RESHAPE_SIZE,
            f"cannot reshape {format_shape(tensor.shape)} ({held} values per sample) into target_shape {target} "
            f"({counted(known_dims, known)} values): the total size must be unchanged",
            hint=(
                f"target_shape must multiply to {fmt(size)}; put -1 in one place to let it be computed"
                " (the batch axis is not part of target_shape)"
            ),
            argument="target_shape",
        )
    steps = (size_step(tensor.shape, size), *minus_one_steps(target, size, known_dims, known, shape), Step(
        "shape", "target {result:shape} (the batch axis is kept); params = 0", {"target_shape": target}, shape,
    ))
    return Inferred(shape, steps=steps)


def size_step(dims, size) -> Step:
    """How many values a sample holds: "4 * 4 * 8 = 128" (the product shown for several dims)."""
    if len(dims) < 2:
        return Step("size", "the input holds {result:,} values per sample", {"dims": dims}, size, formula="prod(dims)")
    return Step(
        "size", "the input holds {dims: * } = {result:,} values per sample", {"dims": dims}, size, formula="prod(dims)",
    )


def minus_one_steps(target: list, size, known_dims: list, known, shape) -> tuple[Step, ...]:
    """The entry -1 of target_shape: the input size divided by the product of the other entries."""
    if -1 not in target:
        return ()
    if size is None:
        return (Step("-1", "the input size is unknown, so the -1 entry is unknown too", {"size": None}),)
    values = {"size": size, "known_dims": known_dims, "known": known}
    by = "{known:,}" if len(known_dims) < 2 else "({known_dims: * })"
    result = shape[target.index(-1)]
    return (Step("-1", "-1 = {size:,} / " + by + " = {result:,}", values, result, formula="size / prod(known_dims)"),)


def divisor(dims, total) -> str:
    """'8' for one dim, '(2 * 3)' for several: what the -1 entry is divided by."""
    return fmt(total) if len(dims) < 2 else "(" + " * ".join(map(str, dims)) + ")"


def counted(dims, total) -> str:
    """'4 * 4 * 8 = 128' for several dims, '12' for one, 'None' when unknown."""
    if len(dims) < 2:
        return fmt(total)
    return " * ".join("None" if d is None else str(d) for d in dims) + f" = {fmt(total)}"


@rule(L.Permute)
def infer_permute(layer: L.Permute, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    n = len(layer.dims)
    try:
        require_rank(
            layer, tensor, ndim=n + 1, expected=f"(dims lists {n} axes, batch excluded)",
            hint=(
                f"dims must list every axis of the input except the batch axis: for input shape "
                f"{format_shape(tensor.shape, batch=False)} use a permutation of {list(range(1, tensor.rank))}"
            ),
        )
    except ShapeError as exc:
        exc.argument = "dims"  # the input is fine; dims names the wrong number of axes
        raise
    shape = tuple(tensor.shape[d - 1] for d in layer.dims)
    steps = [
        Step(
            "axis", "output axis {output_axis} is input axis {input_axis} (size {result})",
            {"output_axis": i + 1, "input_axis": d}, tensor.shape[d - 1],
        )
        for i, d in enumerate(layer.dims)
    ]
    steps.append(Step("note", "axes are numbered from 1; the batch axis (0) never moves; params = 0"))
    return Inferred(shape, steps=tuple(steps))


@rule(L.RepeatVector)
def infer_repeat_vector(layer: L.RepeatVector, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    hint = None
    if tensor.rank > 2:
        hint = (
            "RepeatVector repeats a vector (batch, features): Flatten or pool the input first, or use "
            "return_sequences=False on the recurrent layer before it"
        )
    require_rank(layer, tensor, ndim=2, expected="(batch, features)", hint=hint)
    (features,) = tensor.shape
    shape = (layer.n, features)
    step = Step(
        "shape", "the ({features},) vector is repeated n={n} times: {result:shape}; params = 0",
        {"features": features, "n": layer.n}, shape,
    )
    return Inferred(shape, steps=(step,))


@rule(L.Flatten)
def infer_flatten(layer: L.Flatten, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    require_rank(layer, tensor, min_ndim=1)
    if not tensor.shape:
        return Inferred((1,), steps=(Step("shape", "a (batch,) input becomes (batch, 1)", {}, (1,)),))
    total = product(tensor.shape)
    dims = {"dims": tensor.shape}
    if total is None:
        step = Step("size", "{dims:batch} has an unknown dim, so the flat size is unknown", dims, formula="prod(dims)")
    else:
        step = Step("size", "{dims: * } = {result:,} values per sample", dims, total, formula="prod(dims)")
    return Inferred((total,), steps=(step,))
