"""The inputs a user states for PyTorch models: a `# specbridge: input ...` comment above a model, and
`--input-shape [MODEL=]SHAPE` (read_python's `input_shape`).

One grammar for both: a shape without the batch axis, optionally followed by a dtype, and several inputs separated
by commas: `(1, 28, 28)`, `(16,) int64, (16,) int64`, `(3, 32, 32) float16`. On the command line the bare form
`1,28,28` (or `1x28x28`) is one float32 input, and `Encoder=...` states the input of the model named Encoder only.
Bad text raises InputError, whose message says what is wrong (the CLI turns it into a usage error).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Optional

# The spec's dtypes (spec/model.py), and PyTorch's other names for them (torch.long is int64).
DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")
ALIASES = {"half": "float16", "float": "float32", "double": "float64", "short": "int16", "int": "int32",
           "long": "int64"}
_NAMED = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*=(.*)$", re.DOTALL)


class InputError(ValueError):
    """Text that is not a shape (or a list of shapes with dtypes): the message says why."""


@dataclass(frozen=True)
class Input:
    shape: tuple
    dtype: str = "float32"
    dtype_stated: bool = False  # written by the user: not to be inferred (an Embedding reads int64 ids otherwise)


def dtype_of(word: str) -> str:
    name = word.strip().lower().removeprefix("torch.")
    name = ALIASES.get(name, name)
    if name not in DTYPES:
        raise InputError(f"unknown dtype {word.strip()!r}: expected one of {', '.join(DTYPES)} (or PyTorch's "
                         f"{', '.join(ALIASES)})")
    return name


def _sizes(values, text: str) -> tuple:
    if not isinstance(values, (tuple, list)):
        values = (values,)
    if not values or not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
        raise InputError(f"expected sizes like (1, 28, 28) (no batch axis), got {text.strip()!r}")
    if any(v <= 0 for v in values):
        raise InputError(f"expected positive sizes like (1, 28, 28) (no batch axis), got {text.strip()!r}")
    return tuple(values)


def _items(text: str) -> list[str]:
    """The text split at the commas outside brackets."""
    items, depth, current = [], 0, ""
    for char in text:
        depth += 1 if char in "([" else -1 if char in ")]" else 0
        if char == "," and depth == 0:
            items.append(current)
            current = ""
        else:
            current += char
    if depth != 0:
        raise InputError(f"unbalanced brackets in {text.strip()!r}")
    return [*items, current]


def _one(item: str) -> Input:
    """`(1, 28, 28)` or `(16,) int64`."""
    item = item.strip()
    close = max(item.rfind(")"), item.rfind("]"))
    if close < 0:
        raise InputError(f"expected a shape in brackets like (1, 28, 28), got {item!r}")
    try:
        values = ast.literal_eval(item[:close + 1])
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        raise InputError(f"expected sizes like (1, 28, 28) (no batch axis), got {item!r}") from None
    sizes = _sizes(values, item)
    rest = item[close + 1:].strip()
    return Input(sizes, dtype_of(rest), True) if rest else Input(sizes)


def parse_inputs(text: str) -> list[Input]:
    """`(1, 28, 28)`, `(16,) int64, (16,) int64`, or the bare `1,28,28` / `1x28x28 int64` (one input)."""
    text = text.split("#")[0].strip()
    if not text:
        raise InputError("expected a shape like (1, 28, 28) (no batch axis), got nothing")
    if not any(c in text for c in "(["):
        words = [w for w in re.split(r"[,\sx]+", text) if w]
        dtype = words.pop() if words and not words[-1].lstrip("-").isdigit() else None
        try:
            values = [int(w) for w in words]
        except ValueError:
            raise InputError(f"expected sizes like 1,28,28 (no batch axis), got {text!r}") from None
        sizes = _sizes(values, text)
        return [Input(sizes, dtype_of(dtype), True) if dtype else Input(sizes)]
    return [_one(item) for item in _items(text)]


def parse_option(text: str) -> tuple[Optional[str], list[Input]]:
    """--input-shape's value: `[MODEL=]SHAPE...` -> (the model's name or None, its inputs)."""
    named = _NAMED.match(text)
    if named:
        return named.group(1), parse_inputs(named.group(2))
    return None, parse_inputs(text)


@dataclass
class InputShapes:
    """What the command line states: inputs for every PyTorch model that states none, and inputs by model name."""

    default: Optional[list[Input]] = None
    named: dict[str, list[Input]] = field(default_factory=dict)

    @classmethod
    def of(cls, value) -> InputShapes:
        """read_python's `input_shape`: None, a shape tuple (one float32 input), a list of Inputs, or InputShapes."""
        if value is None or isinstance(value, InputShapes):
            return value or cls()
        if isinstance(value, tuple) and all(isinstance(v, int) for v in value):
            return cls([Input(_sizes(value, str(value)))])
        return cls(list(value))

    def add(self, name: Optional[str], inputs: list[Input]) -> None:
        """One --input-shape; raises InputError when the model (or all models) already has one."""
        if name is None:
            if self.default is not None:
                raise InputError("given twice without a model name: write MODEL=SHAPE to give a model its own")
            self.default = inputs
        else:
            if name in self.named:
                raise InputError(f"given twice for the model {name!r}")
            self.named[name] = inputs

    def for_model(self, names: Iterable[str]) -> tuple[Optional[str], Optional[list[Input]]]:
        """(the name that matched, the inputs) of a model known by `names`; (None, default) when none matches."""
        for name in names:
            if name in self.named:
                return name, self.named[name]
        return None, self.default
