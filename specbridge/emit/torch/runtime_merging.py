"""The helper nn.Module of Keras's Dot merge, beside runtime.py's element-wise merges (a separate module to keep
runtime.py small; read and copied the same way, see specbridge.emit.torch.helpers)."""

import torch
from torch import nn


class KerasDot(nn.Module):
    """Keras Dot (batch_dot): the sum of products along axis a of the first input and axis b of the second (Keras
    axes, batch counted, positive). As Keras does, the first input's axis is moved last and the second's to
    position 1, both are flattened to rank 3 and multiplied; the result has the first input's other axes, then
    the second's, and (batch, 1) when none is left. With `normalize`, each input is first multiplied by
    min(1 / sqrt(sum of squares along its axis), 1 / 1e-7), Keras's l2 normalization."""

    def __init__(self, axes, normalize):
        super().__init__()
        self.axes, self.normalize = tuple(axes), normalize

    @staticmethod
    def l2_normalize(x, axis):
        return x * torch.rsqrt(x.square().sum(dim=axis, keepdim=True)).clamp(max=1e7)

    def forward(self, x, y):
        a, b = self.axes
        if self.normalize:
            x, y = self.l2_normalize(x, a), self.l2_normalize(y, b)
        x, y = x.movedim(a, -1), y.movedim(b, 1)
        out = torch.matmul(x.reshape(x.shape[0], -1, x.shape[-1]), y.reshape(y.shape[0], y.shape[1], -1))
        out = out.reshape(*x.shape[:-1], *y.shape[2:])
        return out if out.dim() > 1 else out.unsqueeze(-1)
