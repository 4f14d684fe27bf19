"""Every difference from Keras the differential test accepts, in one place, each with its reason.

`deliberate`: specbridge differs on purpose (docs/reliability.md, "Deliberate differences from Keras").
`open`: a bug with a known root cause, not fixed yet; when it is fixed, its entry goes (the test then fails on
a regression) and the minimal spec becomes a fixture in fixtures/valid or fixtures/invalid.
A difference no entry matches fails the test (and the campaign lists it under "unexplained").
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

from .referee import Difference, Outcome


@dataclass(frozen=True)
class Known:
    id: str
    status: str  # deliberate | open | upstream (a bug of TensorFlow/Keras itself)
    reason: str
    matches: Callable[[Outcome, Difference], bool]
    repro: str = ""  # a minimal spec (JSON), for open entries


def _int_input(o: Outcome) -> bool:
    header = o.spec.get("inputs") or [o.spec.get("input", {})]
    return any(str(i.get("dtype", "float32")).startswith(("int", "uint")) for i in header)


def _null_input(o: Outcome) -> bool:
    header = o.spec.get("inputs") or [o.spec.get("input", {})]
    return any(d is None for i in header for d in i.get("shape", []))


def _layers_of(o: Outcome, name: Optional[str]) -> list[dict]:
    return [raw for raw in o.spec["layers"] if raw.get("name") == name]


def _reads_mha_scores(o: Outcome, d: Difference) -> bool:
    """Keras refused at a layer (not an op) that reads a MultiHeadAttention's scores."""
    mha = {raw.get("name") for raw in o.spec["layers"] if raw["type"] == "MultiHeadAttention"}
    readers = [raw["name"] for raw in o.spec["layers"] if not raw["type"].startswith("ops.")
               and any(str(i).removesuffix(".scores") in mha for i in raw.get("inputs", []) if str(i).endswith(".scores"))]
    return any(d.layer == r or f"layer '{r}'" in o.keras_error for r in readers)


def _query_of(o: Outcome, d: Difference) -> tuple:
    header = {i["name"]: i for i in o.spec.get("inputs", [])}
    for raw in _layers_of(o, d.layer):
        return tuple(header.get(raw.get("inputs", [None])[0], {}).get("shape", ()))
    return ()


def _mha_head_size_1(o: Outcome) -> bool:
    return any(raw["type"] == "MultiHeadAttention" and 1 in (raw.get("key_dim"), raw.get("value_dim"))
               for raw in o.spec["layers"])


def _broadcasts_a_width_of_1(o: Outcome, d: Difference) -> bool:
    """The merge's inputs (spec inputs or Dense branches) end in different widths, one of them 1."""
    shapes = {i["name"]: i.get("shape", []) for i in o.spec.get("inputs", [])}
    units = {raw.get("name"): raw.get("units") for raw in o.spec["layers"] if raw["type"] == "Dense"}
    for raw in _layers_of(o, d.layer):
        widths = {units.get(n) or (shapes.get(n) or [None])[-1] for n in raw.get("inputs", [])}
        return len(widths) > 1 and 1 in widths
    return False


def _autocast(o: Outcome, d: Difference) -> bool:
    """A float16/float64 input reaches a Keras layer (float32 policy): Keras computes float32 from there."""
    header = o.spec.get("inputs") or [o.spec.get("input", {})]
    wide = any(i.get("dtype") in ("float16", "float64", "bfloat16") for i in header)
    layers = [raw["type"] for raw in o.spec["layers"]]
    keeps = d.what == "dtype" and "keras computes float32" in d.detail  # or the PyTorch model's float32 weights:
    mixed = d.what == "torch" and "must have the same dtype" in d.detail
    return wide and (keeps or mixed) and any(not t.startswith("ops.") for t in layers)


# How the ops' shape rules say that an op would mix or move the batch axis (shapes/infer/ops*.py).
BATCH_WORDS = ("includes 0, the batch axis:", "lines the batch axis of one up", "must keep the batch axis",
               "is a batch of vectors", "the batch axis would no longer be the batch")


def _has_ops(o: Outcome) -> bool:
    """An op graph: integer inputs are ordinary there (the int-input entries are about layers)."""
    return any(str(raw["type"]).startswith("ops.") for raw in o.spec["layers"])


def _refuses(code: str, words: str = "") -> Callable[[Outcome, Difference], bool]:
    return lambda o, d: d.what == "verdict" and f"specbridge refuses ({code} " in d.detail and words in d.detail


def _keras_refuses(words: str, layer_type: Optional[str] = None) -> Callable[[Outcome, Difference], bool]:
    return lambda o, d: (d.what == "verdict" and "Keras refuses" in d.detail and words in d.detail
                         and layer_type in (None, d.layer_type))


KNOWN: tuple[Known, ...] = (
    # ------------------------------------------------------------------ deliberate
    Known("embedding-float-ids", "deliberate",
          "Embedding on a float input: Keras 3 casts the ids silently, PyTorch's nn.Embedding refuses them; "
          "specbridge reports SB207 (fixture invalid/embedding_float_input, rejected_by torch)",
          _refuses("SB207")),
    Known("pytorch-assertions", "deliberate",
          "in_channels / in_features / input_size are PyTorch-style assertions Keras does not have: a wrong one "
          "is SB203 in specbridge while Keras ignores it (fixtures invalid/conv_in_channels, linear_in_features)",
          _refuses("SB203")),
    Known("concatenate-batch-axis", "deliberate",
          "Concatenate on the batch axis (axis 0 or -rank): Keras builds it, but it joins samples, not features; "
          "specbridge reports SB210",
          _refuses("SB210", "is the batch axis")),
    Known("null-dim-at-run-time", "deliberate",
          "the check is static: with a null (unknown) input dimension Keras accepts the model at build time and "
          "only the data decides (the campaign runs it with size 6); specbridge accepts what can be valid",
          lambda o, d: (d.what == "verdict" and o.specbridge_ok and o.keras_stage == "run" and _null_input(o)
                        and (not _int_input(o) or _has_ops(o)))),
    Known("dropout-noise-shape", "deliberate",
          "Dropout noise_shape whose mask does not broadcast to the input: Keras builds it and runs "
          "it in inference, but training fails; specbridge reports SB210",
          lambda o, d: d.what == "verdict" and "noise_shape" in d.detail and "SB210" in d.detail),
    Known("int-input-refused", "deliberate",
          "an integer input into a layer that computes in floating point: some Keras layers cast it silently "
          "(LeakyReLU), others fail at run time, and the PyTorch translation refuses it; specbridge reports SB212",
          _refuses("SB212")),
    Known("glu-halves-last-axis", "deliberate",
          "activation glu: Keras's symbolic shape keeps the last axis but the op halves it; specbridge follows "
          "what the model computes (docs/reliability.md, deliberate differences)",
          lambda o, d: d.what == "shape" and '"glu"' in str(o.spec).replace("'", '"')),
    Known("rms-scale-misapplied", "deliberate",
          "RMSNormalization whose scale Keras multiplies into the last axes rather than the normalized ones "
          "(axis=1 on (4, 4, 4), or [1, -1]): Keras runs it where the sizes happen to broadcast, scaling the wrong "
          "axis; specbridge reports SB210 (docs/reliability.md)",
          lambda o, d: (d.what == "verdict" and d.layer_type == "RMSNormalization"
                        and "specbridge refuses (SB210 " in d.detail and "which are not the normalized axes" in d.detail)),
    Known("unit-normalization-batch-axis", "deliberate",
          "UnitNormalization over the batch axis (axis 0): Keras runs it, taking the norm across the samples of a "
          "batch; specbridge reports SB210, as for the other batch-axis refusals",
          lambda o, d: (d.what == "verdict" and d.layer_type == "UnitNormalization"
                        and "specbridge refuses (SB210 " in d.detail and "is the batch axis of" in d.detail)),
    Known("softmax-over-six-axes", "deliberate",
          "a softmax over one axis of a tensor of 6+ axes (Softmax, activation softmax, ops.softmax, attention "
          "scores): TensorFlow's standard kernels run it, its oneDNN kernels abort the call; specbridge reports "
          "SB210 on every machine (docs/reliability.md)",
          lambda o, d: (d.what == "verdict" and "specbridge refuses (SB210 " in d.detail
                        and "over one axis of a tensor of" in d.detail)),
    Known("null-dim-torch-run", "deliberate",
          "with a null input dim, the size the run picks (6) can shrink a pooling/convolution window below its "
          "size: Keras returns an empty tensor, PyTorch raises; only the data decides",
          lambda o, d: d.what == "torch" and _null_input(o) and ("too small" in d.detail or "can't be greater" in d.detail)),
    Known("image-layer-on-rank-3", "deliberate",
          "an image augmentation layer (RandomFlip, ..., RandomCrop) on a rank-3 input: Keras takes it for one "
          "unbatched image whose height is the batch axis; specbridge reports SB200 (docs/reliability.md)",
          lambda o, d: (d.what == "verdict" and d.layer_type.startswith("Random")
                        and "specbridge refuses (SB200 " in d.detail and "found ndim=3" in d.detail)),
    Known("random-crop-uncropped-at-inference", "upstream",
          "Keras 3.15 builds the layers after a RandomCrop for (height, width) but returns the image uncropped at "
          "inference (keras-team/keras#21868), so a layer that needs that size fails when the model runs; "
          "specbridge follows the build (explain says it; the PyTorch and ONNX emitters refuse it)",
          lambda o, d: (d.what == "verdict" and o.specbridge_ok and o.keras_stage == "run"
                        and "RandomCrop" in json.dumps(o.spec))),
    Known("tensorflow-channels-first-bias", "upstream",
          "TensorFlow 2.21 CPU computes some channels_first convolutions with a bias wrongly; the cross-check's "
          "NumPy reference agrees with PyTorch, so the difference is TensorFlow's (docs/reliability.md)",
          lambda o, d: d.what == "crosscheck" and d.detail.endswith("agrees with: pytorch")),
    # ------------------------------------------------------------------ attention layers and op nodes
    # (attention_graphs.py, op_graphs.py: judged on what Keras computes, referee.RUNTIME_FAMILIES)
    Known("ops-batch-axis", "deliberate",
          "an op over or moving the batch axis (a reduction or softmax over axis 0, transpose/reshape/expand_dims "
          "moving it, concatenate/stack/split along it, get_item indexing it, einsum contracting it, tensors of "
          "different ranks whose broadcasting lines the batch up with another axis): Keras runs it, mixing the "
          "samples of a batch; a spec's shapes keep the batch axis first, so specbridge reports SB210 / SB204",
          lambda o, d: (d.what == "verdict" and d.layer_type.startswith("ops.") and "specbridge refuses" in d.detail
                        and any(words in d.detail for words in BATCH_WORDS))),
    Known("attention-batch-axis", "deliberate",
          "MultiHeadAttention with attention_axes 0 (or -rank): Keras runs it, each sample attending to the other "
          "samples of its batch; specbridge reports SB210",
          lambda o, d: (d.what == "verdict" and d.layer_type == "MultiHeadAttention"
                        and "specbridge refuses (SB210 " in d.detail and "include the batch axis" in d.detail)),
    Known("attention-rank-2", "deliberate",
          "attention on a rank-2 input (batch, features): Attention / AdditiveAttention run it, every sample "
          "attending to the whole batch, and MultiHeadAttention with attention_axes given runs it over the heads "
          "axis of its projections; specbridge reports SB200 (attention needs a sequence axis)",
          lambda o, d: (d.what == "verdict" and d.layer_type in ("Attention", "AdditiveAttention", "MultiHeadAttention")
                        and "specbridge refuses (SB200 " in d.detail and "of rank 3 or more" in d.detail)),
    Known("attention-mask-broadcasts-query", "deliberate",
          "an attention_mask that does not fit the scores where the query has a length-1 axis: Keras broadcasts "
          "the mask up that axis (or lines its batch axis up with it) and runs, returning an output of another "
          "shape than the query's (tests/shapes/test_attention.py: q (1, 8) with a (5, 7) mask gives (5, 8)); "
          "specbridge reports SB204",
          lambda o, d: (d.what == "verdict" and "specbridge refuses (SB204 " in d.detail
                        and "attention_mask of shape" in d.detail and 1 in _query_of(o, d)[:-1])),
    Known("mha-symbolic-scores", "upstream",
          "a layer reading MultiHeadAttention's scores (`att.scores`): Keras builds it for its symbolic scores "
          "shape, always (batch, heads, Tq, Tq) whatever the key length or attention_axes, so a Dense on the "
          "scores of cross-attention gets a kernel of the wrong size (or an unknown one) and the model fails at "
          "build or when it runs; specbridge follows the scores the call returns (tests/shapes/test_attention.py)",
          lambda o, d: d.what == "verdict" and o.specbridge_ok and _reads_mha_scores(o, d)),
    Known("float-input-autocast", "open",
          "a float16 or float64 input into a Keras layer (attention, Add, Softmax, Dense...): the layer's float32 "
          "policy casts it, so Keras computes float32; specbridge keeps the input's dtype (found by comparing the "
          "dtypes of attention layers and op nodes with what Keras computes), and the emitted PyTorch Dense then "
          "multiplies a float16 tensor by float32 weights (\"mat1 and mat2 must have the same dtype\")",
          _autocast,
          '{"specbridge": 1, "name": "r", "inputs": [{"name": "q", "shape": [5, 4], "dtype": "float16"}], '
          '"layers": [{"type": "MultiHeadAttention", "name": "att", "num_heads": 2, "key_dim": 2, '
          '"inputs": ["q", "q"]}]}'),
    Known("mha-causal-several-axes-with-mask", "open",
          "MultiHeadAttention with use_causal_mask and several attention_axes plus an attention_mask of the scores' "
          "full rank: Keras ANDs its (1, T, S) causal mask (from axis 1) into the given mask, which broadcasts when "
          "the mask's last two axes happen to be T and S, and runs; specbridge reports SB210 (\"the model fails "
          "when it runs\"), which holds without a mask only",
          lambda o, d: (d.what == "verdict" and d.layer_type == "MultiHeadAttention" and "use_causal_mask" in d.detail
                        and "specbridge refuses (SB210 " in d.detail
                        and any("attention_mask" in raw for raw in _layers_of(o, d.layer))),
          '{"specbridge": 1, "name": "r", "inputs": [{"name": "q", "shape": [3, 3, 8]}, {"name": "m", "shape": '
          '[3, 3, 3, 3], "dtype": "bool"}], "layers": [{"type": "MultiHeadAttention", "name": "att", "num_heads": 1, '
          '"key_dim": 2, "use_causal_mask": true, "attention_axes": [1, 2], "inputs": ["q", "q"], '
          '"attention_mask": "m"}]}'),
    Known("keras-bias-add-axis", "upstream",
          "Keras 3.15's TensorFlow backend: keras.ops.add takes a tf.nn.bias_add shortcut for a bias that squeezes to "
          "one size matching axis 1 of the tensor, and adds it along axis 1: a MultiHeadAttention with key_dim or "
          "value_dim 1 and as many positions as heads gets its (heads, 1) projection bias on the positions. Keras "
          "alone differs from its definition (a NumPy reference from its own weights), PyTorch and ONNX; SB306 "
          "warns (tests/shapes/test_keras_bias_axis.py)",
          lambda o, d: d.what == "crosscheck" and _mha_head_size_1(o)),
    Known("mha-heads-axis-torch", "open",
          "MultiHeadAttention with attention_axes on the heads axis of its projections (axis rank-1, or -1: Keras "
          "runs it and specbridge follows it): the emitted PyTorch module fails (\"permute: number of dimensions "
          "... does not match\"), its einsum plan being one axis short",
          lambda o, d: (d.what == "torch" and d.layer_type == "MultiHeadAttention"
                        and "does not match the length of the desired ordering" in d.detail),
          '{"specbridge": 1, "name": "r", "inputs": [{"name": "q", "shape": [3, 4]}], "layers": [{"type": '
          '"MultiHeadAttention", "name": "att", "num_heads": 2, "key_dim": 2, "attention_axes": 2, '
          '"return_attention_scores": true, "inputs": ["q", "q"]}], "outputs": ["att", "att.scores"]}'),
    Known("einsum-dense-declared-shape", "deliberate",
          "EinsumDense whose declared (symbolic) shape is not what it computes: more output_shape entries than "
          "output letters after the batch ('ab,b->a' with output_shape 5 declares (None, 5), computes (None,)); an "
          "input of another rank on an equation Keras's TensorFlow backend computes as a matmul ('ab,b->a' on "
          "(4, 4)); an equation that moves the batch letter or sums over it: Keras builds and runs them; specbridge "
          "reports SB210 / SB200",
          lambda o, d: (d.what == "verdict" and d.layer_type == "EinsumDense" and "Keras builds and runs it" in d.detail
                        and any(words in d.detail for words in (
                            "declares a wrong shape with more", "letters for an operand of rank",
                            "names 1 axes, but the operand", "move the batch axis")))),
    Known("einsum-dense-reversed-ellipsis", "deliberate",
          "EinsumDense with a leading '...' over 2 or more axes ('...b,bc->...c' on (3, null, 3)): Keras's declared "
          "shape lists the '...' axes in reverse order, (null, 3, 4); the layer computes (3, null, 4), which "
          "specbridge gives (and so do the layers after it)",
          lambda o, d: (d.what == "shape" and any(raw["type"] == "EinsumDense" and str(raw.get("equation", ""))
                                                  .startswith("...") for raw in o.spec["layers"]))),
    Known("einsum-implicit-order", "deliberate",
          "ops.einsum subscripts without '->' whose letters seen once are not in alphabetical order ('bkj'): Keras's "
          "symbolic shape sorts them (NumPy's implicit output), its TensorFlow backend computes them in order of "
          "appearance, so the model declares one shape and returns another; specbridge reports SB210",
          lambda o, d: (d.what == "verdict" and d.layer_type == "ops.einsum" and "specbridge refuses (SB210 " in d.detail
                        and "order of appearance" in d.detail)),
    Known("null-dim-reshape-folds-batch", "deliberate",
          "ops.reshape with -1 first on an input with a null dim: -1 takes whatever the data leaves, so the batch "
          "stays the batch only when the unknown sizes fit the new shape; with the campaign's sizes Keras folds "
          "samples together (batch 2 becomes 72). As with null-dim-at-run-time, specbridge accepts what can be "
          "valid (the shape it gives is the batch-keeping one)",
          lambda o, d: (d.what == "shape" and _null_input(o) and "does not keep the batch axis first" in d.detail
                        and any(raw["type"] == "ops.reshape" for raw in o.spec["layers"]))),
    Known("keras-merge-broadcast-batch-size", "upstream",
          "an elementwise merge (Add, Multiply, ...) of (batch, n) and (batch, 1): Keras 3.15's reshaping path "
          "(base_merge.py, _reshape_required) returns result[i, j] = a[i, j] + b[j] when the batch size equals n, "
          "mixing samples (right for any other batch size); the cross-check (batch 2) then finds Keras alone "
          "differing from PyTorch and ONNX, which broadcast as NumPy does. Found by the campaign on merged graphs",
          lambda o, d: (d.what == "crosscheck"
                        and d.layer_type in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum")
                        and _broadcasts_a_width_of_1(o, d))),
    # ------------------------------------------------------------------ open (issue 6 point 8)
    Known("int-input-accepted", "open",
          "an integer input that specbridge accepts but Keras fails on at run time (or the emitted PyTorch op "
          "has no integer kernel): the layers SB212 does not cover yet",
          lambda o, d: _int_input(o) and (
              d.what == "verdict" and o.specbridge_ok or d.what == "torch" and "not implemented for" in d.detail),
          '{"specbridge": 1, "name": "r", "input": {"shape": [4], "dtype": "int32"}, "layers": [{"type": "RepeatVector", '
          '"n": 2}, {"type": "MaxPooling1D"}]}'),
    Known("timedistributed-inner-rank", "open",
          "TimeDistributed does not check the wrapped layer's input rank in Keras 3: TimeDistributed("
          "GlobalMaxPooling1D) on (batch, time, a, b, c, channels) builds and runs (the inner layer reduces axis 1 of "
          "its rank-5 input); specbridge refuses it with SB200. Found by the campaign, shrunk by Hypothesis",
          lambda o, d: d.what == "verdict" and d.layer_type.startswith("TimeDistributed(") and "SB200" in d.detail,
          '{"specbridge": 1, "name": "r", "input": {"shape": [4, null, null, null, 4]}, "layers": [{"type": '
          '"TimeDistributed", "layer": {"type": "GlobalMaxPooling1D"}}]}'),
    Known("bidirectional-merge-none", "deliberate",
          "Bidirectional merge_mode null makes Keras return two tensors; a spec layer has one output, so "
          "specbridge reports SB210 (Keras builds it, and a following layer reads the list)",
          lambda o, d: d.what == "verdict" and "needs a merged output" in d.detail),
)


def explain(outcome: Outcome, difference: Difference) -> Optional[Known]:
    """The first entry that accounts for a difference, or None (an unexplained difference: a new bug)."""
    return next((k for k in KNOWN if k.matches(outcome, difference)), None)


def unexplained(outcome: Outcome) -> list[Difference]:
    return [d for d in outcome.differences if explain(outcome, d) is None]
