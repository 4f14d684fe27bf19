"""The ONNX emitter's attention layers against the real Keras layers (Keras 3.15).

Each case builds the Keras layer in a small keras.Model, gives every variable a random non-trivial value (non-zero
biases, scales that are not 1), emits the ONNX model of the equivalent spec with those weights (to_onnx reads them
from the keras.Model) and compares what onnxruntime computes with what Keras computes: the output and, with
return_attention_scores, the scores (a second ONNX output, named `att.scores`), in float32 and float64.

Keras has two ways of computing MultiHeadAttention / GroupedQueryAttention that differ on a query row whose keys
are all masked (emit/onnx/attention.py): ops.dot_product_attention gives it uniform weights over every key, the
Softmax layer zero weights. Every masked case fully masks one query row, so the comparison covers both.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional

import numpy as np
import pytest
from frameworks import import_framework

from specbridge.check import check_text
from specbridge.emit import to_onnx
from specbridge.emit.random_values import random_value

from .keras_onnx import frameworks  # noqa: F401  (the module fixture: Keras, onnx, onnxruntime)

TOLERANCE = {"float32": 1e-4, "float64": 1e-9}  # max |Keras - onnxruntime|
BATCH = 2


@dataclass(frozen=True)
class Case:
    id: str
    kind: str  # the Keras class, which is also the spec type
    args: dict  # constructor arguments, spelled as the spec spells them
    query: tuple
    value: Optional[tuple] = None  # None: self-attention, the query is the value too
    key: Optional[tuple] = None
    mask: Optional[tuple] = None  # attention_mask's shape, batch excluded
    attention_rank: int = 1  # how many of the mask's last axes are key axes
    mask_dtype: str = "bool"  # "float": the model's float dtype
    causal: bool = False
    scores: bool = False

    @property
    def projected(self) -> bool:
        return self.kind in ("MultiHeadAttention", "GroupedQueryAttention")


MHA, GQA = "MultiHeadAttention", "GroupedQueryAttention"
KERAS_CLASS = {GQA: "GroupQueryAttention"}  # Keras 3 exports it as keras.layers.GroupQueryAttention
CASES = [
    # MultiHeadAttention, rank-3 query: Keras's dot_product_attention path unless dropout or returned scores
    Case("mha_self", MHA, {"num_heads": 2, "key_dim": 3}, (5, 6)),
    Case("mha_cross_key_value_dim", MHA, {"num_heads": 3, "key_dim": 2, "value_dim": 4, "output_shape": 5},
         (4, 6), value=(7, 3), key=(7, 5)),
    Case("mha_no_bias_output_tuple", MHA, {"num_heads": 2, "key_dim": 3, "use_bias": False, "output_shape": [2, 3]},
         (4, 6), value=(5, 6)),
    Case("mha_mask", MHA, {"num_heads": 2, "key_dim": 3}, (4, 6), value=(5, 6), mask=(4, 5)),
    Case("mha_mask_scores", MHA, {"num_heads": 2, "key_dim": 3}, (4, 6), value=(5, 6), mask=(4, 5), scores=True),
    Case("mha_mask_dropout", MHA, {"num_heads": 2, "key_dim": 3, "dropout": 0.25}, (4, 6), value=(5, 6),
         mask=(4, 5)),
    Case("mha_causal", MHA, {"num_heads": 2, "key_dim": 4}, (5, 6), causal=True),
    Case("mha_causal_scores", MHA, {"num_heads": 2, "key_dim": 4}, (5, 6), causal=True, scores=True),
    Case("mha_causal_cross", MHA, {"num_heads": 2, "key_dim": 4}, (6, 6), value=(4, 6), causal=True),
    Case("mha_causal_mask", MHA, {"num_heads": 2, "key_dim": 3}, (5, 6), mask=(5, 5), causal=True),
    Case("mha_causal_mask_scores", MHA, {"num_heads": 2, "key_dim": 3}, (5, 6), mask=(5, 5), causal=True,
         scores=True),
    Case("mha_mask_broadcast_rows", MHA, {"num_heads": 2, "key_dim": 3}, (4, 6), value=(5, 6), mask=(1, 5)),
    # ranks 4 and 5: the Softmax path always; several attention axes: Einsum and a softmax over them
    Case("mha_rank4_all_axes", MHA, {"num_heads": 2, "key_dim": 3}, (3, 4, 5), value=(2, 3, 5), mask=(3, 4, 2, 3),
         attention_rank=2, scores=True),
    Case("mha_rank4_axis2", MHA, {"num_heads": 2, "key_dim": 3, "attention_axes": 2}, (3, 4, 5), value=(3, 6, 5),
         mask=(3, 4, 6), scores=True),
    Case("mha_rank4_axis1_causal", MHA, {"num_heads": 2, "key_dim": 3, "attention_axes": [-3]}, (4, 3, 5),
         causal=True, scores=True),
    Case("mha_rank4_axes_reversed", MHA, {"num_heads": 2, "key_dim": 2, "attention_axes": [2, 1]}, (3, 4, 5),
         value=(2, 3, 5), scores=True),
    Case("mha_rank5_axes_1_3", MHA, {"num_heads": 2, "key_dim": 2, "value_dim": 3, "attention_axes": [1, 3],
                                     "output_shape": [2, 2]}, (3, 2, 4, 5), value=(2, 2, 3, 5),
         mask=(2, 3, 4, 2, 3), attention_rank=2, scores=True),
    # GroupedQueryAttention
    Case("gqa_self", GQA, {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, (5, 6)),
    Case("gqa_mask", GQA, {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, (4, 6), value=(5, 6),
         mask=(4, 5)),
    Case("gqa_mask_scores", GQA, {"head_dim": 3, "num_query_heads": 6, "num_key_value_heads": 2}, (4, 6),
         value=(5, 6), mask=(4, 5), scores=True),
    Case("gqa_causal_key_no_bias", GQA, {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 1,
                                         "use_bias": False}, (5, 6), value=(5, 6), key=(5, 4), causal=True),
    Case("gqa_equal_heads_dropout_mask", GQA, {"head_dim": 3, "num_query_heads": 2, "num_key_value_heads": 2,
                                               "dropout": 0.5}, (4, 6), mask=(4, 4), causal=True),
    # non-bool masks: MultiHeadAttention casts to bool (nonzero is True), and so does GroupedQueryAttention except on
    # its Softmax path without a causal mask, where Keras's Softmax layer keeps what is > 0.5
    Case("mha_float_mask_scores", MHA, {"num_heads": 2, "key_dim": 3}, (4, 6), value=(5, 6), mask=(4, 5),
         scores=True, mask_dtype="float"),
    Case("gqa_float_mask", GQA, {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, (4, 6),
         value=(5, 6), mask=(4, 5), mask_dtype="float"),
    Case("gqa_float_mask_scores", GQA, {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, (4, 6),
         value=(5, 6), mask=(4, 5), scores=True, mask_dtype="float"),
    Case("gqa_float_mask_causal_scores", GQA, {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2},
         (5, 6), mask=(5, 5), causal=True, scores=True, mask_dtype="float"),
    Case("gqa_int_mask_dropout", GQA, {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2,
                                       "dropout": 0.1}, (4, 6), value=(5, 6), mask=(4, 5), mask_dtype="int32"),
    # Attention and AdditiveAttention: no projections, called on a list
    Case("attention_dot", "Attention", {}, (4, 5), value=(6, 5)),
    Case("attention_dot_scale_causal_scores", "Attention", {"use_scale": True}, (5, 4), causal=True, scores=True),
    Case("attention_concat_scale_key", "Attention", {"use_scale": True, "score_mode": "concat"}, (4, 5),
         value=(6, 3), key=(6, 5), scores=True),
    Case("attention_concat_causal", "Attention", {"score_mode": "concat"}, (6, 5), value=(4, 5), causal=True),
    Case("attention_rank4", "Attention", {"use_scale": True}, (2, 4, 5), value=(2, 3, 5), scores=True),
    Case("additive_scale_key_scores", "AdditiveAttention", {}, (4, 5), value=(6, 3), key=(6, 5), scores=True),
    Case("additive_no_scale_causal", "AdditiveAttention", {"use_scale": False}, (5, 4), causal=True),
]
BY_ID = {case.id: case for case in CASES}


def spec_text(case: Case, scores_as_output: bool = False) -> str:
    names = ["q", "q" if case.value is None else "v"] + (["k"] if case.key else [])
    inputs = [{"name": "q", "shape": list(case.query)}]
    inputs += [{"name": n, "shape": list(s)} for n, s in (("v", case.value), ("k", case.key)) if s is not None]
    if case.mask:
        dtype = {"float": {}, "bool": {"dtype": "bool"}}.get(case.mask_dtype, {"dtype": case.mask_dtype})
        inputs.append({"name": "m", "shape": list(case.mask), **dtype})
    layer = {"type": case.kind, "name": "att", **case.args, "inputs": names}
    if case.mask:
        layer["attention_mask"] = "m"
    if case.causal:
        layer["use_causal_mask"] = True
    if case.scores:
        layer["return_attention_scores"] = True
    outputs = ["att", "att.scores"] if scores_as_output else ["att"]
    lines = ["specbridge: 1", f"name: {case.id}", "inputs:", *(f"  - {json.dumps(i)}" for i in inputs),
             "layers:", f"  - {json.dumps(layer)}", f"outputs: {json.dumps(outputs)}"]
    return "\n".join(lines) + "\n"


def keras_model(case: Case, dtype: str, seed: int = 0):
    """The Keras layer named `att` in a keras.Model whose inputs are named as the spec's, weights randomized."""
    keras = import_framework("keras")
    inputs = {"q": keras.Input(case.query, name="q", dtype=dtype)}
    for name, shape in (("v", case.value), ("k", case.key)):
        if shape is not None:
            inputs[name] = keras.Input(shape, name=name, dtype=dtype)
    if case.mask:
        inputs["m"] = keras.Input(case.mask, name="m", dtype=_mask_dtype(case, dtype))
    layer = getattr(keras.layers, KERAS_CLASS.get(case.kind, case.kind))(**case.args, name="att", dtype=dtype)
    tensors = [inputs["q"], inputs.get("v", inputs["q"])] + ([inputs["k"]] if case.key else [])
    call = {"use_causal_mask": True} if case.causal else {}
    if case.scores:
        call["return_attention_scores"] = True
    if case.projected:
        out = layer(*tensors, attention_mask=inputs.get("m"), **call)
    else:
        out = layer(tensors, **call)
    model = keras.Model(list(inputs.values()), list(out) if case.scores else out)
    rng = np.random.default_rng(seed)
    for variable in layer.weights:
        variable.assign(random_value(variable.name, tuple(variable.shape), rng).astype(dtype))
    return model


def _mask_dtype(case: Case, dtype: str) -> str:
    return dtype if case.mask_dtype == "float" else case.mask_dtype


def random_feed(case: Case, dtype: str, seed: int = 1) -> dict[str, np.ndarray]:
    """Inputs by name; the mask is random, with the last query position's keys all masked. A float mask holds
    0, 0.3 and 1 (0.3 is True where Keras casts to bool, False where it keeps > 0.5), an int mask -1 to 2."""
    rng = np.random.default_rng(seed)
    feed = {"q": rng.normal(size=(BATCH, *case.query)).astype(dtype)}
    for name, shape in (("v", case.value), ("k", case.key)):
        if shape is not None:
            feed[name] = rng.normal(size=(BATCH, *shape)).astype(dtype)
    if case.mask:
        mask = rng.random((BATCH, *case.mask)) < 0.7
        if case.mask_dtype != "bool":
            choices = [0.0, 0.3, 1.0] if case.mask_dtype == "float" else [-1, 0, 1, 2]
            mask = rng.choice(np.asarray(choices), size=mask.shape).astype(_mask_dtype(case, dtype))
        query_axes = len(case.mask) - case.attention_rank
        mask[(slice(None), *(d - 1 for d in case.mask[:query_axes]))] = 0
        feed["m"] = mask
    return feed


def run_ort(model, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    onnxruntime = import_framework("onnxruntime")
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, feed), strict=True))


def keras_outputs(model, case: Case, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    got = model([feed[i.name] for i in model.inputs], training=False)
    outs = [np.asarray(t) for t in (got if case.scores else [got])]
    return dict(zip(["att", "att.scores"][:len(outs)], outs, strict=True))


def emitted(case: Case, model, dtype: str, scores_as_output: bool = False):
    from onnx import checker

    result = check_text(spec_text(case, scores_as_output), lint=False)
    assert result.ok, [d.message for d in result.errors]
    expose = ["att.scores"] if case.scores and not scores_as_output else None
    onnx_model = to_onnx(result, model, dtype=dtype, expose=expose)
    checker.check_model(onnx_model, full_check=True)
    return onnx_model


def max_errors(case: Case, dtype: str, scores_as_output: bool = False) -> dict[str, float]:
    model = keras_model(case, dtype)
    feed = random_feed(case, dtype)
    expected = keras_outputs(model, case, feed)
    actual = run_ort(emitted(case, model, dtype, scores_as_output), feed)
    assert list(actual) == list(expected), (list(actual), list(expected))
    errors = {}
    for name, want in expected.items():
        got = actual[name]
        assert got.dtype == np.dtype(dtype) and got.shape == want.shape, (name, got.dtype, got.shape, want.shape)
        assert float(np.std(want)) > 1e-3, f"{name}: a constant output would agree with anything"
        errors[name] = float(np.max(np.abs(got.astype(np.float64) - want)))
    return errors


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_onnx_computes_what_keras_computes(case, dtype):
    errors = max_errors(case, dtype)
    assert all(e <= TOLERANCE[dtype] for e in errors.values()), errors


# ---------------------------------------------------------------- fully masked rows


def numpy_attention(layer, feed: dict[str, np.ndarray], case: Case, dot_product: bool):
    """MultiHeadAttention / GroupedQueryAttention on a rank-3 query in NumPy, from the Keras layer's weights: Keras's
    dot_product_attention path (masked logits -0.7 * 3.38953e38) or its Softmax path (-1e9, then zeroed).
    Returns (output, which (sample, query position) rows have every key masked)."""
    w = {v.path.split("/", 1)[1]: np.asarray(v.numpy()) for v in layer.weights}
    query, value = feed["q"], feed.get("v", feed["q"])
    key = feed.get("k", value)
    q = np.einsum("btd,dnh->btnh", query, w["query/kernel"]) + w["query/bias"]
    k = np.einsum("bsd,dnh->bsnh", key, w["key/kernel"]) + w["key/bias"]
    v = np.einsum("bsd,dnh->bsnh", value, w["value/kernel"]) + w["value/bias"]
    repeats = q.shape[2] // k.shape[2]  # GroupedQueryAttention's key/value heads, each serving `repeats` queries
    k, v = np.repeat(k, repeats, axis=2), np.repeat(v, repeats, axis=2)
    scale = float(np.float32(1 / np.sqrt(q.shape[-1])))  # TensorFlow casts the Python float through float32
    logits = np.einsum("btnh,bsnh->bnts", q, k) * scale
    allowed = feed["m"].astype(bool)[:, None]
    if case.causal:
        allowed = allowed & np.tril(np.ones(logits.shape[-2:], bool))
    logits = np.where(allowed, logits, -0.7 * 3.38953e38 if dot_product else -1e9)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    if not dot_product:
        probs = np.where(allowed, probs, 0.0)
    out = np.einsum("bnts,bsnh->btnh", probs, v)
    out = np.einsum("btnh,nhm->btm", out, w["attention_output/kernel"]) + w["attention_output/bias"]
    return out, ~allowed.any(-1)[:, 0]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("case_id", "path"), [
    ("mha_mask", "dot_product_attention"), ("mha_mask_scores", "softmax"), ("mha_mask_dropout", "softmax"),
    ("mha_causal_mask", "dot_product_attention"), ("mha_causal_mask_scores", "softmax"),
    ("gqa_mask", "dot_product_attention"), ("gqa_mask_scores", "softmax"),
])
def test_a_fully_masked_row_is_what_keras_makes_of_it(case_id, path, dtype):
    """Keras's two paths: uniform weights over every key (dot_product_attention: the row is the mean of the values,
    projected), or none at all (the Softmax layer zeroes the masked positions: the row is the output bias alone).
    Keras, a NumPy evaluation of that path and ONNX agree; the other path's NumPy evaluation does not."""
    case = BY_ID[case_id]
    model = keras_model(case, dtype)
    layer = model.get_layer("att")
    feed = random_feed(case, dtype)
    expected = keras_outputs(model, case, feed)
    actual = run_ort(emitted(case, model, dtype), feed)
    tolerance = TOLERANCE[dtype]
    reference, masked = numpy_attention(layer, feed, case, dot_product=path == "dot_product_attention")
    other, _ = numpy_attention(layer, feed, case, dot_product=path != "dot_product_attention")
    assert masked[:, -1].all()  # random_feed masks the last row (the causal mask may add others)
    np.testing.assert_allclose(expected["att"], reference, rtol=0, atol=tolerance)
    np.testing.assert_allclose(actual["att"], reference, rtol=0, atol=tolerance)
    differ = np.abs(other - reference).max(-1) > 1e-2
    np.testing.assert_array_equal(differ, masked)  # the paths differ on the fully masked rows, and only there
    bias = np.asarray(layer.weights[-1].numpy())  # attention_output/bias
    at_bias = np.all(np.abs(expected["att"] - bias) <= 1e-6, axis=-1)
    np.testing.assert_array_equal(at_bias, masked if path == "softmax" else np.zeros_like(masked))
    if case.scores:
        assert not np.any(expected["att.scores"].transpose(0, 2, 1, 3)[masked])  # zero weights there


# ---------------------------------------------------------------- the graph


def test_scores_are_a_model_output_when_the_spec_lists_them():
    """`outputs: [att, att.scores]`: the second graph output is the scores, named as the spec names them."""
    errors = max_errors(BY_ID["mha_causal_mask_scores"], "float32", scores_as_output=True)
    assert set(errors) == {"att", "att.scores"} and max(errors.values()) <= TOLERANCE["float32"]


def test_a_layer_reads_the_scores():
    """`mha.scores` read by another layer: the value inside the graph, and the layer before it still emitted."""
    text = spec_text(BY_ID["mha_mask_scores"]).replace(
        'outputs: ["att"]', '  - {"type": "Flatten", "name": "flat", "inputs": ["att.scores"]}\noutputs: ["flat", "att"]')
    model = to_onnx(text, dtype="float64")
    feed = random_feed(BY_ID["mha_mask_scores"], "float64")
    flat = run_ort(model, feed)["flat"]
    scores = run_ort(to_onnx(spec_text(BY_ID["mha_mask_scores"]), dtype="float64", expose=["att.scores"]), feed)
    np.testing.assert_array_equal(flat, scores["att.scores"].reshape(BATCH, -1))


@pytest.mark.parametrize("case_id", ["mha_mask_scores", "mha_rank5_axes_1_3", "gqa_mask", "attention_concat_causal",
                                     "additive_scale_key_scores"])
def test_reference_evaluator_agrees_with_onnxruntime_in_float64(case_id):
    """Random weights (no framework), two implementations of the ONNX ops: onnx's ReferenceEvaluator and
    onnxruntime."""
    from onnx.reference import ReferenceEvaluator

    case = BY_ID[case_id]
    model = to_onnx(spec_text(case), dtype="float64", expose=["att.scores"] if case.scores else None)
    feed = random_feed(case, "float64")
    expected = run_ort(model, feed)
    actual = ReferenceEvaluator(model).run(list(expected), feed)
    for (name, want), got in zip(expected.items(), actual, strict=True):
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, err_msg=name)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_onnx_shape_inference_agrees_with_specbridge(case):
    """onnx's own shape inference (strict), with the declared output shapes erased, finds specbridge's shapes."""
    from onnx import shape_inference

    result = check_text(spec_text(case), lint=False)
    model = to_onnx(result, expose=["att.scores"] if case.scores else None)
    for output in model.graph.output:
        output.type.tensor_type.ClearField("shape")
    inferred = shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    shapes = {o.name: [d.dim_value if d.HasField("dim_value") else None for d in o.type.tensor_type.shape.dim]
              for o in inferred.graph.output}
    (record,) = result.records
    ours = {"att": record.output.shape, "att.scores": record.extra_outputs[0].shape if case.scores else None}
    for name, theirs in shapes.items():
        assert theirs == [None, *ours[name]], (name, theirs, ours[name])


@pytest.mark.parametrize("case_id", ["mha_self", "mha_cross_key_value_dim", "mha_mask_scores", "mha_rank5_axes_1_3",
                                     "gqa_mask", "attention_concat_scale_key", "additive_scale_key_scores"])
def test_weights_read_from_the_emitted_pytorch_model(case_id):
    """to_onnx(result, torch_model): the PyTorch tensors mapped to Keras's layout by the weight mapping
    (emit/weights_attention.py), the same that fills the Keras model; onnxruntime then computes what Keras does."""
    import_framework("torch")
    from specbridge.crosscheck.run import TORCH_TO_KERAS, build_pair

    case = BY_ID[case_id]
    result = check_text(spec_text(case), lint=False)
    keras_model, torch_model = build_pair(result, "float64", seed=3, direction=TORCH_TO_KERAS)
    feed = random_feed(case, "float64")
    expected = np.asarray(keras_model([feed[i.name] for i in keras_model.inputs], training=False))
    actual = run_ort(to_onnx(result, torch_model, dtype="float64"), feed)["att"]
    assert float(np.std(expected)) > 1e-3
    np.testing.assert_allclose(actual, expected, rtol=0, atol=TOLERANCE["float64"])


def test_channels_first_inputs_and_outputs_in_the_torch_layout():
    """layout="torch": a rank-4 query, value and mask come in channels first (layouts.py), transposed to Keras's
    layout once; the output goes out channels first, the rank-6 scores in Keras's layout."""
    from specbridge.layouts import CHANNELS_FIRST, INPUT_LAYOUT_KEY, OUTPUT_LAYOUT_KEY

    case = BY_ID["mha_rank4_all_axes"]
    model = keras_model(case, "float32")
    feed = random_feed(case, "float32")
    expected = keras_outputs(model, case, feed)
    result = check_text(spec_text(case), lint=False)
    onnx_model = to_onnx(result, model, expose=["att.scores"], layout="torch")
    meta = {p.key: json.loads(p.value) for p in onnx_model.metadata_props}
    assert meta[INPUT_LAYOUT_KEY]["q"] == CHANNELS_FIRST and meta[OUTPUT_LAYOUT_KEY]["att"] == CHANNELS_FIRST
    moved = {n: np.moveaxis(x, -1, 1) if meta[INPUT_LAYOUT_KEY][n] == CHANNELS_FIRST else x for n, x in feed.items()}
    actual = run_ort(onnx_model, moved)
    np.testing.assert_allclose(np.moveaxis(actual["att"], 1, -1), expected["att"], rtol=0, atol=TOLERANCE["float32"])
    np.testing.assert_allclose(actual["att.scores"], expected["att.scores"], rtol=0, atol=TOLERANCE["float32"])


def test_a_shared_layer_reads_the_same_initializers():
    """`shares:` the layer called again: one set of weights in the ONNX model, and Keras's two outputs."""
    keras = import_framework("keras")
    case = Case("shared", MHA, {"num_heads": 2, "key_dim": 3}, (5, 6), value=(4, 6), causal=True)
    text = spec_text(case).replace('outputs: ["att"]', '  - {"type": "MultiHeadAttention", "name": "again", '
                                   '"num_heads": 2, "key_dim": 3, "use_causal_mask": true, "inputs": ["v", "q"], '
                                   '"shares": "att"}\noutputs: ["att", "again"]')
    q, v = keras.Input((5, 6), name="q"), keras.Input((4, 6), name="v")
    layer = keras.layers.MultiHeadAttention(2, 3, name="att")
    model = keras.Model([q, v], [layer(q, v, use_causal_mask=True), layer(v, q, use_causal_mask=True)])
    rng = np.random.default_rng(0)
    for variable in layer.weights:
        variable.assign(random_value(variable.name, tuple(variable.shape), rng).astype("float32"))
    feed = random_feed(case, "float32")
    expected = [np.asarray(t) for t in model([feed["q"], feed["v"]])]
    onnx_model = to_onnx(text, model)
    assert len([i for i in onnx_model.graph.initializer if i.name.endswith("/kernel")]) == 4
    actual = run_ort(onnx_model, feed)
    for name, want in zip(["att", "again"], expected, strict=True):
        np.testing.assert_allclose(actual[name], want, rtol=0, atol=TOLERANCE["float32"], err_msg=name)
