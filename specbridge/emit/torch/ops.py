"""Emitters of spec/layers/ops.py: each tensor operation is an expression in forward(), not a submodule
(`mm = torch.matmul(x, y)`, `plus = x + 3.0`, `last = x[:, -1, :]`, `parts, parts_1 = torch.tensor_split(x, 2,
dim=-1)`), on Keras-layout tensors with Keras's axes (the batch axis counted, as keras.ops and torch count it).

Each computes what keras.ops computes with the TensorFlow backend (Keras 3.15), dtypes included (ops_dtypes.py):
NumPy broadcasting (PyTorch's), torch.tensor_split (NumPy's array_split), repeat_interleave (NumPy's repeat), and a
negative-step slice, which PyTorch lacks, as torch.flip and a positive-step slice of the flipped axis. An op PyTorch
cannot compute exactly is refused (SB400) with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ...shapes.einsum import parse as parse_equation
from ...shapes.records import Shape
from ...spec.index_key import key_text
from ...spec.layers import ops as O
from ..source import literal
from .ops_dtypes import (
    DEFAULT_FLOAT,
    INT,
    atom,
    cast,
    is_float,
    keras_result,
    kind,
    plan_dtypes,
    tensor_promote,
    torch_promote,
)
from .stage import Ctx, Inline, emitter


@dataclass(frozen=True)
class Operands:
    """What an op's expression is written from: its tensors' dtypes (Keras's, as the emitted model computes them)
    and shapes (batch excluded), in the op's call order, and the dtype Keras gives the result."""

    dtypes: list[str]
    shapes: list[Shape]
    want: str

    @property
    def rank(self) -> int:
        """The first tensor's rank, batch axis included."""
        return len(self.shapes[0]) + 1


Writer = Callable[[O.Op, Operands, Ctx], Inline]
WRITERS: dict[type, Writer] = {}


def writes(*classes: type) -> Callable[[Writer], Writer]:
    def register(fn: Writer) -> Writer:
        WRITERS.update(dict.fromkeys(classes, fn))
        return fn
    return register


@emitter(*O.LAYERS)
def emit_op(layer: O.Op, ctx: Ctx) -> Inline:
    step = next(s for s in ctx.plan.steps if s.name == ctx.name)
    dtypes = plan_dtypes(ctx.plan, ctx.name)
    tensors = layer.bind([dtypes[n] for n in step.inputs])[0]
    shapes = layer.bind(list(ctx.in_shapes))[0]
    return WRITERS[type(layer)](layer, Operands(list(tensors), list(shapes), keras_result(layer, list(tensors))), ctx)


def arguments(layer: O.Op, variables: list[str], bools_as_ints: bool = False) -> list[str]:
    """The op's arguments in its call order: the tensors' variables, a literal where the spec gives a number (a
    bool as 0 or 1 with `bools_as_ints`: torch has no `x - False`, Keras computes x - 0)."""
    constants, rest, out = layer.constants(), list(variables), []
    for name in layer.CALL.tensors:
        if name in constants:
            value = constants[name]
            value = int(value) if bools_as_ints and isinstance(value, bool) else value
            out.append(atom(literal(value)))  # (-2.0) ** x, not -(2.0 ** x)
        elif layer.CALL.variadic:
            out.extend(rest)
        elif rest:
            out.append(rest.pop(0))
    return out


def _dims(axis) -> str:
    """A reduction's dim: an int, or a tuple of them."""
    return str(axis) if isinstance(axis, int) else literal(tuple(axis))


def _fn(layer: O.Op) -> str:
    return f"ops.{layer.function()}"


# ---------------------------------------------------------------- elementwise

OPERATORS = {O.Add: "+", O.Subtract: "-", O.Multiply: "*", O.Divide: "/", O.Power: "**", O.Equal: "==",
             O.NotEqual: "!=", O.Less: "<", O.LessEqual: "<=", O.Greater: ">", O.GreaterEqual: ">="}
EXTREMES = {O.Maximum: ("torch.maximum", "min"), O.Minimum: ("torch.minimum", "max")}


@writes(*OPERATORS, *EXTREMES)
def binary(layer: O.Binary, op: Operands, ctx: Ctx) -> Inline:
    numbers = list(layer.constants().values())  # (arithmetic of bools alone: the shape rule refuses it, SB212)
    # Bools with a Python int are int32 in Keras, which casts them first; so does PyTorch here (it has no `1 - mask`)
    widen = tensor_promote(op.dtypes) == "bool" and kind(op.want) == INT
    dtypes = [op.want] * len(op.dtypes) if widen else op.dtypes
    have = "bool" if layer.COMPARISON else op.want if isinstance(layer, O.Divide) else torch_promote(dtypes, numbers)

    def write(variables: list[str]) -> str:
        a, b = arguments(layer, [f"{v}.to(torch.{op.want})" for v in variables] if widen else variables,
                         bools_as_ints=not layer.COMPARISON)
        if type(layer) in EXTREMES:
            function, bound = EXTREMES[type(layer)]
            if numbers:  # x with a number: clamp (torch.maximum takes tensors only); the same promotion
                tensor = b if "x1" in layer.constants() else a
                return cast(f"torch.clamp({tensor}, {bound}={literal(numbers[0])})", have, op.want)
            return cast(f"{function}({a}, {b})", have, op.want)
        return cast(f"{a} {OPERATORS[type(layer)]} {b}", have, op.want)
    return Inline(write)


@writes(O.Where)
def where(layer: O.Where, op: Operands, ctx: Ctx) -> Inline:
    have = torch_promote(op.dtypes[1:], list(layer.constants().values()))

    def write(variables: list[str]) -> str:
        condition, a, b = arguments(layer, variables)
        if op.dtypes[0] != "bool":
            condition = f"{condition}.bool()"  # Keras casts the condition to bool: nonzero is True
        return cast(f"torch.where({condition}, {a}, {b})", have, op.want)
    return Inline(write)


@writes(O.Cast)
def cast_op(layer: O.Cast, op: Operands, ctx: Ctx) -> Inline:
    return Inline(lambda v: f"{v[0]}.to(torch.{layer.dtype})")


FUNCTIONS = {O.Exp: "torch.exp", O.Log: "torch.log", O.Sqrt: "torch.sqrt", O.Rsqrt: "torch.rsqrt",
             O.Tanh: "torch.tanh", O.Erf: "torch.erf", O.Abs: "torch.abs", O.Square: "torch.square"}


@writes(*FUNCTIONS, O.Negative)
def unary(layer: O.Unary, op: Operands, ctx: Ctx) -> Inline:
    x = op.dtypes[0]
    if isinstance(layer, O.Negative):  # (of bools: the shape rule refuses it, SB212)
        return Inline(lambda v: f"-{v[0]}")
    if isinstance(layer, O.Abs) and x == "bool":
        return Inline(lambda v: f"{v[0]}.clone()")  # Keras returns a bool (or uint) tensor as it is
    have = DEFAULT_FLOAT if layer.FLOAT_RESULT and not is_float(x) else "int64" if x == "bool" else x
    return Inline(lambda v: cast(f"{FUNCTIONS[type(layer)]}({v[0]})", have, op.want))


@writes(O.Clip)
def clip(layer: O.Clip, op: Operands, ctx: Ctx) -> Inline:
    bounds = [layer.x_min, layer.x_max]
    widened = op.dtypes[0] == "bool"  # Keras clips a bool tensor as int32
    have = torch_promote(["int32" if widened else op.dtypes[0]], bounds)

    def write(variables: list[str]) -> str:
        x = f"{variables[0]}.to(torch.int32)" if widened else variables[0]
        low, high = literal(bounds[0]), literal(bounds[1])
        if bounds[0] > bounds[1]:  # TensorFlow's clip is max(min(x, high), low): low wins; torch.clamp's high would
            return cast(f"torch.clamp({x}, max={high}).clamp(min={low})", have, op.want)
        return cast(f"torch.clamp({x}, {low}, {high})", have, op.want)
    return Inline(write)


# ---------------------------------------------------------------- products


def same_dtype(op: Operands, variables: list[str], ctx: Ctx, what: str) -> list[str]:
    """The operands of a product in one dtype, Keras's result dtype (torch.matmul takes no mixed dtypes): int8
    operands accumulate into int32 as Keras's do; a float is cast to the float operand's own dtype (`.to(y.dtype)`),
    so a float64 model stays float64."""
    if set(op.dtypes) == {"int8"}:
        return [f"{v}.to(torch.int32)" for v in variables]
    if len(set(op.dtypes)) == 1:
        return list(variables)
    if is_float(op.want) and op.want not in op.dtypes:
        raise ctx.fail(f"{what} of {' and '.join(op.dtypes)}: Keras computes it in float32, which these operands "
                       "are not; cast them to one float dtype first (ops.cast)")
    like = f"{variables[op.dtypes.index(op.want)]}.dtype" if is_float(op.want) else f"torch.{op.want}"
    return [v if d == op.want else f"{v}.to({like})" for v, d in zip(variables, op.dtypes, strict=True)]


@writes(O.Matmul)
def matmul(layer: O.Matmul, op: Operands, ctx: Ctx) -> Inline:
    if "bool" in op.dtypes:
        raise ctx.fail("ops.matmul of bools: torch.matmul has no bool kernel; cast the operands to an int or float "
                       "dtype first (ops.cast)")
    return Inline(lambda v: f"torch.matmul({', '.join(same_dtype(op, v, ctx, 'ops.matmul'))})")


@writes(O.Einsum)
def einsum(layer: O.Einsum, op: Operands, ctx: Ctx) -> Inline:
    # The output written out (shapes/einsum.py): Keras's TensorFlow backend reads an implicit one its own way.
    equation = literal(parse_equation(layer.subscripts).explicit())
    return Inline(lambda v: f"torch.einsum({equation}, {', '.join(same_dtype(op, v, ctx, 'ops.einsum'))})")


# ---------------------------------------------------------------- shapes


@writes(O.Transpose)
def transpose(layer: O.Transpose, op: Operands, ctx: Ctx) -> Inline:
    axes = list(range(op.rank))[::-1] if layer.axes is None else [a % op.rank for a in layer.axes]
    return Inline(lambda v: f"{v[0]}.permute({', '.join(map(str, axes))})")


@writes(O.Reshape)
def reshape(layer: O.Reshape, op: Operands, ctx: Ctx) -> Inline:
    return Inline(lambda v: f"{v[0]}.reshape({', '.join(map(str, layer.newshape))})")


@writes(O.ExpandDims)
def expand_dims(layer: O.ExpandDims, op: Operands, ctx: Ctx) -> Inline:
    given = [layer.axis] if isinstance(layer.axis, int) else list(layer.axis)
    rank = op.rank + len(given)
    axes = sorted(a % rank for a in given)  # positions in the result, inserted from the first (as Keras does)
    return Inline(lambda v: v[0] + "".join(f".unsqueeze({a})" for a in axes))


@writes(O.Squeeze)
def squeeze(layer: O.Squeeze, op: Operands, ctx: Ctx) -> Inline:
    full = (None, *op.shapes[0])
    if layer.axis is None:
        if None in full[1:]:
            raise ctx.fail("ops.squeeze without an axis removes every axis of size 1 when the model runs, and this "
                           f"input has axes of unknown size {tuple(op.shapes[0])}: give the axes to squeeze")
        axes = [i for i, d in enumerate(full) if i and d == 1]
    else:
        axes = sorted(a % op.rank for a in ([layer.axis] if isinstance(layer.axis, int) else layer.axis))
    if not axes:
        return Inline(lambda v: v[0])
    dims = str(axes[0]) if len(axes) == 1 else literal(tuple(axes))
    return Inline(lambda v: f"{v[0]}.squeeze({dims})")


@writes(O.Concatenate, O.Stack)
def join(layer, op: Operands, ctx: Ctx) -> Inline:
    function = "torch.cat" if isinstance(layer, O.Concatenate) else "torch.stack"  # both promote as Keras does
    return Inline(lambda v: f"{function}([{', '.join(v)}], dim={layer.axis})")


@writes(O.Split)
def split(layer: O.Split, op: Operands, ctx: Ctx) -> Inline:
    sections = layer.indices_or_sections
    size = (None, *op.shapes[0])[layer.axis % op.rank]
    if not isinstance(sections, int):
        bounds = [0, *sections, size]
        if not sections or any(b < a for a, b in zip(bounds, bounds[1:], strict=False)):
            raise ctx.fail(f"ops.split at {sections} on an axis of size {size}: Keras's TensorFlow split turns the "
                           "indices into part sizes, which needs one or more increasing indices from 0 to the size "
                           "(a negative, decreasing or larger index is a negative size there)")
    parts = len(layer.output_names())
    tail = "[0]" if parts == 1 else ""  # one part: the tuple's only tensor
    return Inline(lambda v: f"torch.tensor_split({v[0]}, {literal(sections)}, dim={layer.axis}){tail}")


@writes(O.Repeat)
def repeat(layer: O.Repeat, op: Operands, ctx: Ctx) -> Inline:
    def write(variables: list[str]) -> str:
        x, repeats = variables[0], layer.repeats
        if not isinstance(repeats, int):  # one count per value: a tensor on the input's device
            return f"{x}.repeat_interleave(torch.tensor({literal(repeats)}, device={x}.device), dim={layer.axis})"
        return f"{x}.repeat_interleave({repeats}, dim={layer.axis})"
    return Inline(write)


@writes(O.Tile)
def tile(layer: O.Tile, op: Operands, ctx: Ctx) -> Inline:
    return Inline(lambda v: f"{v[0]}.tile({literal(tuple(layer.repeats))})")


@writes(O.GetItem)
def get_item(layer: O.GetItem, op: Operands, ctx: Ctx) -> Inline:
    flips, items = positive_steps(layer.items(), op.rank)
    flipped = f".flip({', '.join(map(str, flips))})" if flips else ""
    if flips and all(i == slice(None) for i in items):
        return Inline(lambda v: v[0] + flipped)
    return Inline(lambda v: f"{v[0]}{flipped}[{key_text(items)}]")


def positive_steps(items: tuple, rank: int) -> tuple[tuple[int, ...], tuple]:
    """(the axes to flip, the index on the flipped tensor) for an index with negative-step slices, which PyTorch
    lacks: x[s:t:-k] on an axis is flip(x)[m(s):m(t):k] with m(i) = -i - 1 (index i from the front is index -i-1
    from the back, and out-of-range bounds clamp alike), whatever the axis's size."""
    consuming = sum(1 for i in items if i is not None and i is not Ellipsis)
    axis, flips, out = 0, [], []
    for item in items:
        if item is Ellipsis:
            axis += rank - consuming
        elif isinstance(item, slice) and item.step is not None and item.step < 0:
            flips.append(axis)
            item = slice(*(None if b is None else -b - 1 for b in (item.start, item.stop)), -item.step)
        if isinstance(item, slice) and item.step == 1:
            item = slice(item.start, item.stop)
        out.append(item)
        axis += item is not None and item is not Ellipsis
    return tuple(flips), tuple(out)


# ---------------------------------------------------------------- reductions


def _keep(layer) -> str:
    return ", keepdim=True" if layer.keepdims else ""


@writes(O.Mean)
def mean(layer: O.Mean, op: Operands, ctx: Ctx) -> Inline:
    widen = "" if is_float(op.dtypes[0]) else ".float()"  # Keras's mean of ints is float32
    return Inline(lambda v: f"{v[0]}{widen}.mean(dim={_dims(layer.axis)}{_keep(layer)})")


@writes(O.Sum)
def sum_op(layer: O.Sum, op: Operands, ctx: Ctx) -> Inline:
    x, want = op.dtypes[0], op.want
    if want == "uint32":  # Keras sums uint8 into uint32: PyTorch sums in int64, whose low 32 bits are that sum
        return Inline(lambda v: f"{v[0]}.sum(dim={_dims(layer.axis)}{_keep(layer)}, dtype=torch.int64)"
                                ".to(torch.uint32)")
    dtype = "" if is_float(x) or want == "int64" else f", dtype=torch.{want}"  # torch sums ints into int64
    return Inline(lambda v: f"{v[0]}.sum(dim={_dims(layer.axis)}{_keep(layer)}{dtype})")


@writes(O.Max, O.Min)
def extreme(layer, op: Operands, ctx: Ctx) -> Inline:
    method = "amax" if isinstance(layer, O.Max) else "amin"
    return Inline(lambda v: f"{v[0]}.{method}(dim={_dims(layer.axis)}{_keep(layer)})")


@writes(O.Argmax)
def argmax(layer: O.Argmax, op: Operands, ctx: Ctx) -> Inline:
    widen = ".to(torch.uint8)" if op.dtypes[0] == "bool" else ""  # torch's argmax takes no bools
    return Inline(lambda v: cast(f"{v[0]}{widen}.argmax(dim={layer.axis}{_keep(layer)})", "int64", op.want))


@writes(O.Softmax, O.LogSoftmax)
def softmax(layer, op: Operands, ctx: Ctx) -> Inline:
    if not isinstance(layer.axis, int):  # the shape rule refuses a list (SB210): Keras's op fails on one
        raise ctx.fail(f"{_fn(layer)} over axis {layer.axis}: torch.{layer.function()} takes one axis")
    function = "torch.softmax" if isinstance(layer, O.Softmax) else "torch.log_softmax"
    widen = "" if is_float(op.dtypes[0]) else ".float()"  # the spec's float32 (Keras has no int kernel)
    return Inline(lambda v: f"{function}({v[0]}{widen}, dim={layer.axis})")
