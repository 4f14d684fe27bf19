"""Build a spec in real Keras 3 with the functional API: one keras.layers.<kind>(**layer.keras_arguments()) each,
and for an op node (`ops.<function>`) the keras.ops function called on its tensors, as a user would write it.

Shared by the fixture differential test (tests/fixtures/test_differential_keras.py) and the generated-spec
campaign (tests/differential/). Imports Keras only through the `keras` module handed in.
"""

from __future__ import annotations

import inspect
import itertools
from typing import Any, Optional

from keras_helpers import count_weights

from specbridge.emit.keras_activations import FUNCTION_SOURCES
from specbridge.shapes.graph import build_graph
from specbridge.spec.base import FUNCTION_ACTIVATIONS
from specbridge.spec.call import output_reference
from specbridge.spec.catalog import layer_class
from specbridge.spec.index_key import parse_key
from specbridge.spec.layers.conv import ConvBase, ConvTranspose
from specbridge.spec.layers.merging import Merge
from specbridge.spec.layers.ops import Op

# Fields of a spec layer that are not Keras constructor arguments (for raw dicts the schema refused).
_NOT_KERAS = {"type", "name", "inputs", "expect", "shares", "in_channels", "in_features", "input_size"}
MERGE_TYPES = {"Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"}


class BuildFailure(Exception):
    """Keras refused the model; `layer` is the spec layer being built (None: the Model itself)."""

    def __init__(self, layer: Optional[str], cause: Exception):
        super().__init__(f"{layer}: {type(cause).__name__}: {cause}")
        self.layer, self.cause = layer, cause


def tuples(value):
    """Keras wants tuples where the spec (JSON/YAML) has lists."""
    if isinstance(value, list):
        return tuple(tuples(v) for v in value)
    return value


_FUNCTIONS: dict = {}


def activations(keras, args: dict) -> dict:
    """An activation that is a function call rather than a Keras name (FUNCTION_ACTIVATIONS: gelu_approximate) as
    that function, registered as the emitted Keras code registers it (a wrapper such as Bidirectional copies its
    layer through its config, which names a registered function; a lambda would need its source)."""
    out = dict(args)
    for key in ("activation", "recurrent_activation"):
        name = out.get(key)
        if name in FUNCTION_ACTIVATIONS:
            if name not in _FUNCTIONS:
                namespace = {"keras": keras}
                exec(FUNCTION_SOURCES[name], namespace)  # noqa: S102 - the emitter's own definition
                _FUNCTIONS[name] = namespace[name]
            out[key] = _FUNCTIONS[name]
    return out


def make_layer(keras, spec_layer, name: Optional[str], data_format: str):
    """One Keras layer for one spec layer (a wrapper builds the layer it wraps first, as Keras code does)."""
    args = activations(keras, {k: tuples(v) for k, v in spec_layer.keras_arguments().items()})
    fields = type(spec_layer).model_fields
    if "data_format" in fields and args.get("data_format") is None:
        args["data_format"] = data_format
    if "layer" in fields:
        args["layer"] = make_layer(keras, spec_layer.layer, None, data_format)
    if name is not None:
        args["name"] = name
    padding = getattr(spec_layer, "padding", None)
    if isinstance(spec_layer, ConvBase) and not isinstance(padding, str):
        # PyTorch-style explicit padding p: zero-pad p on each side, then a 'valid' convolution.
        if isinstance(spec_layer, ConvTranspose):
            raise NotImplementedError("explicit padding on transposed convolutions is not built here")
        if spec_layer.RANK == 1 and isinstance(padding, list):
            padding = padding[0]  # ZeroPadding1D takes an int or a (before, after) pair, not a 1-tuple
        pad = getattr(keras.layers, f"ZeroPadding{spec_layer.RANK}D")(padding=tuples(padding), data_format=args["data_format"])
        conv = getattr(keras.layers, spec_layer.kind)(**{**args, "padding": "valid", "name": None})
        return keras.Sequential([pad, conv], name=name)
    return getattr(keras.layers, spec_layer.kind)(**args)


def make_raw_layer(keras, raw: dict[str, Any], name: Optional[str], data_format: str):
    """The same from a layer's raw mapping, for a layer the spec schema refused (Keras may still take it)."""
    args = activations(keras, {k: tuples(v) for k, v in raw.items() if k not in _NOT_KERAS})
    if isinstance(args.get("layer"), dict):
        args["layer"] = make_raw_layer(keras, raw["layer"], None, data_format)
    cls = getattr(keras.layers, raw["type"])
    if "data_format" in inspect.signature(cls.__init__).parameters and args.get("data_format") is None:
        args["data_format"] = data_format
    return cls(**args, **({} if name is None else {"name": name}))


def call_layer(layer, ins: list, merge: bool, spec_layer=None):
    """Call a layer on its input tensors: a merge takes the list, any other layer its single input; a spec layer
    with a call signature beyond one tensor (attention) as its CALL says: positional or list tensors, keyword
    tensors, the call options it sets."""
    if spec_layer is None or spec_layer.CALL.single or isinstance(spec_layer, Merge):
        return layer(ins if merge or len(ins) != 1 else ins[0])
    positional, keyword = spec_layer.bind(ins)
    options = {name: getattr(spec_layer, name) for name in spec_layer.CALL.options}
    if spec_layer.CALL.as_list:
        return layer(positional, **keyword, **options)
    return layer(*positional, **keyword, **options)


def call_op(keras, function: str, call, constants: dict, fields: dict, ins: list):
    """An op node as a user writes it: keras.ops.<function>(tensors, numbers in place of the tensors the spec gives
    as numbers (`x2: 3.0`), the other fields as keyword arguments (lists as tuples)); get_item is Python's `x[key]`.
    Written from the keras.ops signatures alone, not from specbridge's Keras emitter (emit/keras_ops.py), so that
    the build referees it."""
    if function == "get_item":
        (x,) = ins
        key = fields["key"]
        try:
            items = parse_key(key)
        except ValueError:  # a key the schema refused: Python's own reading of it
            return eval(f"x[{key}]", {"x": x})  # noqa: S307 - a generated test string
        # As Python reads `x[:]` (one item, no comma: the item itself) and `x[:, 0]` or `x[:,]` (a tuple).
        return x[items[0]] if len(items) == 1 and not key.strip().strip("[]").rstrip().endswith(",") else x[items]
    fn = getattr(keras.ops, function)
    fields = {k: tuples(v) for k, v in fields.items() if k not in call.tensors}
    tensors = list(ins)
    if call.as_list:
        operands = [tensors]
    elif call.variadic:
        operands = tensors
    else:
        operands, late = [], {}
        for name in call.tensors:  # positional until the first argument neither a tensor nor a number gives
            if name in constants and not late:
                operands.append(constants[name])
            elif name in constants:
                late[name] = constants[name]
            elif tensors and not late:
                operands.append(tensors.pop(0))
            else:
                late[name] = None
        operands += tensors  # surplus tensors: Keras refuses the extra argument
        fields.update({k: v for k, v in late.items() if v is not None})
    params = list(inspect.signature(fn).parameters.values())
    leading = []
    if any(p.kind is p.VAR_POSITIONAL for p in params):  # einsum(subscripts, *operands)
        before = itertools.takewhile(lambda p: p.kind is not p.VAR_POSITIONAL, params)
        leading = [fields.pop(p.name) for p in before if p.name in fields]
    return fn(*leading, *operands, **fields)


def call_spec_op(keras, spec_layer: Op, ins: list):
    tensors, _ = spec_layer.bind(ins)
    fields = spec_layer.keras_arguments()
    return call_op(keras, spec_layer.function(), spec_layer.CALL, spec_layer.constants(), fields, tensors)


def call_raw_op(keras, raw: dict[str, Any], ins: list):
    """The same from the raw mapping of an op node the schema refused."""
    cls = layer_class(raw["type"])
    if cls is None or not issubclass(cls, Op):
        raise ValueError(f"keras.ops has no {raw['type']!r}")
    constants = {k: raw[k] for k in cls.CALL.tensors if k in raw and raw[k] is not None}
    fields = {k: v for k, v in raw.items() if k not in _NOT_KERAS}
    return call_op(keras, cls.function(), cls.CALL, constants, fields, ins)


def output_tensors(spec_name: str, spec_layer, result) -> dict:
    """{tensor reference: Keras tensor} of one call's result: its output, then its extra outputs (`mha.scores`)."""
    if spec_layer is None or len(spec_layer.output_names()) == 1:
        return {spec_name: result}
    names = [spec_name] + [output_reference(spec_name, n) for n in spec_layer.output_names()[1:]]
    return dict(zip(names, result, strict=True))  # ops.split's list of parts: NAME, NAME.1, ...


def producer(tensor):
    """The Keras operation that computed a tensor (an op node has no layer object of its own)."""
    return tensor._keras_history.operation


def build_keras(keras, doc, raw_layers: Optional[list[dict]] = None):
    """(model, {spec layer name: keras layer}) for a document; raises BuildFailure. An op node's entry is the
    keras.ops operation its call created.

    `raw_layers` (the spec's `layers:` mappings) lets a layer that the schema refused be built from its mapping.
    """
    model, built, _ = build_keras_tensors(keras, doc, raw_layers)
    return model, built


def build_keras_tensors(keras, doc, raw_layers: Optional[list[dict]] = None):
    """(model, built, {tensor reference: Keras tensor}): build_keras, with every tensor the spec can name (inputs,
    layer outputs, extra outputs such as `mha.scores` and `parts.1`)."""
    header = doc.header
    graph = build_graph(doc, [])
    tensors = {
        inp.name: keras.Input(shape=tuple(inp.shape), dtype=inp.dtype, name=inp.name)
        for inp in header.named_inputs()
    }
    built = {}
    for index in graph.order:
        entry = doc.entries[index]
        try:
            ins = [tensors[n] for n in graph.edges[index]]
            raw_op = entry.layer is None and raw_layers is not None and str(raw_layers[index]["type"]).startswith("ops.")
            if isinstance(entry.layer, Op) or raw_op:
                op = call_raw_op(keras, raw_layers[index], ins) if raw_op else call_spec_op(keras, entry.layer, ins)
                if isinstance(op, (list, tuple)) and len(op) == 1:  # ops.split into one part
                    op = op[0]
                tensors.update(output_tensors(entry.name, entry.layer, op))
                built[entry.name] = producer(op[0] if isinstance(op, (list, tuple)) else op)
                continue
            if entry.layer is None and raw_layers is not None:
                raw = raw_layers[index]
                layer = make_raw_layer(keras, raw, entry.name, header.data_format)
                merge = raw["type"] in MERGE_TYPES
            elif getattr(entry.layer, "shares", None):  # the same Keras layer object, called again
                layer = built[entry.layer.shares]
                merge = isinstance(entry.layer, Merge)
            else:
                layer = make_layer(keras, entry.layer, entry.name, header.data_format)
                merge = isinstance(entry.layer, Merge)
            tensors.update(output_tensors(entry.name, entry.layer, call_layer(layer, ins, merge, entry.layer)))
        except Exception as exc:  # Keras's refusal, whatever its type
            raise BuildFailure(entry.name, exc) from exc
        built[entry.name] = layer
    try:
        model = keras.Model([tensors[n] for n in graph.inputs], [tensors[n] for n in graph.outputs])
    except Exception as exc:
        raise BuildFailure(None, exc) from exc
    return model, built, tensors


def keras_numbers(layer, call: int = 0) -> tuple[tuple, int, int, int]:
    """(output shape without batch, params, trainable, non-trainable) as Keras reports them; `call`: which call of
    a layer object called more than once (its node: `layer.output` holds only a single call's)."""
    output = layer._inbound_nodes[call].outputs[0]
    shape = tuple(None if d is None else int(d) for d in output.shape[1:])
    if not hasattr(layer, "count_params"):  # a keras.ops operation: no weights
        return shape, 0, 0, 0
    trainable, frozen = count_weights(layer.trainable_weights), count_weights(layer.non_trainable_weights)
    assert trainable + frozen == layer.count_params()
    return shape, layer.count_params(), trainable, frozen
