"""Keras's implicit masks in the emitted PyTorch models (emit/torch/masks.py computes them explicitly, the runtime
modules read them), against the real Keras models: Keras's randomized weights copied in (emit/weights.py), token ids
padded on the right, on the left, with holes in the middle, a fully masked row, a row without padding and one with
a single real step; float sequences padded with Masking's mask_value. Outputs are compared in float32 and float64,
NaN where Keras gives NaN (GlobalAveragePooling1D over a fully masked sample). Each case must also differ when the
masks are switched off (mask_zero false, a mask_value no input holds): so a translation that ignored them fails.
"""

from __future__ import annotations

import ast
import re

import numpy as np
import pytest
from frameworks import import_framework

from specbridge.check import check_text
from specbridge.crosscheck.compare import keras_to_torch_layout, torch_to_keras_layout
from specbridge.crosscheck.run import build_pair
from specbridge.emit import NotExpressible, to_torch, torch_source
from specbridge.emit.weights import keras_to_torch

keras = import_framework("keras")
torch = import_framework("torch")

from specbridge.emit.torch import runtime as R  # noqa: E402

TOLERANCE = {"float32": 1e-5, "float64": 1e-9}  # relative to max(1, |Keras's output|)
MATTERS = 1e-3  # the least difference switching the masks off must make
VOCAB, BATCH, FEATURES = 20, 7, 4
IDS = "{name: ids, shape: [9], dtype: int32}"


def spec(layers: str, inputs: str = IDS, outputs: str = "") -> str:
    """A spec from YAML flow-style input and layer lines (the first layer reads the first input)."""
    body = "\n".join(f"  - {line}" for line in layers.strip().splitlines())
    ins = "\n".join(f"  - {line}" for line in inputs.strip().splitlines())
    tail = f"outputs: [{outputs}]\n" if outputs else ""
    return f"specbridge: 1\nname: t\ninputs:\n{ins}\nlayers:\n{body}\n{tail}"


def emb(name: str = "emb", source: str = "ids", dim: int = 8, mask: bool = True) -> str:
    return (f"{{name: {name}, type: Embedding, input_dim: {VOCAB}, output_dim: {dim}, mask_zero: {str(mask).lower()}, "
            f"inputs: [{source}]}}")


# ---------------------------------------------------------------- the cases

RNNS = {"simple_rnn": "{type: SimpleRNN, units: 5", "simple_rnn_relu": "{type: SimpleRNN, units: 5, activation: relu",
        "lstm": "{type: LSTM, units: 5", "gru": "{type: GRU, units: 5",
        "gru_reset_before": "{type: GRU, units: 5, reset_after: false"}
VARIANTS = {"": "", "_backwards": ", go_backwards: true", "_zero_output": ", zero_output_for_mask: true",
            "_backwards_zero_output": ", go_backwards: true, zero_output_for_mask: true"}

CASES: dict[str, str] = {}
for _rnn, _layer in RNNS.items():
    for _variant, _options in VARIANTS.items():
        for _seq in (True, False):
            _name = f"{_rnn}{_variant}_{'sequences' if _seq else 'last'}"
            CASES[_name] = spec(f"{emb()}\n{_layer}, return_sequences: {str(_seq).lower()}{_options}}}")
for _rnn in ("lstm", "gru", "gru_reset_before", "simple_rnn"):
    for _merge in ("concat", "sum", "mul", "ave"):
        CASES[f"bidirectional_{_rnn}_{_merge}_pooled"] = spec(
            f"{emb()}\n{{type: Bidirectional, merge_mode: {_merge}, layer: {RNNS[_rnn]}, return_sequences: true}}}}\n"
            "{type: GlobalAveragePooling1D}")
        CASES[f"bidirectional_{_rnn}_{_merge}_last"] = spec(
            f"{emb()}\n{{type: Bidirectional, merge_mode: {_merge}, layer: {RNNS[_rnn]}}}}}")
    # the sequence itself: Keras forces zero_output_for_mask on both directions, so masked steps are zeros
    CASES[f"bidirectional_{_rnn}_sequences"] = spec(
        f"{emb()}\n{{type: Bidirectional, layer: {RNNS[_rnn]}, return_sequences: true}}}}")
CASES.update({
    # the example the work started from: Embedding -> LSTM -> Bidirectional(GRU) -> self-attention -> Add -> pooling
    "masked_text": spec(f"""{emb(dim=16)}
{{name: lstm, type: LSTM, units: 8, return_sequences: true}}
{{name: gru, type: Bidirectional, layer: {{type: GRU, units: 4, return_sequences: true}}}}
{{name: mha, type: MultiHeadAttention, num_heads: 2, key_dim: 4, inputs: [gru, gru]}}
{{name: add, type: Add, inputs: [gru, mha]}}
{{name: pool, type: GlobalAveragePooling1D}}
{{name: out, type: Dense, units: 3}}""", outputs="out"),
    "gru_reset_before_softsign": spec(f"{emb()}\n{{type: GRU, units: 4, reset_after: false, activation: softsign, "
                                      "return_sequences: true}"),
    "stacked_lstm_dense_pool": spec(f"{emb()}\n{{type: LSTM, units: 6, return_sequences: true}}\n"
                                    "{type: Dense, units: 3}\n{type: GlobalAveragePooling1D}"),
    "pooled_embedding": spec(f"{emb()}\n{{type: GlobalAveragePooling1D}}"),
    "pooled_embedding_keepdims": spec(f"{emb()}\n{{type: GlobalAveragePooling1D, keepdims: true}}"),
    "two_readers_one_mask": spec(f"""{emb()}
{{name: lstm, type: LSTM, units: 4, inputs: [emb]}}
{{name: pool, type: GlobalAveragePooling1D, inputs: [emb]}}""", outputs="lstm, pool"),
    "masked_lstm_and_its_embedding": spec(f"{emb()}\n{{name: lstm, type: LSTM, units: 4, return_sequences: true}}",
                                          outputs="emb, lstm"),
    # Masking on float sequences: its output, a reader, and GlobalAveragePooling1D on a signal (channels first)
    "masking_lstm": spec("{name: m, type: Masking, mask_value: 0.0}\n{type: LSTM, units: 5}",
                         inputs="{name: x, shape: [9, 4]}"),
    "masking_value_pooled": spec("{name: m, type: Masking, mask_value: -1.5}\n{type: Dense, units: 3}\n"
                                 "{type: GlobalAveragePooling1D}", inputs="{name: x, shape: [9, 4]}"),
    "masking_output_and_bidirectional": spec(
        "{name: m, type: Masking, mask_value: 0.25}\n"
        "{name: bi, type: Bidirectional, merge_mode: sum, layer: {type: GRU, units: 3, return_sequences: true}}",
        inputs="{name: x, shape: [9, 4]}", outputs="m, bi"),
    "masking_value_0_1_gru": spec("{name: m, type: Masking, mask_value: 0.1}\n{type: GRU, units: 4}",
                                  inputs="{name: x, shape: [9, 4]}"),
})

TWO = "{name: q, shape: [7], dtype: int32}\n{name: v, shape: [9], dtype: int32}"
THREE = TWO + "\n{name: k, shape: [9], dtype: int32}"
SAME_LENGTH = "{name: q, shape: [9], dtype: int32}\n{name: v, shape: [9], dtype: int32}"
MHA = "{name: att, type: MultiHeadAttention, num_heads: 2, key_dim: 4"
CASES.update({
    "mha_self": spec(f"{emb()}\n{MHA}, inputs: [emb, emb]}}\n{{type: GlobalAveragePooling1D}}"),
    "mha_self_causal": spec(f"{emb()}\n{MHA}, inputs: [emb, emb], use_causal_mask: true}}"),
    "mha_self_scores": spec(f"{emb()}\n{MHA}, inputs: [emb, emb], return_attention_scores: true}}",
                            outputs="att, att.scores"),
    "mha_self_explicit_module": spec(f"{emb()}\n{{name: att, type: MultiHeadAttention, num_heads: 2, key_dim: 3, "
                                     "inputs: [emb, emb]}"),
    "mha_self_explicit_module_scores_causal": spec(
        f"{emb()}\n{{name: att, type: MultiHeadAttention, num_heads: 2, key_dim: 3, value_dim: 5, "
        "inputs: [emb, emb], use_causal_mask: true, return_attention_scores: true}", outputs="att, att.scores"),
    "mha_cross_query_masked": spec(f"{emb('eq', 'q')}\n{emb('ev', 'v', mask=False)}\n{MHA}, inputs: [eq, ev]}}",
                                   inputs=TWO),
    "mha_cross_value_masked": spec(f"{emb('eq', 'q', mask=False)}\n{emb('ev', 'v')}\n{MHA}, inputs: [eq, ev]}}",
                                   inputs=TWO),
    "mha_cross_both_masked_scores": spec(f"{emb('eq', 'q')}\n{emb('ev', 'v')}\n{MHA}, inputs: [eq, ev], "
                                         "return_attention_scores: true}", inputs=TWO, outputs="att, att.scores"),
    "mha_cross_key_masked": spec(f"{emb('eq', 'q')}\n{emb('ev', 'v', mask=False)}\n{emb('ek', 'k', dim=6)}\n"
                                 f"{MHA}, inputs: [eq, ev, ek]}}", inputs=THREE),
    "mha_cross_attention_mask": spec(
        f"{emb('eq', 'q')}\n{emb('ev', 'v')}\n{MHA}, inputs: [eq, ev], attention_mask: am}}",
        inputs=TWO + "\n{name: am, shape: [7, 9], dtype: bool}"),
    "mha_cross_attention_mask_scores": spec(
        f"{emb('eq', 'q')}\n{emb('ev', 'v')}\n{MHA}, inputs: [eq, ev], attention_mask: am, "
        "return_attention_scores: true}", inputs=TWO + "\n{name: am, shape: [7, 9], dtype: bool}",
        outputs="att, att.scores"),
    "mha_cross_causal_attention_mask": spec(
        f"{emb('eq', 'q')}\n{emb('ev', 'v')}\n{MHA}, inputs: [eq, ev], attention_mask: am, use_causal_mask: true}}",
        inputs=SAME_LENGTH + "\n{name: am, shape: [9, 9], dtype: bool}"),
    "mha_float_attention_mask_explicit_module": spec(
        f"{emb('eq', 'q')}\n{emb('ev', 'v')}\n{{name: att, type: MultiHeadAttention, num_heads: 3, key_dim: 2, "
        "inputs: [eq, ev], attention_mask: am}", inputs=TWO + "\n{name: am, shape: [7, 9]}"),
    "gqa_self": spec(f"{emb()}\n{{name: att, type: GroupedQueryAttention, head_dim: 4, num_query_heads: 4, "
                     "num_key_value_heads: 2, inputs: [emb, emb]}"),
    "gqa_cross_scores_attention_mask": spec(
        f"{emb('eq', 'q')}\n{emb('ev', 'v')}\n{{name: att, type: GroupedQueryAttention, head_dim: 4, "
        "num_query_heads: 2, num_key_value_heads: 1, inputs: [eq, ev], attention_mask: am, "
        "return_attention_scores: true}", inputs=TWO + "\n{name: am, shape: [7, 9]}", outputs="att, att.scores"),
    "gqa_cross_causal": spec(f"{emb('eq', 'q')}\n{emb('ev', 'v')}\n{{name: att, type: GroupedQueryAttention, "
                             "head_dim: 4, num_query_heads: 2, num_key_value_heads: 2, inputs: [eq, ev], "
                             "use_causal_mask: true}", inputs=SAME_LENGTH),
    # Attention / AdditiveAttention: mask=[query's, value's]
    "attention_both_masked": spec(f"{emb('eq', 'q')}\n{emb('ev', 'v')}\n{{name: att, type: Attention, "
                                  "inputs: [eq, ev]}", inputs=TWO),
    "attention_query_masked_scores": spec(
        f"{emb('eq', 'q')}\n{emb('ev', 'v', mask=False)}\n{{name: att, type: Attention, use_scale: true, "
        "inputs: [eq, ev], return_attention_scores: true}", inputs=TWO, outputs="att, att.scores"),
    "attention_value_masked_concat": spec(
        f"{emb('eq', 'q', mask=False)}\n{emb('ev', 'v')}\n{{name: att, type: Attention, score_mode: concat, "
        "inputs: [eq, ev]}", inputs=TWO),
    "attention_causal_masked": spec(f"{emb('eq', 'q')}\n{emb('ev', 'v')}\n{{name: att, type: Attention, "
                                    "inputs: [eq, ev], use_causal_mask: true}", inputs=SAME_LENGTH),
    "attention_key_masked": spec(f"{emb('eq', 'q')}\n{emb('ev', 'v')}\n{emb('ek', 'k')}\n{{name: att, "
                                 "type: Attention, inputs: [eq, ev, ek]}", inputs=THREE),
    "additive_attention_both_masked_scores": spec(
        f"{emb('eq', 'q')}\n{emb('ev', 'v')}\n{{name: att, type: AdditiveAttention, inputs: [eq, ev], "
        "return_attention_scores: true}", inputs=TWO, outputs="att, att.scores"),
    "additive_attention_causal_no_scale": spec(
        f"{emb('eq', 'q')}\n{emb('ev', 'v')}\n{{name: att, type: AdditiveAttention, use_scale: false, "
        "inputs: [eq, ev], use_causal_mask: true}\n{type: GlobalAveragePooling1D}", inputs=SAME_LENGTH),
    # merges: Add's mask is the inputs' or-ed; Concatenate along the steps joins them
    "add_two_masks_lstm": spec(f"{emb('ea', 'q')}\n{emb('eb', 'v')}\n{{name: add, type: Add, inputs: [ea, eb]}}\n"
                               "{type: LSTM, units: 4, return_sequences: true}", inputs=SAME_LENGTH),
    "subtract_two_masks_pooled": spec(f"{emb('ea', 'q')}\n{emb('eb', 'v')}\n{{name: sub, type: Subtract, "
                                      "inputs: [ea, eb]}\n{type: GlobalAveragePooling1D}", inputs=SAME_LENGTH),
    "concatenate_steps_lstm": spec(f"{emb('ea', 'q')}\n{emb('eb', 'v')}\n{{name: cat, type: Concatenate, axis: 1, "
                                   "inputs: [ea, eb]}\n{type: LSTM, units: 4}", inputs=TWO),
    "concatenate_steps_one_unmasked_pooled": spec(
        f"{emb('ea', 'q')}\n{emb('eb', 'v', mask=False)}\n{{name: cat, type: Concatenate, axis: -2, "
        "inputs: [ea, eb]}\n{type: GlobalAveragePooling1D}", inputs=TWO),
    "concatenate_features_gru": spec(f"{emb('ea', 'q')}\n{emb('eb', 'v', dim=3)}\n{{name: cat, type: Concatenate, "
                                     "inputs: [ea, eb]}\n{type: GRU, units: 4}", inputs=SAME_LENGTH),
    "concatenate_masking_and_embedding": spec(
        f"{{name: m, type: Masking, mask_value: 0.0, inputs: [x]}}\n{emb('eb', 'v', dim=4)}\n"
        "{name: cat, type: Concatenate, axis: 1, inputs: [m, eb]}\n{type: GlobalAveragePooling1D}",
        inputs="{name: x, shape: [5, 4]}\n{name: v, shape: [9], dtype: int32}"),
})


# ---------------------------------------------------------------- inputs, models, comparison


def token_ids(steps: int, rng: np.random.Generator) -> np.ndarray:
    """Ids in [1, VOCAB) with 0 (padding) at the end, at the start, in holes, everywhere, nowhere, all but last."""
    ids = rng.integers(1, VOCAB, (BATCH, steps))
    ids[0, steps // 2 + 1:] = 0
    ids[1, : steps // 2] = 0
    ids[2, 1::3] = 0
    ids[3] = 0
    ids[5, :-1] = 0
    ids[6, 0] = 0
    return ids.astype("int32")


def float_steps(shape: tuple, value: float, dtype: str, rng: np.random.Generator) -> np.ndarray:
    """Random sequences whose padded steps (the rows of token_ids' zeros) hold `value` rounded to float32 in every
    feature; one step holds it in one feature only, which keeps it; one holds the float64 value in every feature,
    which Keras masks in float32 only (it compares with a float32 mask_value in a float64 model too)."""
    x = rng.normal(size=(BATCH, *shape)).astype(dtype)
    padded = token_ids(shape[0], rng) == 0
    x[padded] = np.float32(value)
    x[4, 2, 0] = np.float32(value)
    x[4, -1, :] = value
    return x


def make_inputs(result, dtype: str, mask_value: float, seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = []
    for spec_input in result.document.spec().named_inputs():
        shape = tuple(spec_input.shape)
        if spec_input.dtype == "int32":
            arrays.append(token_ids(shape[0], rng))
        elif spec_input.dtype == "bool":
            arrays.append(rng.random((BATCH, *shape)) < 0.7)
        elif len(shape) == 2 and shape[1] == FEATURES:
            arrays.append(float_steps(shape, mask_value, dtype, rng))
        else:  # a float attention mask: 0 and 1
            arrays.append((rng.random((BATCH, *shape)) < 0.7).astype(dtype))
    return arrays


def keras_run(model, inputs) -> list[np.ndarray]:
    out = model(inputs if len(inputs) > 1 else inputs[0])
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def torch_run(model, result, inputs) -> list[np.ndarray]:
    names = [i.name for i in result.document.spec().named_inputs()]
    args = [torch.from_numpy(keras_to_torch_layout(x, model.INPUT_LAYOUT[n])) for x, n in zip(inputs, names, strict=True)]
    with torch.no_grad():
        out = model(*args)
    outs = out if isinstance(out, (list, tuple)) else [out]
    return [torch_to_keras_layout(o.numpy(), model.OUTPUT_LAYOUT.get(n, "keras"))
            for o, n in zip(outs, result.graph.outputs, strict=True)]


def difference(expected: list[np.ndarray], actual: list[np.ndarray]) -> float:
    """The largest difference relative to max(1, |expected|); inf where NaNs are not in the same places."""
    worst = 0.0
    for k, t in zip(expected, actual, strict=True):
        assert k.shape == t.shape, (k.shape, t.shape)
        if not np.array_equal(np.isnan(k), np.isnan(t)):
            return float("inf")
        real = ~np.isnan(k)
        if real.any():
            scale = max(1.0, float(np.abs(k[real]).max()))
            worst = max(worst, float(np.abs(k[real] - t[real]).max()) / scale)
    return worst


def mask_value(text: str) -> float:
    found = re.search(r"mask_value: ([-0-9.e]+)", text)
    return float(found.group(1)) if found else 0.0


def masks_off(text: str) -> str:
    """The same model without its masks: no padding id, and a mask_value that no input holds."""
    return re.sub(r"mask_value: [-0-9.e]+", "mask_value: 12345.0", text.replace("mask_zero: true", "mask_zero: false"))


def measure(text: str, dtype: str, layout: str = "torch") -> tuple[float, float]:
    """(difference to Keras, difference of the same PyTorch model with its masks off to Keras)."""
    result = check_text(text, lint=False)
    assert result.ok, [d.message for d in result.errors]
    keras_model, torch_model = build_pair(result, dtype, seed=0, layout=layout)
    inputs = make_inputs(result, dtype, mask_value(text))
    expected = keras_run(keras_model, inputs)
    masked = difference(expected, torch_run(torch_model, result, inputs))
    plain = check_text(masks_off(text), lint=False)
    unmasked = to_torch(plain, layout).to(getattr(torch, dtype))
    keras_to_torch(keras_model, unmasked, plain)
    return masked, difference(expected, torch_run(unmasked, plain, inputs))


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_masked_model_matches_keras(case, dtype):
    masked, unmasked = measure(CASES[case], dtype)
    assert masked <= TOLERANCE[dtype], f"{case} {dtype}: {masked:.3g} from Keras"
    assert unmasked > MATTERS, f"{case}: the masks change nothing here ({unmasked:.3g}): the case proves nothing"


# Layers that do not support masking drop the mask: it changes nothing after them.
DROPPED = {
    "global_max_pooling": spec(f"{emb()}\n{{type: GlobalMaxPooling1D}}"),
    "conv_then_lstm": spec(f"{emb()}\n{{type: Conv1D, filters: 4, kernel_size: 3, padding: same}}\n"
                           "{type: LSTM, units: 3}"),
    "flatten_then_dense": spec(f"{emb()}\n{{type: Flatten}}\n{{type: Dense, units: 3}}"),
    "masking_then_global_max_pooling": spec("{name: m, type: Masking, mask_value: 0.0}\n{type: GlobalMaxPooling1D}",
                                            inputs="{name: x, shape: [9, 4]}"),
}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", sorted(DROPPED))
def test_dropped_masks_change_nothing(case, dtype):
    masked, unmasked = measure(DROPPED[case], dtype)
    assert masked <= TOLERANCE[dtype] and unmasked <= TOLERANCE[dtype], (case, masked, unmasked)


@pytest.mark.parametrize("case", ["masking_value_pooled", "mha_cross_attention_mask", "bidirectional_gru_sum_pooled"])
def test_masked_model_in_keras_layout_matches_keras(case):
    masked, _ = measure(CASES[case], "float32", layout="keras")
    assert masked <= TOLERANCE["float32"], f"{case}: {masked:.3g} from Keras"


def test_forward_computes_each_mask_once_before_its_origin_overwrites_x():
    """A stack spec: every variable is `x`, so the mask of the Embedding's ids comes before the Embedding's line."""
    source = torch_source(CASES["stacked_lstm_dense_pool"])
    body = source[source.index("def forward(self, x):"):]
    lines = [line.strip() for line in body.splitlines()[1:6]]
    assert lines[:2] == ["emb_mask = x != 0", "x = self.emb(x)"], lines
    assert "x = self.lstm(x, mask=emb_mask)" in lines and "mask=emb_mask" in lines[-1]
    assert body.count("emb_mask =") == 1


def test_masks_are_passed_by_keras_s_keywords():
    mha = torch_source(CASES["mha_cross_key_masked"])
    assert "self.att(eq, ev, ek, query_mask=eq_mask, key_mask=ek_mask)" in mha
    attention = torch_source(CASES["attention_query_masked_scores"])
    assert "self.att(eq, ev, mask=[eq_mask, None])" in attention
    merged = torch_source(CASES["add_two_masks_lstm"])
    assert "add_mask = ea_mask | eb_mask" in merged


@pytest.mark.parametrize("case", ["add_two_masks_lstm", "concatenate_masking_and_embedding", "mha_self"])
def test_emitted_masks_are_plain_pytorch(case):
    tree = ast.parse(torch_source(CASES[case]))
    modules = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    modules |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert modules == {"torch"}


def test_models_without_masks_are_emitted_as_before():
    """No mask: no mask variable, the fused modules."""
    source = torch_source(spec(f"{emb(mask=False)}\n{{type: LSTM, units: 3, return_sequences: true}}\n"
                               "{type: GlobalAveragePooling1D}"))
    forward = source[source.index("class T(nn.Module)"):]
    assert "mask" not in forward and "nn.AdaptiveAvgPool1d(1)" in source


def test_time_distributed_reader_with_a_mask_is_refused():
    text = spec(f"{emb(source='ids')}\n{{type: TimeDistributed, layer: {{type: LSTM, units: 3}}}}",
                inputs="{name: ids, shape: [3, 5], dtype: int32}")
    assert check_text(text, lint=False).ok
    with pytest.raises(NotExpressible, match=re.escape("TimeDistributed(LSTM) with the mask of 'emb'")):
        torch_source(text)


# ---------------------------------------------------------------- modules no spec reaches with a mask


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_masked_softmax_matches_keras_softmax_layer(dtype):
    """Keras's Softmax reads a mask of the input's rank only (shapes/masks.py), which no spec layer makes: the
    module against keras.layers.Softmax called with masks, a fully masked axis and a float mask included."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4, 5)).astype(dtype)
    masks = [rng.random((3, 4, 5)) < 0.6, rng.random((3, 1, 5)) < 0.6, rng.random((3, 4, 5)).astype(dtype)]
    masks[0][1, 2] = False
    for axis in (-1, 1):
        for mask in masks:
            expected = np.asarray(keras.layers.Softmax(axis=axis, dtype=dtype)(x, mask=mask))
            actual = R.MaskedSoftmax(dim=axis)(torch.from_numpy(x), mask=torch.from_numpy(mask)).numpy()
            assert difference([expected], [actual]) <= TOLERANCE[dtype]


@pytest.mark.parametrize("options", [{}, {"return_sequences": True}, {"go_backwards": True},
                                     {"return_sequences": True, "zero_output_for_mask": True}])
def test_conv_lstm_with_a_mask_matches_keras(options):
    """ConvLSTM reads a (batch, time) mask, which no spec layer makes for its (time, *spatial, channels) input:
    the emitted module, called with one, against the Keras layer called with it."""
    words = ", ".join(f"{k}: {str(v).lower()}" for k, v in options.items())
    text = spec(f"{{name: conv, type: ConvLSTM1D, filters: 3, kernel_size: 2, padding: same, {words}}}",
                inputs="{name: x, shape: [6, 5, 2]}")
    result = check_text(text, lint=False)
    keras_model, torch_model = build_pair(result, "float64", seed=0, layout="keras")
    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, 6, 5, 2))
    mask = token_ids(6, rng) != 0
    expected = np.asarray(keras_model.get_layer("conv")(x, mask=mask))
    module = torch_model.get_submodule(type(torch_model).SPEC_LAYERS["conv"])
    with torch.no_grad():
        actual = module(torch.from_numpy(x), mask=torch.from_numpy(mask)).numpy()
    assert difference([expected], [actual]) <= TOLERANCE["float64"]
    unmasked = np.asarray(keras_model.get_layer("conv")(x))
    assert difference([expected], [unmasked]) > MATTERS
