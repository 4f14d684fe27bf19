"""The functional models of the mask sweep (tests/shapes/test_masks.py), generated as spec mappings: a source that
makes a mask (Embedding(mask_zero=True), Masking) or none, then the layers under test, wired by name.

Each case is (id, spec mapping); the test builds the same spec in Keras (tests/differential/keras_build.py) and
compares, layer by layer, the `_keras_mask` Keras attaches with specbridge's record.output.mask, then runs both
verdicts on data. Sizes are picked so that no two axes, nor the batch (BATCH), share a size by accident: a mask
that lines up with the wrong axis must fail, not broadcast.
"""

from __future__ import annotations

import itertools

import numpy as np

BATCH = 11
STEPS, WIDTH, FEATURES = 7, 3, 4  # a sequence (STEPS, FEATURES), a grid (5, WIDTH, FEATURES)
ROWS = 5
OTHER_STEPS = 9  # the value sequence of cross-attention
VOCAB = 20

# --- sources: (inputs, layers), the tensor under test named "src" ------------------------------------------


def _ids(name: str, shape) -> dict:
    return {"name": name, "shape": list(shape), "dtype": "int32"}


def _floats(name: str, shape) -> dict:
    return {"name": name, "shape": list(shape)}


def _embedding(name: str, ids: str, mask_zero: bool = True) -> dict:
    return {"name": name, "type": "Embedding", "input_dim": VOCAB, "output_dim": FEATURES, "mask_zero": mask_zero,
            "inputs": [ids]}


SOURCES = {
    # sequences (STEPS, FEATURES) with a (STEPS,) mask, and one without a mask
    "emb": ([_ids("ids", (STEPS,))], [_embedding("src", "ids")]),
    "masking": ([_floats("x", (STEPS, FEATURES))],
                [{"name": "src", "type": "Masking", "mask_value": 0.0, "inputs": ["x"]}]),
    "plain": ([_ids("ids", (STEPS,))], [_embedding("src", "ids", mask_zero=False)]),
    # grids (ROWS, WIDTH, FEATURES) with a (ROWS, WIDTH) mask
    "emb2d": ([_ids("ids", (ROWS, WIDTH))], [_embedding("src", "ids")]),
    "masking2d": ([_floats("x", (ROWS, WIDTH, FEATURES))],
                  [{"name": "src", "type": "Masking", "mask_value": 1.5, "inputs": ["x"]}]),
    # a mask of one more axis: (STEPS, 1), and (3, 4, 4) over a sequence of images
    "masking_thin": ([_floats("x", (STEPS, 1, FEATURES))], [{"name": "src", "type": "Masking", "inputs": ["x"]}]),
    "masking_video": ([_floats("x", (3, 4, 4, 2))], [{"name": "src", "type": "Masking", "inputs": ["x"]}]),
    # a vector (FEATURES,): Masking's mask has no axis but the batch
    "masking1d": ([_floats("x", (FEATURES,))], [{"name": "src", "type": "Masking", "inputs": ["x"]}]),
}
SEQUENCES = ("emb", "masking", "plain")
GRIDS = ("emb2d", "masking2d")


def model(source: str, layers: list[dict], extra_inputs=(), extra_layers=()) -> dict:
    """A spec: the source, then `layers` (each reading the previous one unless it names its inputs); every layer
    no other layer reads is an output."""
    inputs, first = SOURCES[source]
    chain, previous = [], "src"
    for i, layer in enumerate(layers):
        layer = {"name": layer.get("name", f"l{i}"), **layer}
        layer.setdefault("inputs", [previous])
        chain.append(layer)
        previous = layer["name"]
    every = [*first, *extra_layers, *chain]
    read = {n for layer in every for n in layer["inputs"]}
    return {"specbridge": 1, "name": "masks", "inputs": [*inputs, *extra_inputs], "layers": every,
            "outputs": [layer["name"] for layer in every if layer["name"] not in read]}


# A second masked sequence of the same length (merges), and a masked and an unmasked one of another (cross-attention).
SECOND = ([_ids("ids2", (STEPS,))], [_embedding("src2", "ids2")])
PLAIN = ([_floats("plain_x", (STEPS, FEATURES))], [{"name": "plain", "type": "Identity", "inputs": ["plain_x"]}])
LONG = ([_ids("ids3", (OTHER_STEPS,))], [_embedding("long", "ids3")])
LONG_PLAIN = ([_floats("long_x", (OTHER_STEPS, FEATURES))],
              [{"name": "long_plain", "type": "Identity", "inputs": ["long_x"]}])
GRID_PLAIN = ([_floats("plain_x", (ROWS, WIDTH, FEATURES))],
              [{"name": "plain", "type": "Identity", "inputs": ["plain_x"]}])
GRID_SECOND = ([_ids("ids2", (ROWS, WIDTH))], [_embedding("src2", "ids2")])


def with_others(source: str, others, layers: list[dict]) -> dict:
    inputs = [i for other in others for i in other[0]]
    extra = [layer for other in others for layer in other[1]]
    return model(source, layers, inputs, extra)


# --- the layers under test ---------------------------------------------------------------------------------

# Layers of MASKING "keeps", on a sequence (and on a grid, where Keras accepts them): the output keeps the mask.
KEEPS = [
    {"type": "Dense", "units": FEATURES},
    {"type": "Dense", "units": 6, "activation": "relu"},
    {"type": "Dropout", "rate": 0.5},
    {"type": "Activation", "activation": "tanh"},
    {"type": "ReLU"},
    {"type": "LeakyReLU"},
    {"type": "ELU"},
    {"type": "PReLU"},
    {"type": "Identity"},
    {"type": "BatchNormalization"},
    {"type": "LayerNormalization"},
    {"type": "GroupNormalization", "groups": 2},
    {"type": "UnitNormalization"},
    {"type": "Rescaling", "scale": 2.0, "offset": 1.0},
    {"type": "Normalization", "mean": 0.5, "variance": 2.0},
    {"type": "TimeDistributed", "layer": {"type": "Dense", "units": FEATURES}},
    {"type": "TimeDistributed", "layer": {"type": "LayerNormalization"}},
]
KEEPS_SEQUENCE = [*KEEPS, {"type": "SpatialDropout1D", "rate": 0.5}]
KEEPS_GRID = [*KEEPS, {"type": "SpatialDropout2D", "rate": 0.5}]

# Layers of MASKING "drops" (no mask support): the mask stops.
DROPS_SEQUENCE = [
    {"type": "Conv1D", "filters": 2, "kernel_size": 3},
    {"type": "Conv1DTranspose", "filters": 2, "kernel_size": 3},
    {"type": "DepthwiseConv1D", "kernel_size": 3},
    {"type": "SeparableConv1D", "filters": 2, "kernel_size": 3},
    {"type": "MaxPooling1D"},
    {"type": "AveragePooling1D", "pool_size": 2},
    {"type": "GlobalMaxPooling1D"},
    {"type": "EinsumDense", "equation": "abc,cd->abd", "output_shape": [STEPS, 2]},
    {"type": "RMSNormalization"},
    {"type": "ZeroPadding1D"},
    {"type": "Cropping1D"},
    {"type": "UpSampling1D"},
    {"type": "Flatten"},
    {"type": "Reshape", "target_shape": [FEATURES, STEPS]},
    {"type": "Permute", "dims": [2, 1]},
]
DROPS_GRID = [
    {"type": "Conv2D", "filters": 2, "kernel_size": 2},
    {"type": "MaxPooling2D"},
    {"type": "GlobalAveragePooling2D"},
    {"type": "ZeroPadding2D"},
    {"type": "UpSampling2D"},
    {"type": "Cropping2D", "cropping": 1},
    {"type": "Resizing", "height": 4, "width": 2},
    {"type": "CenterCrop", "height": 3, "width": 2},
]
# Layers without mask support that return their input tensor itself at inference, mask included: the symbolic
# build drops the mask, the run does not (RandomCrop of the input's own size crops nothing).
RUN_KEEPS_GRID = [
    {"type": "RandomFlip"},
    {"type": "RandomRotation", "factor": 0.1},
    {"type": "RandomZoom", "height_factor": 0.1},
    {"type": "RandomContrast", "factor": 0.1},
    {"type": "RandomTranslation", "height_factor": 0.1, "width_factor": 0.1},
    {"type": "RandomCrop", "height": ROWS, "width": WIDTH},
]

# What reads the mask after them (None: nothing), on a sequence and on a grid.
TAILS_SEQUENCE = [
    None,
    {"type": "LSTM", "units": 2, "return_sequences": True},
    {"type": "GRU", "units": 2},
    {"type": "GlobalAveragePooling1D"},
    {"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 2, "self": True},
    {"type": "Bidirectional", "layer": {"type": "SimpleRNN", "units": 2, "return_sequences": True}},
]
TAILS_GRID = [
    None,
    {"type": "TimeDistributed", "layer": {"type": "LSTM", "units": 2}},
    {"type": "TimeDistributed", "layer": {"type": "GlobalAveragePooling1D"}},
    {"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 2, "self": True},
]


def _tail(tail: dict, previous: str) -> dict:
    tail = dict(tail)
    if tail.pop("self", False):
        tail["inputs"] = [previous, previous]
    return tail


def chain(source: str, layers: list) -> dict:
    """source -> layers..., a `self: True` attention layer reading the previous layer as query and value."""
    out, previous = [], "src"
    for i, layer in enumerate(x for x in layers if x is not None):
        out.append({"name": f"l{i}", **_tail(layer, previous)})
        previous = out[-1]["name"]
    return model(source, out)


def _id(*parts) -> str:
    words = []
    for part in parts:
        if isinstance(part, dict):
            inner = part.get("layer")
            words.append(part["type"] + (f"({inner['type']})" if inner else ""))
        elif part is not None:
            words.append(str(part))
    return "-".join(words)


def keeps_and_drops_cases():
    for source in SEQUENCES:
        for layer, tail in itertools.product(KEEPS_SEQUENCE, TAILS_SEQUENCE):
            yield _id(source, layer, tail), chain(source, [layer, tail])
        for layer in DROPS_SEQUENCE:
            yield _id(source, layer), chain(source, [layer, {"type": "Dense", "units": 2}])
    for source in GRIDS:
        for layer, tail in itertools.product(KEEPS_GRID, TAILS_GRID):
            yield _id(source, layer, tail), chain(source, [layer, tail])
        for layer in DROPS_GRID:
            yield _id(source, layer), chain(source, [layer, {"type": "Dense", "units": 2}])
        for layer in RUN_KEEPS_GRID:
            yield _id(source, layer), chain(source, [layer, {"type": "TimeDistributed", "layer": {
                "type": "GlobalAveragePooling1D"}}])
    # two keeping layers in a row, then a reader
    pairs = [(a, b) for a, b in itertools.product(KEEPS_SEQUENCE[::3], KEEPS_SEQUENCE[1::4])]
    for a, b in pairs:
        yield _id("emb", a, b, "LSTM"), chain("emb", [a, b, {"type": "LSTM", "units": 2}])
    yield "masking1d-Dense-RepeatVector", chain("masking1d", [{"type": "Dense", "units": 3}, {"type": "RepeatVector", "n": 2}])
    yield "masking1d-BatchNormalization", chain("masking1d", [{"type": "BatchNormalization"}, {"type": "ReLU"}])


def recurrent_cases():
    for source, kind, sequences, backwards, zeros in itertools.product(
            ("emb", "masking", "plain"), ("SimpleRNN", "LSTM", "GRU"), (True, False), (False, True), (False, True)):
        rnn = {"type": kind, "units": 3, "return_sequences": sequences, "go_backwards": backwards,
               "zero_output_for_mask": zeros}
        name = _id(source, kind, "seq" if sequences else "last", "backwards" if backwards else None,
                   "zeros" if zeros else None)
        yield name, chain(source, [rnn, {"type": "Dense", "units": 2}])
    for source, kind, sequences, mode in itertools.product(
            ("emb", "masking"), ("LSTM", "GRU"), (True, False), ("concat", "sum", "mul", "ave")):
        wrapped = {"type": "Bidirectional", "merge_mode": mode,
                   "layer": {"type": kind, "units": 2, "return_sequences": sequences}}
        yield _id(source, wrapped, mode, "seq" if sequences else "last"), chain(source, [wrapped, {"type": "Dense", "units": 2}])
    # stacked: the second layer reads the mask the first passes on
    for kind in ("LSTM", "GRU"):
        yield _id("emb", kind, "stacked"), chain("emb", [{"type": kind, "units": 3, "return_sequences": True},
                                                        {"type": kind, "units": 2, "return_sequences": True},
                                                        {"type": "GlobalAveragePooling1D"}])
    # ConvLSTM1D over (STEPS, 2, 2): the sequence mask reshaped per step by TimeDistributed
    for backwards in (False, True):
        yield _id("emb", "ConvLSTM1D", "backwards" if backwards else None), chain("emb", [
            {"type": "TimeDistributed", "layer": {"type": "Reshape", "target_shape": [2, 2]}},
            {"type": "ConvLSTM1D", "filters": 2, "kernel_size": 1, "return_sequences": True, "go_backwards": backwards},
            {"type": "ConvLSTM1D", "filters": 2, "kernel_size": 2}])


def per_position_cases():
    """Masks of more axes than the steps: Keras's recurrent loop lines each step's mask up with the step's output
    from the left (a ConvLSTM masks each position), and fails where a size differs."""
    for kernel, padding, sequences in itertools.product((1, 2, 3), ("valid", "same"), (True, False)):
        conv = {"type": "ConvLSTM1D", "filters": 2, "kernel_size": kernel, "padding": padding,
                "return_sequences": sequences}
        yield _id("masking2d", conv, kernel, padding, "seq" if sequences else None), chain("masking2d", [conv])
    for padding, backwards in itertools.product(("valid", "same"), (False, True)):
        conv = {"type": "ConvLSTM2D", "filters": 2, "kernel_size": 3, "padding": padding, "go_backwards": backwards}
        yield _id("masking_video", "ConvLSTM2D", padding, "backwards" if backwards else None), chain("masking_video", [conv])
    flatten = {"type": "TimeDistributed", "layer": {"type": "Flatten"}}
    for source, kind, units in itertools.product(("emb2d", "masking_thin"), ("SimpleRNN", "LSTM", "GRU"), (2, 3)):
        rnn = {"type": kind, "units": units, "return_sequences": units == 3}
        yield _id(source, "TimeDistributed(Flatten)", kind, units), chain(source, [flatten, rnn])
    for source, units in itertools.product(("emb2d", "masking_thin"), (2, 3)):
        wrapped = {"type": "Bidirectional", "layer": {"type": "GRU", "units": units}}
        yield _id(source, "TimeDistributed(Flatten)", wrapped, units), chain(source, [flatten, wrapped])


MERGES = ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")


def merge_cases():
    pairings = {  # the merge's inputs: the same mask, two masks, one masked input and one unmasked
        "same": (["src", "src"], []),
        "two": (["src", "src2"], [SECOND]),
        "first": (["src", "plain"], [PLAIN]),
        "second": (["plain", "src"], [PLAIN]),
        "none": (["plain", "plain"], [PLAIN]),
    }
    for kind, (pairing, (inputs, others)) in itertools.product(MERGES, pairings.items()):
        layers = [{"name": "m", "type": kind, "inputs": inputs}, {"type": "LSTM", "units": 2, "inputs": ["m"]}]
        yield _id(kind, pairing), with_others("emb", others, layers)
    for kind in ("Add", "Maximum", "Average"):  # three inputs, one unmasked
        for inputs in (["src", "src2", "src"], ["src", "src2", "plain"]):
            layers = [{"name": "m", "type": kind, "inputs": inputs}, {"type": "GRU", "units": 2, "inputs": ["m"]}]
            yield _id(kind, *inputs), with_others("emb", [SECOND, PLAIN], layers)
    for axis, (pairing, (inputs, others)) in itertools.product((-1, 1, 2, -2), pairings.items()):
        layers = [{"name": "m", "type": "Concatenate", "axis": axis, "inputs": inputs},
                  {"type": "LSTM", "units": 2, "inputs": ["m"], "return_sequences": True}]
        yield _id("Concatenate", f"axis{axis}", pairing), with_others("emb", others, layers)
    grid = {"same": (["src", "src"], []), "two": (["src", "src2"], [GRID_SECOND]),
            "first": (["src", "plain"], [GRID_PLAIN]), "second": (["plain", "src"], [GRID_PLAIN])}
    for axis, (pairing, (inputs, others)) in itertools.product((1, 2, 3, -1), grid.items()):
        layers = [{"name": "m", "type": "Concatenate", "axis": axis, "inputs": inputs},
                  {"type": "TimeDistributed", "layer": {"type": "GlobalAveragePooling1D"}, "inputs": ["m"]}]
        yield _id("grid", "Concatenate", f"axis{axis}", pairing), with_others("emb2d", others, layers)
    for axes, (pairing, (inputs, others)) in itertools.product((1, 2), pairings.items()):
        layers = [{"name": "m", "type": "Dot", "axes": axes, "inputs": inputs}, {"type": "Dense", "units": 2}]
        yield _id("Dot", f"axes{axes}", pairing), with_others("emb", others, layers)


ATTENTION = {
    "MultiHeadAttention": {"num_heads": 2, "key_dim": 2},
    "GroupQueryAttention": {"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1},
    "Attention": {},
    "AdditiveAttention": {},
}


def attention_cases():
    calls = {  # (query, value[, key]): which of them carry a mask
        "self": (["src", "src"], []),
        "query": (["src", "long_plain"], [LONG_PLAIN]),
        "value": (["plain", "long"], [PLAIN, LONG]),
        "both": (["src", "long"], [LONG]),
        "key": (["src", "long_plain", "long"], [LONG, LONG_PLAIN]),
        "key_only": (["plain", "long_plain", "long"], [PLAIN, LONG, LONG_PLAIN]),
    }
    for (kind, args), (call, (inputs, others)), causal in itertools.product(
            ATTENTION.items(), calls.items(), (False, True)):
        if causal and call not in ("self", "both"):
            continue
        layer = {"name": "att", "type": kind, **args, "inputs": inputs, **({"use_causal_mask": True} if causal else {})}
        layers = [layer, {"type": "GRU", "units": 2, "inputs": ["att"]}]
        yield _id(kind, call, "causal" if causal else None), with_others("emb", others, layers)
    # grid queries (ROWS, WIDTH, FEATURES): Keras combines the query and value masks as for sequences, which lines
    # up with the scores only when attention runs over the last axis before the features
    grid_calls = {"self": (["src", "src"], []), "query": (["src", "plain"], [GRID_PLAIN]),
                  "value": (["plain", "src"], [GRID_PLAIN])}
    for source, axes, (call, (inputs, others)) in itertools.product(
            GRIDS, (None, [1], [2], [1, 2], -2), grid_calls.items()):
        layers = [{"name": "att", "type": "MultiHeadAttention", "num_heads": 2, "key_dim": 2, "inputs": inputs,
                   **({} if axes is None else {"attention_axes": axes})}, {"type": "Dense", "units": 2}]
        yield _id(source, "MultiHeadAttention", f"axes{axes}", call), with_others(source, others, layers)
    for kind, (call, (inputs, others)), causal in itertools.product(
            ("Attention", "AdditiveAttention"), grid_calls.items(), (False, True)):
        layers = [{"name": "att", "type": kind, **ATTENTION[kind], "inputs": inputs,
                   **({"use_causal_mask": True} if causal else {})}, {"type": "Dense", "units": 2}]
        yield _id("emb2d", kind, call, "causal" if causal else None), with_others("emb2d", others, layers)


OPS = [
    {"type": "ops.multiply", "x2": 2.0},
    {"type": "ops.tanh"},
    {"type": "ops.add", "inputs": ["src", "src"]},
    {"type": "ops.transpose", "axes": [0, 2, 1]},
    {"type": "ops.concatenate", "axis": 1, "inputs": ["src", "src"]},
    {"type": "ops.cast", "dtype": "float16"},
    {"type": "ops.cast", "dtype": "float32"},  # the tensor itself: the run keeps its mask
]


def op_and_wrapper_cases():
    for source, op in itertools.product(("emb", "masking"), OPS):
        yield _id(source, op, op.get("dtype")), chain(source, [op, {"type": "GRU", "units": 2}])
    for source in GRIDS:
        for inner in ({"type": "Dense", "units": 2}, {"type": "Dropout", "rate": 0.2},
                      {"type": "LSTM", "units": 2}, {"type": "GRU", "units": 2, "return_sequences": True},
                      {"type": "GlobalAveragePooling1D"},
                      {"type": "Bidirectional", "layer": {"type": "LSTM", "units": 2}},
                      {"type": "Flatten"}, {"type": "Conv1D", "filters": 2, "kernel_size": 2}):
            wrapped = {"type": "TimeDistributed", "layer": inner}
            yield _id(source, wrapped), chain(source, [wrapped, {"type": "Dense", "units": 2}])
    # a sequence mask on steps reshaped into grids: the wrapped layer gets one mask value per step (batch,)
    reshape = {"type": "TimeDistributed", "layer": {"type": "Reshape", "target_shape": [2, 2]}}
    for inner in ({"type": "LSTM", "units": 2}, {"type": "GlobalAveragePooling1D"}, {"type": "Softmax"},
                  {"type": "Dense", "units": 2}, {"type": "BatchNormalization"}):
        wrapped = {"type": "TimeDistributed", "layer": inner}
        yield _id("emb", "TimeDistributed(Reshape)", wrapped), chain("emb", [reshape, wrapped, {"type": "Flatten"}])
    # a layer that changes the rank under a kept mask, then a layer checking the mask's rank
    for source, first, second in itertools.product(
            GRIDS, ({"type": "TimeDistributed", "layer": {"type": "Flatten"}},
                    {"type": "TimeDistributed", "layer": {"type": "LSTM", "units": 2}}),
            ({"type": "BatchNormalization"}, {"type": "LSTM", "units": 2}, {"type": "GlobalAveragePooling1D"},
             {"type": "LayerNormalization"}, {"type": "TimeDistributed", "layer": {"type": "Dense", "units": 2}})):
        yield _id(source, first, second), chain(source, [first, second])
    for source in ("emb", "masking"):  # channels_first: the steps are the last axis
        layers = [{"type": "Permute", "dims": [2, 1]}, {"type": "GlobalAveragePooling1D", "data_format": "channels_first"}]
        yield _id(source, "GlobalAveragePooling1D", "channels_first"), chain(source, layers[1:])
    # TimeDistributed(Embedding(mask_zero)): the wrapped layer's mask is not the wrapper's
    layers = [{"name": "td", "type": "TimeDistributed", "inputs": ["ids"], "layer": {
        "type": "Embedding", "input_dim": VOCAB, "output_dim": FEATURES, "mask_zero": True}},
        {"name": "l1", "type": "Dense", "units": 2, "inputs": ["td"]}]
    yield "TimeDistributed(Embedding)", {"specbridge": 1, "name": "masks", "inputs": [_ids("ids", (ROWS, WIDTH))],
                                         "layers": layers, "outputs": ["l1"]}


def all_cases() -> list[tuple[str, dict]]:
    cases = [*keeps_and_drops_cases(), *recurrent_cases(), *per_position_cases(), *merge_cases(), *attention_cases(),
             *op_and_wrapper_cases()]
    seen: dict[str, int] = {}
    out = []
    for name, spec in cases:  # two configurations of one type (Dense 4, Dense 6 relu): numbered
        seen[name] = seen.get(name, 0) + 1
        out.append((name if seen[name] == 1 else f"{name}#{seen[name]}", spec))
    return out


# --- data: padded ids and masked steps, every mask mixing kept and masked positions ------------------------


def data_for(spec: dict, seed: int = 0) -> list:
    """One batch for each of the spec's inputs: ids with trailing zeros, floats with trailing steps at the
    Masking layer's mask_value (0 where none reads them); the first sample keeps every step."""
    rng = np.random.default_rng(seed)
    values = {layer["inputs"][0]: layer.get("mask_value", 0.0) for layer in spec["layers"] if layer["type"] == "Masking"}
    out = []
    for inp in spec["inputs"]:
        shape = (BATCH, *inp["shape"])
        if inp.get("dtype") == "int32":
            x = rng.integers(1, VOCAB, size=shape).astype("int32")
            if len(shape) > 1:
                x[1:, shape[1] // 2:] = 0
        else:
            x = rng.normal(size=shape).astype("float32")
            if len(shape) > 2:
                x[1:, shape[1] // 2:] = values.get(inp["name"], 0.0)
            elif inp["name"] in values:
                x[1:] = values[inp["name"]]
        out.append(x)
    return out
