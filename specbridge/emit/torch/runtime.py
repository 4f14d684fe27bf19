"""The helper nn.Modules emitted PyTorch files use: an ordinary module, linted and tested like any other.

Emitting never imports this file (emitting imports no framework): specbridge.emit.torch.helpers reads its text and
copies each class a model uses, with the classes that class refers to, into the emitted file, which has the same
two imports as this one. So each class must stand on its own with `torch` and `nn` (and the other classes here).
weights.py finds some of them in a built model by class name: keep the names. The recurrent layers' helpers are
in runtime_recurrent.py (re-exported here for the tests that reach them through this module).
"""

import torch
from torch import nn

from .runtime_recurrent import Bidirectional, ConvLSTM, GRUResetBefore, Recurrent  # noqa: F401


class ChannelsLast(nn.Module):
    """Moves the channel axis from position 1 to the end: PyTorch layout -> Keras channels_last."""

    def forward(self, x):
        return x.movedim(1, -1)


class ChannelsFirst(nn.Module):
    """Moves the last axis to position 1: Keras channels_last -> PyTorch layout."""

    def forward(self, x):
        return x.movedim(-1, 1)


class MergeThen(nn.Module):
    """A merge of several inputs, then stages on its output (nn.Sequential passes one input only)."""

    def __init__(self, merge, *stages):
        super().__init__()
        self.merge, self.stages = merge, nn.Sequential(*stages)

    def forward(self, *xs):
        return self.stages(self.merge(*xs))


class AvgPoolSame(nn.Module):
    """Average pooling with TensorFlow's asymmetric 'same' padding: padded cells are not counted."""

    def __init__(self, pool, pad, input_size):
        super().__init__()
        self.pool = pool
        self.pad = pad
        real_fraction = pool(pad(torch.ones(1, 1, *input_size)))  # share of real cells in each window
        self.register_buffer("scale", 1 / real_fraction, persistent=False)

    def forward(self, x):
        return self.pool(self.pad(x)) * self.scale


class Crop(nn.Module):
    """Keras Cropping: drops (before, after) cells on each of the last len(crops) axes."""

    def __init__(self, *crops):
        super().__init__()
        self.index = (..., *(slice(before, -after or None) for before, after in crops))

    def forward(self, x):
        return x[self.index]


class Reshape(nn.Module):
    """Keras Reshape: a new shape for each sample; the batch axis is kept."""

    def __init__(self, *shape):
        super().__init__()
        self.shape = shape

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)


class Permute(nn.Module):
    """Keras Permute: reorders the axes of each sample (dims are 1-based, the batch axis stays first)."""

    def __init__(self, *dims):
        super().__init__()
        self.dims = (0, *dims)

    def forward(self, x):
        return x.permute(self.dims)


class RepeatVector(nn.Module):
    """Keras RepeatVector: (batch, features) -> (batch, n, features)."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def forward(self, x):
        return x.unsqueeze(1).expand(-1, self.n, -1)



class KerasReLU(nn.Module):
    """Keras ReLU with threshold, max_value and negative_slope, computed as Keras does."""

    def __init__(self, max_value, negative_slope, threshold):
        super().__init__()
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold

    def forward(self, x):
        negative = torch.relu(self.threshold - x)
        x = x * (x > self.threshold)
        if self.max_value is not None:
            x = x.clamp(0, self.max_value)
        return x - self.negative_slope * negative


class Exponential(nn.Module):
    """Keras 'exponential' activation."""

    def forward(self, x):
        return torch.exp(x)


class SparsePlus(nn.Module):
    """Keras 'sparse_plus': 0 below -1, x above 1, (x + 1)**2 / 4 in between."""

    def forward(self, x):
        return torch.where(x <= -1, 0.0, torch.where(x >= 1, x, (x + 1) ** 2 / 4))


class Squareplus(nn.Module):
    """Keras 'squareplus' with b=4: (x + sqrt(x**2 + 4)) / 2."""

    def forward(self, x):
        return (x + torch.sqrt(x * x + 4)) / 2


class Sparsemax(nn.Module):
    """Keras 'sparsemax' along one axis, computed as Keras's TensorFlow backend does.

    Note: that backend's threshold sums the cumulative sums over the whole support (not only the
    last one), so it differs from the textbook sparsemax; this reproduces it.
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        x = x.movedim(self.dim, -1)
        ordered = x.sort(dim=-1, descending=True).values
        cumulative = ordered.cumsum(-1)
        r = torch.arange(1, x.shape[-1] + 1, dtype=x.dtype, device=x.device)
        support = ordered - (cumulative - 1) / r > 0
        k = support.sum(-1, keepdim=True).to(x.dtype)
        tau = (torch.where(support, cumulative, 0.0).sum(-1, keepdim=True) - 1) / k
        return torch.clamp(x - tau, min=0).movedim(-1, self.dim)


class Concatenate(nn.Module):
    """Keras Concatenate along `dim` (already mapped to this tensor layout)."""

    def __init__(self, dim):
        super().__init__()
        self.dim = dim

    def forward(self, *xs):
        return torch.cat(xs, dim=self.dim)


class LayerNormUnsized(nn.Module):
    """Keras LayerNormalization without center and scale over trailing axes whose sizes are only known at run time."""

    def __init__(self, axes, eps):
        super().__init__()
        self.axes = axes
        self.eps = eps

    def forward(self, x):
        return nn.functional.layer_norm(x, x.shape[-self.axes:], eps=self.eps)


class KerasBroadcast:
    """How Keras's element-wise merges line up inputs of different ranks: the lower-rank ones get size-1 axes
    right after the batch axis (Merge.call's expand_dims(x, axis=1)), not before it as PyTorch's broadcasting
    would. The emitter passes such inputs in the Keras layout."""

    @staticmethod
    def align(*xs):
        rank = max(x.dim() for x in xs)
        return [x.reshape(x.shape[:1] + (1,) * (rank - x.dim()) + x.shape[1:]) for x in xs]

    @staticmethod
    def masks(aligned, given, mask):
        """Each input's Keras mask widened to its shape (broadcast_to(expand_dims(mask, -1), x.shape)); None where
        the input has none, or was given axes to line up (Keras's expand_dims makes a tensor without a mask)."""
        mask = list(mask) if mask is not None else [None] * len(given)
        return [None if m is None or a.dim() != g.dim() else m.bool().unsqueeze(-1).expand(a.shape)
                for a, g, m in zip(aligned, given, mask, strict=True)]

    @staticmethod
    def extremum(op, given, mask):
        """Keras's _apply_merge_op_and_or_mask: a masked position of the next input takes the running result's
        value and the other way round, so masked values never win; the masks are or-ed while every input has one."""
        xs = KerasBroadcast.align(*given)
        masks = KerasBroadcast.masks(xs, given, mask)
        out, out_mask = xs[0], masks[0]
        for x, m in zip(xs[1:], masks[1:], strict=True):
            if m is not None:
                x = torch.where(m, x, out)
            if out_mask is not None:
                out = torch.where(out_mask, out, x)
            out_mask = out_mask | m if m is not None and out_mask is not None else None
            out = op(out, x)
        return out


class Add(nn.Module):
    """Keras Add: element-wise sum, left to right."""

    def forward(self, x, *others):
        x, *others = KerasBroadcast.align(x, *others)
        for other in others:
            x = x + other
        return x


class Subtract(nn.Module):
    """Keras Subtract: first input minus the second."""

    def forward(self, x, other):
        x, other = KerasBroadcast.align(x, other)
        return x - other


class Multiply(nn.Module):
    """Keras Multiply: element-wise product. With Keras masks (`mask`: one per input, None where it has none), a
    masked position counts as 1, and when every input has a mask, the result is 0 where all of them are masked."""

    def forward(self, x, *others, mask=None):
        xs = KerasBroadcast.align(x, *others)
        masks = KerasBroadcast.masks(xs, [x, *others], mask)
        xs = [x if m is None else torch.where(m, x, torch.ones_like(x)) for x, m in zip(xs, masks, strict=True)]
        out = xs[0]
        for other in xs[1:]:
            out = out * other
        if masks and all(m is not None for m in masks):
            out = torch.where(torch.stack(masks).any(0), out, torch.zeros_like(out))
        return out


class Average(nn.Module):
    """Keras Average: element-wise mean."""

    def forward(self, x, *others):
        x, *others = KerasBroadcast.align(x, *others)
        for other in others:
            x = x + other
        return x / (1 + len(others))


class Maximum(nn.Module):
    """Keras Maximum: element-wise maximum; with Keras masks, a masked position never wins (KerasBroadcast.extremum)."""

    def forward(self, x, *others, mask=None):
        return KerasBroadcast.extremum(torch.maximum, [x, *others], mask)


class Minimum(nn.Module):
    """Keras Minimum: element-wise minimum; with Keras masks, a masked position never wins (KerasBroadcast.extremum)."""

    def forward(self, x, *others, mask=None):
        return KerasBroadcast.extremum(torch.minimum, [x, *others], mask)


class TimeDistributed(nn.Module):
    """Keras TimeDistributed: applies the layer to every time step by folding time into the batch."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        batch, steps = x.shape[:2]
        return self.layer(x.flatten(0, 1)).unflatten(0, (batch, steps))


class KerasPReLU(nn.Module):
    """Keras PReLU: `alpha` has Keras's shape (the input's without the batch axis, 1 on shared axes), applied in
    Keras layout and computed as Keras does: relu(x) - alpha * relu(-x)."""

    def __init__(self, *shape):
        super().__init__()
        self.alpha = nn.Parameter(torch.zeros(shape))

    def forward(self, x):
        return torch.relu(x) + -self.alpha * torch.relu(-x)


class Masking(nn.Module):
    """Keras Masking: a step whose features all equal mask_value becomes zeros (its mask, computed in forward(),
    is False there). The emitter passes mask_value rounded to float32: Keras compares with a float32 mask_value in
    a float64 model too."""

    def __init__(self, mask_value=0.0):
        super().__init__()
        self.mask_value = mask_value

    def forward(self, x):
        return torch.where((x != self.mask_value).any(dim=-1, keepdim=True), x, 0)


class MaskedGlobalAveragePooling1D(nn.Module):
    """Keras GlobalAveragePooling1D with a mask (batch, steps): the sum over the real steps over their count, so a
    sample without one is 0 / 0 = nan, as in Keras. `steps_dim` is the steps' dim of this tensor layout (1 or 2);
    the features are the other one."""

    def __init__(self, steps_dim, keepdims=False):
        super().__init__()
        self.steps_dim = steps_dim
        self.keepdims = keepdims

    def forward(self, x, mask=None):
        if mask is None:
            return x.mean(dim=self.steps_dim, keepdim=self.keepdims)
        keep = mask.bool().unsqueeze(3 - self.steps_dim)
        total = torch.where(keep, x, 0).sum(dim=self.steps_dim, keepdim=self.keepdims)
        return total / keep.to(x.dtype).sum(dim=self.steps_dim, keepdim=self.keepdims)


class MaskedSoftmax(nn.Module):
    """Keras's Softmax layer with a mask (broadcast against the input from the last axis, True or > 0.5 where a
    value counts): masked logits become -1e9 before the softmax and the masked outputs 0 after it, so a fully
    masked axis gives zeros."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x, mask=None):
        if mask is None:
            return torch.softmax(x, dim=self.dim)
        keep = mask if mask.dtype == torch.bool else mask > 0.5
        large_negative = -3e4 if x.dtype == torch.float16 else -1e9
        return torch.where(keep, torch.softmax(torch.where(keep, x, large_negative), dim=self.dim), 0.0)
