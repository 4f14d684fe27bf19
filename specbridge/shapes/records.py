"""What shape inference produces: one record per layer (torchinfo's LayerInfo, in spirit)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

Shape = tuple  # of Optional[int], batch axis excluded


@dataclass(frozen=True)
class Tensor:
    """A symbolic tensor flowing between layers."""

    shape: Shape
    dtype: str = "float32"

    @property
    def rank(self) -> int:
        """Rank including the batch axis, as Keras reports ndim."""
        return len(self.shape) + 1


@dataclass(frozen=True)
class Inferred:
    """What a layer's inference function returns."""

    shape: Shape
    params: int = 0
    # None: all params are trainable (unless the layer has trainable: false).
    trainable_params: Optional[int] = None
    dtype: Optional[str] = None  # None: same as the (first) input
    # The arithmetic behind shape and params, in plain words (used by `explain`).
    steps: tuple[str, ...] = ()


@dataclass(frozen=True)
class LayerRecord:
    name: str
    kind: str  # canonical Keras class name
    index: int  # position in spec.layers
    inputs: tuple[str, ...]  # names of the producing layers / inputs
    input_shapes: tuple[Shape, ...]
    output: Tensor
    params: int
    trainable_params: int
    steps: tuple[str, ...] = field(default=())

    @property
    def output_shape(self) -> Shape:
        return self.output.shape

    @property
    def non_trainable_params(self) -> int:
        return self.params - self.trainable_params


def format_shape(shape: Shape, batch: bool = True) -> str:
    """(None, 61, 61, 24) as Keras prints it."""
    dims = (["None"] if batch else []) + ["None" if d is None else str(d) for d in shape]
    if len(dims) == 1:
        return f"({dims[0]},)"
    return "(" + ", ".join(dims) + ")"
