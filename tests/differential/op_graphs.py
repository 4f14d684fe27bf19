"""Op graphs: `ops.<keras.ops function>` nodes (spec/layers/ops.py) on inputs of ranks 2 to 5 (batch counted), each op
with arguments drawn for its input's rank. Axes count the batch axis, as keras.ops does.

Drawn: broadcasting pairs (equal, 1s, nulls, ranks that differ, a size that does not fit), numbers in place of a
tensor (x1 / x2), where with a bool condition, casts; reductions over one or several axes (deliberately the batch
axis, none, repeated or out of range) with keepdims; softmax axes; transposes (keeping the batch first, moving it,
negative, reversing); reshapes to the right size with -1 first (and with -1 elsewhere, or the wrong size);
expand_dims / squeeze; get_item keys of ints, slices with steps, None and `...`; split / concatenate / stack;
repeat / tile; matmul and einsum pairs whose inner sizes fit or not. Then, sometimes, a second op or a Dense on
the result, or split's parts combined (`parts`, `parts.1`). The shapes steer towards valid calls; Keras decides.
"""

from __future__ import annotations

import math
from typing import Optional

from hypothesis import strategies as st

from specbridge.spec.layers import ops as O
from specbridge.spec.model import DType

from .attention_graphs import _chance

DIM = st.one_of(st.integers(2, 6), st.integers(2, 6), st.integers(1, 3), st.none())
SIZE = st.integers(2, 6)
SCALARS = st.sampled_from([2, 3, 0, -1, 0.5, 1.5, -2.0, True, False])
DTYPES = ["float32"] * 14 + ["int32", "int32", "bool", "float16", "float64", "int8", "uint8", "int64"]
UNARY = (O.Exp, O.Log, O.Sqrt, O.Rsqrt, O.Tanh, O.Erf, O.Abs, O.Square, O.Negative)
REDUCTIONS = (O.Mean, O.Sum, O.Max, O.Min, O.Argmax)
# The op types in groups of a similar kind; the shaping ones (more ways to go wrong) are drawn twice as often.
GROUPS = (
    (O.Add, O.Subtract, O.Multiply, O.Divide, O.Power, O.Maximum, O.Minimum),
    (O.Equal, O.NotEqual, O.Less, O.LessEqual, O.Greater, O.GreaterEqual, O.Where),
    UNARY + (O.Clip, O.Cast),
    (O.Transpose, O.Reshape, O.ExpandDims, O.Squeeze, O.Repeat, O.Tile),
    (O.Concatenate, O.Stack, O.Split),
    (O.GetItem,),
    REDUCTIONS + (O.Softmax, O.LogSoftmax),
    (O.Matmul, O.Einsum),
)
DRAWN = tuple(c for group in GROUPS + GROUPS[3:7] for c in group) + (O.GetItem,) * 3  # keys: the widest space


def _shape(draw, rank: int, dim=DIM) -> list:
    """A spec shape (batch excluded) for a tensor of `rank` (batch counted)."""
    return draw(st.lists(dim, min_size=rank - 1, max_size=rank - 1))


def _partner(draw, a: list) -> list:
    """A shape to broadcast with `a`: equal, with 1s, with nulls, of another rank, or with a size that cannot fit."""
    how = draw(st.integers(0, 99))  # (Hypothesis draws 0, the first branch, more often than 1 in 100)
    if how < 12 or not a:
        return list(a)
    if how < 35:
        return [1 if _chance(draw, 50) else d for d in a]
    if how < 48:  # null where `a` is null or 1 (so the run's size fits), rarely against a size (the data decides)
        return [None if (d in (None, 1) or _chance(draw, 15)) and not _chance(draw, 40) else d for d in a]
    if how < 70:
        return a[draw(st.integers(1, len(a))):] if _chance(draw, 60) else [1] * draw(st.integers(1, 2)) + a
    at = draw(st.integers(0, len(a) - 1))
    return a[:at] + [(a[at] or 2) + draw(st.integers(1, 3))] + a[at + 1:]


def _axis(draw, rank: int, batch_percent: int = 10) -> int:
    """An axis of a tensor of `rank` (batch counted): mostly a non-batch one, positive or negative; sometimes the
    batch axis or one out of range."""
    how = draw(st.integers(0, 99))
    if how < batch_percent:
        return draw(st.sampled_from([0, -rank]))
    if how < batch_percent + 7:
        return draw(st.sampled_from([rank, -rank - 1]))
    axis = draw(st.integers(1, rank - 1))
    return axis - rank if _chance(draw, 35) else axis


def _axes(draw, rank: int) -> list[int]:
    axes = [_axis(draw, rank) for _ in range(draw(st.integers(1, min(3, rank))))]
    if _chance(draw, 90):
        unique = {a % rank if -rank <= a < rank else a: a for a in axes}
        axes = list(unique.values())
    return axes


def _binary(draw, cls, a: list, dtype: str) -> tuple[dict, list]:
    """(fields, the other tensors' (shape, dtype)) of a binary op or where."""
    if cls is O.Where:
        fields, others = {}, []
        for name in ("x1", "x2"):
            if _chance(draw, 35):
                fields[name] = draw(SCALARS)
            else:
                others.append((_partner(draw, a), draw(st.sampled_from(DTYPES))))
        return fields, others
    how = draw(st.integers(0, 99))
    if how < 60:
        return {}, [(_partner(draw, a), dtype if _chance(draw, 80) else draw(st.sampled_from(DTYPES)))]
    if how < 96:
        return {("x2" if how < 78 else "x1"): draw(SCALARS)}, []
    return {"x1": draw(SCALARS), "x2": draw(SCALARS)}, []


def _einsum(draw) -> tuple[dict, list]:
    """An equation with the batch letter b first in every operand (rarely not in the output) and the operands'
    shapes from the letters' sizes (one rarely wrong)."""
    sizes = {letter: draw(DIM) for letter in "ijkl"}
    terms = []
    for _ in range(draw(st.sampled_from([1, 2, 2, 2, 2, 3]))):
        letters = draw(st.lists(st.sampled_from("ijkl"), min_size=1, max_size=3, unique=_chance(draw, 95)))
        terms.append("b" + "".join(letters))
    used = sorted({c for t in terms for c in t[1:]})
    kept = draw(st.lists(st.sampled_from(used), max_size=len(used), unique=True))
    target = ("" if _chance(draw, 5) else "b") + "".join(kept)
    shapes = [[sizes[c] for c in t[1:]] for t in terms]
    if _chance(draw, 25):
        shape = draw(st.sampled_from(shapes))
        at = draw(st.integers(0, len(shape) - 1))
        shape[at] = (shape[at] or 2) + 1
    equation = ",".join(terms) + ("" if _chance(draw, 3) else "->" + target)
    if _chance(draw, 5):
        equation = equation.replace(",", ", ").replace("->", " -> ")
    return {"subscripts": equation}, [(s, "float32") for s in shapes]


def _matmul(draw) -> tuple[list, list]:
    rank = draw(st.sampled_from([3, 3, 3, 4, 4, 2]))
    a = _shape(draw, rank)
    lead = _partner(draw, a[:-2]) if _chance(draw, 30) else a[:-2]
    inner = a[-1] if _chance(draw, 65) else draw(SIZE)
    return a, lead + [inner, draw(DIM)]


def _reshape(draw, a: list) -> list[int]:
    how = draw(st.integers(0, 99))
    if None in a or how >= 85:
        return [-1] + draw(st.lists(st.sampled_from([1, 2, 3, 4, 6, 8]), min_size=1, max_size=3))
    total = math.prod(a)
    factors = [d for d in range(1, total + 1) if total % d == 0]
    f = draw(st.sampled_from(factors))
    if how < 55:
        return draw(st.sampled_from([[-1, total], [-1, f, total // f], [-1, total // f, f, 1], [-1, 1, total]]))
    if how < 75:
        return [-1, total + draw(st.integers(1, 2))]
    return draw(st.sampled_from([[f, -1], [-1, -1, total], [2, total], [-1, f, -1]]))


def _item(draw, size) -> str:
    """One index for an axis of `size`: an int (in bounds or just out, negative too), a slice with a step, `:`,
    None (a new axis) or `...`."""
    n = size or 4
    how = draw(st.integers(0, 99))
    if how < 30:
        parts = [draw(st.integers(-n - 2, n + 2) | st.none()) for _ in range(2)]
        step = draw(st.sampled_from([2, None, -1, 1, 3, -2, None]))
        return ":".join("" if p is None else str(p) for p in parts) + ("" if step is None else f":{step}")
    if how < 55:
        return str(draw(st.integers(-n - 1, n)))
    if how < 70:
        return ":"
    return "None" if how < 88 else "..."


def _get_item_key(draw, a: list) -> str:
    """Python's indexing syntax: the batch item first (mostly `:`), then ints, slices with steps, None and `...`
    (rarely twice), rarely one index more than the axes."""
    batch = ":" if not _chance(draw, 20) else draw(st.sampled_from(["...", "0", "None", "1:", "::2", "...", ":"]))
    count = len(a) + 1 - draw(st.integers(0, len(a))) if not _chance(draw, 5) else len(a) + 2
    items = [batch] + [_item(draw, a[i] if i < len(a) else 4) for i in range(count - 1)]
    if items.count("...") > 1 and not _chance(draw, 20):  # one Ellipsis at most (rarely two: refused)
        first = items.index("...")
        items = items[: first + 1] + [i for i in items[first + 1:] if i != "..."]
    return ", ".join(items) + ("," if _chance(draw, 5) else "")


def _split(draw, a: list) -> tuple[list, dict]:
    axis = _axis(draw, len(a) + 1, 4)
    a = list(a)
    if -len(a) - 1 <= axis <= len(a) and axis % (len(a) + 1) and _chance(draw, 90):
        a[axis % (len(a) + 1) - 1] = draw(SIZE)
    size = a[axis % (len(a) + 1) - 1] if -len(a) - 1 <= axis <= len(a) and axis % (len(a) + 1) else 4
    size = size or 4
    how = draw(st.integers(0, 99))
    if how < 50:
        sections = draw(st.sampled_from([d for d in range(1, size + 1) if size % d == 0]))
    elif how < 65:
        sections = draw(st.integers(1, size + 1))
    else:
        sections = sorted(draw(st.lists(st.integers(-size, size + 1), min_size=1, max_size=3)))
        if _chance(draw, 10):
            sections.reverse()
    fields = {"indices_or_sections": sections}
    if not _chance(draw, 4):
        fields["axis"] = axis
    return a, fields


def _single(draw, cls, a: list) -> tuple[list, dict]:
    """(the input's shape, possibly adjusted; the op's fields) for a one-tensor op on `a`."""
    rank = len(a) + 1
    if cls is O.Clip:
        return a, {"x_min": draw(SCALARS), "x_max": draw(SCALARS)}
    if cls is O.Cast:
        return a, {"dtype": draw(st.sampled_from(DType.__args__))}
    if cls is O.Transpose:
        how = draw(st.integers(0, 99))
        if how < 8:
            return a, {}
        perm = [0, *draw(st.permutations(list(range(1, rank))))] if how < 75 else draw(st.permutations(range(rank)))
        perm = [p - rank if _chance(draw, 20) else p for p in perm]
        if how >= 94:
            perm = perm[:-1] if _chance(draw, 50) else perm + [perm[-1]]
        return a, {"axes": list(perm)}
    if cls is O.Reshape:
        return a, {"newshape": _reshape(draw, a)}
    if cls is O.ExpandDims:
        new = rank + 1
        return a, {"axis": _axis(draw, new) if _chance(draw, 70) else _axes(draw, new)[:2]}
    if cls is O.Squeeze:
        a = [1 if _chance(draw, 40) else d for d in a]
        ones = [i + 1 for i, d in enumerate(a) if d == 1]
        how = draw(st.integers(0, 99))
        if how < 20:
            return a, {}
        if how < 60 and ones:
            return a, {"axis": draw(st.sampled_from(ones))}
        return a, {"axis": _axis(draw, rank) if how < 85 else _axes(draw, rank)}
    if cls is O.Split:
        return _split(draw, a)
    if cls is O.Repeat:
        axis = _axis(draw, rank, 5)
        size = a[axis % rank - 1] if -rank <= axis < rank and axis % rank else None
        how = draw(st.integers(0, 99))
        repeats = draw(st.integers(0, 3)) if how < 60 or not size else (
            draw(st.lists(st.integers(0, 3), min_size=size, max_size=size)) if how < 85
            else draw(st.lists(st.integers(0, 3), min_size=1, max_size=4)))
        return a, {"repeats": repeats, **({} if _chance(draw, 12) else {"axis": axis})}
    if cls is O.Tile:
        reps = draw(st.lists(st.integers(1, 3), min_size=1, max_size=rank + 1))
        if len(reps) >= rank and _chance(draw, 80):
            reps[-rank] = 1
        return a, {"repeats": reps}
    if cls is O.GetItem:
        return a, {"key": _get_item_key(draw, a)}
    if cls in REDUCTIONS:
        how = draw(st.integers(0, 99))
        fields = {} if how < 5 else {"axis": _axis(draw, rank) if how < 65 or cls is O.Argmax else _axes(draw, rank)}
        if _chance(draw, 50):
            fields["keepdims"] = draw(st.booleans())
        return a, fields
    if cls in (O.Softmax, O.LogSoftmax):
        how = draw(st.integers(0, 99))
        return a, {} if how < 30 else {"axis": _axis(draw, rank) if how < 75 else _axes(draw, rank)}
    return a, {}


def _joined(draw, cls, a: list) -> tuple[list, dict]:
    """(the tensors' shapes, fields) of concatenate / stack."""
    rank = len(a) + 1
    axis = _axis(draw, rank + (cls is O.Stack))
    count = draw(st.sampled_from([2, 2, 2, 3, 1]))
    shapes = [list(a) for _ in range(count)]
    if cls is O.Concatenate and -rank <= axis < rank and axis % rank:
        for s in shapes:
            s[axis % rank - 1] = draw(DIM)
    if _chance(draw, 15):
        shapes[-1] = _partner(draw, shapes[-1])
    return shapes, {} if _chance(draw, 5) else {"axis": axis}


@st.composite
def op_node(draw, cls, name: str, first: str) -> tuple[dict, list, list]:
    """(node, the extra inputs' (shape, dtype), the first input's shape) for one op of type `cls`."""
    rank = draw(st.sampled_from([2, 3, 3, 3, 4, 4, 5]))
    a, dtype = _shape(draw, rank), draw(st.sampled_from(DTYPES))
    fields, others = {}, []
    if issubclass(cls, O.Binary) or cls is O.Where:
        if cls is O.Where:
            dtype = "bool" if _chance(draw, 85) else "int32"
        fields, others = _binary(draw, cls, a, dtype)
    elif cls is O.Matmul:
        a, b = _matmul(draw)
        others = [(b, dtype)]
    elif cls is O.Einsum:
        fields, shapes = _einsum(draw)
        (a, _), others = shapes[0], shapes[1:]
    elif cls in (O.Concatenate, O.Stack):
        shapes, fields = _joined(draw, cls, a)
        a, others = shapes[0], [(s, dtype) for s in shapes[1:]]
    else:
        a, fields = _single(draw, cls, a)
    if _chance(draw, 12):  # an op has no weights: Keras's functions take no `trainable`
        fields["trainable"] = draw(st.booleans())
    kind = draw(st.sampled_from(cls.type_names())) if _chance(draw, 30) else cls.type_names()[0]
    node = {"type": kind, "name": name, "inputs": [first] + [f"{first}_{i}" for i in range(1, len(others) + 1)],
            **fields}
    return node, [(a, dtype), *others], a


FOLLOW = ({"type": "ops.tanh"}, {"type": "ops.multiply", "x2": 2.0}, {"type": "ops.cast", "dtype": "float32"},
          {"type": "ops.softmax"}, {"type": "ops.sum", "axis": -1}, {"type": "Dense", "units": 3},
          {"type": "ops.abs"}, {"type": "ops.expand_dims", "axis": 1})


@st.composite
def op_graphs(draw) -> dict:
    """One op node on inputs x, x_1, ... (rarely two op nodes), then sometimes a second node on its result."""
    cls = draw(st.sampled_from(DRAWN))
    node, tensors, _ = draw(op_node(cls, "op", "x"))
    names = ["x"] + [f"x_{i}" for i in range(1, len(tensors))]
    inputs = [{"name": n, "shape": s, **({} if d == "float32" else {"dtype": d})}
              for n, (s, d) in zip(names, tensors, strict=True)]
    layers: list[dict] = [node]
    outputs: Optional[list] = None
    if cls is O.Split and _chance(draw, 60):
        sections = node["indices_or_sections"]
        count = sections if isinstance(sections, int) else len(sections) + 1
        parts = ["op"] + [f"op.{k}" for k in range(1, max(count, 1))]
        if len(parts) > 1 and _chance(draw, 50):
            layers.append({"type": "ops.add", "name": "joined", "inputs": parts[:2]})
        else:
            outputs = parts
    elif _chance(draw, 40):
        layers.append({**draw(st.sampled_from(FOLLOW)), "name": "then", "inputs": ["op"]})
    doc = {"specbridge": 1, "name": "generated", "inputs": inputs, "layers": layers}
    if outputs is not None:
        doc["outputs"] = outputs
    return doc
