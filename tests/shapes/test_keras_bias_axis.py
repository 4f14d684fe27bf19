"""keras.ops.add on TensorFlow takes a tf.nn.bias_add shortcut for a bias that squeezes to one size matching the
tensor's axis 1 or last axis, and then adds it along that axis, whatever broadcasting says: an attention
projection's (heads, 1) bias lands on the positions when there are as many positions as heads. SB306 warns
exactly where Keras-on-TensorFlow computes otherwise than its definition."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest

from specbridge.check import check_text
from specbridge.shapes.lint_keras import misplaced_bias

SHAPES = [((2, 3, 3, 1), (3, 1)), ((2, 3, 4, 1), (4, 1)), ((2, 4, 4), (4, 1)), ((2, 4, 5), (5,)), ((2, 5, 4), (4,)),
          ((2, 4, 4), (4,)), ((2, 3, 1), (3, 1)), ((2, 3, 2, 1), (2, 1)), ((2, 2, 2, 1), (2, 1)), ((2, 4, 1, 4), (1, 4)),
          ((2, 5), (5,)), ((2, 3, 4), (1, 4)), ((2, 3, 4), (3, 4)), ((2, 3, 3, 5), (3, 1)), ((2, 3, 5, 5), (5, 1))]


@pytest.mark.keras
@pytest.mark.parametrize(("tensor", "bias"), SHAPES, ids=[f"{t}+{b}" for t, b in SHAPES])
def test_the_rule_predicts_keras_ops_add(keras, tensor, bias):
    rng = np.random.default_rng(0)
    x, b = rng.normal(size=tensor).astype("float32"), rng.normal(size=bias).astype("float32")
    wrong = not np.allclose(np.asarray(keras.ops.add(x, b)), x + b, atol=1e-6)
    assert wrong == (misplaced_bias(tuple([None, *tensor[1:]]), bias) is not None)


def attention_spec(layer: dict, length: int, width: int = 5) -> str:
    return json.dumps({"specbridge": 1, "name": "bias", "inputs": [{"name": "q", "shape": [length, width]}],
                       "layers": [{**layer, "name": "att", "inputs": ["q", "q"]}]})


CASES = [({"type": "MultiHeadAttention", "num_heads": heads, "key_dim": key_dim, "value_dim": value_dim,
           "use_bias": bias}, length)
         for heads, key_dim, value_dim, length, bias in itertools.product((1, 3), (1, 2), (1, 2), (3, 4), (True, False))]
CASES += [({"type": "GroupQueryAttention", "num_query_heads": 4, "num_key_value_heads": kv, "head_dim": hd}, length)
          for kv, hd, length in itertools.product((1, 2, 4), (1, 2), (2, 4))]


def reference(layer, x: np.ndarray) -> np.ndarray:
    """The layer's definition in NumPy, from its own weights (broadcasting adds each bias where it belongs)."""
    weights = {w.path.split("/", 1)[1]: np.asarray(w) for w in layer.weights}

    def project(role):
        out = np.einsum("btd,dhk->bthk", x, weights[f"{role}/kernel"])
        return out + weights[f"{role}/bias"] if f"{role}/bias" in weights else out

    q, k, v = project("query"), project("key"), project("value")
    groups = q.shape[2] // k.shape[2]
    k, v = np.repeat(k, groups, axis=2), np.repeat(v, groups, axis=2)
    scores = np.einsum("bthk,bshk->bhts", q, k) / np.sqrt(np.float32(q.shape[-1]))
    scores = np.exp(scores - scores.max(-1, keepdims=True))
    scores /= scores.sum(-1, keepdims=True)
    out = np.einsum("bthk,hko->bto", np.einsum("bhts,bshk->bthk", scores, v), weights["attention_output/kernel"])
    return out + weights["attention_output/bias"] if "attention_output/bias" in weights else out


@pytest.mark.keras
@pytest.mark.parametrize(("layer", "length"), CASES, ids=[f"{c[0]}-{c[1]}".replace(" ", "") for c in CASES])
def test_sb306_is_where_keras_differs_from_its_definition(keras, layer, length):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, length, 5)).astype("float32")
    built = getattr(keras.layers, layer["type"])(**{k: v for k, v in layer.items() if k != "type"})
    built(x, x)
    built.set_weights([rng.normal(size=w.shape).astype("float32") for w in built.get_weights()])  # biases too
    differs = not np.allclose(np.asarray(built(x, x)), reference(built, x), atol=1e-4)
    warned = [d for d in check_text(attention_spec(layer, length)).diagnostics if d.code == "SB306"]
    assert differs == bool(warned), [d.message for d in warned]
