"""The PyTorch attention modules (emit/torch/runtime_attention.py, as emit/torch/attention.py writes them) against
the real Keras layers: Keras's randomized weights copied in through the weight mapping (emit/weights_attention.py),
the same random inputs and masks (causal, padding-style, random with fully masked rows), outputs and scores
compared in float32 and float64; and the other direction, PyTorch's weights copied into Keras."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pytest
from frameworks import import_framework

from specbridge.emit.torch import attention as torch_emitters  # noqa: F401 (registers the attention emitters)
from specbridge.emit.torch.stage import Ctx, emitter_for
from specbridge.emit.weights import converter_for
from specbridge.spec.layers import attention as A

keras = import_framework("keras")
torch = import_framework("torch")

from specbridge.emit.torch import runtime_attention as RA  # noqa: E402

TOLERANCE = {"float32": 1e-5, "float64": 1e-9}  # for values of about 1 (the scores, a row's output)
KERAS_CLASS = {"MultiHeadAttention": "MultiHeadAttention", "GroupedQueryAttention": "GroupQueryAttention",
               "Attention": "Attention", "AdditiveAttention": "AdditiveAttention"}
SPEC_CLASS = {c.__name__: c for c in A.LAYERS}
BATCH = 3


@dataclass
class Case:
    kind: str
    args: dict
    query: tuple  # shapes without the batch axis
    value: tuple
    key: Optional[tuple] = None
    mask: Optional[str] = None  # None, "random" (some rows fully masked), "padding", "float"
    mask_shape: Optional[tuple] = None  # default (Tq, Tk); "padding": (1, Tk)
    torch_mha: Optional[bool] = None  # expected: nn.MultiheadAttention used (MultiHeadAttention only)
    options: dict = field(default_factory=dict)  # use_causal_mask, return_attention_scores
    self_attention: bool = False  # query and value one tensor (nn.MultiheadAttention's fast path)


MHA = "MultiHeadAttention"
GQA = "GroupedQueryAttention"
SCORES = {"return_attention_scores": True}
CAUSAL = {"use_causal_mask": True}
CASES = {
    # nn.MultiheadAttention: rank 3, one head size, heads * key_dim = widths
    "mha_self": Case(MHA, {"num_heads": 2, "key_dim": 4}, (5, 8), (5, 8), torch_mha=True, self_attention=True),
    "mha_self_scores": Case(MHA, {"num_heads": 2, "key_dim": 4}, (5, 8), (5, 8), torch_mha=True, self_attention=True,
                            options=SCORES),
    "mha_self_causal": Case(MHA, {"num_heads": 2, "key_dim": 4}, (5, 8), (5, 8), torch_mha=True, options=CAUSAL,
                            self_attention=True),
    "mha_fully_masked_rows": Case(MHA, {"num_heads": 2, "key_dim": 4}, (5, 8), (6, 8), mask="random", torch_mha=True),
    "mha_fully_masked_rows_scores": Case(MHA, {"num_heads": 2, "key_dim": 4}, (5, 8), (6, 8), mask="random",
                                         torch_mha=True, options=SCORES),
    "mha_fully_masked_rows_dropout": Case(MHA, {"num_heads": 2, "key_dim": 4, "dropout": 0.2}, (5, 8), (6, 8),
                                          mask="random", torch_mha=True),
    "mha_masked_causal_scores": Case(MHA, {"num_heads": 2, "key_dim": 4}, (5, 8), (5, 8), mask="random",
                                     torch_mha=True, options={**CAUSAL, **SCORES}),
    "mha_cross_kdim_vdim_padding": Case(MHA, {"num_heads": 2, "key_dim": 4}, (5, 8), (7, 6), key=(7, 3),
                                        mask="padding", torch_mha=True, options=SCORES),
    "mha_cross_kdim_vdim_padding_dot": Case(MHA, {"num_heads": 2, "key_dim": 4}, (5, 8), (7, 6), key=(7, 3),
                                            mask="padding", torch_mha=True),
    "mha_no_bias_odd_heads": Case(MHA, {"num_heads": 3, "key_dim": 4, "use_bias": False}, (4, 12), (4, 12),
                                  mask="random", torch_mha=True),
    # Keras's float32-rounded 1 / sqrt(key_dim) is not nn.MultiheadAttention's in float64: the explicit module
    "mha_key_dim_not_power_of_4": Case(MHA, {"num_heads": 4, "key_dim": 2}, (5, 8), (7, 6), key=(7, 3),
                                       mask="padding", torch_mha=False, options=SCORES),
    "mha_key_dim_8_self": Case(MHA, {"num_heads": 2, "key_dim": 8}, (5, 16), (5, 16), torch_mha=False),
    "mha_float_mask": Case(MHA, {"num_heads": 2, "key_dim": 4}, (5, 8), (6, 8), mask="float", torch_mha=True),
    # the explicit module
    "mha_value_dim": Case(MHA, {"num_heads": 2, "key_dim": 3, "value_dim": 5}, (5, 8), (6, 7), mask="random",
                          torch_mha=False),
    "mha_value_dim_scores_causal": Case(MHA, {"num_heads": 2, "key_dim": 3, "value_dim": 5}, (5, 8), (6, 7),
                                        mask="random", torch_mha=False, options={**CAUSAL, **SCORES}),
    "mha_output_shape": Case(MHA, {"num_heads": 2, "key_dim": 4, "output_shape": [3, 2]}, (5, 8), (5, 8),
                             torch_mha=False, options=SCORES),
    "mha_output_int": Case(MHA, {"num_heads": 2, "key_dim": 4, "output_shape": 5}, (5, 8), (5, 8), mask="padding",
                           torch_mha=False),
    "mha_heads_axis_mask": Case(MHA, {"num_heads": 2, "key_dim": 4}, (5, 8), (6, 8), mask="random",
                                mask_shape=(2, 5, 6), torch_mha=False, options=SCORES),
    "mha_heads_axis_mask_dot": Case(MHA, {"num_heads": 2, "key_dim": 4}, (5, 8), (6, 8), mask="random",
                                    mask_shape=(2, 5, 6), torch_mha=False),
    "mha_rank4_all_axes": Case(MHA, {"num_heads": 2, "key_dim": 3}, (3, 4, 6), (3, 4, 6), mask="random",
                               mask_shape=(3, 4, 3, 4), torch_mha=False, options=SCORES),
    "mha_rank4_all_axes_no_scores": Case(MHA, {"num_heads": 2, "key_dim": 3}, (3, 4, 6), (3, 4, 6), mask="random",
                                         mask_shape=(3, 4, 3, 4), torch_mha=False),
    "mha_rank4_axis1_causal": Case(MHA, {"num_heads": 2, "key_dim": 3, "attention_axes": 1}, (4, 3, 6), (4, 3, 5),
                                   torch_mha=False, options={**CAUSAL, **SCORES}),
    "mha_rank4_axis2_mask": Case(MHA, {"num_heads": 2, "key_dim": 3, "attention_axes": [-2]}, (3, 4, 6), (3, 5, 6),
                                 mask="random", mask_shape=(4, 5), torch_mha=False, options=SCORES),
    "mha_rank4_axis2_mask_per_row": Case(MHA, {"num_heads": 2, "key_dim": 3, "attention_axes": 2}, (3, 4, 6),
                                         (3, 5, 6), mask="random", mask_shape=(3, 4, 5), torch_mha=False),
    "mha_rank5_axes_reversed": Case(MHA, {"num_heads": 2, "key_dim": 2, "attention_axes": [3, 1],
                                          "output_shape": [2, 3]}, (2, 3, 4, 5), (2, 3, 2, 4), torch_mha=False,
                                    options=SCORES),
    "mha_rank3_axis_given": Case(MHA, {"num_heads": 2, "key_dim": 4, "attention_axes": [1]}, (5, 8), (5, 8),
                                 mask="random", torch_mha=True, options=SCORES),
    # GroupedQueryAttention
    "gqa_fully_masked_rows": Case(GQA, {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2}, (5, 8),
                                  (6, 8), mask="random"),
    "gqa_fully_masked_rows_scores": Case(GQA, {"head_dim": 3, "num_query_heads": 4, "num_key_value_heads": 2},
                                         (5, 8), (6, 8), key=(6, 5), mask="random", options=SCORES),
    "gqa_one_kv_head_causal": Case(GQA, {"head_dim": 4, "num_query_heads": 3, "num_key_value_heads": 1}, (5, 6),
                                   (5, 6), options=CAUSAL),
    "gqa_float_mask_scores": Case(GQA, {"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1}, (4, 6),
                                  (5, 6), mask="float", options=SCORES),
    "gqa_float_mask_causal_scores": Case(GQA, {"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 2},
                                         (4, 6), (4, 6), mask="float", options={**CAUSAL, **SCORES}),
    "gqa_float_mask": Case(GQA, {"head_dim": 2, "num_query_heads": 2, "num_key_value_heads": 1, "use_bias": False},
                           (4, 6), (5, 6), mask="float"),
    "gqa_padding_dropout": Case(GQA, {"head_dim": 2, "num_query_heads": 4, "num_key_value_heads": 2,
                                      "dropout": 0.1}, (4, 6), (5, 6), mask="padding"),
    # Attention, AdditiveAttention
    "attention_dot": Case("Attention", {}, (5, 4), (6, 4), options=SCORES),
    "attention_dot_scale_causal": Case("Attention", {"use_scale": True}, (5, 4), (5, 3), key=(5, 4),
                                       options={**CAUSAL, **SCORES}),
    "attention_concat_scale": Case("Attention", {"use_scale": True, "score_mode": "concat"}, (5, 4), (6, 3),
                                   key=(6, 4), options=SCORES),
    "attention_concat_causal": Case("Attention", {"score_mode": "concat"}, (6, 4), (4, 4), options=CAUSAL),
    "attention_rank4": Case("Attention", {"use_scale": True}, (2, 5, 4), (2, 6, 4), options={**CAUSAL, **SCORES}),
    "additive": Case("AdditiveAttention", {}, (5, 4), (6, 3), key=(6, 4), options=SCORES),
    "additive_causal": Case("AdditiveAttention", {}, (5, 4), (5, 4), options={**CAUSAL, **SCORES}),
    "additive_no_scale": Case("AdditiveAttention", {"use_scale": False}, (5, 4), (6, 4), options=CAUSAL),
}


def spec_layer(case: Case):
    fields = {**case.args, **case.options}
    if case.mask:
        fields["attention_mask"] = "mask"
    return SPEC_CLASS[case.kind](type=case.kind, **fields)


def mask_shape(case: Case) -> tuple:
    if case.mask_shape:
        return case.mask_shape
    if case.mask == "padding":
        return (1, case.value[-2])
    return (case.query[-2], case.value[-2])


def emitted_module(case: Case, layer, dtype: str):
    """The module the PyTorch emitter writes for the layer, built from its source (eval mode, in `dtype`)."""
    shapes = [case.query, case.value] + ([case.key] if case.key else []) + ([mask_shape(case)] if case.mask else [])
    built = emitter_for(layer, "attention")(layer, Ctx(None, "attention", shapes, ["keras"] * len(shapes), ()))
    (source,) = built.stages
    module = eval(source, {"torch": torch, "nn": torch.nn, **vars(RA)})  # noqa: S307 (our own emitted code)
    return source, module.to(getattr(torch, dtype)).eval()


def random_data(case: Case, dtype: str, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    data = {"query": rng.normal(size=(BATCH, *case.query)), "value": rng.normal(size=(BATCH, *case.value))}
    if case.key:
        data["key"] = rng.normal(size=(BATCH, *case.key))
    data = {k: v.astype(dtype) for k, v in data.items()}
    if case.self_attention:  # one tensor, as `inputs: [x, x]` passes it
        data["value"] = data["query"]
    if case.mask:
        shape = (BATCH, *mask_shape(case))
        if case.mask == "padding":  # each sample's keys up to its own length, the first sample's all masked
            lengths = np.arange(BATCH) * shape[-1] // max(BATCH - 1, 1)
            mask = np.arange(shape[-1]) < lengths[:, None, None]
        elif case.mask == "float":  # 0 to 1: nonzero is True for MultiHeadAttention, > 0.5 on GQA's Softmax path
            mask = np.round(rng.random(shape) * 4) / 4
            mask[0, 0] = 0.0
        else:
            mask = rng.random(shape) < 0.5
            mask[0, ..., 0, :] = False  # fully masked rows
            mask[-1, ..., -1, :] = False
        data["mask"] = mask.astype(dtype) if case.mask == "float" else mask
    return data


def keras_call(klayer, case: Case, data: dict):
    tensors = [data["query"], data["value"]] + ([data["key"]] if "key" in data else [])
    options = {"use_causal_mask": bool(case.options.get("use_causal_mask")),
               "return_attention_scores": bool(case.options.get("return_attention_scores"))}
    if case.kind in (MHA, GQA):
        out = klayer(*tensors, attention_mask=data.get("mask"), training=False, **options)
    else:
        out = klayer(tensors, training=False, **options)
    return [np.asarray(o) for o in (out if isinstance(out, (tuple, list)) else [out])]


def torch_call(module, data: dict):
    as_tensor = {id(a): torch.from_numpy(a) for a in data.values()}  # self-attention: the same tensor twice
    tensors = [as_tensor[id(data[k])] for k in ("query", "value", "key") if k in data]
    kwargs = {"attention_mask": torch.from_numpy(data["mask"])} if "mask" in data else {}
    with torch.inference_mode():  # the cross-check's mode: nn.MultiheadAttention may take its fast path
        out = module(*tensors, **kwargs)
    return [o.numpy() for o in (out if isinstance(out, tuple) else [out])]


def randomize_keras(klayer, seed: int) -> None:
    rng = np.random.default_rng(seed)
    for v in klayer.weights:
        v.assign(rng.normal(0.0, 0.6, tuple(v.shape)).astype(v.dtype))


def build_pair(case: Case, dtype: str, seed: int = 0):
    layer = spec_layer(case)
    source, module = emitted_module(case, layer, dtype)
    klayer = getattr(keras.layers, KERAS_CLASS[case.kind])(**layer.keras_arguments(), dtype=dtype)
    keras_call(klayer, case, random_data(case, dtype, seed))  # builds it
    return layer, source, module, klayer


def keras_to_torch(klayer, module, layer) -> None:
    with torch.no_grad():
        for pair in converter_for(layer)(klayer, module, layer):
            values = pair.to_torch([np.asarray(v.numpy()) for v in pair.keras])
            for tensor, value in zip(pair.torch, values, strict=True):
                assert tuple(tensor.shape) == value.shape
                tensor.copy_(torch.from_numpy(np.ascontiguousarray(value).reshape(value.shape)))


def torch_to_keras(module, klayer, layer) -> None:
    for pair in converter_for(layer)(klayer, module, layer):
        values = pair.to_keras([t.detach().numpy() for t in pair.torch])
        for var, value in zip(pair.keras, values, strict=True):
            assert tuple(var.shape) == value.shape
            var.assign(value.astype(var.dtype))


def max_errors(expected: list, got: list) -> list[float]:
    """Each output's max abs error, relative to its largest value when that is above 1 (float32 rounding grows with
    the values: outputs reach 20 with these weights)."""
    assert len(expected) == len(got)
    errors = []
    for e, g in zip(expected, got, strict=True):
        assert e.shape == g.shape, (e.shape, g.shape)
        assert np.isfinite(g).all()
        scale = max(1.0, float(np.abs(e).max()))
        errors.append(float(np.abs(e.astype(np.float64) - g.astype(np.float64)).max()) / scale)
    return errors


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", list(CASES))
def test_pytorch_module_computes_what_keras_computes(name, dtype):
    case = CASES[name]
    layer, source, module, klayer = build_pair(case, dtype)
    if case.torch_mha is not None:
        assert ("nn.MultiheadAttention" in source) == case.torch_mha, source
    randomize_keras(klayer, 1)
    keras_to_torch(klayer, module, layer)
    data = random_data(case, dtype, 2)
    errors = max_errors(keras_call(klayer, case, data), torch_call(module, data))
    assert max(errors) <= TOLERANCE[dtype], (source, errors)


@pytest.mark.parametrize("name", ["mha_fully_masked_rows_scores", "mha_value_dim", "mha_rank4_all_axes",
                                  "gqa_fully_masked_rows_scores", "attention_concat_scale", "additive"])
def test_torch_weights_copied_into_keras(name):
    case = CASES[name]
    layer, source, module, klayer = build_pair(case, "float64")
    with torch.no_grad():
        generator = torch.Generator().manual_seed(3)
        for parameter in module.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator, dtype=parameter.dtype) * 0.6)
    torch_to_keras(module, klayer, layer)
    data = random_data(case, "float64", 4)
    assert max(max_errors(keras_call(klayer, case, data), torch_call(module, data))) <= TOLERANCE["float64"]


# ---------------------------------------------------------------- what Keras does with fully masked rows


def _fully_masked(kind: str, dtype: str, scores: bool):
    """(output row, scores row, output bias, the mean of the projected values) at a fully masked query row."""
    case = CASES["mha_fully_masked_rows" if kind == MHA else "gqa_fully_masked_rows"]
    case = Case(case.kind, case.args, case.query, case.value, mask="random", options=SCORES if scores else {})
    layer, _, _, klayer = build_pair(case, dtype)
    randomize_keras(klayer, 1)
    data = random_data(case, dtype, 2)
    out = keras_call(klayer, case, data)
    projected = np.asarray(klayer._value_dense(data["value"]))
    heads = layer.num_heads if kind == MHA else layer.num_query_heads
    projected = np.repeat(projected, heads // projected.shape[2], axis=2)
    uniform = np.asarray(klayer._output_dense(projected.mean(axis=1, keepdims=True)))[0, 0]
    return out[0][0, 0], out[1][0, :, 0] if scores else None, np.asarray(klayer._output_dense.bias), uniform


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", [MHA, GQA])
def test_keras_spreads_a_fully_masked_row_evenly_on_its_dot_product_path(kind, dtype):
    row, _, bias, uniform = _fully_masked(kind, dtype, scores=False)
    assert np.abs(row - uniform).max() <= TOLERANCE[dtype]
    assert np.abs(row - bias).max() > 0.01


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("kind", [MHA, GQA])
def test_keras_zeroes_a_fully_masked_row_on_its_softmax_path(kind, dtype):
    row, scores, bias, _ = _fully_masked(kind, dtype, scores=True)
    assert np.array_equal(scores, np.zeros_like(scores))
    assert np.array_equal(row, bias)


def test_torch_bool_masks_on_fully_masked_rows():
    """Why the modules pass float masks to nn.MultiheadAttention: its bool mask gives NaN on a fully masked row;
    scaled_dot_product_attention's bool mask gives 0 (Keras's Softmax path)."""
    mha = torch.nn.MultiheadAttention(4, 2, batch_first=True).eval()
    x = torch.randn(1, 3, 4)
    blocked = torch.zeros(3, 3, dtype=torch.bool)
    blocked[1] = True
    with torch.inference_mode():
        out, _ = mha(x, x, x, attn_mask=blocked, need_weights=False)
        q = torch.randn(1, 2, 3, 4)
        sdpa = torch.nn.functional.scaled_dot_product_attention(q, q, q, attn_mask=~blocked)
    assert torch.isnan(out[0, 1]).all() and not torch.isnan(out[0, 0]).any()
    assert torch.equal(sdpa[0, :, 1], torch.zeros(2, 4))


def test_fast_path_of_nn_multihead_attention_is_taken_and_agrees(monkeypatch):
    """Self-attention without a mask, in inference mode: nn.MultiheadAttention's fused kernel, which the cross-check
    runs (mha_self compares it with Keras); with a mask (a float one) it takes its ordinary path."""
    fused = []
    native = torch._native_multi_head_attention
    monkeypatch.setattr(torch, "_native_multi_head_attention", lambda *a, **k: fused.append(1) or native(*a, **k))
    module = RA.KerasMultiheadAttention(torch.nn.MultiheadAttention(8, 2, batch_first=True)).eval()
    x = torch.randn(2, 5, 8)
    with torch.inference_mode():
        fast = module(x, x)
        assert fused == [1]
        slow = module(x, x.clone())  # not self-attention: the ordinary path
        module(x, x, attention_mask=torch.ones(2, 5, 5, dtype=torch.bool))
    assert fused == [1]
    assert (fast - slow).abs().max() < 1e-6
