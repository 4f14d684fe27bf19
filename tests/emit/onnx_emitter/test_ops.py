"""The ONNX emitter's tensor operations (spec/layers/ops.py) against the Keras model specbridge emits (Keras 3.15,
TensorFlow backend), which calls keras.ops in functional code.

Each case is a small spec of op nodes. Keras builds it (emit.to_keras, in float32 or, as the cross-check builds
it, with floatx float64), onnxruntime runs emit.to_onnx's model on the same random inputs, and every model output
is compared: ints and bools exactly, with Keras's dtype; floats within 1e-5 (float32) or 1e-12 (float64) of Keras,
NaN where Keras has NaN. Cases cover every op class, numbers on either side of a binary op, int and bool inputs,
ranks 2 to 5 (batch included) and unknown axes. The refused cases are ones Keras's TensorFlow backend cannot run
either: each test shows that Keras fails on them too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pytest
from frameworks import import_framework

from specbridge.check import check_text
from specbridge.emit import to_keras, to_onnx
from specbridge.spec.layers import ops as O

from .keras_onnx import frameworks  # noqa: F401  (the module fixture: Keras, onnx, onnxruntime)

TOLERANCE = {"float32": 1e-5, "float64": 1e-12}  # |Keras - onnxruntime| <= tol + tol * |Keras|
BATCH = 2
UNKNOWN = 3  # the size of a null axis in the random inputs


@dataclass(frozen=True)
class Case:
    id: str
    inputs: tuple  # (name, shape without the batch axis, dtype)
    layers: tuple  # spec layer dicts
    outputs: Optional[tuple] = None  # default: the last layer
    data: dict = field(default_factory=dict)  # input name -> "normal" (floats' default), "positive", "ints" (ints'
    # default, -3 to 3), "small" (0 to 3), "wide" (-5 to 5 for floats, -50 to 50 for ints), "signed_zeros",
    # "bool" (bools' default), "rare" (bools, True one time in six)
    no_float64_kernel: Optional[str] = None  # the op onnxruntime runs in float32 only

    @property
    def names(self) -> list[str]:
        return list(self.outputs or [self.layers[-1]["name"]])


def op(kind: str, name: str, inputs, **args) -> dict:
    return {"type": f"ops.{kind}", "name": name, "inputs": list(inputs), **args}


def one(case_id: str, kind: str, shape: tuple, dtype: str = "float32", data: Optional[str] = None, **args) -> Case:
    """A case of one op on one input `x`."""
    return Case(case_id, (("x", shape, dtype),), (op(kind, "y", ["x"], **args),), data={"x": data} if data else {})


def two(case_id: str, kind: str, a: tuple, b: tuple, **args) -> Case:
    """A case of one op on inputs `a` and `b`, each (shape, dtype) or (shape, dtype, data)."""
    inputs = (("a", *a[:2]), ("b", *b[:2]))
    data = {n: t[2] for n, t in (("a", a), ("b", b)) if len(t) > 2}
    return Case(case_id, inputs, (op(kind, "y", ["a", "b"], **args),), data=data)


F, INT, B, L = "float32", "int32", "bool", "int64"
ELEMENTWISE = [
    two("add_broadcast_rows", "add", ((3, 4), F), ((1, 4), F)),
    two("add_rank5_broadcast", "add", ((2, 3, 4, 5), F), ((1, 3, 1, 5), F)),
    two("add_unknown_axes", "add", ((None, 4), F), ((1, 4), F)),
    one("add_number_right", "add", (5,), x2=1.5),
    one("add_number_left_rank4", "add", (2, 3, 4), x1=-0.25),
    one("add_int_number", "add", (3, 4), INT, x2=2),
    one("add_int_float_number", "add", (3, 4), INT, x2=0.5),
    one("add_bool_int_number", "add", (4,), B, x2=2),
    one("add_bool_float_number", "add", (4,), B, x2=1.5),
    two("add_int_float", "add", ((3, 4), INT), ((3, 4), F)),
    two("add_int32_int64", "add", ((3,), INT), ((3,), L)),
    two("add_int_bool", "add", ((3, 4), INT), ((1, 4), B)),
    two("subtract_ints", "subtract", ((2, 3, 4), INT), ((2, 3, 4), INT)),
    one("subtract_number_left", "subtract", (3, 4), x1=2.5),
    one("subtract_int_from_number", "subtract", (3,), INT, x1=10),
    two("multiply_ints_rank4", "multiply", ((2, 3, 4), INT), ((2, 3, 4), INT)),
    two("multiply_float_bool", "multiply", ((3, 4), F), ((3, 4), B)),
    one("multiply_number", "multiply", (None, 3), x2=-3.0),
    two("divide_floats", "divide", ((3, 4), F), ((3, 4), F, "positive")),
    two("divide_ints", "divide", ((3, 4), INT), ((3, 4), INT)),
    one("divide_int_by_number", "divide", (4,), INT, x2=2),
    one("divide_number_by_int", "divide", (3, 3), INT, x1=7),
    one("divide_bool_by_number", "divide", (3,), B, x2=4),
    one("true_divide_number", "true_divide", (3,), x2=3.0),
    one("power_float_squared", "power", (3, 4), x2=2),
    one("power_float_sqrt", "power", (3, 4), data="positive", x2=0.5),
    one("power_number_base", "power", (4,), x1=2.0),
    two("power_ints", "power", ((3, 2), INT, "small"), ((3, 2), INT, "small")),
    one("power_int_number", "power", (4,), INT, x2=3),
    one("power_int_float_number", "power", (4,), INT, data="small", x2=0.5),
    one("power_bool_number", "power", (4,), B, x2=2),
    two("maximum_floats", "maximum", ((3, 4), F), ((1, 4), F)),
    one("maximum_number", "maximum", (2, 5), x2=0.0),
    two("maximum_ints", "maximum", ((3, 4), INT), ((3, 4), INT)),
    one("maximum_int_float_number", "maximum", (3,), INT, x2=0.5),
    one("maximum_bool_float_number", "maximum", (3,), B, x2=0.5),
    two("minimum_int_int64", "minimum", ((3, 4), INT), ((1, 4), L)),
    one("minimum_number_left", "minimum", (None, 2, 3), x1=0.25),
    two("equal_ints", "equal", ((3, 4), INT), ((3, 4), INT)),
    two("equal_bools", "equal", ((4,), B), ((4,), B)),
    one("equal_int_float_number", "equal", (3, 4), INT, data="small", x2=1.0),
    two("not_equal_bools", "not_equal", ((2, 3), B), ((2, 3), B)),
    one("not_equal_number", "not_equal", (4,), INT, x2=0),
    one("less_number", "less", (3, 4), x2=0.0),
    one("less_bool_float_number", "less", (3,), B, x2=0.5),
    one("less_bool_int_number", "less", (3,), B, x2=1),
    two("less_equal_int_float", "less_equal", ((3, 4), INT), ((3, 4), F)),
    one("less_equal_number_left", "less_equal", (2, 3, 4), x1=0.0),
    two("greater_ints_broadcast", "greater", ((2, 3, 4), INT), ((1, 1, 4), INT)),
    two("add_uint8_int8", "add", ((3, 4), "uint8", "small"), ((3, 4), "int8")),
    two("subtract_int16", "subtract", ((3, 4), "int16", "wide"), ((3, 4), "int16", "wide")),
    two("multiply_int8_wraps", "multiply", ((3, 4), "int8", "wide"), ((3, 4), "int8", "wide")),
    two("maximum_int16", "maximum", ((3, 4), "int16"), ((3, 4), "int16")),
    one("power_uint8_number", "power", (4,), "uint8", data="small", x2=3),
    two("less_int16", "less", ((3, 4), "int16"), ((3, 4), "int16")),
    Case("where_int16", (("c", (4,), B), ("a", (4,), "int16"), ("b", (4,), "int16")),
         (op("where", "y", ["c", "a", "b"]),)),
    one("greater_equal_int_float_number", "greater_equal", (5,), INT, x2=0.5),
    Case("where_floats", (("c", (3, 4), B), ("a", (3, 4), F), ("b", (1, 4), F)),
         (op("where", "y", ["c", "a", "b"]),)),
    Case("where_int_condition_numbers", (("c", (3, 4), INT),), (op("where", "y", ["c"], x1=1, x2=2),)),
    Case("where_float_condition", (("c", (2, 3), F), ("a", (2, 3), F)), (op("where", "y", ["c", "a"], x2=-1.0),)),
    Case("where_int_number", (("c", (4,), B), ("a", (4,), INT)), (op("where", "y", ["c", "a"], x2=0.5),)),
    Case("where_number_first", (("c", (4,), B), ("b", (4,), INT)), (op("where", "y", ["c", "b"], x1=7),)),
    Case("where_bools", (("c", (2, 3), B), ("a", (2, 3), B), ("b", (2, 3), B)),
         (op("where", "y", ["c", "a", "b"]),)),
    Case("where_rank5_broadcast", (("c", (2, 1, 4, 1), B), ("a", (1, 3, 1, 5), F), ("b", (1, 1, 1, 5), F)),
         (op("where", "y", ["c", "a", "b"]),)),
]
FUNCTIONS = [
    one("cast_float_int", "cast", (3, 4), data="wide", dtype_="int32"),
    one("cast_float_bool", "cast", (3, 4), data="signed_zeros", dtype_="bool"),
    one("cast_int_float", "cast", (3, 4), INT, dtype_="float32"),
    one("cast_bool_float", "cast", (4,), B, dtype_="float32"),
    one("cast_bool_int", "cast", (4,), B, dtype_="int32"),
    one("cast_int_int64", "cast", (4,), INT, dtype_="int64"),
    one("cast_int_bool", "cast", (4,), INT, dtype_="bool"),
    one("cast_float_float16", "cast", (3, 4), dtype_="float16"),
    one("cast_float_bfloat16", "cast", (3, 4), dtype_="bfloat16"),
    one("cast_float_float32", "cast", (3, 4), dtype_="float32"),
    one("cast_float_float64", "cast", (3, 4), dtype_="float64"),
    one("exp_float", "exp", (3, 4)),
    one("exp_int", "exp", (3, 4), INT),
    one("exp_bool", "exp", (4,), B),
    one("log_float", "log", (3, 4), data="positive"),
    one("log_int", "log", (2, 3), INT, data="small"),
    one("sqrt_float_rank5", "sqrt", (2, 3, 2, 2), data="positive"),
    one("sqrt_int", "sqrt", (4,), INT, data="small"),
    one("rsqrt_float", "rsqrt", (3, 4), data="positive"),
    one("tanh_float", "tanh", (3, 4)),
    one("tanh_int64", "tanh", (4,), L),
    Case("erf_float", (("x", (3, 4), F),), (op("erf", "y", ["x"]),), no_float64_kernel="Erf"),
    one("abs_float", "abs", (3, 4)),
    one("absolute_int", "absolute", (3, 4), INT),
    one("abs_bool", "abs", (4,), B),
    one("square_float", "square", (3, 4)),
    one("square_int", "square", (3, 4), INT),
    one("square_bool", "square", (4,), B),
    one("negative_float", "negative", (2, 3)),
    one("negative_int", "negative", (2, 3), INT),
    one("negative_int8", "negative", (2, 3), "int8", data="wide"),
    one("abs_int8", "abs", (2, 3), "int8", data="wide"),
    one("abs_uint8", "abs", (2, 3), "uint8", data="small"),
    one("square_int8_wraps", "square", (2, 3), "int8", data="wide"),
    one("clip_int16", "clip", (3, 4), "int16", x_min=-1, x_max=2),
    one("clip_bool_bool_bounds", "clip", (4,), B, x_min=False, x_max=True),
    one("clip_float", "clip", (3, 4), x_min=-0.5, x_max=0.5),
    one("clip_float_int_bounds", "clip", (3, 4), data="wide", x_min=-1, x_max=2),
    one("clip_int", "clip", (3, 4), INT, x_min=-1, x_max=2),
    one("clip_bool", "clip", (4,), B, x_min=0, x_max=1),
    one("clip_bounds_crossed", "clip", (3, 4), x_min=0.5, x_max=-0.5),
]
REDUCTIONS = [
    one("mean_last", "mean", (3, 4), axis=-1),
    one("mean_axes_keepdims_rank4", "mean", (2, 3, 4), axis=[1, 3], keepdims=True),
    one("mean_int", "mean", (3, 7), INT, axis=1),
    one("mean_bool", "mean", (2, 3, 4), B, axis=[1, 2]),
    one("mean_unknown_axis", "mean", (None, 4), axis=1),
    one("sum_axes_keepdims", "sum", (2, 3, 4), axis=[1, -1], keepdims=True),
    one("sum_int", "sum", (3, 4), INT, axis=-1),
    one("sum_bool", "sum", (3, 4), B, axis=1),
    one("sum_int64_unknown", "sum", (None, 3), L, axis=1),
    one("sum_int8", "sum", (3, 4), "int8", data="wide", axis=-1),
    one("sum_int16", "sum", (3, 4), "int16", axis=1),
    one("sum_uint8", "sum", (3, 4), "uint8", data="small", axis=-1),
    one("max_int16", "max", (3, 4), "int16", axis=-1),
    one("mean_uint8", "mean", (3, 4), "uint8", data="small", axis=-1),
    one("argmax_int16", "argmax", (3, 5), "int16", axis=1),
    one("max_float", "max", (3, 4), axis=-1),
    one("max_int_keepdims", "max", (3, 4), INT, axis=1, keepdims=True),
    one("max_bool", "max", (3, 4), B, data="rare", axis=-1),
    one("amax_rank5", "amax", (2, 3, 4, 2), axis=[2, 3]),
    one("min_float", "min", (3, 4), axis=1),
    one("min_int", "amin", (3, 4), INT, data="wide", axis=[1, 2]),
    one("min_bool", "min", (3, 4), B, axis=1),
    one("argmax_float", "argmax", (3, 4), axis=-1),
    one("argmax_float_keepdims", "argmax", (2, 3, 4), axis=2, keepdims=True),
    one("argmax_signed_zeros", "argmax", (4, 6), data="signed_zeros", axis=-1),
    one("argmax_int_ties", "argmax", (3, 5), INT, data="small", axis=1),
    one("argmax_bool", "argmax", (3, 5), B, axis=-1),
    one("softmax_last", "softmax", (3, 4)),
    one("softmax_axis1_rank4", "softmax", (3, 4, 5), axis=1),
    one("log_softmax_last", "log_softmax", (3, 4)),
    one("log_softmax_axis2", "log_softmax", (3, 4, 2), axis=2),
]
SHAPING = [
    two("matmul_rank3", "matmul", ((3, 4), F), ((4, 5), F)),
    two("matmul_broadcast_rank4", "matmul", ((2, 3, 4), F), ((1, 4, 5), F)),
    two("matmul_unknown", "matmul", ((None, 4), F), ((4, None), F)),
    two("matmul_ints", "matmul", ((3, 4), INT), ((4, 2), INT)),
    two("matmul_int_float", "matmul", ((3, 4), INT), ((4, 2), F)),
    two("matmul_bools", "matmul", ((3, 4), B), ((4, 2), B)),
    two("matmul_int8", "matmul", ((3, 4), "int8", "wide"), ((4, 2), "int8", "wide")),
    two("einsum_batched", "einsum", ((3, 4), F), ((4, 5), F), subscripts="bij,bjk->bik"),
    two("einsum_scores", "einsum", ((2, 3, 4), F), ((2, 5, 4), F), subscripts="bhqd,bhkd->bhqk"),
    two("einsum_ints", "einsum", ((3, 4), INT), ((5, 4), INT), subscripts="bqd,bkd->bqk"),
    two("einsum_int8", "einsum", ((3, 4), "int8", "wide"), ((5, 4), "int8", "wide"), subscripts="bqd,bkd->bqk"),
    two("einsum_int_bool", "einsum", ((3, 4), INT), ((5, 4), B), subscripts="bqd,bkd->bqk"),
    Case("einsum_three_operands", (("a", (2,), F), ("b", (3,), F), ("c", (4,), F)),
         (op("einsum", "y", ["a", "b", "c"], subscripts="bi,bj,bk->bijk"),)),
    one("einsum_one_operand_sum", "einsum", (3, 4), subscripts="bij->bj"),
    one("transpose_rank4", "transpose", (2, 3, 4), axes=[0, 2, 3, 1]),
    one("transpose_negative_axes", "transpose", (3, 4), INT, axes=[0, -1, 1]),
    one("transpose_unknown", "transpose", (None, 4, 2), B, axes=[0, 3, 1, 2]),
    one("reshape_rank3_to_4", "reshape", (6, 4), newshape=[-1, 2, 3, 4]),
    one("reshape_to_rank2", "reshape", (2, 3, 4), INT, newshape=[-1, 24]),
    one("expand_dims_axis1", "expand_dims", (3, 4), axis=1),
    one("expand_dims_last", "expand_dims", (3,), B, axis=-1),
    one("expand_dims_two_axes", "expand_dims", (3, 4), axis=[1, 3]),
    one("squeeze_all", "squeeze", (1, 3, 1), INT),
    one("squeeze_axes", "squeeze", (1, 3, 1, 2), axis=[1, -2]),
    one("squeeze_unknown_axis", "squeeze", (None, 1, 2), axis=2),
    Case("concatenate_float_int", (("a", (3, 2), F), ("b", (3, 4), INT)),
         (op("concatenate", "y", ["a", "b"], axis=-1),)),
    Case("concatenate_three_axis1", (("a", (1, 4), INT), ("b", (2, 4), INT), ("c", (3, 4), B)),
         (op("concatenate", "y", ["a", "b", "c"], axis=1),)),
    Case("concatenate_unknown", (("a", (None, 2), F), ("b", (None, 3), F)),
         (op("concatenate", "y", ["a", "b"], axis=2),)),
    Case("stack_axis1", (("a", (3, 4), F), ("b", (3, 4), F)), (op("stack", "y", ["a", "b"], axis=1),)),
    Case("stack_last_mixed", (("a", (3,), INT), ("b", (3,), L), ("c", (3,), B)),
         (op("stack", "y", ["a", "b", "c"], axis=-1),)),
    Case("split_halves", (("x", (3, 4), F),), (op("split", "s", ["x"], indices_or_sections=2, axis=-1),),
         outputs=("s", "s.1")),
    Case("split_three_axis1", (("x", (6, 2), INT),), (op("split", "s", ["x"], indices_or_sections=3, axis=1),),
         outputs=("s", "s.1", "s.2")),
    Case("split_indices", (("x", (2, 7), F),), (op("split", "s", ["x"], indices_or_sections=[2, 5], axis=2),),
         outputs=("s", "s.1", "s.2")),
    Case("split_empty_part", (("x", (7,), B),), (op("split", "s", ["x"], indices_or_sections=[3, 3], axis=1),),
         outputs=("s", "s.1", "s.2")),
    one("repeat_int", "repeat", (3, 4), repeats=2, axis=1),
    one("repeat_counts_last", "repeat", (3, 4), INT, repeats=[1, 0, 2, 3], axis=-1),
    one("repeat_unknown_axis", "repeat", (None, 2), repeats=3, axis=1),
    one("repeat_unknown_last", "repeat", (2, None), B, repeats=2, axis=2),
    one("tile_short", "tile", (2, 3), repeats=[2]),
    one("tile_full", "tile", (2, 3), INT, repeats=[1, 2, 3]),
    one("tile_unknown", "tile", (None, 3), repeats=[2, 1]),
    one("get_item_last", "get_item", (3, 4), key=":, -1"),
    one("get_item_reversed", "get_item", (5, 6), key=":, ::-1"),
    one("get_item_step_none", "get_item", (5, 6), key=":, 1:-1:2, None"),
    one("get_item_ellipsis_int", "get_item", (3, 4, 5), INT, key="..., 0"),
    one("get_item_new_axes", "get_item", (5, 6), key=":, None, :, ::-2"),
    one("get_item_ellipsis_none", "get_item", (3,), B, key="..., None"),
    one("get_item_backwards_past_start", "get_item", (5, 6), key=":, 3:-6:-1"),
    one("get_item_negative_index_slice", "get_item", (4, 5), key=":, -2, 1:"),
    one("get_item_rank5", "get_item", (3, 4, 5, 6), key=":, 1, ..., ::-3, -1"),
    one("get_item_unknown", "get_item", (None, 5), key=":, -1, 1:4"),
    one("get_item_batch_ellipsis", "get_item", (4, 5), key="..., 2:, -3"),
]
CHAINS = [
    Case("attention_by_ops", (("q", (4, 6), F), ("k", (5, 6), F), ("v", (5, 3), F)), (
        op("einsum", "scores", ["q", "k"], subscripts="bqd,bkd->bqk"),
        op("multiply", "scaled", ["scores"], x2=0.5),
        op("softmax", "probs", ["scaled"]),
        op("matmul", "out", ["probs", "v"]),
        op("get_item", "last", ["out"], key=":, -1, :"),
    ), outputs=("out", "last")),
    Case("split_parts_meet_again", (("x", (3, 8), F),), (
        op("split", "s", ["x"], indices_or_sections=2, axis=-1),
        op("multiply", "gate", ["s", "s.1"]),
        op("greater", "positive", ["gate"], x2=0.0),
        op("where", "kept", ["positive", "gate"], x2=0.0),
    ), outputs=("kept", "positive")),
    Case("bool_count_scaled", (("m", (3, 4), B),), (
        op("sum", "count", ["m"], axis=-1, keepdims=True),
        op("multiply", "scaled", ["count"], x2=0.5),
        op("square", "squares", ["m"]),
        op("add", "total", ["squares", "count"]),
    ), outputs=("count", "scaled", "total")),
    Case("int_indices", (("x", (3, 5), F),), (
        op("argmax", "best", ["x"], axis=-1),
        op("cast", "as_float", ["best"], dtype="float32"),
        op("divide", "ratio", ["best"], x2=4),
        op("stack", "both", ["as_float", "ratio"], axis=1),
    ), outputs=("best", "both")),
]
CASES = ELEMENTWISE + FUNCTIONS + REDUCTIONS + SHAPING + CHAINS
BY_ID = {case.id: case for case in CASES}


def spec_text(case: Case) -> str:
    inputs = [{"name": n, "shape": list(s), **({} if d == F else {"dtype": d})} for n, s, d in case.inputs]
    layers = [{k.rstrip("_"): v for k, v in layer.items()} for layer in case.layers]  # dtype_: ops.cast's dtype
    lines = ["specbridge: 1", f"name: {case.id}", "inputs:", *(f"  - {json.dumps(i)}" for i in inputs),
             "layers:", *(f"  - {json.dumps(layer)}" for layer in layers), f"outputs: {json.dumps(case.names)}"]
    return "\n".join(lines) + "\n"


def checked(case: Case):
    result = check_text(spec_text(case), lint=False)
    assert result.ok, [d.message for d in result.errors]
    return result


def random_feed(case: Case, dtype: str, seed: int = 1) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    feed = {}
    for name, shape, kind in case.inputs:
        size = (BATCH, *(UNKNOWN if d is None else d for d in shape))
        data = case.data.get(name, "bool" if kind == B else "normal" if kind == F else "ints")
        if data in ("bool", "rare"):
            value = rng.random(size) < (0.5 if data == "bool" else 1 / 6)
        elif data == "wide" and kind != F:
            value = rng.integers(-50, 51, size)
        elif data in ("ints", "small"):
            value = rng.integers(-3 if data == "ints" else 0, 4, size)
        elif data == "positive":
            value = rng.uniform(0.5, 2.0, size)
        elif data == "wide":
            value = rng.uniform(-5.0, 5.0, size)
        elif data == "signed_zeros":
            value = rng.choice(np.asarray([0.0, -0.0, -1.0]), size)
        else:
            value = rng.normal(size=size)
        feed[name] = value.astype(dtype if kind == F else kind)
    return feed


def keras_outputs(case: Case, dtype: str, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    from specbridge.crosscheck.run import keras_dtype

    with keras_dtype(dtype):
        model = to_keras(checked(case))
        arrays = [feed[i.name] for i in model.inputs]
        got = model(arrays if len(arrays) > 1 else arrays[0], training=False)
    outs = got if isinstance(got, (list, tuple)) else [got]
    arrays = (np.asarray(t) for t in outs)  # a bfloat16 array (ml_dtypes) compared as the float32 it holds exactly
    return dict(zip(case.names, (a.astype(np.float32) if a.dtype.name == "bfloat16" else a for a in arrays),
                    strict=True))


def onnx_model(case: Case, dtype: str):
    from onnx import checker

    model = to_onnx(checked(case), dtype=dtype)
    checker.check_model(model, full_check=True)  # strict shape inference: the declared types and shapes hold
    return model


def run_ort(model, feed: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    onnxruntime = import_framework("onnxruntime")
    session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, {i.name: feed[i.name] for i in session.get_inputs()}), strict=True))


def compare(name: str, want: np.ndarray, got: np.ndarray, dtype: str) -> float:
    """max |Keras - ONNX| of one output (0 for ints and bools, which must be equal), after checking dtypes."""
    assert got.shape == want.shape, (name, got.shape, want.shape)
    if want.dtype.kind == "f":
        assert got.dtype == np.dtype(dtype), (name, got.dtype)  # the model's float, whatever Keras rounded to
        finite = np.isfinite(want)
        np.testing.assert_array_equal(got[~finite], want[~finite], err_msg=name)  # NaN and infinities alike
        want64, got64 = want[finite].astype(np.float64), got[finite].astype(np.float64)
        difference = np.abs(got64 - want64)
        assert np.all(difference <= TOLERANCE[dtype] * (1 + np.abs(want64))), (name, float(difference.max()))
        return float(np.max(difference, initial=0.0))
    if dtype == "float32" or want.dtype.kind == "b":
        assert got.dtype == want.dtype, (name, got.dtype, want.dtype)  # Keras's int dtype (floatx float64 widens
        # Python ints to int64 there: where(c, 1, 2) is int64, the shape rule's int32 in ONNX, the same values)
    else:
        assert got.dtype.kind == want.dtype.kind, (name, got.dtype, want.dtype)
    np.testing.assert_array_equal(got, want, err_msg=name)
    return 0.0


def max_errors(case: Case, dtype: str) -> dict[str, float]:
    feed = random_feed(case, dtype)
    expected = keras_outputs(case, dtype, feed)
    actual = run_ort(onnx_model(case, dtype), feed)
    assert list(actual) == case.names, (list(actual), case.names)
    return {name: compare(name, want, actual[name], dtype) for name, want in expected.items()}


RUNS = [(case, dtype) for dtype in ("float32", "float64") for case in CASES
        if not (dtype == "float64" and case.no_float64_kernel)]  # test_erf_has_no_float64_kernel_in_onnxruntime


@pytest.mark.parametrize(("case", "dtype"), RUNS, ids=[f"{c.id}-{d}" for c, d in RUNS])
def test_onnx_computes_what_keras_computes(case, dtype):
    max_errors(case, dtype)  # compare() asserts each output's tolerance


def test_every_op_type_has_a_case():
    covered = {layer["type"] for case in CASES for layer in case.layers}
    missing = [cls.type_names()[0] for cls in O.LAYERS if not covered & set(cls.type_names())]
    assert not missing, missing


def test_erf_has_no_float64_kernel_in_onnxruntime():
    """ops.erf in a float64 model: ONNX's Erf, which onnxruntime 1.32 runs in float32 only (as for Gelu's); the
    cross-check reports the missing kernel. onnx's ReferenceEvaluator runs the model, close to Keras."""
    from onnx.reference import ReferenceEvaluator

    case = BY_ID["erf_float"]
    model = onnx_model(case, "float64")
    with pytest.raises(Exception, match="Erf"):
        run_ort(model, random_feed(case, "float64"))
    feed = random_feed(case, "float64")
    (got,) = ReferenceEvaluator(model).run(None, feed)
    # 3e-8 measured: onnx.reference's Erf is not TensorFlow's float64 erf to the last bits
    assert np.max(np.abs(got - keras_outputs(case, "float64", feed)["y"])) <= 1e-7


# ---------------------------------------------------------------- what Keras cannot compute either


REFUSED = [
    (two("add_bools", "add", ((4,), B), ((4,), B)), "on bool tensors"),
    (one("add_bool_true", "add", (4,), B, x2=True), "on bool tensors"),
    (two("maximum_bools", "maximum", ((4,), B), ((4,), B)), "on bool tensors"),
    (two("less_bools", "less", ((4,), B), ((4,), B)), "of two bool tensors"),
    (one("negative_bool", "negative", (4,), B), "of a bool tensor"),
    (one("rsqrt_int", "rsqrt", (4,), INT), "of an int32 tensor"),
    (one("erf_bool", "erf", (4,), B), "of a bool tensor"),
    (one("softmax_int", "softmax", (4,), INT), "of an int32 tensor"),
    (one("log_softmax_bool", "log_softmax", (4,), B), "tensor"),
    (one("clip_int_float_bounds", "clip", (4,), INT, x_min=0.5, x_max=2), "float bounds"),
    (one("power_int_negative", "power", (4,), INT, x2=-1), "negative int power"),
    (two("einsum_bools", "einsum", ((3,), B), ((3,), B), subscripts="bi,bi->b"), "bool tensors"),
]


@pytest.mark.parametrize(("case", "reason"), REFUSED, ids=[c.id for c, _ in REFUSED])
def test_what_keras_cannot_compute_is_refused(case, reason):
    """The shape rule refuses it first (SB212: a dtype the op fails on when the model runs), so no emitter sees it;
    Keras builds the model and fails on data."""
    result = check_text(spec_text(case), lint=False)
    assert [d.code for d in result.errors] == ["SB212"], [d.message for d in result.errors]
    feed = random_feed(case, "float32")
    if case.id == "power_int_negative":
        feed["x"] = np.abs(feed["x"]) + 2  # TensorFlow refuses ints to negative powers at run time
    with pytest.raises(Exception):  # noqa: B017  (TensorFlow's InvalidArgumentError, or Keras's TypeError)
        keras_outputs(case, "float32", feed)


# ---------------------------------------------------------------- beyond Keras's functional models


@pytest.mark.parametrize(("kind", "axis"), [("softmax", [1, 2]), ("log_softmax", [3])])
def test_softmax_over_a_list_of_axes_is_refused(kind, axis):
    """keras.ops.softmax over a list of axes: Keras 3.15's functional models fail on any (Softmax.call compares an
    int with the tuple, even a tuple of one axis), so the rule refuses it (SB210) and no emitter writes it."""
    keras = import_framework("keras")
    case = one(f"{kind}_axes", kind, (3, 4, 5), axis=axis)
    result = check_text(spec_text(case), lint=False)
    assert [d.code for d in result.errors] == ["SB210"]
    x = keras.Input((3, 4, 5))
    with pytest.raises(Exception):  # noqa: B017
        keras.Model(x, getattr(keras.ops, kind)(x, axis=tuple(axis)))(np.ones((2, 3, 4, 5), "float32"))


def test_ops_between_layers_in_the_torch_layout():
    """An image model whose op reads a pooling layer's output and feeds another layer: with layout="torch" the
    ONNX model takes and returns NCHW, and the op still computes on Keras's layout inside."""
    from specbridge.crosscheck.backends import run_onnx

    text = "\n".join([
        "specbridge: 1", "name: ops_in_images", "inputs:", '  - {"name": "img", "shape": [8, 8, 3]}', "layers:",
        '  - {"type": "MaxPooling2D", "name": "pool", "pool_size": 2, "inputs": ["img"]}',
        '  - {"type": "ops.multiply", "name": "half", "inputs": ["pool"], "x2": 0.5}',
        '  - {"type": "ops.mean", "name": "avg", "inputs": ["half"], "axis": [1, 2], "keepdims": true}',
        '  - {"type": "ops.subtract", "name": "centered", "inputs": ["half", "avg"]}',
        '  - {"type": "ops.get_item", "name": "corner", "inputs": ["centered"], "key": ":, :2, -2:, ::-1"}',
        '  - {"type": "UpSampling2D", "name": "up", "size": 2, "inputs": ["corner"]}',
        'outputs: ["up", "avg"]',
    ]) + "\n"
    result = check_text(text, lint=False)
    assert result.ok, [d.message for d in result.errors]
    x = np.random.default_rng(0).normal(size=(BATCH, 8, 8, 3)).astype("float32")
    want = to_keras(result)(x, training=False)
    got = run_onnx(to_onnx(result, layout="torch"), [x])  # fed and returned in Keras's layout by run_onnx
    for name, expected in zip(["up", "avg"], want, strict=True):
        np.testing.assert_allclose(got[name], np.asarray(expected), rtol=0, atol=1e-6)


def test_crosscheck_compares_every_op():
    """run_crosscheck with Keras and ONNX: every op node is compared, the split's second part included."""
    from specbridge.crosscheck import run_crosscheck

    report = run_crosscheck(checked(BY_ID["split_parts_meet_again"]), backends=["keras", "onnx"])
    assert report.ok, report.to_dict()
