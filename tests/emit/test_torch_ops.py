"""Tensor operations (spec/layers/ops.py) in the emitted PyTorch model (emit/torch/ops.py) against the Keras model's
keras.ops calls: every op, on several shapes and arguments (numbers on either side, int and bool tensors, ranks 2 to
5, a channels-first convolution around them), cross-checked layer by layer in float32 and float64, each op's dtype
compared with what Keras computes; the source is readable PyTorch (no helper module for an op), the refusals say
why, and the capture of forward()'s locals leaves the profiler as it found it."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pytest

from specbridge.check import check_text
from specbridge.crosscheck import run_crosscheck
from specbridge.emit import NotExpressible, torch_source
from specbridge.emit.torch.ops import positive_steps
from specbridge.spec.index_key import parse_key


@dataclass
class Case:
    inputs: dict  # name -> shape (float32) or (shape, dtype); shapes without the batch axis
    layers: list  # spec layers: op(...) or plain dicts
    outputs: Optional[list] = None  # default: every layer
    header: dict = field(default_factory=dict)  # data_format
    # Float results of int tensors are float32 in both models even in a float64 cross-check (Keras's floatx when the
    # model runs, torch's default dtype), and TensorFlow's float32 exp or tanh is not torch's to the last bit:
    # those cases are held to float32's tolerance there.
    float32_results: bool = False


def op(kind: str, name: str, inputs: list, **fields) -> dict:
    return {"type": f"ops.{kind}", "name": name, "inputs": inputs, **fields}


def spec_text(case: Case) -> str:
    inputs = []
    for name, given in case.inputs.items():
        shape, dtype = given if isinstance(given, tuple) else (given, None)
        inputs.append({"name": name, "shape": shape, **({"dtype": dtype} if dtype else {})})
    outputs = case.outputs or [layer["name"] for layer in case.layers]
    return json.dumps({"specbridge": 1, "name": "ops_case", **case.header, "inputs": inputs, "layers": case.layers,
                       "outputs": outputs})


I32, I64, I8, U8, B = "int32", "int64", "int8", "uint8", "bool"
CONV = {"type": "Conv2D", "filters": 4, "kernel_size": 3, "padding": "same"}
CASES: dict[str, Case] = {
    # arithmetic: tensors broadcasting (same rank), numbers on either side
    "arithmetic_broadcast": Case({"x": [3, 4], "y": [1, 4], "z": [3, 1]}, [
        op("add", "a", ["x", "y"]), op("subtract", "s", ["z", "x"]), op("multiply", "m", ["y", "z"]),
        op("divide", "d", ["x", "y"]), op("maximum", "mx", ["x", "z"]), op("minimum", "mn", ["y", "x"]),
        op("exp", "e", ["x"]), op("power", "p", ["e", "y"])]),
    "arithmetic_numbers": Case({"x": [5]}, [
        op("add", "plus", ["x"], x2=3.0), op("subtract", "rsub", ["x"], x1=2.5), op("multiply", "neg_scale", ["x"], x2=-1.5),
        op("subtract", "from_negative", ["x"], x1=-2.0), op("divide", "half", ["x"], x2=2.0),
        op("divide", "reciprocal", ["plus"], x1=1.0), op("power", "squared", ["x"], x2=2),
        op("power", "two_to", ["x"], x1=2.0),
        op("maximum", "relu", ["x"], x2=0.0), op("minimum", "capped", ["x"], x1=0.5), op("add", "int_number", ["x"], x2=1)]),
    # bool numbers: Keras computes x - 0; torch has no `-` with a bool operand, so they are written as 0 / 1
    "arithmetic_bool_numbers": Case({"x": [5], "i": ([5], I32)}, [
        op("subtract", "minus_false", ["x"], x2=False), op("subtract", "true_minus", ["x"], x1=True),
        op("subtract", "int_minus_true", ["i"], x2=True), op("add", "plus_true", ["x"], x2=True),
        op("multiply", "times_false", ["x"], x2=False), op("equal", "is_true", ["x"], x2=True)]),
    "arithmetic_rank5": Case({"x": [2, 3, 4, 5], "y": [2, 1, 4, 1]}, [
        op("multiply", "m", ["x", "y"]), op("subtract", "s", ["m"], x2=0.25), op("maximum", "mx", ["s", "y"])]),
    "comparisons_float": Case({"x": [6], "y": [6]}, [
        op("less", "lt", ["x", "y"]), op("less_equal", "le", ["x"], x1=0.0), op("greater", "gt", ["x"], x2=0.5),
        op("greater_equal", "ge", ["y", "x"]), op("not_equal", "ne", ["x"], x2=0.0), op("equal", "eq", ["x", "x"])]),
    "int32_arithmetic": Case({"a": ([6], I32), "b": ([6], I32)}, [
        op("add", "sum_ab", ["a", "b"]), op("subtract", "diff", ["a", "b"]), op("multiply", "times", ["a"], x2=3),
        op("add", "b1", ["b"], x2=1), op("divide", "ratio", ["a", "b1"]), op("divide", "quarter", ["a"], x2=4),
        op("power", "squared", ["a"], x2=2), op("maximum", "at_least", ["a"], x2=3),
        op("minimum", "at_most", ["a", "b"]), op("add", "plus_float", ["a"], x2=2.5),
        op("multiply", "times_true", ["a"], x2=True), op("equal", "same", ["a", "b"]),
        op("less", "under", ["a"], x2=5), op("subtract", "from_ten", ["a"], x1=10),
        op("power", "negative_base", ["a"], x1=-2.0)]),
    "int64_and_int8": Case({"a": ([4, 3], I64), "c": ([4, 3], I8), "u": ([4, 3], U8)}, [
        op("add", "a_float", ["a"], x2=2.5), op("multiply", "a_int", ["a"], x2=3), op("add", "ac", ["a", "c"]),
        op("add", "c_int", ["c"], x2=3), op("multiply", "cu", ["c", "u"]), op("mean", "a_mean", ["a"], axis=1),
        op("sum", "c_sum", ["c"], axis=-1), op("sum", "u_sum", ["u"], axis=1), op("sum", "a_sum", ["a"], axis=[1, 2]),
        op("divide", "a_half", ["a"], x2=2), op("matmul", "c_mm", ["c", "c_t"]), op("transpose", "c_t", ["c"], axes=[0, 2, 1])]),
    "bool_tensors": Case({"m": ([6], B), "x": [6]}, [
        op("add", "m3", ["m"], x2=3), op("multiply", "m_scaled", ["m"], x2=2.5), op("subtract", "m_from", ["m"], x1=1),
        op("where", "picked", ["m", "x"], x2=0.5), op("where", "ones", ["m"], x1=1, x2=0),
        op("where", "floats", ["m"], x1=1.0, x2=0.0), op("sum", "count", ["m"], axis=1), op("mean", "share", ["m"], axis=1),
        op("max", "any", ["m"], axis=1), op("min", "all", ["m"], axis=-1), op("argmax", "first", ["m"], axis=1),
        op("square", "sq", ["m"]), op("abs", "same", ["m"]), op("clip", "clipped", ["m"], x_min=0, x_max=1),
        op("equal", "is_true", ["m"], x2=True), op("cast", "as_float", ["m"], dtype="float32"),
        op("multiply", "masked", ["x", "m"]), op("exp", "e", ["m"])]),
    "where": Case({"x": [3, 4], "y": [3, 4], "c": ([3, 1], I32)}, [
        op("greater", "positive", ["x"], x2=0.0), op("where", "both", ["positive", "x", "y"]),
        op("where", "or_zero", ["positive", "x"], x2=0.0), op("where", "or_two", ["positive", "y"], x1=2.0),
        op("where", "int_condition", ["c", "x", "y"]), op("where", "float_condition", ["x", "x", "y"])]),
    "cast": Case({"x": [5], "i": ([5], I32)}, [
        op("multiply", "big", ["x"], x2=4.0), op("cast", "to_int", ["big"], dtype="int32"),
        op("cast", "to_bool", ["to_int"], dtype="bool"), op("cast", "to_float", ["i"], dtype="float32"),
        op("cast", "to_int8", ["i"], dtype="int8"), op("cast", "to_half", ["x"], dtype="float16"),
        op("cast", "to_bfloat16", ["x"], dtype="bfloat16"), op("cast", "to_double", ["i"], dtype="float64")]),
    "math": Case({"x": [4, 5]}, [
        op("exp", "e", ["x"]), op("log", "log_e", ["e"]), op("abs", "magnitude", ["x"]), op("sqrt", "root", ["magnitude"]),
        op("rsqrt", "inv_root", ["e"]), op("tanh", "t", ["x"]), op("erf", "gauss", ["x"]), op("square", "sq", ["x"]),
        op("negative", "neg", ["x"])]),
    "math_ints": Case({"i": ([5], I32), "u": ([5], U8)}, [
        op("sqrt", "root", ["i"]), op("add", "i1", ["i"], x2=1), op("abs", "magnitude", ["i"]),
        op("square", "sq", ["i"]), op("negative", "neg", ["i"]), op("abs", "u_abs", ["u"]), op("square", "u_sq", ["u"])]),
    "math_ints_in_float32": Case({"i": ([5], I32), "m": ([5], B)}, [
        op("exp", "e", ["i"]), op("tanh", "t", ["i"]), op("add", "i1", ["i"], x2=1), op("log", "log1", ["i1"]),
        op("exp", "e_bool", ["m"]), op("mean", "share", ["i"], axis=1)], float32_results=True),
    "clip": Case({"x": [6], "i": ([6], I32)}, [
        op("clip", "unit", ["x"], x_min=-0.5, x_max=0.5), op("clip", "int_bounds", ["x"], x_min=0, x_max=1),
        op("clip", "ints", ["i"], x_min=2, x_max=7), op("clip", "empty_range", ["x"], x_min=1.0, x_max=0.0),
        op("clip", "empty_int_range", ["i"], x_min=6, x_max=3)]),
    "matmul": Case({"a": [5, 6], "b": [6, 3], "p": [2, 5, 6], "q": [1, 6, 3], "i": ([5, 6], I32), "j": ([6, 3], I32)}, [
        op("matmul", "ab", ["a", "b"]), op("matmul", "broadcast", ["p", "q"]), op("matmul", "ints", ["i", "j"]),
        op("matmul", "mixed", ["i", "b"]), op("matmul", "mixed_right", ["a", "j"])]),
    "einsum": Case({"q": [5, 4], "k": [6, 4], "i": ([5, 4], I32)}, [
        op("einsum", "scores", ["q", "k"], subscripts="bqd,bkd->bqk"), op("einsum", "swap", ["q"], subscripts="bij->bji"),
        op("einsum", "outer", ["q", "k"], subscripts="bqd,bkd->bqkd"),
        op("einsum", "ints", ["i", "i"], subscripts="bqd,bkd->bqk")]),
    "transpose_reshape": Case({"x": [3, 5], "v": [2, 3, 4], "w": [2, 3, 4, 5]}, [
        op("transpose", "t3", ["x"], axes=[0, 2, 1]), op("transpose", "t4", ["v"], axes=[0, 3, 1, 2]),
        op("transpose", "t5", ["w"], axes=[0, -1, 1, 3, 2]), op("reshape", "flat", ["x"], newshape=[-1, 15]),
        op("reshape", "regroup", ["x"], newshape=[-1, 5, 3]), op("reshape", "deep", ["t4"], newshape=[-1, 2, 2, 6]),
        op("reshape", "flat_t", ["t3"], newshape=[-1, 15])]),
    "expand_squeeze": Case({"x": [3, 4], "s": [1, 3, 1]}, [
        op("expand_dims", "e1", ["x"], axis=1), op("expand_dims", "e_last", ["x"], axis=-1),
        op("expand_dims", "e_both", ["x"], axis=[1, 3]), op("squeeze", "s1", ["e1"], axis=1),
        op("squeeze", "s_both", ["s"], axis=[1, -1]), op("squeeze", "s_all", ["s"]), op("squeeze", "s_neg", ["e_last"], axis=-1)]),
    "concatenate_stack": Case({"x": [3, 4], "y": [3, 2], "z": [3, 4], "i": ([3, 4], I32)}, [
        op("concatenate", "cat_last", ["x", "y"], axis=-1), op("concatenate", "cat_steps", ["x", "z", "x"], axis=1),
        op("concatenate", "cat_mixed", ["i", "x"], axis=2), op("stack", "stacked", ["x", "z"], axis=1),
        op("stack", "stacked_last", ["x", "z", "i"], axis=-1), op("stack", "ints", ["i", "i"], axis=2)]),
    "split": Case({"x": [4, 6]}, [
        op("split", "halves", ["x"], indices_or_sections=2, axis=-1), op("split", "cuts", ["x"], indices_or_sections=[1, 3], axis=1),
        op("split", "whole", ["x"], indices_or_sections=1, axis=2), op("add", "rejoined", ["halves", "halves.1"]),
        op("concatenate", "glued", ["cuts.2", "cuts", "cuts.1"], axis=1)],
        outputs=["rejoined", "glued", "whole", "cuts.1"]),
    "repeat_tile": Case({"x": [3, 4], "i": ([3], I32)}, [
        op("repeat", "twice", ["x"], repeats=2, axis=1), op("repeat", "counts", ["x"], repeats=[1, 0, 2, 3], axis=-1),
        op("tile", "tiled", ["x"], repeats=[2, 3]), op("tile", "tiled_full", ["x"], repeats=[1, 1, 2]),
        op("repeat", "int_repeat", ["i"], repeats=3, axis=1), op("tile", "int_tile", ["i"], repeats=[2])]),
    "get_item": Case({"x": [5, 6], "v": [2, 3, 4, 5], "i": ([7], I32)}, [
        op("get_item", "last", ["x"], key=":, -1, :"), op("get_item", "first_feature", ["x"], key="..., 0"),
        op("get_item", "strided", ["x"], key=":, None, ::2"), op("get_item", "reversed", ["x"], key=":, ::-1"),
        op("get_item", "back_two", ["x"], key=":, 4:0:-2, 1:"), op("get_item", "back_three", ["x"], key=":, -1::-3, ::-1"),
        op("get_item", "ellipsis_flip", ["v"], key="..., ::-1, 2"), op("get_item", "middle", ["v"], key=":, 1, ..., None"),
        op("get_item", "clamped", ["x"], key=":, 10:-10:-1, -8:3"), op("get_item", "int_items", ["i"], key=":, 5:1:-1"),
        op("get_item", "empty_back", ["x"], key=":, 0:3:-1")]),
    "reductions": Case({"x": [3, 4, 5], "i": ([3, 4], I32)}, [
        op("mean", "m1", ["x"], axis=1), op("mean", "m_keep", ["x"], axis=[1, 2], keepdims=True), op("sum", "s", ["x"], axis=-1),
        op("max", "mx", ["x"], axis=1, keepdims=True), op("min", "mn", ["x"], axis=[1, 2]),
        op("argmax", "am", ["x"], axis=-1), op("argmax", "am_keep", ["x"], axis=1, keepdims=True),
        op("sum", "int_sum", ["i"], axis=1), op("mean", "int_mean", ["i"], axis=-1), op("max", "int_max", ["i"], axis=2),
        op("argmax", "int_argmax", ["i"], axis=1), op("min", "int_min", ["i"], axis=1, keepdims=True)]),
    "softmax": Case({"x": [3, 4, 5]}, [
        op("softmax", "sm", ["x"]), op("softmax", "sm_steps", ["x"], axis=1), op("log_softmax", "lsm", ["x"]),
        op("softmax", "sm_neg", ["x"], axis=-2)]),
    # layers around ops: the layout conversions (a channels-first convolution), weights, a merge
    "conv_channels_first_around_ops": Case({"image": [8, 8, 3]}, [
        op("multiply", "scaled", ["image"], x2=2.0), {"name": "conv", "inputs": ["scaled"], **CONV},
        op("mean", "pooled", ["conv"], axis=[1, 2]), op("add", "shifted", ["conv"], x2=1.0),
        op("get_item", "channel0", ["conv"], key=":, :, ::-1, 0"), op("transpose", "nchw", ["conv"], axes=[0, 3, 1, 2]),
        {"name": "conv2", "inputs": ["shifted"], **CONV}, {"type": "Add", "name": "merged", "inputs": ["conv2", "shifted"]}]),
    "conv1d_signal": Case({"signal": [12, 3]}, [
        {"type": "Conv1D", "name": "conv", "filters": 4, "kernel_size": 3}, op("max", "peak", ["conv"], axis=1),
        op("transpose", "t", ["conv"], axes=[0, 2, 1]), op("split", "halves", ["conv"], indices_or_sections=2, axis=-1),
        {"type": "Conv1D", "name": "conv_half", "inputs": ["halves.1"], "filters": 2, "kernel_size": 1}]),
    "channels_first_spec": Case({"image": [3, 6, 6]}, [
        {"name": "conv", **CONV}, op("mean", "gap", ["conv"], axis=[2, 3]), op("get_item", "flipped", ["conv"], key=":, :, ::-1")],
        header={"data_format": "channels_first"}),
    "dense_softmax_dense": Case({"tokens": [5, 8]}, [
        {"type": "Dense", "name": "proj", "units": 6}, op("softmax", "weights", ["proj"], axis=1),
        op("matmul", "mixed", ["weights_t", "proj"]), op("transpose", "weights_t", ["weights"], axes=[0, 2, 1]),
        {"type": "Dense", "name": "head", "units": 3, "inputs": ["mixed"]}], outputs=["head"]),
}
DTYPES = ("float32", "float64")


def _check(case: Case):
    result = check_text(spec_text(case))
    assert result.ok, [d.message for d in result.diagnostics]
    return result


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", list(CASES))
def test_ops_crosscheck(frameworks, name, dtype):
    case = CASES[name]
    tolerances = {"atol": 1e-5, "rtol": 1e-4} if case.float32_results else {}
    report = run_crosscheck(_check(case), backends=["keras", "pytorch"], dtype=dtype, **tolerances)
    bad = [(layer.name, layer.max_abs_error, layer.note) for layer in report.layers if not layer.ok]
    assert not bad, bad
    assert {layer.name for layer in report.layers} >= set(case.outputs or [layer["name"] for layer in case.layers])


@pytest.mark.parametrize("dtype", DTYPES)
def test_ops_crosscheck_in_keras_layout(frameworks, dtype):
    """layout="keras": no conversion around the ops at all (the convolutions get theirs)."""
    case = CASES["conv_channels_first_around_ops"]
    report = run_crosscheck(_check(case), backends=["keras", "pytorch"], dtype=dtype, layout="keras")
    assert all(layer.ok for layer in report.layers), [(layer.name, layer.note) for layer in report.layers]
    forward = torch_source(_check(case), layout="keras").split("def forward")[-1]  # the model's, after the helpers'
    assert "movedim" not in forward and "pooled = conv.mean(dim=(1, 2))" in forward


@pytest.mark.parametrize("name", list(CASES))
def test_ops_compute_keras_dtypes(frameworks, name):
    """Each op's PyTorch result has the dtype of the Keras result (the values alone would not show an int32 sum
    computed as int64, or a bool where Keras counts)."""
    from specbridge.crosscheck.backends import keras_outputs, torch_outputs
    from specbridge.crosscheck.inputs import random_inputs
    from specbridge.crosscheck.run import build_pair

    result = _check(CASES[name])
    keras_model, torch_model = build_pair(result, "float32", 0)
    inputs = random_inputs(result, 3, 0, "float32")
    names = [n for n in torch_model.SPEC_OPS if n in _reached(result)]
    from_keras = keras_outputs(result, keras_model, names, inputs)
    from_torch, notes = torch_outputs(result, torch_model, inputs)
    assert not notes
    # NumPy has no bfloat16: the capture gives PyTorch's bfloat16 as float32 (exactly), Keras gives ml_dtypes'.
    same = {n: str(from_torch[n].dtype) == str(from_keras[n].dtype).replace("bfloat16", "float32") for n in names}
    assert all(same.values()), {n: (str(from_keras[n].dtype), str(from_torch[n].dtype)) for n in names if not same[n]}


def _reached(result) -> set[str]:
    from specbridge.crosscheck.run import compared_tensors
    from specbridge.emit.plan import reaching_outputs

    return {name for name, _ in compared_tensors(result, reaching_outputs(result))}


def test_source_is_readable_pytorch():
    result = _check(Case({"q": [5, 4], "k": [6, 4], "x": [4, 6]}, [
        op("matmul", "mm", ["q", "kt"]), op("transpose", "kt", ["k"], axes=[0, 2, 1]), op("add", "plus", ["mm"], x2=3.0),
        op("get_item", "last", ["plus"], key=":, -1, :"), op("get_item", "backwards", ["x"], key=":, ::-2"),
        op("split", "parts", ["x"], indices_or_sections=2, axis=-1), op("mean", "m", ["x"], axis=1, keepdims=True),
        op("reshape", "r", ["x"], newshape=[-1, 24])]))
    source = torch_source(result)
    for line in ("mm = torch.matmul(q, kt)", "kt = k.permute(0, 2, 1)", "plus = mm + 3.0", "last = plus[:, -1, :]",
                 "backwards = x.flip(1)[:, ::2]", "parts, parts_1 = torch.tensor_split(x, 2, dim=-1)",
                 "m = x.mean(dim=1, keepdim=True)", "r = x.reshape(-1, 24)"):
        assert f"        {line}\n" in source, line
    assert source.count("class ") == 1 and "self.mm" not in source  # no helper module, no submodule for an op
    assert '"parts.1": "parts_1"' in source and "SPEC_LAYERS = {}" in source


def test_a_channels_first_tensor_is_converted_for_an_op_and_back_for_the_output():
    result = _check(Case({"image": [8, 8, 3]}, [{"name": "conv", **CONV}, op("add", "shifted", ["conv"], x2=1.0)]))
    source = torch_source(result)
    assert "shifted = conv.movedim(1, -1) + 1.0\n        shifted = shifted.movedim(-1, 1)\n" in source
    assert '"shifted": "channels_first"' in source


REFUSED = {  # what the shape rules accept and PyTorch cannot compute as Keras does
    "bool_matmul": (Case({"m": ([4, 4], B)}, [op("matmul", "a", ["m", "m"])]), "no bool kernel"),
    "squeeze_unknown": (Case({"x": [None, 1]}, [op("squeeze", "a", ["x"])]), "unknown size"),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_what_pytorch_cannot_compute_exactly_is_refused_with_the_reason(name):
    case, reason = REFUSED[name]
    with pytest.raises(NotExpressible, match=reason):
        torch_source(_check(case))


KEYS = ["::-1", "::-2", "4:0:-2", "-1::-3", "10:-10:-1", "0:3:-1", "-2:-6:-1", ":2:-1", "-9::-1", "3::-4", "1:-1:-1"]


@pytest.mark.parametrize("size", [1, 2, 5, 6])
def test_negative_steps_are_a_flip_and_a_positive_step(size):
    x = np.arange(2 * size).reshape(2, size)
    for text in KEYS:
        flips, items = positive_steps(parse_key(":, " + text), 2)
        assert flips == (1,)
        np.testing.assert_array_equal(np.flip(x, flips)[items], x[parse_key(":, " + text)], err_msg=text)


def test_capture_restores_the_profiler_also_when_forward_raises(frameworks):
    from specbridge.crosscheck.capture import torch_layer_outputs
    from specbridge.emit import to_torch

    model = to_torch(_check(Case({"x": [4], "y": [4]}, [op("add", "plus", ["x", "y"]), op("exp", "e", ["plus"])])))
    events: list[str] = []

    def profiler(frame, event, arg):
        events.append(event)

    previous = sys.getprofile()
    sys.setprofile(profiler)
    try:
        captured = torch_layer_outputs(model, [np.ones((2, 4), np.float32), np.zeros((2, 4), np.float32)])
        restored = sys.getprofile()
        with pytest.raises(RuntimeError):  # x + y of (2, 4) and (2, 5): forward() raises while it is profiled
            torch_layer_outputs(model, [np.ones((2, 4), np.float32), np.ones((2, 5), np.float32)])
        restored_after_error = sys.getprofile()
    finally:
        sys.setprofile(previous)
    assert restored is profiler and restored_after_error is profiler
    assert set(captured) == {"plus", "e"}
    np.testing.assert_allclose(captured["e"], np.full((2, 4), np.e), rtol=1e-6)


def test_a_model_without_ops_is_not_profiled(frameworks):
    from specbridge.crosscheck.capture import forward_locals
    from specbridge.emit import to_torch

    model = to_torch(_check(Case({"x": [4]}, [{"type": "Dense", "name": "d", "units": 2}])))
    before = sys.getprofile()
    with forward_locals(model) as seen:
        assert sys.getprofile() is before
    assert seen == {}
