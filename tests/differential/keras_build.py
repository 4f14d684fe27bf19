"""Build a spec in real Keras 3 with the functional API: one keras.layers.<kind>(**layer.keras_arguments()) each.

Shared by the fixture differential test (tests/fixtures/test_differential_keras.py) and the generated-spec
campaign (tests/differential/). Imports Keras only through the `keras` module handed in.
"""

from __future__ import annotations

import inspect
from typing import Any, Optional

from keras_helpers import count_weights

from specbridge.shapes.graph import build_graph
from specbridge.spec.layers.conv import ConvBase, ConvTranspose
from specbridge.spec.layers.merging import Merge

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


def make_layer(keras, spec_layer, name: Optional[str], data_format: str):
    """One Keras layer for one spec layer (a wrapper builds the layer it wraps first, as Keras code does)."""
    args = {k: tuples(v) for k, v in spec_layer.keras_arguments().items()}
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
    args = {k: tuples(v) for k, v in raw.items() if k not in _NOT_KERAS}
    if isinstance(args.get("layer"), dict):
        args["layer"] = make_raw_layer(keras, raw["layer"], None, data_format)
    cls = getattr(keras.layers, raw["type"])
    if "data_format" in inspect.signature(cls.__init__).parameters and args.get("data_format") is None:
        args["data_format"] = data_format
    return cls(**args, **({} if name is None else {"name": name}))


def call_layer(layer, ins: list, merge: bool):
    """Call a layer on its input tensors: a merge takes the list, any other layer its single input."""
    return layer(ins if merge or len(ins) != 1 else ins[0])


def build_keras(keras, doc, raw_layers: Optional[list[dict]] = None):
    """(model, {spec layer name: keras layer}) for a document; raises BuildFailure.

    `raw_layers` (the spec's `layers:` mappings) lets a layer that the schema refused be built from its mapping.
    """
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
            ins = [tensors[n] for n in graph.edges[index]]
            tensors[entry.name] = call_layer(layer, ins, merge)
        except Exception as exc:  # Keras's refusal, whatever its type
            raise BuildFailure(entry.name, exc) from exc
        built[entry.name] = layer
    try:
        model = keras.Model([tensors[n] for n in graph.inputs], [tensors[n] for n in graph.outputs])
    except Exception as exc:
        raise BuildFailure(None, exc) from exc
    return model, built


def keras_numbers(layer, call: int = 0) -> tuple[tuple, int, int, int]:
    """(output shape without batch, params, trainable, non-trainable) as Keras reports them; `call`: which call of
    a layer object called more than once (its node: `layer.output` holds only a single call's)."""
    output = layer.output if call == 0 and len(layer._inbound_nodes) == 1 else layer._inbound_nodes[call].outputs[0]
    shape = tuple(None if d is None else int(d) for d in output.shape[1:])
    trainable, frozen = count_weights(layer.trainable_weights), count_weights(layer.non_trainable_weights)
    assert trainable + frozen == layer.count_params()
    return shape, layer.count_params(), trainable, frozen
