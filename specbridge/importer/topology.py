"""A Keras model config as a flat list of layer calls: nested models inlined, every call's inputs by name.

Keras 3 writes a functional layer's inputs as `inbound_nodes: [{"args": [tensor or [tensors]], "kwargs": {}}]`
with `keras_history: [layer, node, tensor]`; Keras 2 as `[[[layer, node, tensor, kwargs], ...]]`. A Sequential
chains its layers. A nested model becomes its own layers (names kept), its inputs wired to what the outer call
feeds it, its output standing for it wherever the outer graph reads it; `trainable: false` on the nested model
reaches every layer inside, as in Keras.

A layer called several times (a shared layer, or any layer of a nested model called several times) is one spec
layer per call: the first call keeps the Keras name, the k-th is `<name>_call_<k>` and `shares:` the first (the
same Keras layer object, its weights). Each call's `path` says which call it is: the node index of every
enclosing model's call, outermost first, then the layer's own (what original.call_paths finds in a run).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..diagnostics import codes
from ..diagnostics.model import Diagnostic
from .files import MODEL_CLASSES
from .keywords import Keywords, MaskUse, keyword_arguments
from .keywords import tensors_in as _tensors


@dataclass
class Call:
    """One layer of the spec to be: its Keras config, the names it reads, and where it sits in the model file."""

    name: str
    class_name: str
    config: dict
    inputs: list[str]
    place: str  # "layers[3] of model 'resnet50'", for diagnostics
    frozen: bool = False  # inside a model saved with trainable false
    module: Optional[str] = None
    shares: Optional[str] = None  # a later call of a layer: the spec layer of its first call
    path: tuple[int, ...] = (0,)  # node indices: each enclosing model's call, then the layer's own


@dataclass
class InputCall:
    name: str
    config: dict  # the InputLayer's (batch_shape / batch_input_shape, dtype)


@dataclass
class Topology:
    name: str
    inputs: list[InputCall] = field(default_factory=list)
    calls: list[Call] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # A nested model's name -> the spec layer standing for its output (what a verification compares it with).
    aliases: dict[str, str] = field(default_factory=dict)
    taken: set[str] = field(default_factory=set)  # every name in the file, and the names given to later calls
    counts: dict[str, int] = field(default_factory=dict)  # a layer's name -> its calls so far
    # (layer, node) -> its call's keyword tensors and options; (producer, node, reader, reader node) -> the producer's
    # output index read (an attention layer's scores: 1).
    keywords: dict[tuple[str, int], Keywords] = field(default_factory=dict)
    tensor_index: dict[tuple[str, int, str, int], int] = field(default_factory=dict)
    classes: dict[str, tuple[str, str]] = field(default_factory=dict)  # layer name -> (class name, module)
    masks: list[MaskUse] = field(default_factory=list)  # the masks each call was handed (importer/masks.py)

    def readable(self, producer: str, index: int) -> bool:
        """A spec layer can read output `index` of `producer`: its first output, or an extra one its type declares."""
        if index == 0:
            return True
        cls = self._spec_class(producer)
        return cls is not None and cls.output_name_at(index) is not None

    def reference(self, spec_name: str, producer: str, index: int) -> str:
        """The spec's name for output `index` of a producer standing as `spec_name`."""
        from ..spec.call import output_reference

        if index == 0:
            return spec_name
        return output_reference(spec_name, self._spec_class(producer).output_name_at(index))

    def _spec_class(self, producer: str):
        """The spec class a saved layer or keras.ops call becomes (None for one the spec lacks)."""
        from ..spec.catalog import layer_class

        class_name, module = self.classes.get(producer, ("", ""))
        if module.startswith(OPS_MODULE):
            from .ops import op_class

            return op_class(class_name, module)
        return layer_class(class_name)

    def call_name(self, name: str) -> tuple[str, Optional[str]]:
        """(spec name, the first call's spec name or None) of the next call of layer `name`."""
        count = self.counts[name] = self.counts.get(name, 0) + 1
        if count == 1:
            return name, None
        new, extra = f"{name}_call_{count}", 1
        while new in self.taken:
            new, extra = f"{name}_call_{count}_{extra}", extra + 1
        self.taken.add(new)
        return new, name

    def origins(self) -> dict[str, tuple[str, tuple[int, ...]]]:
        """Spec layer -> (the Keras layer's name, which call of it: Call.path)."""
        return {call.name: (call.shares or call.name, call.path) for call in self.calls}


def flatten(model: dict) -> Topology:
    config = model["config"]
    top = Topology(str(config.get("name") or "model"))
    top.classes = _classes(model)
    top.taken = set(top.classes)  # every layer name in the file, nested models' included
    outs = _model(model, top, feeds=None, frozen=False, where=f"model {top.name!r}", path=())
    top.outputs = outs
    order = _refs(config.get("input_layers"))  # the model's input order; its layers list is sorted by depth
    if sorted(order) == sorted(i.name for i in top.inputs):
        top.inputs.sort(key=lambda i: order.index(i.name))
    return top


def _classes(model: dict) -> dict[str, tuple[str, str]]:
    """Every layer name in a model config (nested models' included) -> its class name."""
    found = {}
    for layer in (model.get("config") or {}).get("layers") or []:
        found[str(layer.get("name") or (layer.get("config") or {}).get("name"))] = (
            str(layer.get("class_name")), str(layer.get("module") or ""))
        if layer.get("class_name") in MODEL_CLASSES:
            found.update(_classes(layer))
    return found


def _model(model: dict, top: Topology, feeds: Optional[list[str]], frozen: bool, where: str,
           path: tuple[int, ...]) -> list[str]:
    """Add a (possibly nested) model's layers to `top`; returns the names standing for its outputs. `feeds`: what the
    outer graph passes to a nested model's inputs (None at the top level: the model's inputs are the spec's);
    `path`: the node indices of the enclosing models' calls (Call.path)."""
    config = model["config"]
    frozen = frozen or config.get("trainable") is False
    if model["class_name"] == "Sequential":
        return _sequential(config, top, feeds, frozen, where, path)
    return _functional(config, top, feeds, frozen, where, path)


def _sequential(config: dict, top: Topology, feeds, frozen: bool, where: str, path: tuple[int, ...]) -> list[str]:
    layers = list(config["layers"])
    previous: Optional[str] = None
    if layers and layers[0].get("class_name") == "InputLayer":
        first = layers.pop(0)
        previous = _input(first["config"], top, feeds, where)
    elif layers:
        shape = (layers[0].get("config") or {}).get("batch_input_shape") or (layers[0].get("config") or {}).get("batch_shape")
        if feeds is None and shape is not None:  # Keras 2: the first layer carries the input shape
            name = f"{config.get('name') or 'sequential'}_input"
            top.inputs.append(InputCall(name, {"batch_shape": shape, "dtype": (layers[0]["config"]).get("dtype")}))
            previous = name
        elif feeds is not None:
            previous = feeds[0]
    if previous is None:
        top.diagnostics.append(codes.CALL_NOT_IMPORTABLE(
            f"{where}: a Sequential model with no input shape (never built): specbridge needs the input's shape",
            hint="build the model (call it once, or start it with keras.Input(shape=...)) and save it again"))
        return []
    first = len(config["layers"]) - len(layers)  # a place counts the file's layers, the InputLayer included
    for index, layer in enumerate(layers, start=first):
        previous = _layer(layer, [previous], top, frozen, f"layers[{index}] of {where}", (*path, 0))
    return [previous]


def _input(config: dict, top: Topology, feeds, where: str) -> str:
    name = str(config.get("name") or "input_layer")
    if feeds is not None:
        return feeds.pop(0) if feeds else name
    top.inputs.append(InputCall(name, config))
    return name


def _functional(config: dict, top: Topology, feeds, frozen: bool, where: str, path: tuple[int, ...]) -> list[str]:
    # (layer, node index) -> the spec name standing for that call's output: a nested model's output, what feeds an
    # InputLayer, a layer's call.
    renamed: dict[tuple[str, int], str] = {}
    inner_feeds = list(feeds) if feeds is not None else None
    order = _refs(config.get("input_layers"))
    # The outer call passes tensors in the nested model's input_layers order; its layers list is sorted by depth.
    fed = dict(zip(order, feeds, strict=True)) if feeds is not None and len(order) == len(feeds) else None
    pending: list[tuple[dict, str, str, int, list[tuple[str, int]]]] = []
    local = {str(layer.get("name") or (layer.get("config") or {}).get("name")) for layer in config["layers"]}
    for index, layer in enumerate(config["layers"]):
        place = f"layers[{index}] of {where}"
        name = str(layer.get("name") or (layer.get("config") or {}).get("name"))
        if layer.get("class_name") == "InputLayer":
            renamed[name, 0] = fed[name] if fed and name in fed else _input(layer["config"], top, inner_feeds, place)
            continue
        calls = _inbound(layer, name, top, place)
        pending += [(layer, name, place, node, reads) for node, reads in calls]
        for node in set(range(len(layer.get("inbound_nodes") or []))) - {node for node, _ in calls}:
            renamed[name, node] = name  # a call already reported: what reads it is not reported again
    outputs = _node_refs(config.get("output_layers"))
    tensors = _tensor_indices(config.get("output_layers"))
    shift = _node_shift(config, pending, outputs)
    pending = [(*item[:4], [(ref, node - shift.get(ref, 0)) for ref, node in item[4]]) for item in pending]
    _calls_in_order(pending, renamed, local, top, frozen, path)
    return [top.reference(renamed.get((ref, node - shift.get(ref, 0)), ref), ref, index)
            for (ref, node), index in zip(outputs, tensors, strict=True)]


def _node_shift(config: dict, pending: list, outputs: list[tuple[str, int]]) -> dict[str, int]:
    """How far a nested model's calls are numbered from their place in its inbound_nodes: tf_keras counts a
    functional model's own first node (the one that built it) before its calls, so a Keras 2 file reads its first
    call as node 1; Keras 3 counts from 0. Every call of a layer in a saved graph leads to an output, so the
    lowest node read is its first call."""
    models = {str(layer.get("name")) for layer in config["layers"] if layer.get("class_name") in MODEL_CLASSES}
    lowest: dict[str, int] = {}
    for ref, node in [ref for item in pending for ref in item[4]] + outputs:
        if ref in models:
            lowest[ref] = min(node, lowest.get(ref, node))
    return lowest


def _calls_in_order(pending: list, renamed: dict, local: set[str], top: Topology, frozen: bool, path: tuple) -> None:
    """Each (layer, node) once what it reads is known, a layer's nodes in their order (as Keras's deserializer
    does: a shared layer is listed where it is first called, and a later call may read a layer listed after it)."""
    while pending:
        waiting, done = [], set()
        for item in pending:
            layer, name, place, node, reads = item
            blocked = any(ref not in renamed and ref[0] in local for ref in reads)
            if blocked or any(w[1] == name for w in waiting):
                waiting.append(item)
                continue
            inputs = [top.reference(renamed.get(ref, ref[0]), ref[0], top.tensor_index.get((*ref, name, node), 0))
                      for ref in reads]
            keywords = top.keywords.get((name, node), Keywords())
            inputs, masks = keywords.split_masks(inputs)
            if keywords.tensors or keywords.options:
                cut = len(inputs) - len(keywords.tensors)
                extra = {key: ref for (key, _), ref in zip(keywords.tensors, inputs[cut:], strict=True)}
                layer = {**layer, "config": {**(layer.get("config") or {}), **keywords.options, **extra}}
                inputs = inputs[:cut]
            renamed[name, node] = _layer(layer, inputs, top, frozen, place, (*path, node))
            if masks:  # the masks Keras recorded for the call (importer/masks.py)
                called = name if layer.get("class_name") in MODEL_CLASSES else renamed[name, node]
                top.masks.append(MaskUse(called, str(layer.get("class_name")), place, inputs, masks))
            done.add((name, node))
        if not done:
            for layer, name, place, node, _ in waiting:
                top.diagnostics.append(codes.CALL_NOT_IMPORTABLE(
                    f"layer {name!r} ({layer.get('class_name')}, {place}): call {node} reads a tensor no layer of "
                    "the model computes", layer=name))
            return
        pending = waiting


def _layer(layer: dict, inputs: list[str], top: Topology, frozen: bool, place: str, path: tuple[int, ...]) -> str:
    """Add one layer (or inline a nested model); returns the name standing for its output."""
    from .failures import stage

    name = str((layer.get("config") or {}).get("name") or layer.get("name"))
    with stage(f"reading layer {name!r} ({place}) of the model's graph"):
        return _add_layer(layer, name, inputs, top, frozen, place, path)


def _add_layer(layer: dict, name: str, inputs: list[str], top: Topology, frozen: bool, place: str,
               path: tuple[int, ...]) -> str:
    class_name = str(layer.get("class_name"))
    config = layer.get("config") or {}
    if class_name in MODEL_CLASSES:
        outs = _model(layer, top, feeds=list(inputs), frozen=frozen, where=f"model {name!r} ({place})", path=path)
        if len(outs) != 1:
            top.diagnostics.append(codes.CALL_NOT_IMPORTABLE(
                f"{place}: nested model {name!r} has {len(outs)} outputs; a spec layer reads one", layer=name))
        if outs:
            top.aliases.setdefault(name, outs[0])  # a model called again: its first call's output
        return outs[0] if outs else name
    module = layer.get("module")
    if _is_op_call(layer, module):
        config = {**config, OP_ARGS: _op_args(layer)}
    elif class_name == "TFOpLambda":
        config = {**config, OP_ARGS: _tf_op_args(layer)}  # a keras.ops call: its constant arguments matter
    spec_name, first = top.call_name(name)
    top.calls.append(Call(spec_name, class_name, config, inputs, place, frozen, module, first, path))
    return spec_name


OPS_MODULE = "keras.src.ops"  # a functional graph's keras.ops calls (x + 3.0) are saved as op "layers"
OP_ARGS = "__op_args__"  # in such a call's config: its positional arguments, None where a tensor goes


def _tf_op_args(layer: dict) -> list:
    """Keras 2's TFOpLambda (tf.__operators__.add(x, y=3.0)): the tensor, then the keyword `y` if it is a number."""
    nodes = layer.get("inbound_nodes") or [[]]
    node = nodes[0]
    kwargs = node[3] if node and isinstance(node[0], str) and len(node) > 3 and isinstance(node[3], dict) else {}
    y = kwargs.get("y")
    return [None, y] if isinstance(y, (int, float)) and not isinstance(y, bool) else [None]


def _is_op_call(layer: dict, module) -> bool:
    """A keras.ops call: its module says so (.keras files), or (legacy .h5, no module) its call has several
    positional arguments, where a layer is called on one tensor or one list of tensors."""
    if isinstance(module, str):
        return module.startswith(OPS_MODULE)
    nodes = layer.get("inbound_nodes") or []
    return bool(nodes) and isinstance(nodes[0], dict) and len(nodes[0].get("args", [])) > 1


def _op_args(layer: dict) -> list:
    """A keras.ops call's positional arguments: None for a tensor, the value of anything else (an index's slices
    and Ellipsis as Python's)."""
    nodes = layer.get("inbound_nodes") or [{}]
    args = nodes[0].get("args", []) if isinstance(nodes[0], dict) else []
    return [_argument(a) for a in args]


def _argument(value: Any) -> Any:
    if isinstance(value, list):
        return [_argument(v) for v in value]
    if not isinstance(value, dict):
        return value
    kind = value.get("class_name")
    if kind == "__slice__":
        config = value.get("config") or {}
        return slice(config.get("start"), config.get("stop"), config.get("step"))
    if kind == "__ellipsis__":
        return Ellipsis
    return None  # a tensor (or anything else a spec cannot hold as a constant)


def _inbound(layer: dict, name: str, top: Topology, place: str) -> list[tuple[int, list[tuple[str, int]]]]:
    """(node index, the (layer, node) of every tensor it reads) of each call of a functional layer; the calls a
    spec cannot hold get a diagnostic instead."""
    nodes = layer.get("inbound_nodes") or []
    if not nodes:
        top.diagnostics.append(codes.CALL_NOT_IMPORTABLE(
            f"layer {name!r} ({layer.get('class_name')}, {place}) is never called; a spec layer is a call",
            hint="remove it from the model, or call it", layer=name))
    calls = []
    for index, node in enumerate(nodes):
        history = _histories(node)
        keywords = keyword_arguments(node, layer, name, place, top)
        if keywords is None:
            continue
        history += [tensor for _, tensor in keywords.positional] + [tensor for _, tensor in keywords.tensors] \
            + keywords.mask_histories()
        bad = [h for h in history if len(h) < 3 or not top.readable(str(h[0]), int(h[2]))]
        if bad or not history:
            top.diagnostics.append(codes.CALL_NOT_IMPORTABLE(
                f"layer {name!r} ({layer.get('class_name')}, {place}) reads "
                + ("no tensor" if not history else f"output {bad[0][2]} of layer {bad[0][0]!r} (an extra output, "
                   "such as a recurrent layer's state)") + "; a spec layer reads its inputs' first output (or an "
                "attention layer's scores)", layer=name))
            continue
        top.keywords[name, index] = keywords
        top.tensor_index.update({(str(h[0]), int(h[1]), name, index): int(h[2]) for h in history})
        calls.append((index, [(str(h[0]), int(h[1])) for h in history]))
    return calls


def _histories(node: Any) -> list[list]:
    """[layer, node, tensor] of every tensor a call reads, from either format."""
    if isinstance(node, dict):  # Keras 3
        found: list[list] = []
        _tensors(node.get("args", []), found)
        return found
    if node and isinstance(node[0], str):  # Keras 2 TFOpLambda: one call, [name, node, tensor, kwargs]
        return [list(node[:3])]
    return [list(entry[:3]) for entry in node if isinstance(entry, list)]  # Keras 2: [[name, node, tensor, kw]...]


def _node_refs(value: Any) -> list[tuple[str, int]]:
    """output_layers as (layer, node index) pairs."""
    if not value:
        return []
    if isinstance(value[0], str):
        return [(str(value[0]), int(value[1]) if len(value) > 1 else 0)]
    return [(str(item[0]), int(item[1]) if len(item) > 1 else 0) for item in value]


def _tensor_indices(value: Any) -> list[int]:
    """output_layers' tensor indices (an attention layer's scores: 1), one per _node_refs entry."""
    if not value:
        return []
    items = [value] if isinstance(value[0], str) else value
    return [int(item[2]) if len(item) > 2 and isinstance(item[2], int) else 0 for item in items]


def _refs(value: Any) -> list[str]:
    """output_layers: [name, node, tensor] or a list of them."""
    if not value:
        return []
    if isinstance(value[0], str):
        return [str(value[0])]
    return [str(item[0]) for item in value]

