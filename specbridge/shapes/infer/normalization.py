"""BatchNormalization and LayerNormalization: the shape is unchanged, the axes size the weights.

Axes count the batch axis, as in Keras: on (batch, rows, cols, channels) axis -1 and axis 3 are the
channels, and axis 0 is the batch axis (its size is unknown, so no weight can span it).
"""

from __future__ import annotations

from ...diagnostics import codes
from ...spec.layers import normalization as L
from ..errors import ShapeError
from ..records import Inferred, Tensor, format_shape
from ..rules import product
from . import Context, rule
from .common import fmt


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


def known_size(layer, tensor: Tensor, index: int, axis) -> int:
    size = tensor.shape[index]
    if size is None:
        raise ShapeError(
            codes.UNKNOWN_DIMENSION,
            f"{layer.kind} normalizes axis {axis} of {format_shape(tensor.shape)}, whose size is unknown: "
            "Keras needs it to size gamma and beta (\"Shapes used to initialize variables must be fully-defined\")",
            hint="give that axis a size in the input shape, or normalize another axis",
            argument="axis",
        )
    return size


@rule(L.BatchNormalization)
def infer_batch_norm(layer: L.BatchNormalization, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    channels = known_size(layer, tensor, resolve_axis(layer, layer.axis, tensor), layer.axis)
    learned = [name for name, on in (("gamma", layer.scale), ("beta", layer.center)) if on]
    trainable = len(learned) * channels
    params = trainable + 2 * channels
    steps = (
        f"axis {layer.axis} has {channels} features; each is normalized with its own statistics",
        f"trainable: {' and '.join(learned) or 'nothing (scale and center are false)'}"
        + (f" = {len(learned)} * {channels} = {fmt(trainable)}" if learned else ""),
        f"non-trainable: moving_mean and moving_variance = 2 * {channels} = {fmt(2 * channels)} "
        "(updated during training, not by gradients)",
        f"params = {fmt(trainable)} + {fmt(2 * channels)} = {fmt(params)}",
        "PyTorch BatchNorm counts only gamma and beta (weight, bias) as parameters: the moving statistics are "
        "buffers (running_mean, running_var)",
    )
    return Inferred(tensor.shape, params, trainable, steps=steps)


@rule(L.LayerNormalization)
def infer_layer_norm(layer: L.LayerNormalization, inputs: list[Tensor], ctx: Context) -> Inferred:
    (tensor,) = inputs
    axes = [layer.axis] if isinstance(layer.axis, int) else list(layer.axis)
    if not axes:
        # Keras accepts axis=[] symbolically (scalar gamma and beta), but normalizing over no axis
        # returns beta for every input: never what a spec means.
        raise ShapeError(
            codes.INVALID_ARGUMENT, "LayerNormalization axis=[] normalizes over no axis",
            hint="list the axes to normalize, e.g. axis: -1", argument="axis",
        )
    indices = [resolve_axis(layer, a, tensor) for a in axes]
    if len(set(indices)) != len(indices):
        # Keras would build gamma with the repeated axis twice (e.g. (4, 4)), which fails at run time.
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"LayerNormalization axis={axes} names the same axis twice on {format_shape(tensor.shape)}",
            hint="list each axis once", argument="axis",
        )
    # Keras sorts the axes and gives gamma/beta the shape of the normalized axes.
    order = sorted(range(len(axes)), key=lambda i: indices[i])
    sizes = tuple(known_size(layer, tensor, indices[i], axes[i]) for i in order)
    per_weight = product(sizes)
    learned = [name for name, on in (("gamma", layer.scale), ("beta", layer.center)) if on]
    params = len(learned) * per_weight
    spans = "x".join(map(str, sizes))
    steps = (
        f"each sample is normalized over axis {layer.axis} ({spans} values)",
        f"params = {' and '.join(learned) or 'nothing (scale and center are false)'}"
        + (f" of shape {sizes} = {len(learned)} * {fmt(per_weight)} = {fmt(params)}" if learned else ""),
    )
    return Inferred(tensor.shape, params, steps=steps)
