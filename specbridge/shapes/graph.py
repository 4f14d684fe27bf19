"""Walk a validated document as a graph: resolve inputs, order layers, infer every layer once.

Problems are collected, never raised. A layer that fails (or failed validation) poisons the layers
that consume it: they are skipped silently, so one mistake is reported once, not at every layer
downstream.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from typing import Optional

from ..diagnostics import codes
from ..diagnostics.model import Diagnostic
from ..diagnostics.suggest import suggest
from ..spec.call import output_reference, split_reference
from ..spec.loader import Document, LayerEntry
from .errors import ShapeError
from .infer import Context
from .records import Inferred, LayerRecord, Tensor, format_shape
from .sharing import resolve_shares, shared_call


@dataclass
class Graph:
    """Resolved structure: who reads whom, and the order to visit layers in."""

    inputs: dict[str, Tensor] = field(default_factory=dict)
    edges: dict[int, list[str]] = field(default_factory=dict)  # entry index -> input names
    order: list[int] = field(default_factory=list)  # entry indices, producers first
    outputs: list[str] = field(default_factory=list)
    by_name: dict[str, LayerEntry] = field(default_factory=dict)
    # A layer with `shares:` -> the layer owning the weights it calls again (sharing.py); owners run first.
    shares: dict[str, str] = field(default_factory=dict)
    # Each valid layer's output names (spec/call.py): a reference `LAYER.OUTPUT` reads one of its extra outputs.
    outputs_of: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def source(self, reference: str) -> str:
        """The input or layer whose output a tensor reference reads (`mha.scores` -> `mha`)."""
        return split_reference(reference, self.outputs_of)[0]


@dataclass
class Inference:
    graph: Graph
    records: list[LayerRecord]
    tensors: dict[str, Tensor]  # every successfully inferred output, by layer/input name
    diagnostics: list[Diagnostic]


def _entry_loc(doc: Document, entry: LayerEntry, *tail):
    return doc.locate(("layers", entry.index) + tail, key=bool(tail))


def build_graph(doc: Document, diags: list[Diagnostic]) -> Graph:
    graph = Graph()
    _add_inputs(doc, graph, diags)
    graph.by_name = _unique_layers(doc, graph, diags)
    graph.outputs_of = {name: e.layer.output_names() for name, e in graph.by_name.items() if e.layer is not None}
    extra = {output_reference(name, out) for name, outs in graph.outputs_of.items() for out in outs[1:]}
    known = set(graph.inputs) | set(graph.by_name) | extra
    _resolve_inputs(doc, graph, known, diags)
    _resolve_outputs(doc, graph, known, diags)
    resolve_shares(doc, graph, diags)
    graph.order = _topological_order(doc, graph, diags)
    return graph


def _add_inputs(doc: Document, graph: Graph, diags: list[Diagnostic]) -> None:
    for i, inp in enumerate(doc.header.named_inputs()):
        if inp.name in graph.inputs:
            diags.append(codes.DUPLICATE_NAME(
                f"two inputs are named {inp.name!r}", location=doc.locate(("inputs", i, "name")),
                hint="give every input a unique name",
            ))
        graph.inputs[inp.name] = Tensor(tuple(inp.shape), inp.dtype)


def _unique_layers(doc: Document, graph: Graph, diags: list[Diagnostic]) -> dict[str, LayerEntry]:
    first_seen: dict[str, LayerEntry] = {}
    for entry in doc.entries:
        if entry.name in graph.inputs or entry.name in first_seen:
            other = "an input" if entry.name in graph.inputs else f"layer {first_seen[entry.name].index}"
            diags.append(codes.DUPLICATE_NAME(
                f"layer name {entry.name!r} is already used by {other}", layer=entry.name,
                location=_entry_loc(doc, entry, "name") if entry.layer and entry.layer.name else _entry_loc(doc, entry),
                hint="layer names must be unique (Keras refuses duplicate names): rename one of them",
            ))
            continue
        first_seen[entry.name] = entry
    return first_seen


def _unknown_reference(what: str, name: str, known: set[str]) -> tuple[str, str]:
    guess = suggest(name, known)
    hint = (f"did you mean {guess[0]!r}? " if guess else "") + "known names: " + ", ".join(sorted(known))
    return f"{what} {name!r}, which is neither a layer nor an input", hint


def _resolve_inputs(doc: Document, graph: Graph, known: set[str], diags: list[Diagnostic]) -> None:
    """Each layer reads its `inputs`, or the previous layer (the single input for the first one)."""
    previous: Optional[str] = next(iter(graph.inputs)) if len(graph.inputs) == 1 else None
    for entry in doc.entries:
        if entry.inputs is not None:
            names = entry.inputs
        elif previous is not None:
            names = [previous]
        else:
            names = []
            diags.append(codes.INPUT_COUNT(
                "the first layer does not say which input it reads, and the spec has several inputs",
                layer=entry.name, location=_entry_loc(doc, entry),
                hint=f"add `inputs: [{', '.join(graph.inputs)}]` (the names of the inputs it reads)",
            ))
        paths = [("inputs", j) for j in range(len(names))]
        if entry.layer is not None:  # keyword tensors (attention_mask: ...) follow the positional ones
            keywords = entry.layer.keyword_inputs()
            names = [*names, *(ref for _, ref in keywords)]
            paths += [(argument,) for argument, _ in keywords]
        resolved = []
        for name, path in zip(names, paths, strict=True):
            if name in known:
                resolved.append(name)
                continue
            what = f"{entry.name!r} reads" if path[0] == "inputs" else f"{entry.name!r}'s `{path[0]}` names"
            message, hint = _unknown_reference(what, name, known)
            diags.append(codes.UNKNOWN_REFERENCE(
                message, layer=entry.name, location=doc.locate(("layers", entry.index, *path)), hint=hint,
            ))
            resolved.append(None)  # poisons the layer
        graph.edges[entry.index] = resolved
        previous = entry.name


def _resolve_outputs(doc: Document, graph: Graph, known: set[str], diags: list[Diagnostic]) -> None:
    if doc.header.outputs is None:
        if doc.entries:
            graph.outputs.append(doc.entries[-1].name)
        return
    for j, name in enumerate(doc.header.outputs):
        if name in known:
            graph.outputs.append(name)
            continue
        message, hint = _unknown_reference("`outputs` names", name, known)
        diags.append(codes.UNKNOWN_REFERENCE(message, location=doc.locate(("outputs", j)), hint=hint))


def _topological_order(doc: Document, graph: Graph, diags: list[Diagnostic]) -> list[int]:
    """Kahn's algorithm over entries, keeping spec order among ready layers; reports cycles."""
    index_of = {e.name: e.index for e in graph.by_name.values()}
    pending = {}
    consumers: dict[int, list[int]] = {}
    for entry in doc.entries:
        deps = {index_of[graph.source(n)] for n in graph.edges.get(entry.index, []) if n and graph.source(n) in index_of}
        if entry.name in graph.shares:  # the layer's first call (its owner) comes first, as in Keras
            deps.add(index_of[graph.shares[entry.name]])
        pending[entry.index] = len(deps)
        for d in deps:
            consumers.setdefault(d, []).append(entry.index)
    ready = sorted(i for i, n in pending.items() if n == 0)
    order = []
    heapq.heapify(ready)
    while ready:
        i = heapq.heappop(ready)
        order.append(i)
        for c in consumers.get(i, []):
            pending[c] -= 1
            if pending[c] == 0:
                heapq.heappush(ready, c)
    stuck = {i for i, n in pending.items() if n > 0}
    # Layers merely downstream of a cycle are stuck too: peel off those that feed no other stuck layer.
    peeled = True
    while peeled:
        peeled = False
        for i in list(stuck):
            if not any(c in stuck for c in consumers.get(i, [])):
                stuck.discard(i)
                peeled = True
    stuck = sorted(stuck)
    if stuck:
        names = [doc.entries[i].name for i in stuck]
        first = doc.entries[stuck[0]]
        diags.append(codes.CYCLE(
            "these layers read each other in a cycle (directly or through others): " + ", ".join(names),
            layer=first.name, location=_entry_loc(doc, first, "inputs"),
            hint="a layer may only read inputs or layers that do not depend on it; check their `inputs`",
        ))
    return order


def infer(doc: Document) -> Inference:
    """Infer every layer of a document whose header validated."""
    diags: list[Diagnostic] = []
    graph = build_graph(doc, diags)
    ctx = Context(doc.header.data_format)
    tensors: dict[str, Tensor] = dict(graph.inputs)
    records: list[LayerRecord] = []
    recorded: dict[str, LayerRecord] = {}
    total_params = 0
    for index in graph.order:
        entry = doc.entries[index]
        layer = entry.layer
        names = graph.edges[index]
        if layer is None or any(n is None or n not in tensors for n in names):
            continue  # invalid, or downstream of a problem already reported
        ins = [tensors[n] for n in names]
        positional = layer.bind(names)[0]
        low, high = layer.CALL.count
        if len(positional) < low or (high is not None and len(positional) > high):
            want = f"exactly {low}" if low == high else (f"at least {low}" if high is None else f"{low} to {high}")
            diags.append(codes.INPUT_COUNT(
                f"{layer.kind} takes {want} input{'s' if (high or 2) > 1 else ''}, got {len(positional)}: "
                f"{', '.join(positional) or 'none'}",
                layer=entry.name, location=_entry_loc(doc, entry, "inputs") if entry.inputs is not None else _entry_loc(doc, entry),
                hint=_input_count_hint(layer),
            ))
            continue
        try:
            result: Inferred = ctx.infer(layer, ins)
            mask = _output_mask(layer, entry.name, names, ins, result, ctx)
        except ShapeError as exc:
            diags.append(_shape_problem(doc, entry, ctx, names, ins, graph, exc))
            continue
        owner = graph.shares.get(entry.name)
        if owner is not None:
            if owner not in recorded:
                continue  # the owner failed: its problem is reported
            result = shared_call(entry, recorded[owner], result, tuple(t.shape for t in ins), doc)
            if isinstance(result, Diagnostic):
                diags.append(result)
                continue
        overflow = _overflow(result, total_params)
        if overflow:
            diags.append(codes.SIZE_OVERFLOW(overflow, layer=entry.name, location=_entry_loc(doc, entry),
                                             hint="no framework can allocate this: check the sizes upstream"))
            continue
        total_params += result.params
        record = _record(entry, names, ins, result, owner, mask)
        tensors[entry.name] = record.output
        for out, tensor in zip(layer.output_names()[1:], record.extra_outputs, strict=True):
            tensors[output_reference(entry.name, out)] = tensor
        records.append(record)
        recorded[entry.name] = record
        diags.extend(_check_expect(doc, entry, record))
    if not any(d.code == codes.UNKNOWN_REFERENCE.code for d in diags):
        # With a dangling reference the intended producer looks unused: that would be a follow-on warning.
        diags.extend(_unused(doc, graph))
    records.sort(key=lambda r: r.index)
    return Inference(graph, records, tensors, diags)


def _input_count_hint(layer) -> str:
    """What to write in `inputs`: for a merge or a one-tensor layer as before, else the call's tensors in order."""
    call = layer.CALL
    if call.variadic or call.count == (1, 1) or layer.FAMILY == "merging":
        return "merge several tensors with Concatenate/Add first" if call.required == 1 else \
            "list the tensors to merge in `inputs`"
    optional = "".join(f"[, {t}]" for t in call.tensors[call.required:])
    example = " (`inputs: [x, x]` for self-attention)" if "query" in call.tensors else ""
    return f"list the call's tensors in `inputs`, in Keras's order: {', '.join(call.tensors[:call.required])}{optional}" \
        + example


def _shape_problem(doc: Document, entry: LayerEntry, ctx: Context, names: list, ins: list[Tensor], graph: Graph,
                   exc: ShapeError) -> Diagnostic:
    """The diagnostic of a layer's shape rule refusing its inputs, at the argument it names when the spec sets it."""
    layer = entry.layer
    arg = exc.argument if exc.argument and exc.argument in layer.model_fields_set else None
    loc = _entry_loc(doc, entry, arg) if arg else _entry_loc(doc, entry)
    hint = _batch_axis_hint(ctx, layer, names, ins, graph) if exc.code is codes.NDIM_MISMATCH else None
    hint = hint or _attention_width_hint(exc, layer, names, graph)
    return exc.code(exc.message, hint=hint or exc.hint, layer=entry.name, location=loc)


def _output_mask(layer, name: str, names: list[str], ins: list[Tensor], result: Inferred, ctx: Context):
    """The Keras mask of the layer's output (shapes/masks.py, imported only where a mask can exist)."""
    if layer.MASKING != "makes" and all(t.mask is None for t in ins):
        return None
    from .masks import output_mask
    return output_mask(layer, name, names, ins, tuple(result.shape), ctx.channels_last(layer))


def _record(entry: LayerEntry, names: list[str], ins: list[Tensor], result: Inferred, owner: Optional[str],
            mask=None):
    trainable = result.params if result.trainable_params is None else result.trainable_params
    if not entry.layer.trainable:
        trainable = 0
    dtype = result.dtype or ins[0].dtype
    return LayerRecord(
        name=entry.name, kind=entry.layer.kind, index=entry.index, inputs=tuple(names),
        input_shapes=tuple(t.shape for t in ins), output=Tensor(tuple(result.shape), dtype, mask),
        input_masks=tuple(t.mask for t in ins),
        params=result.params, trainable_params=trainable, steps=result.steps, shares=owner,
        extra_outputs=tuple(Tensor(tuple(shape), dtype) for shape in result.extra_outputs),
        extra_names=entry.layer.output_names()[1:],
    )


# Sizes and parameter counts are int64 in every framework (and in specbridge's JSON output consumers).
INT64_MAX = 2**63 - 1


def _overflow(result: Inferred, total_before: int) -> Optional[str]:
    """Why the inferred layer is beyond int64 (an output size, its parameters, the model's total), or None."""
    big = [d for d in result.shape if d is not None and d > INT64_MAX]
    if big:
        return f"an output size of {big[0]:,} exceeds the int64 range ({INT64_MAX:,})"
    if result.params > INT64_MAX:
        return f"the layer's {result.params:,} parameters exceed the int64 range ({INT64_MAX:,})"
    if total_before + result.params > INT64_MAX:
        return (f"the model's parameter count reaches {total_before + result.params:,} here, beyond the int64 range "
                f"({INT64_MAX:,})")
    return None


def _batch_axis_hint(ctx: Context, layer, names: list, ins: list[Tensor], graph: Graph) -> Optional[str]:
    """When a spec input starts with null and the layer would take it without that axis, the batch axis was
    written: say so (a rank hint such as "wrap it in TimeDistributed" would send the user the wrong way)."""
    if not all(n in graph.inputs for n in names) or not all(t.shape and t.shape[0] is None for t in ins):
        return None
    try:
        ctx.infer(layer, [Tensor(t.shape[1:], t.dtype) for t in ins])
    except ShapeError:
        return None
    fixed = ", ".join("null" if d is None else str(d) for d in ins[0].shape[1:])
    return f"the batch axis is never written in a spec: drop the leading null, e.g. input shape [{fixed}]"


def _attention_width_hint(exc: ShapeError, layer, names: list, graph: Graph) -> Optional[str]:
    """A merge of an attention output with a tensor of another width (the residual `x + attention(x)`): say what
    sets the attention output's width."""
    if exc.code is not codes.MERGE_MISMATCH or layer.FAMILY != "merging":
        return None
    producers = [graph.by_name.get(graph.source(n)) for n in names if n]
    attention = [e for e in producers if e is not None and e.layer is not None and hasattr(e.layer, "output_shape")
                 and e.layer.FAMILY == "attention"]
    if not attention:
        return None
    return (f"{attention[0].name!r} ({attention[0].layer.kind}) returns the query's width unless `output_shape` sets "
            f"another: set output_shape to the width of the tensor it is added to (or leave it out when that tensor "
            f"is the query); {exc.hint}")


def _check_expect(doc: Document, entry: LayerEntry, record: LayerRecord) -> list[Diagnostic]:
    expect = entry.layer.expect
    if expect is None:
        return []
    out = []
    if expect.shape is not None and tuple(expect.shape) != record.output_shape:
        out.append(codes.EXPECT_SHAPE(
            f"expected output shape {format_shape(tuple(expect.shape), batch=False)}, "
            f"inferred {format_shape(record.output_shape, batch=False)}",
            layer=entry.name, location=doc.locate(("layers", entry.index, "expect", "shape")),
            hint="run `specbridge explain` on this layer to see where the inferred shape comes from",
        ))
    for field_name, actual in (
        ("params", record.params),
        ("trainable_params", record.trainable_params),
        ("non_trainable_params", record.non_trainable_params),
    ):
        wanted = getattr(expect, field_name)
        if wanted is not None and wanted != actual:
            out.append(codes.EXPECT_PARAMS(
                f"expected {field_name}={wanted:,}, inferred {actual:,}",
                layer=entry.name, location=doc.locate(("layers", entry.index, "expect", field_name)),
                hint="run `specbridge explain` on this layer to see the parameter arithmetic",
            ))
    return out


def _unused(doc: Document, graph: Graph) -> list[Diagnostic]:
    """Layers and inputs from which no output is reachable (Keras would silently drop them)."""
    index_of = {e.name: e.index for e in graph.by_name.values()}
    reached: set[str] = set()
    stack = [graph.source(n) for n in graph.outputs]
    while stack:
        name = stack.pop()
        if name in reached:
            continue
        reached.add(name)
        if name in index_of:
            stack.extend(graph.source(n) for n in graph.edges.get(index_of[name], []) if n)
    out = []
    for i, name in enumerate(graph.inputs):
        if name not in reached:
            loc = doc.locate(("inputs", i)) if doc.header.inputs is not None else doc.locate(("input",))
            out.append(codes.UNUSED_LAYER(
                f"input {name!r} is not used by any model output", location=loc,
                hint="connect it to a layer, or remove it",
            ))
    for entry in graph.by_name.values():
        if entry.name not in reached:
            out.append(codes.UNUSED_LAYER(
                f"layer {entry.name!r} does not lead to any model output (its branch is dead)",
                layer=entry.name, location=_entry_loc(doc, entry),
                hint="add it to `outputs`, feed it into a later layer, or remove it",
            ))
    return out
