"""The ranks each torch.nn layer accepts, as PyTorch's documentation and its checks state them (every rule is tested
against real PyTorch in tests/pycode/test_unbatched.py).

Most layers also take an unbatched sample: nn.Conv2d reads (C, H, W) as well as (N, C, H, W), nn.LSTM (L, H_in),
nn.Linear any (*, H_in) down to a 1-D vector. The reader keeps every tensor as "the first axis, then the rest"
(trace.Sym: `batch` and `tensor`); a layer that reads its input as one sample is inferred on the whole shape, with a
batch of one, and its output is split back (torch_code.apply). Nothing else changes downstream: an unbatched
tensor's first axis is a data axis that the next layer reads, as PyTorch does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from ..shapes.records import Tensor
from .trace import Sym


@dataclass(frozen=True)
class Ranks:
    """The ranks of the tensors a layer accepts (the batch axis counted, when there is one)."""

    exact: Optional[tuple[int, ...]] = None  # the accepted ranks; None: any rank from `least` up
    least: int = 1
    sample: tuple[int, ...] = ()  # ranks PyTorch reads as one unbatched sample (every axis is data)
    whole: bool = False  # the layer's output is computed on the whole shape (a flatten from axis 0)

    def accepts(self, rank: int) -> bool:
        return rank in self.exact if self.exact is not None else rank >= self.least

    def words(self) -> str:
        """'3-D (unbatched) or 4-D (batched)', '2-D or 3-D', 'at least 2-D'."""
        if self.exact is None:
            return f"at least {self.least}-D"
        names = [f"{r}-D" + (" (unbatched)" if r in self.sample else " (batched)" if self.sample else "")
                 for r in self.exact]
        return " or ".join(names) if len(names) <= 2 else ", ".join(names[:-1]) + " or " + names[-1]


ANY = Ranks()


def _n(class_name: str) -> int:
    return int(class_name[-2]) if class_name[-2:-1].isdigit() else 1


def _spatial(n: int) -> Ranks:
    """Convolutions and pools over n axes: (C, *n) unbatched or (N, C, *n)."""
    return Ranks((n + 1, n + 2), sample=(n + 1,))


def _adaptive(cls: str, p: dict) -> Ranks:
    n = _n(cls)
    size = p.get("output_size")
    sizes = tuple(size) if isinstance(size, (tuple, list)) else (size,) * n
    if cls.startswith("AdaptiveAvg") and n > 1 and all(s == 1 for s in sizes):
        # PyTorch's shortcut for an output of ones is a mean over the last n axes: any rank from n up (from n + 1
        # when the size is a tuple: F.adaptive_avg_pool2d checks the rank against its length first)
        least = n + 1 if isinstance(size, (tuple, list)) else n
        return Ranks(None, least, sample=tuple(range(least, n + 2)))
    return _spatial(n)


def _softmax(p: dict) -> Ranks:
    dim = p.get("dim")
    if not isinstance(dim, int) or isinstance(dim, bool):
        return ANY  # dim=None: PyTorch picks an axis for any rank
    return Ranks(None, dim + 1 if dim >= 0 else -dim)


def _flatten(p: dict) -> Ranks:
    start, end = p.get("start_dim", 1), p.get("end_dim", -1)
    if start == 1 and end == -1:
        return Ranks(None, 2)
    return Ranks(None, 1, whole=True)  # the shape step checks the axes against the rank


def _upsample(cls: str, p: dict) -> Ranks:
    mode = "nearest" if cls == "UpsamplingNearest2d" else p.get("mode", "nearest")
    given = p.get("size") if p.get("size") is not None else p.get("scale_factor")
    if isinstance(given, (tuple, list)):
        return Ranks((len(given) + 2,))
    by_mode = {"linear": (3,), "bilinear": (4,), "bicubic": (4,), "trilinear": (5,)}
    return Ranks(by_mode.get(mode, (3, 4, 5)))


def ranks_of(cls: str, p: dict) -> Ranks:
    """What PyTorch accepts for the layer `cls` built with the arguments `p` (ANY for shape-preserving layers)."""
    n = _n(cls)
    if cls.startswith(("Conv", "MaxPool", "AvgPool")):
        return _spatial(n)
    if cls.startswith("Adaptive"):
        return _adaptive(cls, p)
    if cls == "Linear":
        return Ranks(None, 1, sample=(1,))
    if cls.startswith("BatchNorm"):
        return Ranks((2, 3)) if n == 1 else Ranks((n + 2,))
    if cls in ("LayerNorm", "RMSNorm"):
        shape = p.get("normalized_shape")
        k = len(shape) if isinstance(shape, (tuple, list)) else 1
        return Ranks(None, k, sample=(k,))
    if cls == "GroupNorm":
        return Ranks(None, 2)
    if cls in ("LSTM", "GRU", "RNN"):
        return Ranks((2, 3), sample=(2,))
    if cls == "Dropout1d":
        return Ranks((2, 3))
    if cls in ("Softmax", "LogSoftmax"):
        return _softmax(p)
    if cls == "Flatten":
        return _flatten(p)
    if cls in ("Upsample", "UpsamplingNearest2d"):
        return _upsample(cls, p)
    if cls == "ZeroPad1d":  # pads the last axis of any tensor: below 3-D, of one sample
        return Ranks(None, 1, sample=(1, 2))
    if cls == "ZeroPad2d":
        return Ranks(None, 2, sample=(2, 3))
    return ANY


def as_sample(x: Sym) -> Sym:
    """The whole tensor as one sample of a batch of one: what PyTorch does with an unbatched input."""
    whole = Tensor((x.batch, *x.tensor.shape), x.tensor.dtype)
    return Sym(whole, x.producer, x.graph, x.assumed, 1, None, x.dtype_stated, x.high)


def split_sample(x: Sym, nodes: list, reason: str) -> Sym:
    """Back from one sample to the reader's form (first axis, rest), in the nodes the layer added too: the output
    of an unbatched layer is unbatched. A spec (every tensor batch first) cannot express these nodes."""
    for node in nodes:
        if node.output is not None and node.output.shape:
            node.output = Tensor(tuple(node.output.shape[1:]), node.output.dtype)
        node.not_expressible = node.not_expressible or reason
    shape = x.tensor.shape
    if not shape:
        return Sym(None, graph=x.graph)
    return Sym(Tensor(tuple(shape[1:]), x.tensor.dtype), x.producer, x.graph, x.assumed, shape[0],
               dtype_stated=x.dtype_stated, high=x.high)
