"""Helper nn.Modules of the recurrent layers, read and copied into emitted files like runtime.py's
(specbridge.emit.torch.helpers): each class stands on its own with `torch` and `nn` and the other classes here.

Without a mask the modules run PyTorch's fused nn.RNN / nn.LSTM / nn.GRU. With a Keras mask (True where a step
counts: Embedding(mask_zero=True), Masking) they run Keras's masked recurrence step by step, as Keras 3's TensorFlow
backend computes it on CPU (keras/src/backend/tensorflow/rnn.py, the generic while loop): in reading order, the cell
gives a new output and new states; where the step is masked, the states stay what they were and the output is the
previous step's output (zeros before the first step), or zeros with zero_output_for_mask. The last output is the
last step's, so with zero_output_for_mask a masked last step returns zeros. go_backwards reads the mask reversed
with the steps; Bidirectional sets zero_output_for_mask to return_sequences on both directions. PyTorch's fused
modules have no such masking (packed sequences skip padding at the end only), so the masked path computes each
cell explicitly from the module's own parameters (KerasCell).
"""

import torch
from torch import nn


class KerasCell:
    """One direction of a batch-first PyTorch RNN (nn.RNN, nn.LSTM, nn.GRU, or a module with its own
    `project`/`step`, as GRUResetBefore) as a Keras cell: `project` (the input transformation of every step at
    once), `initial` (zero states, from the projection) and `step` (one step: output and new states), with the
    gate math of Keras's cells."""

    def __init__(self, rnn, reverse=False):
        self.rnn = rnn
        self.own = hasattr(rnn, "step")  # GRUResetBefore: Keras's gate order, its parameters without _l0
        self.suffix = ("_reverse" if reverse else "") if self.own else ("_l0_reverse" if reverse else "_l0")

    def parameter(self, name):
        return getattr(self.rnn, name + self.suffix, None)  # None: a bias of an RNN built with bias=False

    def project(self, x):
        if self.own:
            return self.rnn.project(x, self.suffix)
        return nn.functional.linear(x, self.parameter("weight_ih"), self.parameter("bias_ih"))

    def initial(self, projected):
        h = projected.new_zeros(projected.shape[0], self.rnn.hidden_size)
        return [h, torch.zeros_like(h)] if isinstance(self.rnn, nn.LSTM) else [h]

    def step(self, projected, states):
        if self.own:
            h = self.rnn.step(projected, states[0], self.suffix)
            return h, [h]
        h = states[0]
        recurrent = nn.functional.linear(h, self.parameter("weight_hh"), self.parameter("bias_hh"))
        if isinstance(self.rnn, nn.LSTM):  # gates i, f, c, o in both frameworks
            i, f, g, o = (projected + recurrent).chunk(4, dim=-1)
            c = torch.sigmoid(f) * states[1] + torch.sigmoid(i) * torch.tanh(g)
            h = torch.sigmoid(o) * torch.tanh(c)
            return h, [h, c]
        if isinstance(self.rnn, nn.GRU):  # PyTorch's gate order r, z, n; Keras's reset_after formula
            x_r, x_z, x_n = projected.chunk(3, dim=-1)
            h_r, h_z, h_n = recurrent.chunk(3, dim=-1)
            r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
            h = z * h + (1 - z) * torch.tanh(x_n + r * h_n)
            return h, [h]
        activation = torch.relu if self.rnn.nonlinearity == "relu" else torch.tanh
        h = activation(projected + recurrent)
        return h, [h]


class KerasRecurrence:
    """Keras's recurrence loop over a cell (KerasCell, ConvLSTM), with its treatment of masked steps."""

    @staticmethod
    def run(cell, x, mask=None, zero_output_for_mask=False):
        """Every step's output, stacked on dim 1, for x (batch, steps, ...) in reading order; `mask` (batch, steps)
        in the same order, or None (every step counts)."""
        projected = cell.project(x)
        states = cell.initial(projected)
        outputs = []
        for t in range(projected.shape[1]):
            out, new_states = cell.step(projected[:, t], states)
            if mask is not None:
                keep = mask[:, t].reshape(-1, *[1] * (out.dim() - 1))
                previous = outputs[-1] if outputs and not zero_output_for_mask else torch.zeros_like(out)
                out = torch.where(keep, out, previous)
                new_states = [torch.where(keep, new, old) for new, old in zip(new_states, states, strict=True)]
            states = new_states
            outputs.append(out)
        return torch.stack(outputs, dim=1)


class Recurrent(nn.Module):
    """A batch-first RNN returning what Keras returns: the whole sequence, or the last step's output; with a mask,
    Keras's masked recurrence (the module docstring)."""

    def __init__(self, rnn, return_sequences, go_backwards=False, zero_output_for_mask=False):
        super().__init__()
        self.rnn = rnn
        self.return_sequences = return_sequences
        self.go_backwards = go_backwards
        self.zero_output_for_mask = zero_output_for_mask

    def forward(self, x, mask=None):
        if self.go_backwards:
            x = x.flip(1)
        if mask is None:
            out, _ = self.rnn(x)
        else:
            mask = mask.bool().flip(1) if self.go_backwards else mask.bool()
            out = KerasRecurrence.run(KerasCell(self.rnn), x, mask, self.zero_output_for_mask)
        return out if self.return_sequences else out[:, -1]


class Bidirectional(nn.Module):
    """Keras Bidirectional over a bidirectional batch-first RNN, merging the directions as Keras does; with a mask,
    each direction runs Keras's masked recurrence, zero_output_for_mask set to return_sequences as Keras sets it."""

    def __init__(self, rnn, units, merge_mode, return_sequences):
        super().__init__()
        self.rnn = rnn
        self.units = units
        self.merge_mode = merge_mode
        self.return_sequences = return_sequences

    def forward(self, x, mask=None):
        if mask is None:
            out, _ = self.rnn(x)
            if self.return_sequences:
                forward, backward = out[..., : self.units], out[..., self.units :]
            else:  # each direction's final state: the last step forward, the first step backward
                forward, backward = out[:, -1, : self.units], out[:, 0, self.units :]
        else:
            mask, zero = mask.bool(), self.return_sequences
            forward = KerasRecurrence.run(KerasCell(self.rnn), x, mask, zero)
            backward = KerasRecurrence.run(KerasCell(self.rnn, reverse=True), x.flip(1), mask.flip(1), zero)
            if self.return_sequences:  # the backward layer returns its steps reversed; Bidirectional flips them
                backward = backward.flip(1)
            else:
                forward, backward = forward[:, -1], backward[:, -1]
        return self.merge(forward, backward)

    def merge(self, forward, backward):
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

    def project(self, x, suffix):
        """The input transformation of every step at once."""
        return nn.functional.linear(x, getattr(self, "weight_ih" + suffix), getattr(self, "bias" + suffix))

    def step(self, projected, h, suffix):
        """One step from one step's projected input and the previous h: the new h."""
        units = self.hidden_size
        w_zr, w_h = getattr(self, "weight_hh" + suffix).split((2 * units, units))
        x_zr, x_h = projected.split((2 * units, units), dim=-1)
        # Each gate on its own, as Keras computes them: an activation over an axis (softmax, sparsemax)
        # must not see z and r side by side.
        z, r = (self.recurrent_activation(gate) for gate in (x_zr + h @ w_zr.T).split(units, dim=-1))
        candidate = self.activation(x_h + (r * h) @ w_h.T)
        return z * h + (1 - z) * candidate

    def _direction(self, x, suffix):
        h = x.new_zeros(x.shape[0], self.hidden_size)
        outputs = []
        for step in self.project(x, suffix).unbind(1):
            h = self.step(step, h, suffix)
            outputs.append(h)
        return torch.stack(outputs, dim=1)

    def forward(self, x):
        out = self._direction(x, "")
        if len(self.suffixes) == 2:
            out = torch.cat((out, self._direction(x.flip(1), "_reverse").flip(1)), dim=-1)
        return out, None


class ConvLSTM(nn.Module):
    """Keras ConvLSTM1D/2D/3D on (batch, time, *spatial, channels), or (batch, time, channels, *spatial) when
    channels_last is False; the rank is the convs'. Each step: gates i, f, c, o = input_conv(x_t) +
    recurrent_conv(h), the latter with 'same' padding and stride 1; returns the last h or every h (go_backwards
    reads the frames in reverse and, as in Keras 3, returns the sequence in that reversed order). With a mask
    (batch, time), Keras's masked recurrence (the module docstring)."""

    def __init__(self, input_conv, recurrent_conv, channels_last, return_sequences, go_backwards=False,
                 pad=None, activation=None, recurrent_activation=None, zero_output_for_mask=False):
        super().__init__()
        self.input_conv = input_conv
        self.recurrent_conv = recurrent_conv
        self.pad = pad if pad is not None else nn.Identity()
        self.activation = activation if activation is not None else nn.Tanh()
        self.recurrent_activation = recurrent_activation if recurrent_activation is not None else nn.Sigmoid()
        self.channels_last = channels_last
        self.return_sequences = return_sequences
        self.go_backwards = go_backwards
        self.zero_output_for_mask = zero_output_for_mask

    def project(self, x):
        """The input conv of every frame at once: (batch, time, 4 * filters, *spatial)."""
        batch, steps = x.shape[:2]
        return self.input_conv(self.pad(x.flatten(0, 1))).unflatten(0, (batch, steps))

    def initial(self, projected):
        rank = self.recurrent_conv.weight.dim() - 2
        h = projected.new_zeros(projected.shape[0], self.recurrent_conv.in_channels, *projected.shape[-rank:])
        return [h, torch.zeros_like(h)]

    def step(self, frame, states):
        h, c = states
        i, f, g, o = (frame + self.recurrent_conv(h)).chunk(4, dim=1)
        c = self.recurrent_activation(f) * c + self.recurrent_activation(i) * self.activation(g)
        h = self.recurrent_activation(o) * self.activation(c)
        return h, [h, c]

    def forward(self, x, mask=None):
        rank = self.recurrent_conv.weight.dim() - 2
        if self.channels_last:
            x = x.movedim(-1, 2)
        if self.go_backwards:
            x = x.flip(1)
            mask = None if mask is None else mask.flip(1)
        mask = None if mask is None else mask.bool()
        outputs = KerasRecurrence.run(self, x, mask, self.zero_output_for_mask)
        out = outputs if self.return_sequences else outputs[:, -1]
        return out.movedim(-rank - 1, -1) if self.channels_last else out
