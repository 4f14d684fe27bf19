"""The helper nn.Modules emitted PyTorch files use: an ordinary module, linted and tested like any other.

Emitting never imports this file (emitting imports no framework): specbridge.emit.torch.helpers reads its text and
copies each class a model uses, with the classes that class refers to, into the emitted file, which has the same
two imports as this one. So each class must stand on its own with `torch` and `nn` (and the other classes here).
weights.py finds some of them in a built model by class name: keep the names.
"""

import torch
from torch import nn


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
    """Keras Multiply: element-wise product."""

    def forward(self, x, *others):
        x, *others = KerasBroadcast.align(x, *others)
        for other in others:
            x = x * other
        return x


class Average(nn.Module):
    """Keras Average: element-wise mean."""

    def forward(self, x, *others):
        x, *others = KerasBroadcast.align(x, *others)
        for other in others:
            x = x + other
        return x / (1 + len(others))


class Maximum(nn.Module):
    """Keras Maximum: element-wise maximum."""

    def forward(self, x, *others):
        x, *others = KerasBroadcast.align(x, *others)
        for other in others:
            x = torch.maximum(x, other)
        return x


class Minimum(nn.Module):
    """Keras Minimum: element-wise minimum."""

    def forward(self, x, *others):
        x, *others = KerasBroadcast.align(x, *others)
        for other in others:
            x = torch.minimum(x, other)
        return x


class Recurrent(nn.Module):
    """A batch-first RNN returning what Keras returns: the whole sequence, or the final state."""

    def __init__(self, rnn, return_sequences, go_backwards=False):
        super().__init__()
        self.rnn = rnn
        self.return_sequences = return_sequences
        self.go_backwards = go_backwards

    def forward(self, x):
        if self.go_backwards:
            x = x.flip(1)
        out, _ = self.rnn(x)
        return out if self.return_sequences else out[:, -1]


class Bidirectional(nn.Module):
    """Keras Bidirectional over a bidirectional batch-first RNN, merging the directions as Keras does."""

    def __init__(self, rnn, units, merge_mode, return_sequences):
        super().__init__()
        self.rnn = rnn
        self.units = units
        self.merge_mode = merge_mode
        self.return_sequences = return_sequences

    def forward(self, x):
        out, _ = self.rnn(x)
        if self.return_sequences:
            forward, backward = out[..., : self.units], out[..., self.units :]
        else:  # each direction's final state: the last step forward, the first step backward
            forward, backward = out[:, -1, : self.units], out[:, 0, self.units :]
        if self.merge_mode == "concat":
            return torch.cat((forward, backward), dim=-1)
        if self.merge_mode == "sum":
            return forward + backward
        if self.merge_mode == "mul":
            return forward * backward
        return (forward + backward) / 2


class GRUResetBefore(nn.Module):
    """Keras GRU with reset_after=False (reset gate applied before the recurrent product).

    Batch-first like nn.GRU and returns (output, None); gate blocks are in Keras order z, r, h.
    """

    def __init__(self, input_size, hidden_size, bias=True, bidirectional=False, activation=torch.tanh,
                 recurrent_activation=torch.sigmoid):
        super().__init__()
        self.hidden_size = hidden_size
        self.activation = activation
        self.recurrent_activation = recurrent_activation
        self.suffixes = ("", "_reverse") if bidirectional else ("",)
        for suffix in self.suffixes:
            self.register_parameter("weight_ih" + suffix, nn.Parameter(torch.empty(3 * hidden_size, input_size)))
            self.register_parameter("weight_hh" + suffix, nn.Parameter(torch.empty(3 * hidden_size, hidden_size)))
            self.register_parameter("bias" + suffix, nn.Parameter(torch.zeros(3 * hidden_size)) if bias else None)
            nn.init.xavier_uniform_(getattr(self, "weight_ih" + suffix))
            nn.init.orthogonal_(getattr(self, "weight_hh" + suffix))

    def _direction(self, x, suffix):
        units = self.hidden_size
        inputs = nn.functional.linear(x, getattr(self, "weight_ih" + suffix), getattr(self, "bias" + suffix))
        w_zr, w_h = getattr(self, "weight_hh" + suffix).split((2 * units, units))
        h = x.new_zeros(x.shape[0], units)
        outputs = []
        for step in inputs.unbind(1):
            x_zr, x_h = step.split((2 * units, units), dim=-1)
            # Each gate on its own, as Keras computes them: an activation over an axis (softmax, sparsemax)
            # must not see z and r side by side.
            z, r = (self.recurrent_activation(gate) for gate in (x_zr + h @ w_zr.T).split(units, dim=-1))
            candidate = self.activation(x_h + (r * h) @ w_h.T)
            h = z * h + (1 - z) * candidate
            outputs.append(h)
        return torch.stack(outputs, dim=1)

    def forward(self, x):
        out = self._direction(x, "")
        if len(self.suffixes) == 2:
            out = torch.cat((out, self._direction(x.flip(1), "_reverse").flip(1)), dim=-1)
        return out, None


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


class ConvLSTM(nn.Module):
    """Keras ConvLSTM1D/2D/3D on (batch, time, *spatial, channels), or (batch, time, channels, *spatial) when
    channels_last is False; the rank is the convs'. Each step: gates i, f, c, o = input_conv(x_t) +
    recurrent_conv(h), the latter with 'same' padding and stride 1; returns the last h or every h (go_backwards
    reads the frames in reverse and, as in Keras 3, returns the sequence in that reversed order)."""

    def __init__(self, input_conv, recurrent_conv, channels_last, return_sequences, go_backwards=False,
                 pad=None, activation=None, recurrent_activation=None):
        super().__init__()
        self.input_conv = input_conv
        self.recurrent_conv = recurrent_conv
        self.pad = pad if pad is not None else nn.Identity()
        self.activation = activation if activation is not None else nn.Tanh()
        self.recurrent_activation = recurrent_activation if recurrent_activation is not None else nn.Sigmoid()
        self.channels_last = channels_last
        self.return_sequences = return_sequences
        self.go_backwards = go_backwards

    def forward(self, x):
        rank = self.recurrent_conv.weight.dim() - 2
        if self.channels_last:
            x = x.movedim(-1, 2)
        if self.go_backwards:
            x = x.flip(1)
        batch, steps = x.shape[:2]
        inputs = self.input_conv(self.pad(x.flatten(0, 1))).unflatten(0, (batch, steps))  # every frame at once
        h = inputs.new_zeros(batch, self.recurrent_conv.in_channels, *inputs.shape[-rank:])
        c = torch.zeros_like(h)
        outputs = []
        for frame in inputs.unbind(1):
            i, f, g, o = (frame + self.recurrent_conv(h)).chunk(4, dim=1)
            c = self.recurrent_activation(f) * c + self.recurrent_activation(i) * self.activation(g)
            h = self.recurrent_activation(o) * self.activation(c)
            outputs.append(h)
        out = torch.stack(outputs, dim=1) if self.return_sequences else h
        return out.movedim(-rank - 1, -1) if self.channels_last else out
