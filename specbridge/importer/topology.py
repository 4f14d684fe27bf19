"""A Keras model config as a flat list of layer calls: nested models inlined, every call's inputs by name.

Keras 3 writes a functional layer's inputs as `inbound_nodes: [{"args": [tensor or [tensors]], "kwargs": {}}]`
with `keras_history: [layer, node, tensor]`; Keras 2 as `[[[layer, node, tensor, kwargs], ...]]`. A Sequential
chains its layers. A nested model becomes its own layers (names kept), its inputs wired to what the outer call
feeds it, its output standing for it wherever the outer graph reads it; `trainable: false` on the nested model
reaches every layer inside, as in Keras.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

from ..diagnostics import codes
from ..diagnostics.model import Diagnostic
from .files import MODEL_CLASSES


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


def flatten(model: dict) -> Topology:
    config = model["config"]
    top = Topology(str(config.get("name") or "model"))
    outs = _model(model, top, feeds=None, frozen=False, where=f"model {top.name!r}")
    top.outputs = outs
    order = _refs(config.get("input_layers"))  # the model's input order; its layers list is sorted by depth
    if sorted(order) == sorted(i.name for i in top.inputs):
        top.inputs.sort(key=lambda i: order.index(i.name))
    return top


def _model(model: dict, top: Topology, feeds: Optional[list[str]], frozen: bool, where: str) -> list[str]:
    """Add a (possibly nested) model's layers to `top`; returns the names standing for its outputs. `feeds`: what the
    outer graph passes to a nested model's inputs (None at the top level: the model's inputs are the spec's)."""
    config = model["config"]
    frozen = frozen or config.get("trainable") is False
    if model["class_name"] == "Sequential":
        return _sequential(config, top, feeds, frozen, where)
    return _functional(config, top, feeds, frozen, where)


def _sequential(config: dict, top: Topology, feeds, frozen: bool, where: str) -> list[str]:
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
        previous = _layer(layer, [previous], top, frozen, f"layers[{index}] of {where}")
    return [previous]


def _input(config: dict, top: Topology, feeds, where: str) -> str:
    name = str(config.get("name") or "input_layer")
    if feeds is not None:
        return feeds.pop(0) if feeds else name
    top.inputs.append(InputCall(name, config))
    return name


def _functional(config: dict, top: Topology, feeds, frozen: bool, where: str) -> list[str]:
    renamed: dict[str, str] = {}  # a nested model's name -> the name of its output, an InputLayer -> what feeds it
    inner_feeds = list(feeds) if feeds is not None else None
    order = _refs(config.get("input_layers"))
    # The outer call passes tensors in the nested model's input_layers order; its layers list is sorted by depth.
    fed = dict(zip(order, feeds, strict=True)) if feeds is not None and len(order) == len(feeds) else None
    for index, layer in enumerate(config["layers"]):
        place = f"layers[{index}] of {where}"
        name = str(layer.get("name") or (layer.get("config") or {}).get("name"))
        if layer.get("class_name") == "InputLayer":
            renamed[name] = fed[name] if fed and name in fed else _input(layer["config"], top, inner_feeds, place)
            continue
        inputs = _inbound(layer, name, top, place)
        if inputs is None:
            continue
        renamed[name] = _layer(layer, [renamed.get(i, i) for i in inputs], top, frozen, place)
    return [renamed.get(ref, ref) for ref in _refs(config.get("output_layers"))]


def _layer(layer: dict, inputs: list[str], top: Topology, frozen: bool, place: str) -> str:
    """Add one layer (or inline a nested model); returns the name standing for its output."""
    class_name = str(layer.get("class_name"))
    config = layer.get("config") or {}
    name = str(config.get("name") or layer.get("name"))
    if class_name in MODEL_CLASSES:
        outs = _model(layer, top, feeds=list(inputs), frozen=frozen, where=f"model {name!r} ({place})")
        if len(outs) != 1:
            top.diagnostics.append(codes.CALL_NOT_IMPORTABLE(
                f"{place}: nested model {name!r} has {len(outs)} outputs; a spec layer reads one", layer=name))
        if outs:
            top.aliases[name] = outs[0]
        return outs[0] if outs else name
    module = layer.get("module")
    if _is_op_call(layer, module):
        config = {**config, OP_ARGS: _op_args(layer)}
    elif class_name == "TFOpLambda":
        config = {**config, OP_ARGS: _tf_op_args(layer)}  # a keras.ops call: its constant arguments matter
    top.calls.append(Call(name, class_name, config, inputs, place, frozen, module))
    return name


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
    nodes = layer.get("inbound_nodes") or [{}]
    args = nodes[0].get("args", []) if isinstance(nodes[0], dict) else []
    return [None if isinstance(a, (dict, list)) else a for a in args]


def _inbound(layer: dict, name: str, top: Topology, place: str) -> Optional[list[str]]:
    """The names a functional layer reads; None (and a diagnostic) for a call a spec cannot hold."""
    nodes = layer.get("inbound_nodes") or []
    if len(nodes) != 1:
        why = "is never called" if not nodes else f"is called {len(nodes)} times (a shared layer)"
        top.diagnostics.append(codes.CALL_NOT_IMPORTABLE(
            f"layer {name!r} ({layer.get('class_name')}, {place}) {why}; a spec layer is called exactly once",
            hint="give each call its own layer (with its own weights) if that is what the model means", layer=name))
        return None
    history = _histories(nodes[0])
    bad = [h for h in history if len(h) < 3 or h[2] != 0]
    if bad or not history:
        top.diagnostics.append(codes.CALL_NOT_IMPORTABLE(
            f"layer {name!r} ({layer.get('class_name')}, {place}) reads "
            + ("no tensor" if not history else f"output {bad[0][2]} of layer {bad[0][0]!r} (an extra output, "
               "such as a recurrent layer's state)") + "; a spec layer reads its inputs' first output",
            layer=name))
        return None
    return [str(h[0]) for h in history]


def _histories(node: Any) -> list[list]:
    """[layer, node, tensor] of every tensor a call reads, from either format."""
    if isinstance(node, dict):  # Keras 3
        found: list[list] = []
        _tensors(node.get("args", []), found)
        return found
    if node and isinstance(node[0], str):  # Keras 2 TFOpLambda: one call, [name, node, tensor, kwargs]
        return [list(node[:3])]
    return [list(entry[:3]) for entry in node if isinstance(entry, list)]  # Keras 2: [[name, node, tensor, kw]...]


def _tensors(value: Any, found: list[list]) -> None:
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        found.append(list(value["config"]["keras_history"]))
    elif isinstance(value, (list, tuple)):
        for item in value:
            _tensors(item, found)


def _refs(value: Any) -> list[str]:
    """output_layers: [name, node, tensor] or a list of them."""
    if not value:
        return []
    if isinstance(value[0], str):
        return [str(value[0])]
    return [str(item[0]) for item in value]
