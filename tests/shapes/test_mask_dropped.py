"""SB307 mask-dropped against Keras: Keras warns "... does not support masking and will therefore destroy the mask
information" at a layer exactly where specbridge warns SB307 (a keras.ops call drops the mask without a word, so
there SB307 is the only warning), over a masked Embedding or Masking followed by layers of every kind."""

from __future__ import annotations

import itertools
import json
import warnings

import pytest
from differential.keras_build import build_keras
from frameworks import import_framework

from specbridge.check import check_text

pytestmark = pytest.mark.keras

KERAS_WARNING = "does not support masking and will therefore destroy the mask information"

# What follows the mask's maker, then one of Dense, Conv1D, LSTM: chains on (10, 6).
NEXT = [
    {"type": "Dense", "units": 4},
    {"type": "Conv1D", "filters": 4, "kernel_size": 3, "padding": "same"},
    {"type": "Dropout", "rate": 0.1},
    {"type": "LayerNormalization"},
    {"type": "RMSNormalization"},
    {"type": "UnitNormalization"},
    {"type": "EinsumDense", "equation": "abc,cd->abd", "output_shape": [None, 4]},
    {"type": "Flatten"},
    {"type": "Reshape", "target_shape": [5, 12]},
    {"type": "Permute", "dims": [2, 1]},
    {"type": "MaxPooling1D", "pool_size": 2},
    {"type": "GlobalMaxPooling1D"},
    {"type": "GlobalAveragePooling1D"},
    {"type": "LSTM", "units": 3, "return_sequences": True},
    {"type": "LSTM", "units": 3},
    {"type": "Activation", "activation": "relu"},
    {"type": "ZeroPadding1D", "padding": 1},
    {"type": "UpSampling1D", "size": 2},
    {"type": "TimeDistributed", "layer": {"type": "Dense", "units": 2}},
    {"type": "ops.multiply", "x2": 2.0},
]
MAKERS = [
    ({"name": "ids", "shape": [10], "dtype": "int32"}, {"type": "Embedding", "input_dim": 20, "output_dim": 6,
                                                        "mask_zero": True}),
    ({"name": "x", "shape": [10, 6]}, {"type": "Masking"}),
]


def _spec(header: dict, maker: dict, chain: tuple) -> str:
    layers = [{**maker, "name": "maker"}] + [{**layer, "name": f"l{i}"} for i, layer in enumerate(chain)]
    return json.dumps({"specbridge": 1, "name": "m", "inputs": [header], "layers": layers})


def _cases():
    for (header, maker), first, second in itertools.product(MAKERS, NEXT, (NEXT[0], NEXT[1], NEXT[13])):
        yield _spec(header, maker, (first, second))


@pytest.fixture(scope="module")
def keras():
    return import_framework("keras")


def test_sb307_where_keras_warns(keras):
    compared = 0
    for text in _cases():
        result = check_text(text, "m.json")
        if result.errors:
            continue  # a chain whose shapes do not fit (Reshape of a Dense output, Flatten then LSTM)
        ops = {e.name for e in result.document.entries if e.layer.FAMILY == "ops"}
        ours = {d.layer for d in result.diagnostics if d.code == "SB307"}
        keras.backend.clear_session()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            build_keras(keras, result.document)
        theirs = {name for w in caught if KERAS_WARNING in str(w.message)
                  for name in [str(w.message).split("'")[1]]}
        assert ours - ops == theirs, text
        compared += 1
    assert compared >= 80, compared


def test_sb307_names_the_mask_maker_and_the_op():
    text = _spec(*MAKERS[0], ({"type": "ops.multiply", "x2": 2.0}, {"type": "LSTM", "units": 3}))
    (warning,) = [d for d in check_text(text, "m.json").diagnostics if d.code == "SB307"]
    assert warning.layer == "l0" and "'maker'" in warning.message and "keras.ops" in warning.message
