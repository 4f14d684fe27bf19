"""Test helpers for layers that conftest's one-layer `keras_layer_result` cannot build: wrappers (a layer
argument that is itself a layer) and merges (several inputs), plus the matching specbridge specs.

A layer is written once, as a spec mapping (`{"type": "TimeDistributed", "layer": {"type": "Dense", ...}}`);
`keras_layer` turns it into the real Keras layer, so both sides read the same table row.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from keras_helpers import count_weights

from specbridge.check import check_text

# specbridge-only keys: graph wiring and PyTorch-style assertions, which Keras does not take.
NOT_KERAS = {"name", "inputs", "expect", "input_size", "in_features", "in_channels"}


def keras_layer(keras, layer: dict):
    """The Keras layer a spec mapping describes (the wrapped `layer` built first, as Keras code does)."""
    args = {}
    for key, value in layer.items():
        if key == "type" or key in NOT_KERAS:
            continue
        args[key] = keras_layer(keras, value) if key == "layer" else value
    return getattr(keras.layers, layer["type"])(**args)


def keras_result(keras, layer: dict, input_shapes: list, dtype: str = "float32"):
    """Build `layer` on keras.Input(s) symbolically: (output shape without batch, params, trainable params).

    One input shape calls the layer on a tensor, several on a list (merges). Raises what Keras raises.
    """
    tensors = [keras.Input(shape=tuple(s), dtype=dtype) for s in input_shapes]
    built = keras_layer(keras, layer)
    out = built(tensors[0] if len(tensors) == 1 else tensors)
    return tuple(out.shape[1:]), built.count_params(), count_weights(built.trainable_weights)


def graph_spec(layer: dict, input_shapes: list, dtype: str = "float32") -> str:
    """A spec with named inputs in0, in1, ... all read by `layer` (JSON is valid YAML)."""
    names = [f"in{i}" for i in range(len(input_shapes))]
    spec = {
        "specbridge": 1,
        "name": "graph",
        "inputs": [{"name": n, "shape": list(s), "dtype": dtype} for n, s in zip(names, input_shapes, strict=True)],
        "layers": [{**layer, "inputs": names}],
    }
    return json.dumps(spec)


def only_record(result):
    """The single layer record of a successful one-layer check (fails the test with the diagnostics otherwise)."""
    assert result.ok, [f"{d.code}: {d.message}" for d in result.diagnostics]
    (record,) = result.records
    return record


def error_codes(result) -> list[str]:
    return [d.code for d in result.errors]


def spec_text(layer: dict, input_shapes: list, dtype: str = "float32", data_format: str | None = None) -> str:
    """One input: a plain `input:` spec; several: named inputs read by the layer."""
    if len(input_shapes) > 1:
        return graph_spec(layer, input_shapes, dtype)
    spec = {"specbridge": 1, "name": "one_layer", "input": {"shape": list(input_shapes[0]), "dtype": dtype}}
    if data_format:
        spec["data_format"] = data_format
    spec["layers"] = [layer]
    return json.dumps(spec)


def check_layer(layer: dict, input_shapes: list, dtype: str = "float32", data_format: str | None = None):
    return check_text(spec_text(layer, input_shapes, dtype, data_format), lint=False)


def assert_matches_keras(keras, layer: dict, input_shapes: list, dtype: str = "float32"):
    """specbridge's output shape, params and trainable params equal real Keras's for this layer."""
    shape, params, trainable = keras_result(keras, layer, input_shapes, dtype)
    record = only_record(check_layer(layer, input_shapes, dtype))
    assert record.output_shape == shape
    assert (record.params, record.trainable_params) == (params, trainable)
    assert record.non_trainable_params == params - trainable
    return record


RUN_ON_KERNEL = """
import json, sys
import numpy as np
import keras
layer, shape, self_attention = json.loads(sys.argv[1])
args = {k: v for k, v in layer.items() if k != "type"}
inputs = keras.Input(tuple(shape))
built = getattr(keras.layers, layer["type"])(**args)
if not self_attention:
    outputs = built(inputs)
elif layer["type"] in ("Attention", "AdditiveAttention"):  # they take a list
    outputs = built([inputs, inputs])
else:
    outputs = built(inputs, inputs)
model = keras.Model(inputs, outputs)
try:
    print("ran", list(np.asarray(model(np.ones((2, *shape), "float32"))).shape[1:]))
except Exception as exc:
    print("refused", " ".join(str(exc).split())[:400])
"""


def run_on_kernel(layer: dict, shape: tuple, onednn: str, self_attention: bool = False) -> str:
    """Call `layer` in a fresh process with TF_ENABLE_ONEDNN_OPTS=onednn (TensorFlow reads it once, at import);
    an attention layer as self-attention, `layer(x, x)`."""
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": onednn, "TF_CPP_MIN_LOG_LEVEL": "3"}
    argument = json.dumps([layer, list(shape), self_attention])
    proc = subprocess.run([sys.executable, "-c", RUN_ON_KERNEL, argument], env=env,
                          capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip().splitlines()[-1]
