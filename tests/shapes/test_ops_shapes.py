"""Tensor operations (`ops.<keras.ops function>` nodes) against real Keras 3: every op in ops.LAYERS.

Each case is one keras.ops call, written once as a spec node (type and fields) and built two ways:
- Keras: the call itself, made directly on keras.Input tensors (keras.ops.<fn>(...), or Python's `x[key]` for
  ops.get_item), not through specbridge's emitter, so the test referees the shape rule. Its symbolic output is
  read; then, for the cases marked to run, a keras.Model of it runs on random NumPy data (batch size BATCH,
  unknown sizes filled in). A model, not an eager call: a functional model runs each op's Operation.call, which
  can differ (softmax over a tuple of axes runs eagerly but fails in a model). Keras's symbolic shapes and dtypes
  are sometimes wrong: where they differ from the runtime result, the runtime result is the truth specbridge must
  give.
- specbridge: check_text on a spec whose inputs in0, in1, ... feed the node `op`.

Keras "refuses" a case when the symbolic call raises (the model cannot be built: stage "build") or the model fails
on data (stage "run"); specbridge must then report an error at `op`. Keras "mixes the batch" when the result no
longer has the batch first and whole (an outer product across samples, a reduction over them): specbridge must
refuse that too, since a spec's shapes keep the batch axis first.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple, Optional

import numpy as np
import pytest

from specbridge.check import check_text
from specbridge.spec.layers import ops as O

pytestmark = pytest.mark.keras

BATCH = 11  # the runtime batch size: no case uses 11 as a size, so a batch axis out of place cannot pass unseen
TUPLE_ARGUMENTS = ("axis", "axes", "newshape")  # Keras documents these as ints or tuples (softmax fails on a list)


class Case(NamedTuple):
    fn: str
    inputs: tuple  # ((shape, dtype), ...), shapes without the batch axis as in a spec
    fields: dict
    fill: int = 4  # the size an unknown (None) axis gets when the case runs on data
    run: bool = True


def op(fn: str, *shapes, dtype: Any = "float32", fill: int = 4, run: bool = True, **fields) -> Case:
    dtypes = (dtype,) * len(shapes) if isinstance(dtype, str) else tuple(dtype)
    if "dtype_" in fields:  # ops.cast's own `dtype` argument
        fields["dtype"] = fields.pop("dtype_")
    return Case(fn, tuple((tuple(s), d) for s, d in zip(shapes, dtypes, strict=True)), fields, fill, run)


def _dims(shape) -> str:
    return "x".join("N" if d is None else str(d) for d in shape) or "scalar"


def case_id(case: Case) -> str:
    shapes = "+".join(_dims(s) + ("" if d == "float32" else f":{d}") for s, d in case.inputs)
    args = ",".join(f"{k}={v}".replace(" ", "") for k, v in case.fields.items())
    return f"{case.fn}({shapes}{';' + args if args else ''})"


# --------------------------------------------------------------------------------------------------- the two sides

BINARY_NAMES = {"where": ("condition", "x1", "x2")}
BINARY = ("add", "true_divide", "subtract", "multiply", "divide", "power", "maximum", "minimum",
          "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "matmul")


def keras_call(keras, case: Case, tensors: list):
    """The keras.ops call the case stands for, on `tensors` (KerasTensors)."""
    fn, args = case.fn, dict(case.fields)
    if fn == "get_item":
        return eval(f"x[{args['key']}]", {"x": tensors[0]})  # Python's own indexing syntax
    if fn in BINARY or fn in BINARY_NAMES:
        rest = iter(tensors)
        operands = [args.pop(name) if name in args else next(rest)
                    for name in BINARY_NAMES.get(fn, ("x1", "x2"))]
        return getattr(keras.ops, fn)(*operands, **args)
    args = {k: tuple(v) if k in TUPLE_ARGUMENTS and isinstance(v, list) else v for k, v in args.items()}
    if fn == "einsum":
        return keras.ops.einsum(args.pop("subscripts"), *tensors)
    if fn in ("concatenate", "stack"):
        return getattr(keras.ops, fn)(list(tensors), **args)
    return getattr(keras.ops, fn)(tensors[0], **args)


class KerasOutcome(NamedTuple):
    stage: str  # "ok", "build" (the symbolic call raises) or "run" (the model fails on data)
    error: str = ""
    symbolic: tuple = ()  # ((full shape, dtype), ...) per output
    runtime: Optional[tuple] = None  # the same from the model's run (None: not run)

    def expected(self) -> list:
        """Per output (spec shape, dtype) as specbridge must give it: the symbolic result, corrected by the runtime
        one where they differ (an axis Keras knows symbolically takes its runtime size; the runtime dtype)."""
        if self.runtime is None:
            return [(tuple(s[1:]), d) for s, d in self.symbolic]
        out = []
        for (sym, _), (ran, dtype) in zip(self.symbolic, self.runtime, strict=True):
            if len(sym) != len(ran):
                out.append((("rank differs at run time", tuple(ran)), dtype))
            else:
                out.append((tuple(None if s is None else r for s, r in zip(sym[1:], ran[1:], strict=True)), dtype))
        return out

    def batch_mixed(self) -> bool:
        """The result's first axis is not the whole batch (symbolically known, or not BATCH at run time)."""
        if any(not s or s[0] is not None for s, _ in self.symbolic):
            return True
        return self.runtime is not None and any(not s or s[0] != BATCH for s, _ in self.runtime)

    def disagreement(self) -> list:
        """Where the symbolic result differs from the runtime one (shape on a known axis, rank or dtype)."""
        if self.runtime is None:
            return []
        return [(sym, ran) for sym, ran in zip(self.symbolic, self.runtime, strict=True)
                if sym[1] != ran[1] or len(sym[0]) != len(ran[0])
                or any(s is not None and s != r for s, r in zip(sym[0], ran[0], strict=True))]


def _listed(value) -> list:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _data(keras, shape: tuple, dtype: str, fill: int, rng):
    full = (BATCH, *(fill if d is None else d for d in shape))
    if dtype == "bool":
        array = rng.random(full) > 0.5
    elif dtype.startswith(("int", "uint")):
        array = rng.integers(1, 5, size=full).astype(dtype)
    else:
        array = rng.standard_normal(full).astype("float32")
    return keras.ops.cast(keras.ops.convert_to_tensor(array), dtype)


def keras_outcome(keras, case: Case) -> KerasOutcome:
    from keras.src.backend import standardize_dtype

    inputs = [keras.Input(shape=s, dtype=d) for s, d in case.inputs]
    try:
        symbolic = tuple((tuple(t.shape), standardize_dtype(t.dtype)) for t in _listed(keras_call(keras, case, inputs)))
    except Exception as exc:  # noqa: BLE001 - any exception is Keras refusing (ValueError, IndexError, TypeError)
        return KerasOutcome("build", f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}")
    if not case.run:
        return KerasOutcome("ok", symbolic=symbolic)
    rng = np.random.default_rng(0)
    data = [_data(keras, s, d, case.fill, rng) for s, d in case.inputs]
    try:  # through a functional model: its ops run as Operation.call, not as the eager keras.ops function
        model = keras.Model(inputs, _listed(keras_call(keras, case, inputs)))
        ran = _listed(model(data))
    except Exception as exc:  # noqa: BLE001
        return KerasOutcome("run", f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}", symbolic)
    runtime = tuple((tuple(t.shape), standardize_dtype(t.dtype)) for t in ran)
    return KerasOutcome("ok", symbolic=symbolic, runtime=runtime)


def spec_of(case: Case) -> str:
    names = [f"in{i}" for i in range(len(case.inputs))]
    return json.dumps({
        "specbridge": 1,
        "name": "one_op",
        "inputs": [{"name": n, "shape": list(s), "dtype": d} for n, (s, d) in zip(names, case.inputs, strict=True)],
        "layers": [{"type": f"ops.{case.fn}", "name": "op", "inputs": names, **case.fields}],
        "outputs": ["op"],
    })


def specbridge_outputs(result) -> list:
    (record,) = [r for r in result.records if r.name == "op"]
    return [(tuple(t.shape), t.dtype) for t in (record.output, *record.extra_outputs)]


def describe(errors) -> list:
    return [f"{d.code} at {d.layer}: {d.message}" for d in errors]


# ----------------------------------------------------------------------------------------------------- the cases

ARITHMETIC = ("add", "subtract", "multiply", "divide", "power", "maximum", "minimum")
COMPARISONS = ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal")

# Shape pairs (batch axis implied first): equal, 1s stretching, unknown sizes (filled with 1 at run time, which
# broadcasts against anything), rank 3 and 4 in full.
BROADCASTS = [
    ((3, 4), (3, 4)), ((3, 4), (1, 4)), ((3, 1), (1, 4)), ((1, 1), (3, 4)), ((5,), (1,)),
    ((None, 4), (3, 4)), ((3, 4), (None, None)), ((None, 1), (1, None)), ((None, 4), (1, 4)),
    ((2, 3, 4), (1, 3, 1)), ((2, 1, 4), (1, 3, 4)), ((2, 1, 4, 1), (1, 3, 1, 5)),
]
# Pairs of different ranks: right-aligned broadcasting puts one tensor's batch axis against another axis.
# Where the batch meets a size 1, Keras runs it and pairs every sample with every other: refused on purpose
# (BATCH_AXIS below); where it meets another size, Keras fails when the model runs.
RANKS_DIFFER = [((3, 4), (4,)), ((2, 3, 4), (3, 4)), ((3, 1, 4), (1, 4))]

CASES: list[Case] = []
CASES += [op(fn, a, b, fill=1) for fn in ("add", "multiply", "maximum", "less", "divide") for a, b in BROADCASTS]
CASES += [op(fn, (3, 4), (1, 4)) for fn in ARITHMETIC + COMPARISONS if fn not in ("add", "multiply", "maximum",
                                                                                   "less", "divide")]
CASES += [op("add", a, b) for a, b in RANKS_DIFFER]

# Numbers on either side, on float32, int32 and bool tensors.
CONSTANTS = [("float32", {"x2": 3.0}), ("float32", {"x1": 2}), ("float32", {"x2": True}), ("float32", {"x1": 0.5}),
             ("int32", {"x2": 3.0}), ("int32", {"x2": 3}), ("int32", {"x1": 2.5}), ("int32", {"x1": False}),
             ("bool", {"x2": True}), ("bool", {"x2": 1}), ("bool", {"x1": 1.5})]
CASES += [op(fn, (3, 4), dtype=dt, **c) for fn in ARITHMETIC + COMPARISONS for dt, c in CONSTANTS]
CASES += [op("add", (2, 3), dtype=dt, x2=c) for dt in ("int8", "uint8", "int64", "float16", "bfloat16", "float64")
          for c in (1, 1.5)]

# Two tensors of different dtypes.
DTYPE_PAIRS = [("int32", "float32"), ("int32", "int32"), ("int8", "int32"), ("uint8", "int8"), ("int16", "uint8"),
               ("float16", "float32"), ("float16", "bfloat16"), ("float64", "float32"), ("float64", "int64"),
               ("int64", "float16"), ("bool", "int32"), ("bool", "float32"), ("bool", "bool"), ("int64", "int32")]
CASES += [op(fn, (3,), (3,), dtype=pair) for fn in ("add", "divide", "maximum", "greater") for pair in DTYPE_PAIRS]

# where: a bool (or int) condition, tensors or numbers for the two branches, all three broadcast.
CASES += [
    op("where", (3, 4), (3, 4), (3, 4), dtype=("bool", "float32", "float32")),
    op("where", (3, 1), (1, 4), (3, 4), dtype=("bool", "float32", "float32")),
    op("where", (None, 4), (3, 1), (1, 4), dtype=("bool", "float32", "float32"), fill=1),
    op("where", (3, 4), (3, 4), dtype=("bool", "float32"), x2=0.0),
    op("where", (3, 4), (3, 4), dtype=("bool", "float32"), x1=1),
    op("where", (3, 4), (3, 4), dtype=("bool", "int32"), x2=0),
    op("where", (3, 4), (3, 4), dtype=("bool", "int32"), x2=0.5),
    op("where", (3, 4), dtype="bool", x1=1.0, x2=0.0),
    op("where", (3, 4), dtype="bool", x1=1, x2=0),
    op("where", (3, 4), dtype="bool", x1=1.0, x2=0),
    op("where", (3, 4), dtype="bool", x1=True, x2=False),
    op("where", (3, 4), (3, 4), (3, 4), dtype=("bool", "int32", "float64")),
    op("where", (3, 4), (3, 4), (3, 4), dtype=("int32", "float32", "float32")),
    op("where", (3, 4), (4,), (3, 4), dtype=("bool", "float32", "float32")),
]

DTYPES = ("float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "bool")
CASES += [op("cast", (3, None), dtype=src, dtype_=dst) for src in ("float32", "int32", "bool") for dst in DTYPES]

UNARY = ("exp", "log", "sqrt", "rsqrt", "tanh", "erf", "abs", "square", "negative")
CASES += [op(fn, (2, 3), dtype=dt) for fn in UNARY for dt in ("float32", "float64", "float16", "int32", "int64",
                                                               "uint8", "bool")]
CASES += [op(fn, (None, 3, 1)) for fn in UNARY + ("absolute",)]
CASES += [op("clip", (2, 3), dtype=dt, x_min=lo, x_max=hi)
          for dt, lo, hi in [("float32", 0.0, 1.0), ("float32", 0, 1), ("float64", -1, 1), ("int32", 0, 2),
                             ("int32", 0.5, 2.0), ("int8", 0, 3), ("uint8", 1, 3), ("bool", 0, 1), ("float16", 0.0, 1)]]

# matmul: (.., n, k) @ (.., k, m), the leading axes (batch included) broadcasting.
MATMULS = [((3, 4), (4, 5)), ((None, 4), (4, 5)), ((3, None), (None, 5)), ((3, 4), (4, None)),
           ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (1, 4, 5)), ((1, 3, 4), (6, 4, 5)), ((None, 3, 4), (2, 4, 5)),
           ((2, 1, 3, 4), (1, 5, 4, 6)), ((3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5)),
           ((1, 1), (1, 1))]
CASES += [op("matmul", a, b, fill=1) for a, b in MATMULS]
CASES += [op("matmul", (3, 4), (4, 5), dtype=pair)
          for pair in [("int32", "int32"), ("int8", "int8"), ("float16", "int32"), ("bool", "bool"),
                       ("float64", "float32"), ("int64", "int64"), ("uint8", "uint8"), ("int16", "int16")]]

EINSUMS = [("bij,bjk->bik", (3, 4), (4, 5)), ("bij->bji", (3, 4)), ("bij->bi", (3, 4)), ("bi,bi->b", (4,), (4,)),
           ("bij,bkj->bik", (3, 4), (5, 4)), ("bhqd,bhkd->bhqk", (2, 3, 4), (2, 5, 4)), ("bi,bj->bij", (3,), (4,)),
           ("bi,bj,bk->bijk", (2,), (3,), (4,)), ("bij,bjk->bik", (None, 4), (4, None)), ("bii->bi", (3, 3)),
           ("bij,bij->bij", (3, 4), (3, 4)), ("b i j , b j k -> b i k", (3, 4), (4, 5)), ("bij->b", (3, 4)),
           ("bij,bjk->bik", (3, 1), (4, 5)), ("bijk->bkji", (2, 3, 4))]
# Implicit outputs (no '->') and '...' (shapes/einsum.py): Keras builds and runs these; with several operands an
# implicit output leaves the batch letter out (each operand has one), a batch-mixing case refused in BATCH_AXIS.
EINSUMS += [("bij", (3, 4)), ("bii", (3, 3)), ("bijK", (2, 3, 4)), ("...ij", (3, 4)), ("...", (3, 4)),
            ("b...", (2, 3)), ("...ij,...jk->...ik", (3, 4), (4, 5)), ("...ij,...jk->...ik", (2, 3, 4), (1, 4, 5)),
            ("a...c,a...c->a...", (3, 4), (3, 4)), ("...c,...c->...", (3, 4), (3, 4)), ("b...,b...->b...", (3,), (3,)),
            ("b...j,bj->b...", (2, 3, 4), (4,)), ("...ij,...jk", (3, 4), (4, 5)), ("a...,a...->a", (3, 4), (3, 4)),
            ("bKj,bjk->bKk", (3, 4), (4, 5)), ("bKj", (3, 4)), ("...ij,...jk->...ik", (3, 4), (2, 4, 5)),
            ("b...i,b...i->b...i", (None, 4), (1, 4)), ("bi...,bj...->bij...", (2,), (3,)), ("bi.j", (3, 4)),
            ("b...i...", (3, 4)), ("bij->bij->bi", (3, 4)), ("bij->bii", (3, 4)), ("bij->bix", (3, 4))]
CASES += [op("einsum", *shapes, subscripts=eq) for eq, *shapes in EINSUMS]
CASES += [op("einsum", (3, 4), (4, 5), dtype=pair, subscripts="bij,bjk->bik")
          for pair in [("int32", "int32"), ("int8", "int8"), ("int16", "int16"), ("uint8", "uint8"), ("bool", "bool"),
                       ("float16", "float32")]]

CASES += [op("transpose", shape, axes=axes) for shape, axes in [
    ((3, 4), [0, 2, 1]), ((3, 4), [0, 1, 2]), ((2, 3, 4), [0, 3, 1, 2]), ((2, 3, 4), [0, 2, 3, 1]),
    ((2, 3, 4), [0, 1, 3, 2]), ((3, 4), [0, -1, -2]), ((None, 3, 4), [0, 3, 2, 1]), ((2, 3, 4, 5), [0, 4, 2, 3, 1]),
    ((5,), [0, 1]), ((2, 3, 4), [-4, -1, 1, 2])]]
CASES += [op("transpose", (3, 4), dtype="int8", axes=[0, 2, 1])]

CASES += [op("reshape", shape, newshape=new) for shape, new in [
    ((4, 6), [-1, 24]), ((4, 6), [-1, 2, 12]), ((4, 6), [-1, 3, 2, 4]), ((4, 6), [-1, 1, 24, 1]),
    ((2, 3, 4), [-1, 6, 4]), ((24,), [-1, 4, 6]), ((2, 3, 4), [-1, 24]), ((1,), [-1]), ((6,), [-1, 6])]]

CASES += [op("expand_dims", shape, axis=axis) for shape, axis in [
    ((3, 4), 1), ((3, 4), 2), ((3, 4), 3), ((3, 4), -1), ((3, 4), -2), ((3, 4), -3), ((3, 4), [1, 2]),
    ((3, 4), [1, -1]), ((3, 4), [-1, -2]), ((3, 4), [2, 4]), ((None, 4), 1), ((3,), [1, 2, 3]), ((3, 4), [3, 1])]]

CASES += [op("squeeze", shape, **args) for shape, args in [
    ((1, 4), {"axis": 1}), ((3, 1), {"axis": -1}), ((1, 3, 1), {"axis": [1, 3]}), ((1, 3, 1), {"axis": [-1, 1]}),
    ((1, 3, 1), {}), ((1, 3, 1), {"axis": None}), ((None, 1), {"axis": 2}), ((None, 3), {"axis": 1}),
    ((3, 1, 1), {"axis": [-2, -1]}), ((1,), {"axis": 1}), ((None, 3), {})]]

CASES += [op("concatenate", *shapes, fill=3, **args) for shapes, args in [
    (((3, 4), (5, 4)), {"axis": 1}), (((3, 4), (3, 2)), {"axis": -1}), (((3, 4), (3, 4), (3, 4)), {"axis": 2}),
    (((None, 4), (3, 4)), {"axis": 1}), (((3, None), (3, 2)), {"axis": 2}), (((2, 3, 4), (2, 3, 1)), {"axis": -1}),
    (((2, 3, 4), (2, 5, 4)), {"axis": -2}), (((3, 4), (None, 4)), {"axis": 2}), (((4,),), {"axis": 1})]]
CASES += [op("concatenate", (3,), (4,), dtype=pair, axis=1)
          for pair in [("int32", "float32"), ("int8", "int32"), ("float16", "float64"), ("bool", "int32")]]

CASES += [op("stack", *shapes, fill=3, **args) for shapes, args in [
    (((3, 4), (3, 4)), {"axis": 1}), (((3, 4), (3, 4)), {"axis": 2}), (((3, 4), (3, 4)), {"axis": -1}),
    (((3, 4), (3, 4)), {"axis": 3}), (((3, 4),) * 3, {"axis": -2}), (((None, 4), (None, 4)), {"axis": 1}),
    (((None, 4), (3, 4)), {"axis": 1}), (((3, 4), (None, 4)), {"axis": 2}), (((3, 4), (3, 5)), {"axis": 1}),
    (((5,),), {"axis": -1})]]
CASES += [op("stack", (3,), (3,), dtype=pair, axis=1) for pair in [("int32", "float16"), ("bool", "bool")]]

CASES += [op("split", shape, fill=6, **args) for shape, args in [
    ((6,), {"indices_or_sections": 2, "axis": 1}), ((6,), {"indices_or_sections": 3, "axis": -1}),
    ((4, 6), {"indices_or_sections": 2, "axis": 1}), ((4, 6), {"indices_or_sections": 3, "axis": 2}),
    ((4, 6), {"indices_or_sections": 1, "axis": 2}), ((4, 6), {"indices_or_sections": [1, 3], "axis": 2}),
    ((4, 6), {"indices_or_sections": [2], "axis": -1}), ((4, 6), {"indices_or_sections": [1, 2, 3], "axis": 1}),
    ((4, 6), {"indices_or_sections": [0, 2], "axis": 2}), ((4, 6), {"indices_or_sections": [2, 2], "axis": 2}),
    ((4, 6), {"indices_or_sections": [6], "axis": 2}), ((None, 6), {"indices_or_sections": 2, "axis": 2}),
    ((4, 6), {"indices_or_sections": [-2], "axis": 2}), ((4, 6), {"indices_or_sections": [1, -1], "axis": 2}),
    ((4, 6), {"indices_or_sections": [-4, -2], "axis": -1}), ((4, 6), {"indices_or_sections": [2, 10], "axis": 2}),
    ((4, 6), {"indices_or_sections": [4, 1], "axis": 2}), ((6, None), {"indices_or_sections": 2, "axis": 2}),
    ((6, None), {"indices_or_sections": [1], "axis": 2})]]

CASES += [op("repeat", shape, fill=3, **args) for shape, args in [
    ((3, 4), {"repeats": 2, "axis": 1}), ((3, 4), {"repeats": 3, "axis": -1}), ((3, 4), {"repeats": 1, "axis": 2}),
    ((3, 4), {"repeats": [1, 2, 3], "axis": 1}), ((3, 4), {"repeats": [0, 1, 2, 3], "axis": 2}),
    ((3, 4), {"repeats": [2, 2, 2, 2], "axis": -1}), ((None, 4), {"repeats": 2, "axis": 1}),
    ((3, 4), {"repeats": 0, "axis": 1}),
    ((3, 4), {"repeats": [1], "axis": 1}), ((3, 4), {"repeats": [2], "axis": 1}),
    ((3, 4), {"repeats": [1, 2], "axis": 1})]]
# Not swept: repeats [1, 2, 3] on an axis of unknown size. Only a length of 3 runs, giving 6; Keras's symbolic
# shape says unknown, specbridge says 6 (what every model that runs computes).

CASES += [op("tile", shape, fill=3, repeats=reps) for shape, reps in [
    ((3, 4), [2]), ((3, 4), [2, 3]), ((3, 4), [1, 2, 3]), ((3, 4), [1, 1, 1]), ((None, 4), [2, 2]),
    ((3,), [2]), ((2, 3, 4), [2, 1]), ((2, 3, 4), [1, 2, 1, 3]), ((3, 4), [1]), ((3, 4), [0, 2])]]

# get_item: integers (negative), slices with steps (negative too), None, Ellipsis in several places.
KEYS = [":, -1", ":, 0, :", ":, 4", ":, -5", ":, 2, -1, 0", ":, ::2", ":, ::-1", ":, ::-2", ":, 1:3", ":, -3:-1",
        ":, 5:", ":, 3:1", ":, 3:1:-1", ":, -1:-4:-1", ":, None", ":, None, :, None", "..., 0", "..., None",
        ":, ..., 1", "..., ::2", ":, 1, ...", ":, :, None, ...", ":, 1:-1, ::3", ":, 10:20", ":, -10:2",
        ":, ::-1, 0", ":, None, ..., None", ":, 2:, ::-1", ":, :, :", ":, :, :, ...", "...", "..., :", ":",
        ":, ...", ":, :, -2:", ":, ::3, ::-3, ::2", "..., -1, :", "0:, 1", "::1, 1", ":, 1,", "...,", ":,"]
CASES += [op("get_item", shape, fill=5, key=key) for key in KEYS for shape in ((5, 6, 7), (None, 6, 7))]
CASES += [op("get_item", (5, 6, 7), dtype="int32", key=":, 1"), op("get_item", (3,), dtype="bool", key=":, -1")]

REDUCTIONS = ("mean", "sum", "max", "min")
REDUCTION_AXES = [1, 2, 3, -1, -3, [1, 2], [1, 3], [-1, -2], [1, 2, 3], [3, 1]]
CASES += [op(fn, (3, 4, 5), axis=axis) for fn in REDUCTIONS for axis in REDUCTION_AXES]
CASES += [op(fn, (3, None, 5), axis=axis, keepdims=True) for fn in REDUCTIONS for axis in (2, [1, -1], -2)]
CASES += [op("amax", (3, 4), axis=1), op("amin", (3, 4), axis=-1, keepdims=True), op("sum", (3, 4), axis=2,
                                                                                      keepdims=False)]
CASES += [op(fn, (3, 4), dtype=dt, axis=1) for fn in REDUCTIONS + ("argmax",)
          for dt in ("int32", "int8", "int16", "int64", "uint8", "bool", "float16", "float64")]
CASES += [op("argmax", (3, 4, 5), **args) for args in [{"axis": 1}, {"axis": -1}, {"axis": 2, "keepdims": True},
                                                     {"axis": -3, "keepdims": True}]]

SOFTMAX_AXES = [{}, {"axis": -1}, {"axis": 1}, {"axis": 2}, {"axis": [1, 2]}, {"axis": [-1, -2]}, {"axis": [1, 3]}]
CASES += [op(fn, (3, 4, 5), **args) for fn in ("softmax", "log_softmax") for args in SOFTMAX_AXES]
CASES += [op(fn, (3, 4), dtype=dt, axis=-1) for fn in ("softmax", "log_softmax")
          for dt in ("float64", "float16", "bfloat16", "int32", "bool")]
CASES += [op("true_divide", (3, 4), (3, 4)), op("true_divide", (3,), dtype="int32", x2=2)]


def test_every_op_type_is_swept():
    swept = {f"ops.{c.fn}" for c in CASES}
    missing = [layer.type_names()[0] for layer in O.LAYERS if not set(layer.type_names()) & swept]
    assert not missing


# ------------------------------------------------------------------------------------------------------ the sweep

@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_op_matches_keras(keras, case):
    keras_side = keras_outcome(keras, case)
    result = check_text(spec_of(case), lint=False)
    if keras_side.stage != "ok":
        assert result.errors, f"Keras refuses at {keras_side.stage} ({keras_side.error}); specbridge accepts " \
                              f"{specbridge_outputs(result)}"
        assert {d.layer for d in result.errors} == {"op"}, describe(result.errors)
        return
    if keras_side.batch_mixed():
        assert result.errors, f"Keras moves or mixes the batch axis (symbolic {keras_side.symbolic}, runtime " \
                              f"{keras_side.runtime}); specbridge accepts {specbridge_outputs(result)}"
        assert {d.layer for d in result.errors} == {"op"}, describe(result.errors)
        return
    assert result.ok, (f"Keras gives {keras_side.expected()} (symbolic {keras_side.symbolic}, runtime "
                       f"{keras_side.runtime}); specbridge refuses: {describe(result.errors)}")
    note = f" (Keras's symbolic result differs from its runtime one: {keras_side.disagreement()})" \
        if keras_side.disagreement() else ""
    assert specbridge_outputs(result) == keras_side.expected(), note


# ------------------------------------------------------------------------------------------------- the errors

class Refused(NamedTuple):
    case: Case
    code: str
    stage: str  # where Keras refuses it (measured): "build" or "run"
    words: tuple  # what specbridge's message must name (shapes, axes, sizes)


REFUSED = [
    # shapes that do not broadcast
    Refused(op("add", (3, 4), (3, 5)), "SB204", "build", ("(None, 3, 4)", "(None, 3, 5)", "axis -1", "4 vs 5")),
    Refused(op("multiply", (None, 4), (None, 5)), "SB204", "build", ("(None, None, 4)", "(None, None, 5)", "4 vs 5")),
    Refused(op("add", (2, 3, 4), (2, 2, 4)), "SB204", "build", ("(None, 2, 3, 4)", "(None, 2, 2, 4)", "axis -2")),
    Refused(op("less", (3, 4), (3, 5)), "SB204", "build", ("(None, 3, 4)", "(None, 3, 5)")),
    Refused(op("where", (3, 4), (3, 5), dtype=("bool", "float32"), x2=0.0), "SB204", "build",
            ("(None, 3, 4)", "(None, 3, 5)")),
    Refused(op("add", (3, 4), (4,)), "SB204", "run", ("(None, 3, 4)", "(None, 4)", "batch axis")),
    Refused(op("subtract", (2, 3, 4), (3, 4)), "SB204", "run", ("(None, 2, 3, 4)", "(None, 3, 4)", "batch axis")),
    # matmul: inner sizes, leading axes
    Refused(op("matmul", (3, 4), (5, 6)), "SB204", "build", ("(None, 3, 4)", "(None, 5, 6)", "(4)", "(5)")),
    Refused(op("matmul", (2, 3, 4), (2, 5, 6)), "SB204", "build", ("(None, 2, 3, 4)", "(None, 2, 5, 6)")),
    Refused(op("matmul", (2, 3, 4), (3, 4, 5)), "SB204", "build", ("2 vs 3",)),
    # einsum: a letter with two sizes (Keras's symbolic einsum does not check it: the run fails)
    Refused(op("einsum", (3, 4), (5, 6), subscripts="bij,bjk->bik"), "SB204", "run", ("'j'", "4", "5")),
    Refused(op("einsum", (3, 4), (3, 5), subscripts="bij,bij->bij"), "SB204", "build", ("'j'", "4", "5")),
    # transpose: not a permutation
    Refused(op("transpose", (3, 4), axes=[0, 1, 1]), "SB210", "build", ("[0, 1, 1]", "0..2")),
    Refused(op("transpose", (3, 4), axes=[0, 1]), "SB210", "build", ("[0, 1]", "3 axes")),
    Refused(op("transpose", (3, 4), axes=[0, 3, 1]), "SB210", "build", ("axes 3", "rank 3")),
    # reshape to a different size (symbolically accepted: the -1 absorbs it; the run fails)
    Refused(op("reshape", (4, 6), newshape=[-1, 5, 5]), "SB202", "run", ("(None, 4, 6)", "24", "25")),
    Refused(op("reshape", (2, 3), newshape=[-1, 4]), "SB202", "run", ("(None, 2, 3)", "6", "4")),
    # squeeze of an axis that is not 1
    Refused(op("squeeze", (3, 4), axis=1), "SB210", "build", ("axis 1", "(None, 3, 4)", "size is 3")),
    Refused(op("squeeze", (1, 4), axis=[1, -1]), "SB210", "build", ("axis 2", "size is 4")),
    # concatenate: a mismatch on an axis it does not join
    Refused(op("concatenate", (3, 4), (5, 4), axis=2), "SB204", "build", ("(None, 3, 4)", "(None, 5, 4)", "axis 1",
                                                                         "5 vs 3")),
    Refused(op("concatenate", (2, 3, 4), (2, 3, 5), axis=1), "SB204", "build", ("(None, 2, 3, 5)", "axis 3")),
    Refused(op("concatenate", (3, 4), (4,), axis=1), "SB204", "build", ("(None, 3, 4)", "(None, 4)")),
    # split into unequal sections
    Refused(op("split", (5,), indices_or_sections=2, axis=1), "SB210", "build", ("5", "2 equal parts", "axis 1")),
    Refused(op("split", (2, 7), indices_or_sections=3, axis=-1), "SB210", "build", ("7", "3 equal parts", "axis 2")),
    # get_item: an index out of bounds, too many indices
    Refused(op("get_item", (3, 4), key=":, 5"), "SB210", "build", ("index 5", "axis 1", "size 3")),
    Refused(op("get_item", (3, 4), key=":, -4"), "SB210", "build", ("index -4", "axis 1", "size 3")),
    Refused(op("get_item", (3, 4), key=":, :, 4"), "SB210", "build", ("index 4", "axis 2", "size 4")),
    Refused(op("get_item", (3, 4), key=":, 0, 0, 0"), "SB210", "build", ("too many indices", "rank 3")),
    Refused(op("get_item", (3, 4), key="..., 0, 0, 0, 0"), "SB210", "build", ("too many indices", "rank 3")),
    # an axis out of range
    Refused(op("sum", (3, 4), axis=3), "SB210", "build", ("axis 3", "rank 3")),
    Refused(op("mean", (3, 4), axis=-4), "SB210", "build", ("axis -4", "rank 3")),
    Refused(op("max", (3, 4), axis=[1, 3]), "SB210", "build", ("axis 3", "rank 3")),
    Refused(op("argmax", (3, 4), axis=3), "SB210", "build", ("axis 3", "rank 3")),
    Refused(op("softmax", (3, 4), axis=3), "SB210", "build", ("axis 3", "rank 3")),
    Refused(op("log_softmax", (3, 4), axis=-4), "SB210", "build", ("axis -4", "rank 3")),
    Refused(op("expand_dims", (3, 4), axis=4), "SB210", "build", ("axis 4", "rank 4")),
    Refused(op("expand_dims", (3, 4), axis=[2, 2]), "SB210", "build", ("[2, 2]", "more than once")),
    Refused(op("expand_dims", (3, 4), axis=[1, -4]), "SB210", "build", ("[1, -4]", "more than once")),
    Refused(op("squeeze", (3, 1), axis=3), "SB210", "build", ("axis 3", "rank 3")),
    Refused(op("concatenate", (3, 4), (3, 4), axis=3), "SB210", "build", ("axis 3", "rank 3")),
    Refused(op("stack", (3, 4), (3, 4), axis=4), "SB210", "build", ("axis 4", "rank 4")),
    Refused(op("split", (3, 4), indices_or_sections=2, axis=3), "SB210", "build", ("axis 3", "rank 3")),
    Refused(op("repeat", (3, 4), repeats=2, axis=-4), "SB210", "build", ("axis -4", "rank 3")),
]


def refused_id(refused: Refused) -> str:
    return case_id(refused.case)


@pytest.mark.parametrize("refused", REFUSED, ids=refused_id)
def test_op_refused_like_keras(keras, refused):
    keras_side = keras_outcome(keras, refused.case)
    assert keras_side.stage == refused.stage, keras_side
    result = check_text(spec_of(refused.case), lint=False)
    assert [(d.code, d.layer) for d in result.errors] == [(refused.code, "op")], describe(result.errors)
    (error,) = result.errors
    assert error.message.startswith(f"ops.{refused.case.fn}")
    missing = [w for w in refused.words if w not in error.message]
    assert not missing, error.message


# ------------------------------------------------------------------------- over or moving the batch axis: refused
# Deliberate: Keras builds (and mostly runs) these, but the result reduces, mixes or moves the samples of a batch,
# which a spec's shapes (batch first and whole) cannot say. specbridge refuses them with SB210, naming the batch axis.
# The stage is what Keras does with each (measured): "ok" (builds and runs: softmax over axis 0, x[::-1] and
# "bi,ci->bc" keep the shape but mix the samples) or "build" (Keras refuses too: a bare slice or None as the key).

BATCH_AXIS = [
    (op("sum", (3, 4)), "ok"), (op("sum", (3, 4), axis=None, keepdims=True), "ok"), (op("mean", (3, 4), axis=0), "ok"),
    (op("max", (3, 4), axis=[0, 1]), "ok"), (op("min", (3, 4), axis=-3), "ok"), (op("argmax", (3, 4)), "ok"),
    (op("argmax", (3, 4), axis=0), "ok"), (op("softmax", (3, 4), axis=0), "ok"),
    (op("log_softmax", (3, 4), axis=-3), "ok"),
    (op("transpose", (3, 4), axes=[1, 0, 2]), "ok"), (op("transpose", (3, 4)), "ok"),
    (op("transpose", (3, 4), axes=[2, 1, 0]), "ok"),
    (op("reshape", (3, 4), newshape=[BATCH, 12]), "ok"), (op("reshape", (3, 4), newshape=[4, -1]), "ok"),
    (op("reshape", (3, 4), newshape=[-1, -1]), "build"),
    (op("concatenate", (3, 4), (3, 4)), "ok"), (op("concatenate", (3, 4), (3, 4), axis=-3), "ok"),
    (op("stack", (3, 4), (3, 4)), "ok"), (op("stack", (3, 4), (3, 4), axis=-4), "ok"),
    (op("split", (3, 4), indices_or_sections=[1]), "ok"), (op("repeat", (3, 4), repeats=2), "ok"),
    (op("repeat", (3, 4), repeats=2, axis=0), "ok"), (op("expand_dims", (3, 4), axis=0), "ok"),
    (op("expand_dims", (3, 4), axis=[0, 1]), "ok"), (op("squeeze", (3, 4), axis=0), "build"),
    (op("tile", (3, 4), repeats=[2, 1, 1]), "ok"), (op("tile", (3, 4), repeats=[1, 1, 1, 1]), "ok"),
    (op("get_item", (3, 4), key="0"), "ok"), (op("get_item", (3, 4), key="-1, :"), "ok"),
    (op("get_item", (3, 4), key="0, ..."), "ok"), (op("get_item", (3, 4), key="None"), "build"),
    (op("get_item", (3, 4), key="None, ..."), "ok"), (op("get_item", (3, 4), key="1:"), "build"),
    (op("get_item", (3, 4), key="1:,"), "ok"), (op("get_item", (3, 4), key="None,"), "ok"),
    (op("get_item", (3, 4), key="::2, 0"), "ok"), (op("get_item", (3, 4), key="::-1, :"), "ok"),
    (op("einsum", (3, 4), subscripts="bij->jib"), "ok"), (op("einsum", (3, 4), (4, 5), subscripts="bij,bjk->ik"), "ok"),
    (op("einsum", (4,), (4,), subscripts="bi,ci->bc"), "ok"),
    (op("einsum", (3, 4), (4, 5), subscripts="bij,bjk"), "ok"), (op("einsum", (3,), (3,), subscripts="bi,ci"), "ok"),
    (op("add", (1, 4), (4,)), "ok"), (op("add", (4,), (1, 4)), "ok"), (op("less", (1, 4), (4,)), "ok"),
    (op("matmul", (1, 3, 4), (4, 5)), "ok"),
]


@pytest.mark.parametrize("case,stage", BATCH_AXIS, ids=lambda v: case_id(v) if isinstance(v, Case) else v)
def test_batch_axis_refused_on_purpose(keras, case, stage):
    keras_side = keras_outcome(keras, case)
    assert keras_side.stage == stage, keras_side
    result = check_text(spec_of(case), lint=False)
    assert [(d.code, d.layer) for d in result.errors] == [("SB210", "op")], describe(result.errors)
    assert "batch axis" in result.errors[0].message


# ------------------------------------------- einsum's implicit output where Keras's shape and result disagree
# Deliberate: NumPy (and Keras's symbolic einsum) sort the letters seen once; Keras's TensorFlow backend renames the
# letters in order of appearance first, so TensorFlow computes them in that order. Where the two differ, Keras's
# model declares one shape and returns another: specbridge refuses (SB210) and names both orders.

IMPLICIT_ORDER = [op("einsum", (3, 4), subscripts="bji"), op("einsum", (2, 3, 4), subscripts="bkji"),
                  op("einsum", (3, 4), subscripts="...ji"), op("einsum", (3, 4, 5), subscripts="a...ji")]


@pytest.mark.parametrize("case", IMPLICIT_ORDER, ids=case_id)
def test_einsum_implicit_order_disagreement_refused_on_purpose(keras, case):
    keras_side = keras_outcome(keras, case)
    assert keras_side.stage == "ok" and keras_side.disagreement(), keras_side
    result = check_text(spec_of(case), lint=False)
    assert [(d.code, d.layer) for d in result.errors] == [("SB210", "op")], describe(result.errors)
    assert "alphabetical" in result.errors[0].message and "order of appearance" in result.errors[0].message
