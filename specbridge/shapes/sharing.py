"""Shared layers: a layer with `shares: <earlier layer>` is that Keras layer object called again.

It has the same type and arguments, reads its own inputs, and uses the weights of the layer it shares, which
count once (as Keras's count_params() counts a layer, however many times it is called): the sharing layer's
record has no parameters of its own and names the layer owning them (`LayerRecord.shares`). Its input must fit
those weights, as Keras's second call checks (a Dense shared on 3 and on 5 features is refused).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Optional

from ..diagnostics import codes
from ..diagnostics.model import Diagnostic
from ..diagnostics.suggest import suggest
from ..spec.base import Layer
from .records import Inferred, LayerRecord, Step, format_shape

if TYPE_CHECKING:
    from ..spec.loader import Document, LayerEntry
    from .graph import Graph

NOT_COMPARED = ("type", "name", "inputs", "expect", "shares")


def resolve_shares(doc: Document, graph: Graph, diags: list[Diagnostic]) -> None:
    """graph.shares: each sharing layer -> the layer owning the weights (a chain resolved to its first layer). A
    `shares` that cannot hold poisons its layer (a None among its inputs), so its consumers are skipped silently."""
    for entry in doc.entries:
        layer = entry.layer
        if layer is None:
            continue
        inner = getattr(layer, "layer", None) if layer.WRAPS else None
        if isinstance(inner, Layer) and inner.shares is not None:
            diags.append(codes.SHARED_LAYER(
                "the layer a wrapper holds cannot share another: the wrapper is the layer that is called",
                layer=entry.name, location=doc.locate(("layers", entry.index, "layer", "shares"), key=True),
                hint="put `shares` on the wrapper, naming an earlier wrapper with the same layer"))
            graph.edges[entry.index] = [*graph.edges.get(entry.index, []), None]
            continue
        if layer.shares is None:
            continue
        owner = _owner(doc, graph, entry, diags)
        if owner is None:
            graph.edges[entry.index] = [*graph.edges.get(entry.index, []), None]
        else:
            graph.shares[entry.name] = owner


def _owner(doc: Document, graph: Graph, entry: LayerEntry, diags: list[Diagnostic]) -> Optional[str]:
    name = entry.layer.shares
    where = doc.locate(("layers", entry.index, "shares"))

    def problem(message: str, hint: str, code=codes.SHARED_LAYER) -> None:
        diags.append(code(f"layer {entry.name!r} shares {name!r}: {message}", layer=entry.name, location=where,
                          hint=hint))

    target = graph.by_name.get(name)
    if name == entry.name:
        return problem("itself", "name the earlier layer whose weights this call uses")
    if target is None:
        if name in graph.inputs:
            return problem("an input, which has no weights", "name an earlier layer whose weights this layer uses")
        guess = suggest(name, set(graph.by_name))
        return problem("no layer has that name", (f"did you mean {guess[0]!r}? " if guess else "")
                       + "`shares` names an earlier layer", code=codes.UNKNOWN_REFERENCE)
    if target.index > entry.index:
        return problem("it comes later in `layers`", "list the layer that owns the weights (the first call) first, "
                       "and let the later calls share it")
    if target.layer is None or (target.layer.shares is not None and target.name not in graph.shares):
        return None  # its own problem is reported already
    owner = graph.shares.get(target.name, target.name)
    if _reads(graph, graph.by_name[owner], entry.name):
        return problem(f"{owner!r} reads this layer's output (directly or through others)",
                       f"give the weights to the call that runs first: let {owner!r} share {entry.name!r}")
    differs = _difference(entry.layer, graph.by_name[owner].layer)
    if differs is not None:
        key, here, there = differs
        at = ("layers", entry.index, key)
        diags.append(codes.SHARED_LAYER(
            f"layer {entry.name!r} shares {owner!r} but differs from it in `{key}`: {here} here, {there} there",
            layer=entry.name, location=doc.locate(at, key=True) if key in entry.layer.model_fields_set else where,
            hint="a shared layer is the same Keras layer called again: give it exactly the type and arguments "
                 f"of {owner!r} (only `name`, `inputs` and `expect` may differ)"))
        return None
    return owner


def _reads(graph: Graph, start: LayerEntry, name: str) -> bool:
    """True when `start` reads the layer `name`, directly or through other layers."""
    seen: set[str] = set()
    pending = [start.name]
    while pending:
        current = pending.pop()
        entry = graph.by_name.get(current)
        if entry is None or current in seen:
            continue
        seen.add(current)
        for source in graph.edges.get(entry.index, []):
            if source and graph.source(source) == name:
                return True
            if source:
                pending.append(graph.source(source))
    return False


def arguments(layer: Layer) -> dict[str, Any]:
    """What makes two spec layers the same Keras layer: the type and every argument, a wrapped layer's included
    (its name aside), defaults filled in (`use_bias: true` written out equals it left out)."""
    out: dict[str, Any] = {"type": layer.kind}
    for key in type(layer).model_fields:
        if key in NOT_COMPARED or key in layer.ASSERTIONS or key in layer.CALL.not_constructor_arguments():
            # a call's own arguments (attention_mask, use_causal_mask) may differ between calls of one layer
            continue
        value = getattr(layer, key)
        out[key] = arguments(value) if isinstance(value, Layer) else value
    return out


def _difference(layer: Layer, owner: Layer) -> Optional[tuple[str, str, str]]:
    """(argument, its value here, the owner's) of the first argument that differs, or None."""
    mine, theirs = arguments(layer), arguments(owner)
    for key in mine:
        if mine[key] != theirs.get(key):
            return key, _shown(mine[key]), _shown(theirs.get(key))
    return None


def _shown(value: Any) -> str:
    if isinstance(value, dict) and "type" in value:
        return f"a {value['type']}" + ("" if len(value) == 1 else " with other arguments")
    return "null" if value is None else repr(value)


def shared_call(entry: LayerEntry, owner: LayerRecord, result: Inferred, input_shapes: tuple,
                doc: Document) -> Inferred | Diagnostic:
    """The sharing layer's inference: its own shape, no parameters of its own (they are the owner's), or SB105
    when its input does not fit the owner's weights (this call would build other ones)."""
    if result.params != owner.params:
        return codes.SHARED_LAYER(
            f"layer {entry.name!r} shares the weights of {owner.name!r}, built for input "
            f"{_inputs(owner.input_shapes)} ({owner.params:,} parameters); this call reads "
            f"{_inputs(input_shapes)} and would need {result.params:,}",
            layer=entry.name, location=doc.locate(("layers", entry.index, "inputs" if entry.inputs else "shares")),
            hint="Keras refuses such a call (\"expected axis -1 of input shape to have value ...\"): feed it an "
                 f"input shaped like the one {owner.name!r} reads, or give it weights of its own (drop `shares`)")
    step = Step("params", "shares the weights of {owner} (counted there): 0 of its own", {"owner": owner.name}, 0)
    return replace(result, params=0, trainable_params=0, steps=result.steps + (step,))


def _inputs(shapes: tuple) -> str:
    return ", ".join(format_shape(s) for s in shapes)
