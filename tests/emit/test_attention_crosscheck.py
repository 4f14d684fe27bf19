"""Attention layers in graphs the one-input cases of test_layers.py cannot spell: cross-attention, attention masks
(bool inputs; short key axes, so that the random masks fully mask some query rows), the scores as outputs and as
inputs of other layers. Cross-checked by specbridge.crosscheck in float32 and float64, in both directions, with ONNX."""

from __future__ import annotations

import pytest
from frameworks import import_framework

from specbridge.crosscheck import KERAS_TO_TORCH, TORCH_TO_KERAS

from .specs import crosscheck, why

HEADER = "specbridge: 1\nname: attention\n"

GRAPHS = {
    # nn.MultiheadAttention (kdim, vdim) on Keras's dot-product path (fully masked rows spread evenly), then on its
    # Softmax path (scores returned: fully masked rows zeroed)
    "mha_cross_masks": """
inputs:
  - {name: dec, shape: [5, 8]}
  - {name: enc, shape: [2, 6]}
  - {name: mask, shape: [5, 2], dtype: bool}
layers:
  - {type: MultiHeadAttention, name: dot, num_heads: 2, key_dim: 4, attention_mask: mask, inputs: [dec, enc]}
  - {type: MultiHeadAttention, name: soft, num_heads: 2, key_dim: 4, attention_mask: mask,
     return_attention_scores: true, inputs: [dot, enc]}
outputs: [dot, soft, soft.scores]
""",
    # a padding mask (1, keys) with the causal mask; the scores read by a Dense
    "mha_padding_causal_scores_dense": """
inputs:
  - {name: x, shape: [4, 8]}
  - {name: pad, shape: [1, 4], dtype: bool}
layers:
  - {type: MultiHeadAttention, name: att, num_heads: 2, key_dim: 4, attention_mask: pad, use_causal_mask: true,
     return_attention_scores: true, inputs: [x, x]}
  - {type: Dense, name: head, units: 3, inputs: [att.scores]}
outputs: [att, head]
""",
    # the explicit module: value_dim, a key, a mask with a heads axis
    "mha_explicit_heads_mask": """
inputs:
  - {name: q, shape: [5, 7]}
  - {name: v, shape: [3, 6]}
  - {name: k, shape: [3, 4]}
  - {name: mask, shape: [2, 5, 3], dtype: bool}
layers:
  - {type: MultiHeadAttention, name: att, num_heads: 2, key_dim: 3, value_dim: 5, attention_mask: mask,
     inputs: [q, v, k]}
  - {type: MultiHeadAttention, name: scored, num_heads: 2, key_dim: 3, attention_mask: mask,
     return_attention_scores: true, inputs: [att, v, k]}
outputs: [att, scored, scored.scores]
""",
    # rank 4, attention over both axes, with a mask of (rows, cols, rows, cols) and the scores
    "mha_rank4_mask_scores": """
inputs:
  - {name: grid, shape: [2, 3, 6]}
  - {name: mask, shape: [2, 3, 2, 3], dtype: bool}
layers:
  - {type: MultiHeadAttention, name: att, num_heads: 2, key_dim: 3, attention_mask: mask,
     return_attention_scores: true, inputs: [grid, grid]}
outputs: [att, att.scores]
""",
    "gqa_masks": """
inputs:
  - {name: x, shape: [5, 8]}
  - {name: mem, shape: [2, 8]}
  - {name: mask, shape: [5, 2], dtype: bool}
layers:
  - {type: GroupQueryAttention, name: dot, head_dim: 3, num_query_heads: 4, num_key_value_heads: 2,
     attention_mask: mask, inputs: [x, mem]}
  - {type: GroupQueryAttention, name: soft, head_dim: 3, num_query_heads: 4, num_key_value_heads: 1,
     attention_mask: mask, return_attention_scores: true, inputs: [dot, mem]}
outputs: [dot, soft, soft.scores]
""",
    "attention_scores": """
inputs:
  - {name: q, shape: [5, 4]}
  - {name: v, shape: [6, 3]}
  - {name: k, shape: [6, 4]}
layers:
  - {type: Attention, name: luong, use_scale: true, score_mode: concat, return_attention_scores: true,
     inputs: [q, v, k]}
  - {type: AdditiveAttention, name: bahdanau, return_attention_scores: true, inputs: [q, v, k]}
outputs: [luong, luong.scores, bahdanau, bahdanau.scores]
""",
    # ops reading cross-attention scores (batch, heads, 3 queries, 2 keys): Keras's symbolic scores say
    # (heads, 3, 3), so the capture finds the ops by the tensors they read, not by Keras's symbolic shape
    "ops_read_cross_scores": """
inputs:
  - {name: q, shape: [3, 3]}
  - {name: v, shape: [2, 2]}
layers:
  - {type: MultiHeadAttention, name: att, num_heads: 2, key_dim: 3, value_dim: 4, return_attention_scores: true,
     inputs: [q, v]}
  - {type: Add, name: residual, inputs: [q, att]}
  - {type: ops.sum, name: per_key, axis: 1, inputs: [att.scores]}
  - {type: ops.max, name: peak, axis: -1, inputs: [att.scores]}
outputs: [residual, per_key, peak]
""",
}


@pytest.mark.parametrize("direction", [KERAS_TO_TORCH, TORCH_TO_KERAS])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_attention_graph_matches(name, dtype, direction):
    import_framework("onnxruntime")
    report = crosscheck(HEADER + GRAPHS[name].lstrip(), direction, dtype=dtype)
    assert report.ok, f"{name}: {why(report)}"
    assert "onnx" in report.backends, f"{name}: ONNX was not compared: {report.unavailable.get('onnx')}"
