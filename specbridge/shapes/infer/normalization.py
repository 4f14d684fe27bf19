"""BatchNormalization and LayerNormalization: the shape is unchanged, the axes size the weights.

Axes count the batch axis, as in Keras: on (batch, rows, cols, channels) axis -1 and axis 3 are the
channels, and axis 0 is the batch axis (its size is unknown, so no weight can span it).
"""

from __future__ import annotations

from ...diagnostics import codes
from ...spec.layers import normalization as L
from ..errors import ShapeError
from ..records import Inferred, Step, Tensor, format_shape
from ..rules import product
from . import Context, rule


def resolve_axis(layer, axis: int, tensor: Tensor) -> int:
    """A Keras axis (batch included, negative from the end) -> index into the spec shape (batch excluded)."""
    rank = tensor.rank
    if not -rank <= axis < rank:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{layer.kind} axis={axis} is out of range for an input of rank {rank} {format_shape(tensor.shape)}: "
            f"valid axes are 1..{rank - 1} or -1..-{rank - 1}",
            hint="axis -1 is the last (features/channels) axis; axis 1 is the channels after a channels_first layer",
            argument="axis",
        )
    index = axis % rank
    if index == 0:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{layer.kind} axis={axis} is the batch axis of {format_shape(tensor.shape)}: its size is unknown, "
            "so Keras cannot size the weights (\"Shapes used to initialize variables must be fully-defined\")",
            hint="axes count the batch axis: the features are axis -1 (or 1 for channels_first data)",
            argument="axis",
        )
    return index - 1


def known_size(layer, tensor: Tensor, index: int, axis, weights: str = "gamma and beta") -> int:
    size = tensor.shape[index]
    if size is None:
        raise ShapeError(
            codes.UNKNOWN_DIMENSION,
            f"{layer.kind} normalizes axis {axis} of {format_shape(tensor.shape)}, whose size is unknown: "
            f"Keras needs it to size {weights} (\"Shapes used to initialize variables must be fully-defined\")",
            hint="give that axis a size in the input shape, or normalize another axis",
            argument="axis",
        )
    return size


@rule(L.BatchNormalization)
def infer_batch_norm(layer: L.BatchNormalization, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    channels = known_size(layer, tensor, resolve_axis(layer, layer.axis, tensor), layer.axis)
    learned = learned_weights(layer)
    trainable = len(learned) * channels
    params = trainable + 2 * channels
    values = {"axis": layer.axis, "features": channels}
    if learned:
        trained = Step(
            "trainable", "trainable: {weights: and } = {count} * {features} = {result:,}",
            {"weights": learned, "count": len(learned), "features": channels}, trainable, formula="count * features",
        )
    else:
        trained = Step("trainable", "trainable: nothing (scale and center are false)", {}, 0)
    steps = (
        Step("features", "axis {axis} has {features} features; each is normalized with its own statistics", values, channels),
        trained,
        Step(
            "non-trainable",
            "non-trainable: moving_mean and moving_variance = 2 * {features} = {result:,} "
            "(updated during training, not by gradients)",
            {"features": channels}, 2 * channels, formula="2 * features",
        ),
        Step(
            "params", "params = {trainable:,} + {non_trainable:,} = {result:,}",
            {"trainable": trainable, "non_trainable": 2 * channels}, params, formula="trainable + non_trainable",
        ),
        Step(
            "note",
            "PyTorch BatchNorm counts only gamma and beta (weight, bias) as parameters: the moving statistics are "
            "buffers (running_mean, running_var)",
        ),
    )
    return Inferred(tensor.shape, params, trainable, steps=steps)


def learned_weights(layer) -> tuple[str, ...]:
    """gamma (scale) and beta (center), those the layer learns."""
    return tuple(name for name, on in (("gamma", layer.scale), ("beta", layer.center)) if on)


def listed_axes(layer) -> list[int]:
    """`axis` as a list, which must name at least one axis."""
    axes = [layer.axis] if isinstance(layer.axis, int) else list(layer.axis)
    if not axes:
        # Keras accepts axis=[] (a scalar weight), but normalizing over no axis maps every value to its own
        # sign (UnitNormalization, RMSNormalization) or to beta (LayerNormalization): never what a spec means.
        raise ShapeError(
            codes.INVALID_ARGUMENT, f"{layer.kind} axis=[] normalizes over no axis",
            hint="list the axes to normalize, e.g. axis: -1", argument="axis",
        )
    return axes


def distinct_axes(layer, indices: list[int], tensor: Tensor) -> list[int]:
    """The resolved axes, refused when one axis is named twice: Keras builds it (a weight with the axis twice,
    e.g. (4, 4)), but TensorFlow's reductions refuse repeated axes when data runs."""
    if len(set(indices)) != len(indices):
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{layer.kind} axis={layer.axis} names the same axis twice on {format_shape(tensor.shape)}",
            hint="list each axis once", argument="axis",
        )
    return indices


@rule(L.LayerNormalization)
def infer_layer_norm(layer: L.LayerNormalization, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    axes = listed_axes(layer)
    indices = distinct_axes(layer, [resolve_axis(layer, a, tensor) for a in axes], tensor)
    # Keras sorts the axes and gives gamma/beta the shape of the normalized axes.
    order = sorted(range(len(axes)), key=lambda i: indices[i])
    learned = learned_weights(layer)
    # Without gamma and beta nothing is sized by the normalized axes: Keras builds and runs it on unknown sizes.
    sizes = tuple(known_size(layer, tensor, indices[i], axes[i]) if learned else tensor.shape[indices[i]] for i in order)
    per_weight = None if None in sizes else product(sizes)
    params = len(learned) * per_weight if learned else 0
    axis = "axis {axis}" if isinstance(layer.axis, int) else "axis [{axis:, }]"
    steps = [Step(
        "axes", "each sample is normalized over " + axis + " ({sizes:x} values)",
        {"axis": layer.axis, "sizes": sizes}, per_weight, formula="prod(sizes)",
    )]
    if learned:
        steps.append(Step(
            "params", "params = {weights: and } of shape {sizes} = {count} * {per_weight:,} = {result:,}",
            {"weights": learned, "sizes": sizes, "count": len(learned), "per_weight": per_weight}, params,
            formula="count * prod(sizes)",
        ))
    else:
        steps.append(Step("params", "params = nothing (scale and center are false)", {}, 0))
    return Inferred(tensor.shape, params, steps=tuple(steps))


@rule(L.GroupNormalization)
def infer_group_norm(layer: L.GroupNormalization, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    channels = known_size(layer, tensor, resolve_axis(layer, layer.axis, tensor), layer.axis)
    groups = channels if layer.groups == -1 else layer.groups  # -1: one group per channel (instance norm)
    if channels < groups or channels % groups:
        relation = "more than" if channels < groups else "not a divisor of"
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{layer.kind} groups={groups} is {relation} the {channels} channels of axis {layer.axis} "
            f"{format_shape(tensor.shape)}: Keras splits the channels into equal groups",
            hint=f"pick groups that divides {channels}, e.g. {largest_divisor(channels, groups)}",
            argument="groups",
        )
    learned = learned_weights(layer)
    params = len(learned) * channels
    values = {"axis": layer.axis, "channels": channels, "groups": groups, "size": channels // groups}
    steps = [Step(
        "groups", "axis {axis} has {channels} channels in {groups} groups of {channels} / {groups} = {result}; "
        "each sample is normalized per group, over that group's channels and every other axis",
        values, channels // groups, formula="channels / groups",
    )]
    if learned:
        steps.append(Step(
            "params", "params = {weights: and } (one per channel) = {count} * {channels} = {result:,}",
            {"weights": learned, "count": len(learned), "channels": channels}, params, formula="count * channels",
        ))
    else:
        steps.append(Step("params", "params = nothing (scale and center are false)", {}, 0))
    return Inferred(tensor.shape, params, steps=tuple(steps))


def largest_divisor(n: int, limit: int) -> int:
    """The largest divisor of n that is at most limit (a groups value that fits n channels)."""
    return max(d for d in range(1, min(n, limit) + 1) if n % d == 0)


def sample_axis(layer, axis: int, tensor: Tensor) -> int:
    """resolve_axis for a layer without weights, where the batch axis has a size-free reason to be refused."""
    if -tensor.rank <= axis < tensor.rank and axis % tensor.rank == 0:
        # Keras runs it, but the norm is then taken across the samples of a batch.
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{layer.kind} axis={axis} is the batch axis of {format_shape(tensor.shape)}: the norm would be taken "
            "across the samples of a batch, so each sample's result would depend on how the data is batched",
            hint="axes count the batch axis: the features are axis -1 (or 1 for channels_first data)",
            argument="axis",
        )
    return resolve_axis(layer, axis, tensor)


@rule(L.UnitNormalization)
def infer_unit_norm(layer: L.UnitNormalization, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    axes = listed_axes(layer)
    distinct_axes(layer, [sample_axis(layer, a, tensor) for a in axes], tensor)
    axis = "axis {axis}" if isinstance(layer.axis, int) else "axis [{axis:, }]"
    steps = (
        # Keras's ops.normalize(order=2, epsilon=1e-12): rsqrt of the sum of squares, capped at 1 / epsilon.
        Step("axes", "each sample is divided by its L2 norm over " + axis + ": x * min(1 / sqrt(sum(x**2)), 1e12); "
             "the shape is unchanged", {"axis": layer.axis}, tensor.shape),
        Step("params", "params = nothing (UnitNormalization has no weights)", {}, 0),
    )
    return Inferred(tensor.shape, steps=steps)


@rule(L.RMSNormalization)
def infer_rms_norm(layer: L.RMSNormalization, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    axes = listed_axes(layer)
    distinct_axes(layer, [resolve_axis(layer, a, tensor) for a in axes], tensor)
    # Keras's build sorts the axes as written (so -1 comes before 1) and sizes scale by them in that order.
    written = sorted(axes)
    sizes = tuple(known_size(layer, tensor, resolve_axis(layer, a, tensor), a, weights="scale") for a in written)
    scale_lines_up(layer, tensor, written, sizes)
    params = product(sizes)
    axis = "axis {axis}" if isinstance(layer.axis, int) else "axis [{axis:, }]"
    steps = (
        Step("axes", "each sample is divided by its root mean square over " + axis + " ({sizes:x} values): "
             "x * rsqrt(mean(x**2) + {epsilon}) * scale", {"axis": layer.axis, "sizes": sizes,
                                                          "epsilon": layer.epsilon}, params, formula="prod(sizes)"),
        Step("params", "params = scale of shape {sizes} = {result:,}", {"sizes": sizes}, params, formula="prod(sizes)"),
    )
    return Inferred(tensor.shape, params, steps=steps)


def scale_lines_up(layer, tensor: Tensor, written: list[int], sizes: tuple) -> None:
    """Keras multiplies `scale` (shape `sizes`) into the input by broadcasting, that is into the LAST axes; only
    when the sorted axes are those last axes, in that order, does it scale the axes it normalized. Otherwise
    TensorFlow fails to broadcast when data runs, or (equal sizes) scales other axes than it normalized, and
    Keras's torch backend (F.rms_norm over the last axes) computes yet another function: refused."""
    rank = tensor.rank
    positions = [a % rank for a in written]
    last = list(range(rank - len(written), rank))
    if positions == last:
        return
    if sorted(positions) == last:  # the last axes, written with both signs ([1, -1] sorts as [-1, 1])
        hint = f"write the axes with one sign, e.g. axis: {[p - rank for p in last]}"
    else:
        hint = "normalize the last axes (axis: -1, or [-2, -1]); a Permute can bring the axis to normalize last first"
    trailing = tuple(tensor.shape[p - 1] for p in last)
    raise ShapeError(
        codes.INVALID_ARGUMENT,
        f"{layer.kind} axis={layer.axis} on {format_shape(tensor.shape)}: Keras sizes scale by the axes sorted as "
        f"written, {written}, as {sizes}, and multiplies it into the last {len(last)} axes, of sizes {trailing}, "
        "which are not the normalized axes in that order: TensorFlow fails to broadcast it when data runs, or "
        "scales other axes than it normalized, and Keras's torch backend normalizes the last axes instead",
        hint=hint, argument="axis",
    )
