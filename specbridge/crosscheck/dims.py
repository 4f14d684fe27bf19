"""Concrete sizes for the unknown (null) input axes of a spec, for the cross-check's random inputs.

A spec such as `input: {shape: [null, 14]}` checks clean for any length, but the random inputs need one, and a
length that is too short for a layer (a Conv1D with kernel 11 fed 8 steps) makes TensorFlow fail. The size of every
unknown axis is found with specbridge's own shape rules: the spec's inputs are given candidate sizes and inference
runs again, until it reports no error. The search (choose_dims) is bounded and deterministic:

1. every unknown axis gets the same size n, tried from DEFAULT_SIZE up to DEFAULT_SIZE + LINEAR_STEPS - 1, then
   doubled up to MAX_SIZE (a size found by doubling is then narrowed down by bisection); when none of those works,
   sizes below DEFAULT_SIZE are tried downwards (an unknown axis merged with an axis of size 6 must be 6);
2. each axis is then lowered on its own to the smallest size the shape rules accept, the others kept.

`--dims` (parse_dims) gives sizes explicitly; the search only fills in the axes it does not name.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Optional

from ..check import CheckResult

# The first size tried for an unknown axis: a small sequence length or image side.
DEFAULT_SIZE = 8
LINEAR_STEPS = 64
MAX_SIZE = 4096

# SB208/SB209: `expect` assertions, written for the unknown sizes; not a reason to reject a size.
EXPECTATIONS = frozenset({"SB208", "SB209"})

Axis = tuple[str, int]  # (input name, Keras axis: 1 is the first axis after the batch)


@dataclass(frozen=True)
class ChosenDim:
    input: str
    axis: int  # Keras axis: 0 is the batch, 1 the first axis written in the spec
    size: int
    given: bool  # True: from --dims; False: found by the search

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)


class DimsError(ValueError):
    """--dims that does not fit the spec, or no size that the spec accepts (a usage error in the CLI)."""


def unknown_axes(result: CheckResult) -> list[Axis]:
    """Every (input, axis) whose size the spec leaves unknown, in input order."""
    return [(spec_input.name, axis) for spec_input in result.document.spec().named_inputs()
            for axis, size in enumerate(spec_input.shape, start=1) if size is None]


def parse_dims(items: list[str], result: CheckResult) -> dict[Axis, int]:
    """`--dims` values -> {(input, axis): size}.

    Each item is a comma-separated list of `SIZE` (every unknown axis), `AXIS=SIZE` (an axis of the only input)
    or `INPUT:AXIS=SIZE`; AXIS counts as Keras does (0 is the batch axis, 1 the first axis of the spec's shape).
    """
    unknown = unknown_axes(result)
    names = [i.name for i in result.document.spec().named_inputs()]
    given: dict[Axis, int] = {}
    for part in (p.strip() for item in items for p in item.split(",")):
        if not part:
            continue
        target, _, size_text = part.rpartition("=")
        size = _size(size_text, part)
        if not target:
            given.update(dict.fromkeys(unknown, size))
            continue
        name, _, axis_text = target.rpartition(":")
        if not name:
            if len(names) != 1:
                raise DimsError(f"--dims {part!r}: the spec has several inputs ({', '.join(names)}): "
                                f"write INPUT:AXIS=SIZE")
            name = names[0]
        given[_axis(name, axis_text, part, names, unknown)] = size
    return given


def _size(text: str, part: str) -> int:
    try:
        size = int(text)
    except ValueError:
        raise DimsError(f"--dims {part!r}: expected SIZE, AXIS=SIZE or INPUT:AXIS=SIZE with whole numbers") from None
    if size < 1:
        raise DimsError(f"--dims {part!r}: a size must be at least 1")
    return size


def _axis(name: str, axis_text: str, part: str, names: list[str], unknown: list[Axis]) -> Axis:
    if name not in names:
        raise DimsError(f"--dims {part!r}: no input named {name!r}; inputs: {', '.join(names)}")
    try:
        axis = int(axis_text)
    except ValueError:
        raise DimsError(f"--dims {part!r}: the axis must be a whole number (1 is the first axis after the "
                        f"batch)") from None
    if (name, axis) not in unknown:
        mine = [a for n, a in unknown if n == name]
        listed = ", ".join(map(str, mine)) or "none"
        raise DimsError(f"--dims {part!r}: axis {axis} of {name!r} is not unknown in the spec "
                        f"(its unknown axes: {listed}; 0 is the batch axis)")
    return name, axis


def accepts(result: CheckResult, sizes: dict[Axis, int]) -> bool:
    """True when the shape rules report no error with these sizes for the unknown axes."""
    return not substituted_errors(result, sizes)


def substituted_errors(result: CheckResult, sizes: dict[Axis, int]) -> list:
    """The errors inference reports when the spec's inputs get these sizes (the spec itself is left alone)."""
    from ..diagnostics.model import Severity
    from ..shapes.graph import infer

    doc = result.document
    header = doc.header
    if header.inputs is not None:
        update = {"inputs": [i.model_copy(update={"shape": _fill(i.name, i.shape, sizes)}) for i in header.inputs]}
    else:
        update = {"input": header.input.model_copy(update={"shape": _fill("input_layer", header.input.shape, sizes)})}
    trial = dataclasses.replace(doc, header=header.model_copy(update=update), diagnostics=[])
    # `expect` describes the spec as written (with its unknown sizes): a concrete size is not a mismatch.
    return [d for d in infer(trial).diagnostics if d.severity is Severity.ERROR and d.code not in EXPECTATIONS]


def _fill(name: str, shape: list, sizes: dict[Axis, int]) -> list:
    return [sizes.get((name, axis), size) for axis, size in enumerate(shape, start=1)]


def choose_dims(result: CheckResult, given: Optional[dict[Axis, int]] = None,
                default: int = DEFAULT_SIZE) -> list[ChosenDim]:
    """A size for every unknown input axis: `given` ones as they are, the others searched (module docstring).

    Raises DimsError when the given sizes make the spec fail, or when no size up to MAX_SIZE works.
    """
    given = dict(given or {})
    free = [axis for axis in unknown_axes(result) if axis not in given]
    if not free:
        if given and not accepts(result, given):
            raise DimsError(f"the spec does not check with the sizes --dims gives: {_rejected(result, given)}")
        return [ChosenDim(name, axis, given[name, axis], True) for name, axis in unknown_axes(result)]
    common = _common_size(result, given, free, default)
    if common is None:
        at_default = {**given, **dict.fromkeys(free, default)}
        raise DimsError(f"no size from 1 to {MAX_SIZE} for the unknown input axes makes the spec check "
                        f"clean ({_rejected(result, at_default)}); give the sizes with --dims")
    sizes = {**given, **dict.fromkeys(free, common)}
    for axis in free:
        low = min(default, sizes[axis])
        sizes[axis] = _smallest(lambda n, axis=axis: accepts(result, {**sizes, axis: n}), low, sizes[axis])
    return [ChosenDim(name, axis, sizes[name, axis], (name, axis) in given) for name, axis in unknown_axes(result)]


def _common_size(result: CheckResult, given: dict, free: list[Axis], default: int) -> Optional[int]:
    def ok(n: int) -> bool:
        return accepts(result, {**given, **dict.fromkeys(free, n)})

    for n in range(default, default + LINEAR_STEPS):
        if ok(n):
            return n
    n = default + LINEAR_STEPS - 1
    while n < MAX_SIZE:
        low, n = n, min(2 * n, MAX_SIZE)
        if ok(n):
            return _smallest(ok, low + 1, n)
    return next((n for n in range(default - 1, 0, -1) if ok(n)), None)


def _smallest(ok, low: int, high: int) -> int:
    """The smallest n in [low, high] with ok(n), ok(high) being true: a scan when short, else a bisection."""
    if high - low < LINEAR_STEPS:
        return next(n for n in range(low, high + 1) if ok(n) or n == high)
    while low < high:
        middle = (low + high) // 2
        if ok(middle):
            high = middle
        else:
            low = middle + 1
    return high


def _rejected(result: CheckResult, sizes: dict[Axis, int]) -> str:
    errors = substituted_errors(result, sizes)
    shown = ", ".join(f"{name} axis {axis} = {size}" for (name, axis), size in sizes.items())
    if not errors:
        return f"with {shown} the spec checks clean"
    first = errors[0]
    where = f"layer '{first.layer}': " if first.layer else ""
    return f"with {shown}: {where}{first.code} {first.message}"


def concrete_shapes(result: CheckResult, dims: list[ChosenDim]) -> dict[str, tuple[int, ...]]:
    """Each input's shape (without the batch axis) with the chosen sizes in place of its unknown axes."""
    sizes = {(d.input, d.axis): d.size for d in dims}
    return {i.name: tuple(_fill(i.name, i.shape, sizes)) for i in result.document.spec().named_inputs()}
