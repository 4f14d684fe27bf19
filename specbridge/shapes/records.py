"""What shape inference produces: one record per layer (torchinfo's LayerInfo, in spirit)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Optional

Shape = tuple  # of Optional[int], batch axis excluded


@dataclass(frozen=True)
class Mask:
    """A Keras mask a tensor carries (True where a step counts), and how it is computed, for the emitters, which
    make it explicit (PyTorch and ONNX have no implicit masks). shapes/masks.py builds them.

    - shape: the mask's, batch excluded ((steps,) for a sequence).
    - origin: the layer whose output first carries it.
    - recipe: "not_equal" (`source != value`: Embedding(mask_zero=True), value 0), "any_not_equal"
      (`any(source != value)` over the last axis: Masking), "or" (of `parts`: Add and the other merges),
      "concatenate" (the parts, all-true where a part is None, joined on `axis`: Concatenate along steps),
      "true" (true everywhere: Concatenate on the last axis when an input has no mask).
    - source: the tensor the first two recipes read (the origin's input).
    - parts / part_shapes: the inputs' masks (None: that input had none) and their shapes.
    - axis: concatenate's axis, counted without the batch axis.
    """

    shape: Shape
    origin: str
    recipe: str
    source: Optional[str] = None
    value: float = 0.0
    parts: tuple[Optional[Mask], ...] = ()
    part_shapes: tuple[Shape, ...] = ()
    axis: int = 0


@dataclass(frozen=True)
class Tensor:
    """A symbolic tensor flowing between layers; `mask`: the Keras mask it carries (Embedding(mask_zero=True),
    Masking and the layers that pass masks on)."""

    shape: Shape
    dtype: str = "float32"
    mask: Optional[Mask] = None

    @property
    def rank(self) -> int:
        """Rank including the batch axis, as Keras reports ndim."""
        return len(self.shape) + 1


class Values(Mapping):
    """An immutable, hashable name -> value mapping (the numbers and names a Step used), in insertion order.

    Values are kept as given (a list still renders as [1, 2]); the hash treats lists as tuples, so that a step
    stays hashable like the records that hold it.
    """

    __slots__ = ("_items",)

    def __init__(self, items=()):
        pairs = items.items() if isinstance(items, Mapping) else items
        object.__setattr__(self, "_items", tuple((str(k), v) for k, v in pairs))

    def __getitem__(self, key: str) -> Any:
        for name, value in self._items:
            if name == key:
                return value
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozen(self._items))

    def __setattr__(self, name, value):
        raise AttributeError("Values is immutable")

    def __reduce__(self):
        return (Values, (self._items,))

    def __repr__(self) -> str:
        return repr(dict(self._items))


def frozen(value: Any) -> Any:
    """Lists (of lists) -> tuples."""
    return tuple(frozen(v) for v in value) if isinstance(value, (list, tuple)) else value


@dataclass(frozen=True)
class Step:
    """One step of the arithmetic behind a layer's shape or parameter count, as data.

    - topic: a short key: an axis name ("rows", "steps"), "params", "kernel shape", "channels", "shape",
      "note" (a remark with no result)...
    - template: the sentence, a str.format template over `values` plus `topic` and `result`;
      report/steps.py renders it (explain's text). Besides the standard format specs, the renderer knows
      `{n:,}` (1,234; None stays "None"), `{s:shape}` / `{s:batch}` (a shape without / with the batch
      axis, as Keras prints it), `{ss:shapes}` (a list of shapes, batch included) and, on a sequence,
      any other spec joins the items with it (`{kernel:x}` -> 8x8, `{kernel:*}` -> 8*8).
    - values: the numbers and names used (a dict is accepted and stored as an immutable Values).
    - result: what the step computes (a length, a count, a shape), None for a remark.
    - formula: the symbolic formula in the names of `values`, when there is one.
    - within: the wrappers the step was computed inside, outermost first (rendered as "label: " prefixes).

    >>> step = Step("rows", "{topic}: floor(({L} - {k}) / {s}) + 1 = {result}", {"L": 128, "k": 8, "s": 2}, 61,
    ...             formula="floor((L - k) / s) + 1")
    >>> step.values["L"], step.result
    (128, 61)

    renders as "rows: floor((128 - 8) / 2) + 1 = 61". A remark: Step("note", "the shape is unchanged").
    """

    topic: str
    template: str
    values: Mapping[str, Any] = field(default_factory=Values)
    result: Any = None
    formula: Optional[str] = None
    within: tuple[str, ...] = ()

    def __post_init__(self):
        if not isinstance(self.values, Values):
            object.__setattr__(self, "values", Values(self.values))

    def inside(self, label: str) -> Step:
        """The same step seen from a wrapper: rendered with a "label: " prefix."""
        return Step(self.topic, self.template, self.values, self.result, self.formula, (label, *self.within))


@dataclass(frozen=True)
class Inferred:
    """What a layer's inference function returns."""

    shape: Shape
    params: int = 0
    # None: all params are trainable (unless the layer has trainable: false).
    trainable_params: Optional[int] = None
    dtype: Optional[str] = None  # None: same as the (first) input
    # The arithmetic behind shape and params, as data (report/steps.py words it for `explain`).
    steps: tuple[Step, ...] = ()
    # The shapes of the outputs after the first, in the layer's output_names() order (attention scores).
    extra_outputs: tuple[Shape, ...] = ()


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
    steps: tuple[Step, ...] = field(default=())
    shares: Optional[str] = None  # `shares:` resolved: the layer owning the weights (params are counted there)
    extra_outputs: tuple[Tensor, ...] = ()  # the outputs after the first (output_names()[1:]): `mha.scores`
    extra_names: tuple[str, ...] = ()  # their names ("scores")
    input_masks: tuple[Optional[Mask], ...] = ()  # the Keras mask each input carries (None: none), for the emitters

    @property
    def output_shape(self) -> Shape:
        return self.output.shape

    @property
    def shapes_text(self) -> str:
        """The output shape as Keras prints it; a layer with several outputs: the list of them."""
        if not self.extra_outputs:
            return format_shape(self.output_shape)
        return "[" + ", ".join(format_shape(t.shape) for t in (self.output, *self.extra_outputs)) + "]"

    @property
    def non_trainable_params(self) -> int:
        return self.params - self.trainable_params


def format_shape(shape: Shape, batch: bool = True) -> str:
    """(None, 61, 61, 24) as Keras prints it."""
    dims = (["None"] if batch else []) + ["None" if d is None else str(d) for d in shape]
    if len(dims) == 1:
        return f"({dims[0]},)"
    return "(" + ", ".join(dims) + ")"
