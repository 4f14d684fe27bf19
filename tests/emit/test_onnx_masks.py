"""The ONNX emitter honours Keras's implicit masks, value for value (Keras 3.15, TensorFlow backend; onnxruntime).

Each case is a small spec whose Keras model carries a mask: Embedding(mask_zero=True) on token ids, or Masking on
float steps, passed on by the layers that keep it and or-ed by the merges. Keras builds it (emit.to_keras, its
weights randomized as the cross-check randomizes them), onnxruntime runs emit.to_onnx's model with those weights,
and the outputs must agree within 1e-5 in float32 (1e-9 in float64), NaN where Keras has NaN (a fully masked
sample in GlobalAveragePooling1D is 0 / 0). The token ids hold every kind of padding: right-padded, left-padded,
holes, a fully masked row and an unmasked one. test_the_masks_decide_the_result shows the comparison would fail
if the ONNX model ignored the masks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pytest
from frameworks import import_framework

from specbridge.check import check_text
from specbridge.crosscheck.run import build_single
from specbridge.emit import to_onnx
from specbridge.emit.onnx import masks as onnx_masks
from specbridge.emit.onnx import recurrent as onnx_recurrent

from .onnx_emitter.keras_onnx import frameworks  # noqa: F401  (the module fixture: Keras, onnx, onnxruntime)

TOLERANCE = {"float32": 1e-5, "float64": 1e-9}
STEPS, VOCABULARY = 7, 20
# Rows of token ids, 0 the padding: right-padded, left-padded, holes, fully masked, none masked.
IDS = np.array([[3, 4, 5, 6, 0, 0, 0], [0, 0, 1, 2, 3, 4, 5], [5, 0, 6, 0, 7, 8, 0], [0] * STEPS,
                [1, 2, 3, 4, 5, 6, 7]], np.int32)
# A second sequence (MultiHeadAttention's value, Add's second input): other paddings, of other rows.
OTHER_IDS = np.array([[0, 9, 8, 0, 7, 0, 6], [2, 3, 0, 0, 0, 0, 0], [0, 0, 0, 0, 0, 4, 4], [1, 1, 2, 0, 3, 0, 0],
                      [0] * STEPS], np.int32)
BATCH = len(IDS)

EMB = {"name": "emb", "type": "Embedding", "input_dim": VOCABULARY, "output_dim": 5, "mask_zero": True,
       "inputs": ["ids"]}
EMB2 = {"name": "emb2", "type": "Embedding", "input_dim": VOCABULARY, "output_dim": 5, "mask_zero": True,
        "inputs": ["ids2"]}
IDS_INPUT = {"name": "ids", "shape": [STEPS], "dtype": "int32"}
IDS2_INPUT = {"name": "ids2", "shape": [STEPS], "dtype": "int32"}


@dataclass(frozen=True)
class Case:
    id: str
    layers: tuple  # the spec's layers after the inputs (dicts)
    inputs: tuple = (IDS_INPUT,)
    outputs: Optional[tuple] = None  # None: the last layer

    def text(self) -> str:
        outputs = list(self.outputs or [self.layers[-1]["name"]])
        lines = ["specbridge: 1", f"name: {self.id}", "inputs:", *(f"  - {json.dumps(i)}" for i in self.inputs),
                 "layers:", *(f"  - {json.dumps(layer)}" for layer in self.layers), f"outputs: {json.dumps(outputs)}"]
        return "\n".join(lines) + "\n"


def layer(name: str, kind: str, inputs: Optional[list] = None, **args) -> dict:
    return {"name": name, "type": kind, **args, **({"inputs": inputs} if inputs else {})}


def recurrent(kind: str, **args) -> dict:
    return {"type": kind, "units": 4, **args}


def rnn_cases() -> list[Case]:
    """SimpleRNN, LSTM and GRU (reset_after both ways) after a masked Embedding: the sequence or the last output,
    read forwards or backwards, masked steps keeping the previous output or giving zeros."""
    cases = []
    kinds = {"simple_rnn": recurrent("SimpleRNN"), "lstm": recurrent("LSTM"), "gru": recurrent("GRU"),
             "gru_reset_before": recurrent("GRU", reset_after=False)}
    variants = {
        "last": {}, "sequences": {"return_sequences": True}, "backwards_last": {"go_backwards": True},
        "backwards_sequences": {"go_backwards": True, "return_sequences": True},
        "zero_output_sequences": {"zero_output_for_mask": True, "return_sequences": True},
        "zero_output_last": {"zero_output_for_mask": True},
        "zero_output_backwards_last": {"zero_output_for_mask": True, "go_backwards": True},
    }
    for kind, cell in kinds.items():
        for variant, args in variants.items():
            cases.append(Case(f"{kind}_{variant}", (EMB, {"name": "rnn", **cell, **args})))
    cases.append(Case("lstm_no_bias_hard_sigmoid", (EMB, layer("rnn", "LSTM", units=3, use_bias=False,
                                                              recurrent_activation="hard_sigmoid"))))
    cases.append(Case("gru_no_bias_relu", (EMB, layer("rnn", "GRU", units=3, use_bias=False, activation="relu",
                                                      return_sequences=True))))
    cases.append(Case("stacked_lstm_dense_keeps_mask", (
        EMB, layer("dense", "Dense", units=6, activation="tanh"), layer("l1", "LSTM", units=4, return_sequences=True),
        layer("l2", "GRU", units=3, go_backwards=True))))
    return cases


def bidirectional_cases() -> list[Case]:
    """Bidirectional in every merge mode: sequences pooled by GlobalAveragePooling1D (the mask goes on), or the
    two last outputs merged."""
    cases = []
    for mode in ("concat", "sum", "mul", "ave"):
        for kind in ("LSTM", "GRU", "SimpleRNN"):
            inner = recurrent(kind, return_sequences=True)
            cases.append(Case(f"bidirectional_{kind.lower()}_{mode}_pooled", (
                EMB, layer("bi", "Bidirectional", layer=inner, merge_mode=mode), layer("pool", "GlobalAveragePooling1D"))))
        cases.append(Case(f"bidirectional_lstm_{mode}_last", (
            EMB, layer("bi", "Bidirectional", layer=recurrent("LSTM"), merge_mode=mode))))
    for kind, mode in (("GRU", "sum"), ("SimpleRNN", "concat")):  # the sequence itself: its masked steps show
        cases.append(Case(f"bidirectional_{kind.lower()}_{mode}_sequences", (
            EMB, layer("bi", "Bidirectional", layer=recurrent(kind, return_sequences=True), merge_mode=mode))))
    cases.append(Case("bidirectional_gru_reset_before_zero_output_ignored", (
        EMB, layer("bi", "Bidirectional", layer=recurrent("GRU", reset_after=False, zero_output_for_mask=True)))))
    return cases


FLOAT_STEPS = {"name": "x", "shape": [STEPS, 3]}
ATTENTION = {"num_heads": 2, "key_dim": 3}


def other_cases() -> list[Case]:
    mha = "MultiHeadAttention"
    cases = [
        Case("gru_unknown_steps_sequences", (EMB, layer("rnn", "GRU", units=4, return_sequences=True, go_backwards=True)),
             inputs=({**IDS_INPUT, "shape": [None]},)),
        Case("mha_unknown_steps_causal", (EMB, layer("att", mha, ["emb", "emb"], **ATTENTION, use_causal_mask=True),
                                          layer("pool", "GlobalAveragePooling1D")),
             inputs=({**IDS_INPUT, "shape": [None]},)),
        Case("pool_fully_masked_is_nan", (EMB, layer("pool", "GlobalAveragePooling1D"))),
        Case("pool_keepdims", (EMB, layer("pool", "GlobalAveragePooling1D", keepdims=True))),
        Case("masking_lstm", (layer("mask", "Masking", ["x"]), layer("rnn", "LSTM", units=4, return_sequences=True)),
             inputs=(FLOAT_STEPS,)),
        Case("masking_value_gru_pool", (layer("mask", "Masking", ["x"], mask_value=0.5),
                                        layer("rnn", "GRU", units=4, return_sequences=True),
                                        layer("pool", "GlobalAveragePooling1D")), inputs=(FLOAT_STEPS,)),
        Case("masking_output", (layer("mask", "Masking", ["x"], mask_value=0.5),), inputs=(FLOAT_STEPS,)),
        # MultiHeadAttention / GroupQueryAttention: the query's and the value's masks, an explicit mask, causal
        Case("mha_self", (EMB, layer("att", mha, ["emb", "emb"], **ATTENTION))),
        Case("mha_self_scores", (EMB, layer("att", mha, ["emb", "emb"], **ATTENTION, return_attention_scores=True)),
             outputs=("att", "att.scores")),
        Case("mha_self_causal", (EMB, layer("att", mha, ["emb", "emb"], **ATTENTION, use_causal_mask=True))),
        Case("mha_cross_both_masked", (EMB, EMB2, layer("att", mha, ["emb", "emb2"], **ATTENTION)),
             inputs=(IDS_INPUT, IDS2_INPUT)),
        Case("mha_cross_key_masked", (EMB, EMB2, layer("d", "Dense", ["x"], units=5),
                                      layer("att", mha, ["emb2", "d", "emb"], **ATTENTION)),
             inputs=(IDS_INPUT, IDS2_INPUT, FLOAT_STEPS)),
        Case("mha_cross_value_masked_only", (EMB, layer("q", "Dense", ["x"], units=5),
                                             layer("att", mha, ["q", "emb"], **ATTENTION)),
             inputs=(IDS_INPUT, FLOAT_STEPS)),
        Case("mha_cross_query_masked_only_dropout", (EMB, layer("v", "Dense", ["x"], units=5),
                                                     layer("att", mha, ["emb", "v"], **ATTENTION, dropout=0.2)),
             inputs=(IDS_INPUT, FLOAT_STEPS)),
        Case("mha_explicit_mask_causal", (EMB, EMB2, layer("att", mha, ["emb", "emb2"], **ATTENTION,
                                                           attention_mask="m", use_causal_mask=True)),
             inputs=(IDS_INPUT, IDS2_INPUT, {"name": "m", "shape": [STEPS, STEPS], "dtype": "bool"})),
        Case("mha_explicit_float_mask_scores", (EMB, layer("att", mha, ["emb", "emb"], **ATTENTION, attention_mask="m",
                                                           return_attention_scores=True)),
             inputs=(IDS_INPUT, {"name": "m", "shape": [STEPS, STEPS]}), outputs=("att", "att.scores")),
        Case("gqa_self", (EMB, layer("att", "GroupQueryAttention", ["emb", "emb"], head_dim=3, num_query_heads=4,
                                     num_key_value_heads=2))),
        Case("gqa_cross_float_mask_scores", (
            EMB, EMB2, layer("att", "GroupQueryAttention", ["emb", "emb2"], head_dim=2, num_query_heads=2,
                             num_key_value_heads=1, attention_mask="m", return_attention_scores=True)),
             inputs=(IDS_INPUT, IDS2_INPUT, {"name": "m", "shape": [STEPS, STEPS]}), outputs=("att", "att.scores")),
        # Attention / AdditiveAttention: the value's mask lowers scores, the query's zeroes rows
        Case("attention_self", (EMB, layer("att", "Attention", ["emb", "emb"]))),
        Case("attention_cross_scale_causal_scores", (
            EMB, EMB2, layer("att", "Attention", ["emb", "emb2"], use_scale=True, use_causal_mask=True,
                             return_attention_scores=True)), inputs=(IDS_INPUT, IDS2_INPUT), outputs=("att", "att.scores")),
        Case("attention_concat_key_masked", (EMB, EMB2, layer("k", "Dense", ["x"], units=5),
                                             layer("att", "Attention", ["emb", "emb2", "k"], score_mode="concat")),
             inputs=(IDS_INPUT, IDS2_INPUT, FLOAT_STEPS)),
        Case("attention_key_mask_ignored", (EMB, EMB2, layer("v", "Dense", ["x"], units=5),
                                            layer("att", "Attention", ["emb", "v", "emb2"])),
             inputs=(IDS_INPUT, IDS2_INPUT, FLOAT_STEPS)),
        Case("attention_value_masked_only", (EMB, layer("q", "Dense", ["x"], units=5),
                                             layer("att", "Attention", ["q", "emb"])),
             inputs=(IDS_INPUT, FLOAT_STEPS)),
        Case("additive_cross", (EMB, EMB2, layer("att", "AdditiveAttention", ["emb", "emb2"])),
             inputs=(IDS_INPUT, IDS2_INPUT)),
        Case("additive_self_causal_no_scale", (EMB, layer("att", "AdditiveAttention", ["emb", "emb"],
                                                          use_scale=False, use_causal_mask=True))),
        # merges: Add or-s the masks; Maximum, Minimum and Multiply read them; Concatenate joins them on the steps
        Case("add_or_masks_lstm", (EMB, EMB2, layer("add", "Add", ["emb", "emb2"]),
                                   layer("rnn", "LSTM", units=4, return_sequences=True),
                                   layer("pool", "GlobalAveragePooling1D")), inputs=(IDS_INPUT, IDS2_INPUT)),
        Case("average_one_masked_drops_mask", (EMB, layer("d", "Dense", ["x"], units=5),
                                               layer("avg", "Average", ["emb", "d"]), layer("rnn", "GRU", units=4)),
             inputs=(IDS_INPUT, FLOAT_STEPS)),
        *[Case(f"{kind.lower()}_masked", (EMB, EMB2, layer("merge", kind, ["emb", "emb2"])),
               inputs=(IDS_INPUT, IDS2_INPUT)) for kind in ("Maximum", "Minimum", "Multiply")],
        Case("maximum_one_masked", (EMB, layer("d", "Dense", ["x"], units=5), layer("merge", "Maximum", ["d", "emb"])),
             inputs=(IDS_INPUT, FLOAT_STEPS)),
        Case("multiply_one_masked_three", (EMB, EMB2, layer("d", "Dense", ["x"], units=5),
                                           layer("merge", "Multiply", ["emb", "d", "emb2"])),
             inputs=(IDS_INPUT, IDS2_INPUT, FLOAT_STEPS)),
        Case("concatenate_steps_both_masked", (EMB, EMB2, layer("cat", "Concatenate", ["emb", "emb2"], axis=1),
                                               layer("rnn", "LSTM", units=4, return_sequences=True),
                                               layer("pool", "GlobalAveragePooling1D")),
             inputs=(IDS_INPUT, IDS2_INPUT)),
        Case("concatenate_steps_one_masked", (EMB, layer("d", "Dense", ["x"], units=5),
                                              layer("cat", "Concatenate", ["d", "emb"], axis=-2),
                                              layer("rnn", "GRU", units=4, go_backwards=True)),
             inputs=(IDS_INPUT, FLOAT_STEPS)),
        Case("concatenate_features_or", (EMB, EMB2, layer("cat", "Concatenate", ["emb", "emb2"]),
                                         layer("pool", "GlobalAveragePooling1D")), inputs=(IDS_INPUT, IDS2_INPUT)),
        # TimeDistributed hands its inner layer each step's mask; Softmax reads a mask of its input's shape
        Case("time_distributed_pool_words", (
            layer("emb", "Embedding", ["words"], input_dim=VOCABULARY, output_dim=4, mask_zero=True),
            layer("td", "TimeDistributed", layer={"type": "GlobalAveragePooling1D"}), layer("flat", "Flatten")),
             inputs=({"name": "words", "shape": [3, STEPS], "dtype": "int32"},)),
        Case("time_distributed_lstm_words", (
            layer("emb", "Embedding", ["words"], input_dim=VOCABULARY, output_dim=4, mask_zero=True),
            layer("td", "TimeDistributed", layer={"type": "LSTM", "units": 3}), layer("flat", "Flatten")),
             inputs=({"name": "words", "shape": [3, STEPS], "dtype": "int32"},)),
        Case("softmax_masked", (
            layer("emb", "Embedding", ["words"], input_dim=VOCABULARY, output_dim=1, mask_zero=True),
            layer("td", "TimeDistributed", layer={"type": "Flatten"}), layer("soft", "Softmax")),
             inputs=({"name": "words", "shape": [3, STEPS], "dtype": "int32"},)),
        # ConvLSTM1D over (time, positions, channels) whose time steps carry the mask
        *[Case(f"conv_lstm1d_{name}", (
            EMB, layer("td", "TimeDistributed", layer={"type": "Reshape", "target_shape": [5, 1]}),
            layer("conv", "ConvLSTM1D", filters=2, kernel_size=3, padding="same", **args)))
          for name, args in {"last": {}, "sequences": {"return_sequences": True},
                             "zero_output_backwards": {"return_sequences": True, "go_backwards": True,
                                                       "zero_output_for_mask": True},
                             "zero_output_last": {"zero_output_for_mask": True}}.items()],
    ]
    return cases


CASES = rnn_cases() + bidirectional_cases() + other_cases()
BY_ID = {case.id: case for case in CASES}


def feed(case: Case, dtype: str, seed: int = 0) -> dict[str, np.ndarray]:
    """Token ids IDS / OTHER_IDS (3 sentences of them for a `words` input); float steps whose masked ones (Masking)
    have every feature at the mask value, and one step with only some; random float attention masks."""
    rng = np.random.default_rng(seed)
    out = {}
    for spec_input in case.inputs:
        name, shape = spec_input["name"], tuple(spec_input["shape"])
        if name in ("ids", "ids2"):
            out[name] = IDS if name == "ids" else OTHER_IDS
        elif name == "words":  # each sentence's words: the rows of IDS in another order
            out[name] = np.stack([np.roll(IDS, k, axis=0) for k in range(shape[0])], axis=1)
        elif name == "m":
            m = rng.random((BATCH, *shape)) < 0.7
            out[name] = m if spec_input.get("dtype") == "bool" else rng.choice([0.0, 0.3, 1.0], m.shape).astype(dtype)
        else:
            x = rng.normal(size=(BATCH, *shape)).astype(dtype)
            value = next((layer["mask_value"] for layer in case.layers if layer.get("type") == "Masking"
                          and "mask_value" in layer), 0.0)
            x[IDS == 0] = value
            x[0, 1, 0] = value  # one feature at the mask value: the step still counts
            out[name] = x
    return out


def keras_and_onnx(case: Case, dtype: str):
    result = check_text(case.text(), lint=False)
    assert result.ok, [d.message for d in result.errors]
    model = build_single(result, dtype, 0, "keras")
    return result, model


def run_ort(onnx_model, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
    onnxruntime = import_framework("onnxruntime")
    session = onnxruntime.InferenceSession(onnx_model.SerializeToString(), providers=["CPUExecutionProvider"])
    return session.run(None, {i.name: inputs[i.name] for i in session.get_inputs()})


def keras_run(model, inputs: dict[str, np.ndarray]) -> list[np.ndarray]:
    got = model([inputs[t.name.split(":")[0]] for t in model.inputs], training=False)
    return [np.asarray(t) for t in (got if isinstance(got, (list, tuple)) else [got])]


def max_error(case: Case, dtype: str) -> float:
    from onnx import checker

    result, model = keras_and_onnx(case, dtype)
    inputs = feed(case, dtype)
    expected = keras_run(model, inputs)
    onnx_model = to_onnx(result, model, dtype=dtype)
    checker.check_model(onnx_model, full_check=True)
    actual = run_ort(onnx_model, inputs)
    assert len(actual) == len(expected)
    worst = 0.0
    for want, got in zip(expected, actual, strict=True):
        assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, want.shape, got.dtype, want.dtype)
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
        assert float(np.nanstd(want)) > 1e-3, "a constant output would agree with anything"
        worst = max(worst, float(np.nanmax(np.abs(got.astype(np.float64) - want))))
    return worst


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_onnx_computes_what_keras_computes_with_masks(case):
    error = max_error(case, "float32")
    assert error <= TOLERANCE["float32"], error


FLOAT64 = ["lstm_zero_output_sequences", "gru_reset_before_backwards_sequences", "simple_rnn_backwards_last",
           "bidirectional_gru_ave_pooled", "masking_value_gru_pool", "mha_explicit_mask_causal",
           "attention_cross_scale_causal_scores", "maximum_masked", "concatenate_steps_one_masked"]


@pytest.mark.parametrize("case_id", FLOAT64)
def test_float64_masked_models_run_in_onnxruntime(case_id):
    """The Scan bodies and mask nodes have onnxruntime float64 kernels: float64 agrees with Keras's float64."""
    error = max_error(BY_ID[case_id], "float64")
    assert error <= TOLERANCE["float64"], error


@pytest.mark.parametrize("case_id", ["conv_lstm1d_zero_output_backwards", "conv_lstm1d_last"])
def test_float64_masked_conv_lstm_in_the_reference_evaluator(case_id):
    """onnxruntime has no float64 Conv: the cross-check runs float64 ConvLSTM models in onnx's ReferenceEvaluator,
    which computes the masked Scan as Keras does too."""
    from onnx.reference import ReferenceEvaluator

    case = BY_ID[case_id]
    result, model = keras_and_onnx(case, "float64")
    inputs = feed(case, "float64")
    (want,) = keras_run(model, inputs)
    (got,) = ReferenceEvaluator(to_onnx(result, model, dtype="float64")).run(None, inputs)
    assert float(np.max(np.abs(got - want))) <= TOLERANCE["float64"]


def test_a_fully_masked_sample_pools_to_nan_and_its_rnn_output_to_zero():
    """Keras's own values on the fully masked row (IDS[3]): GlobalAveragePooling1D divides 0 by 0, an RNN never
    updates its zero state; the ONNX model has the same (max_error checks NaN positions and values)."""
    for case_id in ("pool_fully_masked_is_nan", "lstm_last"):
        result, model = keras_and_onnx(BY_ID[case_id], "float32")
        (want,) = keras_run(model, feed(BY_ID[case_id], "float32"))
        row = want[3]
        assert np.isnan(row).all() if case_id.startswith("pool") else not row.any()
        assert not np.isnan(np.delete(want, 3, axis=0)).any()
        assert max_error(BY_ID[case_id], "float32") <= TOLERANCE["float32"]


def gap_from_keras(case_id: str) -> float:
    """The largest |ONNX - Keras| of a case, NaN positions left out."""
    result, model = keras_and_onnx(BY_ID[case_id], "float32")
    inputs = feed(BY_ID[case_id], "float32")
    pairs = zip(run_ort(to_onnx(result, model), inputs), keras_run(model, inputs), strict=True)
    return max(float(np.nanmax(np.abs(got - want))) for got, want in pairs)


@pytest.mark.parametrize("case_id", [
    "lstm_last", "gru_backwards_sequences", "simple_rnn_zero_output_sequences", "bidirectional_lstm_concat_pooled",
    "mha_cross_both_masked", "mha_cross_key_masked", "gqa_self", "attention_self", "additive_cross",
    "maximum_masked", "multiply_masked", "masking_lstm", "softmax_masked", "concatenate_steps_one_masked",
    "time_distributed_lstm_words", "conv_lstm1d_sequences"])
def test_the_masks_decide_the_result(monkeypatch, case_id):
    """With the masks withheld from every layer (as if ONNX had ignored them), the model no longer agrees with
    Keras: the comparison above can fail."""
    monkeypatch.setattr(onnx_masks, "reads_masks", lambda layer: False)
    assert gap_from_keras(case_id) > 1e-3


@pytest.mark.parametrize("case_id", [
    "lstm_zero_output_sequences", "simple_rnn_zero_output_last", "gru_zero_output_backwards_last",
    "lstm_sequences", "bidirectional_gru_sum_sequences", "bidirectional_simplernn_concat_sequences",
    "bidirectional_lstm_concat_last",
    "bidirectional_gru_reset_before_zero_output_ignored"])
def test_zero_output_for_mask_decides_the_result(monkeypatch, case_id):
    """Each masked recurrence with zero_output_for_mask inverted disagrees with Keras: the cases show both
    settings, and Bidirectional's own (return_sequences, whatever its layer says)."""
    real = onnx_recurrent.masked_rnn
    monkeypatch.setattr(onnx_recurrent, "masked_rnn", lambda layer, ctx, cell, backwards, zero_output:
                        real(layer, ctx, cell, backwards, not zero_output))
    assert gap_from_keras(case_id) > 1e-3


def test_conv_lstm_last_output_is_zero_where_the_last_step_is_masked(monkeypatch):
    monkeypatch.setattr(onnx_recurrent, "last_read", lambda g, ms, value: value)
    assert gap_from_keras("conv_lstm1d_zero_output_last") > 1e-3


def test_each_mask_is_computed_once():
    """The example of the issue (Embedding mask_zero -> LSTM -> Bidirectional(GRU) -> MultiHeadAttention
    -> Add -> GlobalAveragePooling1D), where four layers read the Embedding's mask: one Equal node computes it."""
    case = Case("masked_text", (
        EMB, layer("lstm", "LSTM", units=4, return_sequences=True),
        layer("gru", "Bidirectional", layer=recurrent("GRU", return_sequences=True)),
        layer("mha", "MultiHeadAttention", ["gru", "gru"], **ATTENTION), layer("add", "Add", ["gru", "mha"]),
        layer("pool", "GlobalAveragePooling1D"), layer("out", "Dense", units=3)))
    assert max_error(case, "float32") <= TOLERANCE["float32"]
    result, model = keras_and_onnx(case, "float32")
    nodes = to_onnx(result, model).graph.node
    assert [n.name for n in nodes if n.op_type == "Equal"] == ["emb/mask/Equal"]
    assert sum(n.op_type == "Scan" for n in nodes) == 3  # the LSTM, the two directions of the GRU


def test_without_a_mask_the_rnn_ops_stay():
    """A recurrent layer reading no mask is still one ONNX LSTM node (no Scan)."""
    case = Case("plain", (layer("rnn", "LSTM", ["x"], units=4),), inputs=(FLOAT_STEPS,))
    result, model = keras_and_onnx(case, "float32")
    ops = [n.op_type for n in to_onnx(result, model).graph.node]
    assert "LSTM" in ops and "Scan" not in ops
