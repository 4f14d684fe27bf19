"""Symbolic tensors flowing through model code, and the layers applied to them.

Every layer application becomes a Node (a spec layer, or a shape-only step for an operation a spec cannot
express), inferred on the spot with specbridge's shape rules. A problem is a diagnostic at the Python line that
holds the layer's arguments; a tensor whose shape is not known statically is Sym(tensor=None), and nothing
downstream of it is checked (unless a PyTorch layer declares the size it reads: see torch_layers.derive_input).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional

from ..diagnostics import codes
from ..diagnostics.model import Diagnostic, Location, Severity
from ..shapes.errors import ShapeError
from ..shapes.records import Tensor

# Codes that follow from a shape assumed for an input the code does not state (see Sym.assumed): only a declared
# size that contradicts the tensor is certain then.
CERTAIN_WHEN_ASSUMED = frozenset({codes.CHANNEL_MISMATCH.code})
# What Keras does with an input of another dtype than a layer computes with: it casts (specbridge's spec refuses,
# because the PyTorch translation would not).
KERAS_CASTS = {codes.EMBEDDING_DTYPE.code: "int32", codes.FLOAT_INPUT.code: "float32"}
# Shape errors caused by the tensor a layer reads: the message says which line made that tensor.
ABOUT_INPUTS = frozenset(c.code for c in (codes.NDIM_MISMATCH, codes.MERGE_MISMATCH, codes.NONPOSITIVE_SIZE,
                                          codes.RESHAPE_SIZE, codes.UNKNOWN_DIMENSION, codes.INVALID_ARGUMENT))
# Node.arguments key of the keyword that stated the model's input (input_shape=...): a rank error points there.
INPUT_ARGUMENT = "<input>"


@dataclass(eq=False)
class Sym:
    """A tensor in model code: its shape without the batch axis (None: not known statically)."""

    tensor: Optional[Tensor]
    producer: Optional[str] = None  # the node (or input) that made it
    graph: Optional[Graph] = None
    assumed: bool = False  # the shape was derived from a layer's declared input size, not from a stated input
    batch: Optional[int] = None  # the batch size, when a literal tensor states it
    flat_from: Optional[tuple] = None  # the shape a flatten collapsed (for "16*5*5 = 400 features")
    dtype_stated: bool = False  # the code says the dtype (torch.randint, dtype=...): not to be inferred
    high: Optional[int] = None  # torch.randint(low, high, ...): the ids lie below `high`
    fold: int = 1  # rows per sample: a view folded another axis into the batch (torch_views.py)

    @property
    def known(self) -> bool:
        return self.tensor is not None


@dataclass
class Node:
    name: str
    layer: Optional[dict]  # the spec layer (type + arguments); None for a shape-only step
    inputs: list[str]
    location: Location  # where the layer's arguments are written
    call_location: Location  # where it is applied to a tensor
    arguments: dict[str, Location] = field(default_factory=dict)  # argument -> where it is written
    not_expressible: Optional[str] = None  # why a spec cannot hold this step exactly
    output: Optional[Tensor] = None
    assumed: bool = False  # inferred from a shape the code does not state (see Sym.assumed)
    owner: Optional[object] = None  # the PyTorch layer whose parameters this node carries (on its last step)


@dataclass(eq=False)
class Graph:
    """The nodes of one model (Keras: one file-wide graph that functional models take subsets of)."""

    framework: str  # "keras" | "torch"
    data_format: str = "channels_last"
    inputs: dict[str, Tensor] = field(default_factory=dict)
    input_locations: dict[str, Location] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)
    names: set[str] = field(default_factory=set)
    # A node's outputs after its first (attention scores), as the shape rule inferred them.
    extra_outputs: dict[str, tuple[Tensor, ...]] = field(default_factory=dict)

    def unique(self, base: str) -> str:
        name, n = base, 1
        while name in self.names:
            name, n = f"{base}_{n}", n + 1
        self.names.add(name)
        return name

    def add_input(self, name: str, tensor: Optional[Tensor], location: Location) -> str:
        name = self.unique(name)
        if tensor is not None:
            self.inputs[name] = tensor
        self.input_locations[name] = location
        return name


class Tracer:
    """Collects the diagnostics of one file; applies layers with specbridge's shape rules."""

    def __init__(self, file: Optional[str]):
        self.file = file
        self.diagnostics: list[Diagnostic] = []
        self._seen: set[tuple] = set()
        self._contexts: dict = {}
        self.muted = 0  # > 0 inside a branch or loop the reader cannot decide: errors there are not reported
        self.grad_note: Optional[str] = None  # where requires_grad changes on something the reader does not know

    def report(self, diagnostic: Diagnostic) -> None:
        if self.muted and diagnostic.severity is Severity.ERROR:
            return
        key = (diagnostic.code, diagnostic.line, diagnostic.column, diagnostic.message)
        if key not in self._seen:
            self._seen.add(key)
            self.diagnostics.append(diagnostic)

    def layer_model(self, layer: dict, location: Location, display: str, quiet: bool = False):
        """The validated spec layer (pydantic), or None after reporting why it is invalid."""
        from pydantic import ValidationError

        from ..spec.catalog import layer_class

        cls = layer_class(layer["type"])
        if cls is None:
            return None
        try:
            return cls.model_validate(layer)
        except ValidationError as exc:
            if quiet:
                return None
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()) if p != layer["type"])
            self.report(codes.INVALID_VALUE(f"{display}: {where}: {first.get('msg')}", location=location,
                                            file=self.file, hint="Keras and PyTorch refuse this argument too"))
            return None

    def apply(self, graph: Graph, node: Node, inputs: list[Sym], display: str,
              shape_fn: Optional[Callable[[list[Tensor]], Tensor]] = None) -> Sym:
        """Infer `node` on `inputs` (all known) and add it to the graph; the output Sym."""
        tensors = [s.tensor for s in inputs]
        assumed = any(s.assumed for s in inputs)
        try:
            if shape_fn is not None:
                out = shape_fn(tensors)
            else:
                model = self.layer_model(node.layer, node.location, display, quiet=assumed)
                if model is None:
                    return Sym(None, graph=graph)
                low, high = model.CALL.count
                positional = model.bind(tensors)[0]
                if len(positional) < low or (high is not None and len(positional) > high):
                    want = f"exactly {low}" if low == high else (f"at least {low}" if high is None else f"{low} to {high}")
                    raise ShapeError(codes.INPUT_COUNT, f"{model.kind} takes {want} inputs, got {len(positional)}")
                out, extra = self._infer(graph, model, tensors, node.inputs)
                out = _with_mask(graph, model, node.name, node.inputs, tensors, out)
                if extra:
                    graph.extra_outputs[node.name] = extra
        except ShapeError as exc:
            if not assumed or exc.code.code in CERTAIN_WHEN_ASSUMED:
                where = node.arguments.get(exc.argument or "", node.location)
                if exc.code is codes.NDIM_MISMATCH and INPUT_ARGUMENT in node.arguments:
                    where = node.arguments[INPUT_ARGUMENT]
                message = f"{display}: {exc.message}{self._origins(graph, inputs, node, exc)}"
                hint = exc.hint
                if hint and where == node.arguments.get(INPUT_ARGUMENT):  # the code wrote input_shape=(...)
                    hint = hint.replace("input shape (", "input_shape=(")
                self.report(exc.code(message, hint=hint, layer=node.name, location=where, file=self.file))
            return Sym(None, graph=graph)
        node.output = out
        node.assumed = assumed
        graph.nodes.append(node)
        flat = tuple(tensors[0].shape) if (node.layer or {}).get("type") == "Flatten" else None
        result = Sym(out, node.name, graph, assumed, inputs[0].batch if inputs else None, flat)
        result.fold = inputs[0].fold if inputs else 1
        return result

    def _origins(self, graph: Graph, inputs: list[Sym], node: Node, exc: ShapeError) -> str:
        """Where the inputs come from, when a shape error is about them (a mistake is often upstream)."""
        if exc.code.code not in ABOUT_INPUTS:
            return ""
        lines = {n.name: n.location.line for n in graph.nodes}
        lines.update({name: loc.line for name, loc in graph.input_locations.items()})
        parts = []
        for sym in inputs:
            line = lines.get(sym.producer or "")
            if line and line != node.location.line:
                parts.append(f"{sym.producer!r} (line {line})")
        if not parts:
            return ""
        return f"; {'its input comes' if len(parts) == 1 else 'its inputs come'} from {' and '.join(parts)}"

    def _infer(self, graph: Graph, model, tensors: list[Tensor],
               node_inputs: Optional[list] = None) -> tuple[Tensor, tuple[Tensor, ...]]:
        from ..shapes.infer import Context

        key = (graph.data_format, graph.framework)
        ctx = self._contexts.get(key)
        if ctx is None:
            ctx = self._contexts[key] = Context(graph.data_format, tensorflow=graph.framework == "keras")
        try:
            result = ctx.infer(model, tensors)
        except ShapeError as exc:
            cast = KERAS_CASTS.get(exc.code.code) if graph.framework == "keras" else None
            if cast is None:
                raise
            # Keras casts the input itself (an Embedding reads float ids, a Dense casts ints): no error there; an
            # input that goes straight into the layer is then that dtype in the spec (what the layer computes with)
            result = ctx.infer(model, [Tensor(t.shape, cast) for t in tensors])
            for name in node_inputs or []:
                if name in graph.inputs:
                    graph.inputs[name] = Tensor(graph.inputs[name].shape, cast)
        dtype = result.dtype or tensors[0].dtype
        return Tensor(tuple(result.shape), dtype), tuple(Tensor(tuple(s), dtype) for s in result.extra_outputs)

    def not_evaluated(self, expression: str, location: Location, consequence: str) -> None:
        self.report(codes.PY_NOT_EVALUATED(f"not evaluated: {expression} ({consequence})", location=location, file=self.file))

    def not_modelled(self, what: str, location: Location, consequence: str, hint: Optional[str] = None) -> None:
        self.report(codes.PY_NOT_MODELLED(f"{what} ({consequence})", location=location, file=self.file, hint=hint))


def _with_mask(graph: Graph, model, name: str, names: list, tensors: list[Tensor], out: Tensor) -> Tensor:
    """Keras code: the output with the mask Keras attaches (shapes/masks.py; a reader refusing its mask raises
    ShapeError, located at the call). PyTorch has no implicit masks."""
    if graph.framework != "keras" or (model.MASKING != "makes" and all(t.mask is None for t in tensors)):
        return out
    from ..shapes.masks import output_mask

    mask = output_mask(model, name, list(names), tensors, tuple(out.shape),
                       model.data_format_in(graph.data_format) == "channels_last")
    return Tensor(out.shape, out.dtype, mask)
