"""Keras model code: layer constructors, `Sequential([...])` / `.add(...)`, and functional graphs.

A layer constructor call becomes a spec layer through the importer's mapping (importer/layers.py: the same
translation a saved model's config gets), after its positional arguments are named from Keras's signatures
(signatures.py). Layers are inferred with specbridge's shape rules as the model is built, so a problem is
reported at the line of the layer that Keras would reject.
"""

from __future__ import annotations

import ast
from typing import Any, Optional

from ..diagnostics import codes
from ..diagnostics.model import Location
from ..shapes.records import Tensor
from . import values as V
from .interpret import location
from .objects import FrameworkObject, Ref
from .signatures import (
    KERAS1_ARGUMENTS,
    KERAS1_LAYER_ARGUMENTS,
    KERAS1_VALUES,
    KERAS_FUNCTIONS,
    KERAS_KEYWORDS,
    KERAS_POSITIONAL,
)
from .trace import INPUT_ARGUMENT, Graph, Node, Sym
from .values import Unknown

# Keywords that shape the model's input, not the layer (Keras 2 style on a Sequential's first layer).
INPUT_KEYWORDS = ("input_shape", "input_dim", "batch_input_shape", "batch_size", "batch_shape")
TRAINING_ONLY_SUFFIXES = ("_initializer", "_regularizer", "_constraint")
ACTIVATION_MODULES = ("keras.activations", "tensorflow.nn", "tf.nn", "tensorflow.math", "keras.ops")


class KerasLayer(FrameworkObject):
    """A Keras layer constructed in the code: its spec layer, or why there is none."""

    def __init__(self, interp, class_name: str, node: ast.Call, args: list, kwargs: dict):
        self.class_name = class_name
        self.location = location(node)
        self.arguments = keyword_locations(node)
        positional = KERAS_POSITIONAL.get(class_name, ())
        self.texts = {k.arg: interp.source.segment(k.value) for k in node.keywords if k.arg}
        for name, arg in zip(positional, node.args, strict=False):
            if not isinstance(arg, ast.Starred):
                self.arguments.setdefault(name, location(arg))
                self.texts.setdefault(name, interp.source.segment(arg))
        self.layer: Optional[dict] = None
        self.rejected = False  # Keras raises on the constructor: what follows is not checked, silently
        self.calls: dict[int, list[str]] = {}  # id(graph) -> the nodes this one layer object made, call by call
        own = KERAS_POSITIONAL.get(class_name, ())
        self.input_kwargs = {k: kwargs[k] for k in INPUT_KEYWORDS if k in kwargs and k not in own}
        name = kwargs.get("name")
        self.name = name if isinstance(name, str) else interp.keras.namer.next(_keras_class(class_name))
        self._build(interp, node, args, kwargs)

    def _build(self, interp, node: ast.Call, args: list, kwargs: dict) -> None:
        if not self._exported(interp):
            return
        config = self._config(interp, node, args, kwargs)
        if config is None:
            return
        from ..importer.layers import map_layer

        mapped = map_layer(self.class_name, config, self.name, f"line {self.location.line}", saved=False)
        if mapped.layer is None:
            interp.tracer.not_modelled(f"{self.class_name}: {mapped.errors[0].message}", self.location,
                                       "shapes after it are not checked")
            return
        mapped.layer.pop("name", None)
        self.layer = mapped.layer

    def _exported(self, interp) -> bool:
        """False after reporting a catalog alias that keras.layers does not export (GroupedQueryAttention is
        keras.layers.GroupQueryAttention): Keras code naming it raises AttributeError."""
        from ..spec.catalog import layer_class

        cls = layer_class(self.class_name)
        if cls is None or self.class_name in KERAS_KEYWORDS:
            return True
        interp.tracer.report(codes.PY_REJECTED_ARGUMENT(
            f"keras.layers has no {self.class_name}: Keras raises AttributeError; the layer is "
            f"keras.layers.{cls.type_names()[0]}", hint=f"write layers.{cls.type_names()[0]}", location=self.location,
            file=interp.tracer.file, layer=self.name))
        self.rejected = True
        return False

    def _config(self, interp, node: ast.Call, args: list, kwargs: dict) -> Optional[dict]:
        """Keras's keyword form of the call, every value known; None after reporting why not."""
        positional = KERAS_POSITIONAL.get(self.class_name, ())
        if len(args) > len(positional):
            interp.tracer.not_modelled(f"{self.class_name} called with {len(args)} positional arguments",
                                       self.location, "shapes after it are not checked")
            return None
        config = dict(zip(positional, args, strict=False))
        for key, value in kwargs.items():
            if not self._accepted(interp, key, value):
                return None
            config[key] = value
        out = {}
        for key, value in config.items():
            if key.endswith(TRAINING_ONLY_SUFFIXES) or key in self.input_kwargs or key == "name":
                continue
            value = self._plain(interp, key, value)
            if isinstance(value, Unknown):
                where = self.arguments.get(key, self.location)
                interp.tracer.not_evaluated(self.texts.get(key) or value.expression or key, where,
                                            f"{self.class_name}'s {key}: shapes from here on are not checked")
                return None
            out[key] = value
        return out

    def _accepted(self, interp, key: str, value: Any) -> bool:
        accepted = KERAS_KEYWORDS.get(self.class_name)
        if accepted is None or key in accepted:
            return True
        where = self.arguments.get(key, self.location)
        fix = keras1_fix(self.class_name, key, value)
        if fix is not None:
            message = (f"{self.class_name}({key}=...): {key!r} is a Keras 1 argument; Keras 3 raises "
                       f"\"Unrecognized keyword arguments passed to {_keras_class(self.class_name)}\"")
            hint = f"{fix} (the Keras 2/3 spelling)"
        else:
            from ..diagnostics.suggest import suggest

            guess = suggest(key, sorted(accepted))
            message = f"{self.class_name} has no argument {key!r}: Keras raises \"Unrecognized keyword arguments\""
            hint = f"did you mean {guess[0]!r}?" if guess else "see the layer's arguments in the Keras documentation"
        interp.tracer.report(codes.PY_REJECTED_ARGUMENT(message, hint=hint, location=where, file=interp.tracer.file,
                                                        layer=self.name))
        self.rejected = True
        return False

    def _plain(self, interp, key: str, value: Any) -> Any:
        if key in ("activation", "recurrent_activation"):
            if isinstance(value, Ref) and value.qualname.rsplit(".", 1)[0] in ACTIVATION_MODULES:
                return value.qualname.rsplit(".", 1)[-1]
            if value is None:
                return "linear"
        if key == "layer" and isinstance(value, KerasLayer):
            if value.layer is None:
                return Unknown(f"the layer inside {self.class_name}")
            return {"class_name": value.layer["type"], "config": {k: v for k, v in value.layer.items() if k != "type"}}
        return value if V.plain(value) else Unknown(_expression(value))

    def call(self, interp, node: ast.Call, args: list, kwargs: dict) -> Any:
        from ..spec.catalog import layer_class

        cls = layer_class(self.class_name)
        if cls is not None and not cls.CALL.as_list and len(cls.CALL.tensors) > 1:
            return call_with_signature(interp, self, cls.CALL, node, args, kwargs)
        if cls is not None and cls.CALL.as_list and cls.CALL.options:  # Attention([q, v], return_attention_scores=...)
            if not args or not isinstance(args[0], (list, tuple)):
                return Sym(None, graph=interp.keras.graph)
            return call_with_signature(interp, self, cls.CALL, node, [*args[0], *args[1:]], kwargs)
        if not args:
            return Unknown(interp.source.segment(node))
        return interp.keras.apply(interp, self, args[0], location(node))


def call_with_signature(interp, layer: KerasLayer, call, node: ast.Call, args: list, kwargs: dict) -> Any:
    """A layer whose call takes several tensors (spec/call.py): `mha(q, v, key=k, attention_mask=m,
    use_causal_mask=True)`. Positional tensors by position or by their keyword, keyword tensors and call options
    become the spec layer's fields; with several outputs (return_attention_scores=True) a tuple of them."""
    tensors = list(args) + [kwargs[name] for name in call.tensors[len(args):] if name in kwargs]
    keywords = {name: kwargs[name] for name in call.keyword_tensors if kwargs.get(name) is not None}
    options = {name: kwargs[name] for name in call.options if name in kwargs}
    unknown = [k for k in kwargs if k not in (*call.tensors, *call.keyword_tensors, *call.options, "training")]
    if unknown or not all(isinstance(v, bool) for v in options.values()) or layer.layer is None:
        if unknown:
            interp.tracer.not_modelled(f"{layer.class_name} called with {unknown[0]}=...", location(node),
                                       "shapes after it are not checked")
        return Sym(None, graph=interp.keras.graph)
    symbols = tensors + list(keywords.values())
    if not all(isinstance(s, Sym) for s in symbols) or len({id(s.graph) for s in symbols}) != 1:
        return Sym(None, graph=interp.keras.graph)
    out = apply_layer(interp, symbols[0].graph or interp.keras.graph, layer, symbols, location(node), options,
                      list(keywords))
    if options.get("return_attention_scores"):
        from ..spec.call import output_reference

        scores = Sym(None, graph=out.graph) if not out.known else Sym(
            out.graph.extra_outputs[out.producer][0], output_reference(out.producer, call.outputs[1]), out.graph)
        return out, scores
    return out


def keras1_fix(class_name: str, key: str, value: Any) -> Optional[str]:
    """What Keras 2's legacy interfaces made of a Keras 1 keyword: `write padding=` (with the value translated when
    it changed too: dim_ordering='tf' is data_format='channels_last'), or None for a name Keras 1 did not have."""
    per_layer = KERAS1_LAYER_ARGUMENTS.get(class_name, {})
    if key in per_layer:
        names = per_layer[key]
        return "write " + " and ".join(f"{n}=" for n in names) if names else "remove it (Keras 2 dropped it)"
    renamed = KERAS1_ARGUMENTS.get(key)
    if renamed is None:
        return None
    translated = KERAS1_VALUES.get(key, {}).get(value) if isinstance(value, str) else None
    return f"write {renamed}={translated!r}" if translated is not None else f"write {renamed}="


def _expression(value: Any) -> str:
    if isinstance(value, Unknown):
        return value.expression
    if isinstance(value, Ref):
        return value.qualname
    if isinstance(value, KerasLayer):
        return f"a {value.class_name} layer object"
    return type(value).__name__


def _keras_class(type_name: str) -> str:
    """The class Keras 3 instantiates for a name or alias (Convolution2D is Conv2D)."""
    from ..spec.catalog import layer_class

    cls = layer_class(type_name)
    return cls.type_names()[0] if cls is not None else type_name


def keyword_locations(node: ast.Call) -> dict[str, Location]:
    return {k.arg: Location(k.lineno, k.col_offset + 1) for k in node.keywords if k.arg}


def merge_function(interp, function: str, node: ast.Call, args: list, kwargs: dict) -> Any:
    """layers.add([a, b], **kwargs) is layers.Add(**kwargs)([a, b])."""
    class_name, params = KERAS_FUNCTIONS[function]
    named = dict(zip(params, args, strict=False))
    inputs = named.pop("inputs", kwargs.pop("inputs", None))
    layer = KerasLayer(interp, class_name, node, [], {**named, **kwargs})
    return interp.keras.apply(interp, layer, inputs, location(node))


def input_tensor(interp, node: ast.Call, args: list, kwargs: dict) -> Any:
    """keras.Input(shape=..., batch_size=None, dtype=None, ..., name=None, batch_shape=None)."""
    shape = args[0] if args else kwargs.get("shape")
    if shape is None and kwargs.get("batch_shape") is not None:
        batch_shape = V.literal_shape(kwargs["batch_shape"])
        shape = batch_shape[1:] if batch_shape else Unknown(interp.source.segment(node))
    dims = V.literal_shape(shape)
    if isinstance(shape, int) and not isinstance(shape, bool):
        interp.tracer.report(codes.INVALID_VALUE(
            f"keras.Input(shape={shape}): a number, not a shape: Keras raises \"Cannot convert '{shape}' to a shape\"",
            location=location(node), file=interp.tracer.file, hint=f"write shape=({shape},)"))
        return Sym(None, graph=interp.keras.graph)
    dtype = kwargs.get("dtype", "float32")
    name = kwargs.get("name")
    graph = interp.keras.graph
    where = location(node)
    if dims is None or not isinstance(dtype, str):
        interp.tracer.not_evaluated(interp.source.segment(node), where, "the model's shapes are not checked")
        return Sym(None, graph=graph)
    base = name if isinstance(name, str) else interp.keras.namer.next("InputLayer")
    producer = graph.add_input(base, Tensor(dims, dtype), where)
    return Sym(Tensor(dims, dtype), producer, graph)


def input_from_keywords(interp, layer: KerasLayer) -> Optional[Tensor]:
    """The input a first layer declares: input_shape=(28, 28, 1), input_dim=784, batch_input_shape=(None, 10)."""
    kw = layer.input_kwargs
    if "input_shape" in kw:
        dims = V.literal_shape(kw["input_shape"])
        if isinstance(kw["input_shape"], int):
            _not_a_shape(interp, layer, "input_shape", kw["input_shape"])
            return None
    elif "batch_input_shape" in kw or "batch_shape" in kw:
        full = V.literal_shape(kw.get("batch_input_shape", kw.get("batch_shape")))
        dims = full[1:] if full else None
    elif "input_dim" in kw:
        dims = V.literal_shape(kw["input_dim"])
    else:
        return None
    if dims is None:
        interp.tracer.not_evaluated(_expression(next(iter(kw.values()))), layer.location,
                                    "the model's shapes are not checked")
        return None
    return Tensor(dims)


def _not_a_shape(interp, layer: KerasLayer, key: str, value: int) -> None:
    interp.tracer.report(codes.INVALID_VALUE(
        f"{key}={value} is a number, not a shape: Keras raises \"Cannot convert '{value}' to a shape\"",
        location=layer.arguments.get(key, layer.location), file=interp.tracer.file, layer=layer.name,
        hint=f"write {key}=({value},) (a one-axis shape needs the comma)"))


def apply_layer(interp, graph: Graph, layer: KerasLayer, inputs: list[Sym], where: Location,
                options: Optional[dict] = None, keywords: Optional[list[str]] = None) -> Sym:
    """Add one call of a Keras layer object; `options` are its call options (use_causal_mask=True), the last
    len(`keywords`) inputs its keyword tensors (attention_mask=m), both fields of the spec layer (spec/call.py)."""
    if layer.layer is None or any(not s.known for s in inputs):
        return Sym(None, graph=graph)
    calls = layer.calls.setdefault(id(graph), [])
    spec_layer = {**layer.layer, **(options or {})}
    name = layer.name
    if calls:  # the same layer object called again: its weights are shared (the importer's naming of later calls)
        spec_layer["shares"] = calls[0]
        name = f"{layer.name}_call_{len(calls) + 1}"
    producers = [s.producer for s in inputs]
    keywords = keywords or []
    for field_name, producer in zip(keywords, producers[len(producers) - len(keywords):], strict=True):
        spec_layer[field_name] = producer  # the graph's edges list positional tensors, then keyword ones
    node = Node(graph.unique(name), spec_layer, producers, layer.location, where, layer.arguments)
    calls.append(node.name)
    if inputs[0].producer in graph.inputs and layer.input_kwargs:
        node.arguments = {**node.arguments, INPUT_ARGUMENT: layer.arguments[next(iter(layer.input_kwargs))]}
    return interp.tracer.apply(graph, node, inputs, f"layer {layer.name!r}")
