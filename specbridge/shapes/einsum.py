"""Einsum equations, read in one place for ops.einsum and EinsumDense (the shape rules and the emitters).

What Keras 3.15 on TensorFlow accepts, measured in tests/shapes/test_ops.py and tests/shapes/test_einsum_dense.py:

- Terms of letters (a-z, A-Z), comma-separated, at most one '...' per term, at most one '->'; the output's letters
  appear once each and come from the inputs. Spaces are refused by Keras's symbolic einsum.
- Without '->' (NumPy's implicit output) the output is the letters that appear exactly once. NumPy and Keras's
  symbolic shape sort them alphabetically; Keras's TensorFlow backend first renames the letters a, b, c... in order
  of appearance, so TensorFlow computes them in order of first appearance. The two agree only when the letters
  seen once already appear in alphabetical order: otherwise Keras's model declares one shape and computes another
  ('akj,aji': declared (i, k), computed (k, i)), and specbridge refuses it (`implicit_output`).
- Keras's symbolic einsum fails on an upper-case output letter that an operand lacks ("invalid literal for int()").
- An implicit output of one operand keeps the ellipsis in front ('...ij' is '...ij->...ij'); with several operands
  TensorFlow leaves it out and then refuses any ellipsis that covers an axis ("Output contains 1 broadcasting
  dimension(s) but no ellipsis (...) was found in the output subscripts"), as it does for an explicit output.
"""

from __future__ import annotations

import string
from dataclasses import dataclass

ELLIPSIS = "..."
LETTERS = frozenset(string.ascii_letters)


class EquationError(ValueError):
    """An equation Keras refuses, with a hint; each shape rule reports it with its own layer and code."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message, self.hint = message, hint


@dataclass(frozen=True)
class Equation:
    text: str  # as written
    inputs: tuple[str, ...]  # one term per operand, '...' kept
    output: str  # explicit, or the implicit output as Keras computes it
    implicit: bool

    def explicit(self) -> str:
        """The equation with its output written out: what the PyTorch and ONNX emitters compute."""
        return ",".join(self.inputs) + "->" + self.output


def letters(term: str) -> str:
    """A term's letters, its ellipsis left out."""
    return term.replace(ELLIPSIS, "")


def parse(text: str, *, ops_symbolic: bool = True) -> Equation:
    """An einsum equation as Keras on TensorFlow reads it; EquationError for one it refuses. `ops_symbolic`: also
    what keras.ops.einsum's symbolic shape fails on (EinsumDense declares its shape without it)."""
    if " " in text:
        raise EquationError(f"subscripts {text!r} contain spaces, which Keras's einsum refuses (\"Number of "
                            "dimensions in the subscript does not match\")",
                            "write the equation without spaces: " + repr(text.replace(" ", "")))
    sides = text.split("->")
    if len(sides) > 2:
        raise EquationError(f"subscripts {text!r} have {len(sides) - 1} '->'; an equation has at most one",
                            "write the inputs, one '->', then the output: 'bij,bjk->bik'")
    inputs = tuple(sides[0].split(","))
    for term in (*inputs, *sides[1:]):
        _check_term(text, term)
    if len(sides) == 1:
        return Equation(text, inputs, implicit_output(text, inputs), True)  # EinsumDense needs a '->' anyway
    output = sides[1]
    seen = set("".join(letters(t) for t in inputs))
    repeated = sorted({c for c in letters(output) if letters(output).count(c) > 1})
    stray = [c for c in letters(output) if c not in seen]
    if repeated or stray:
        what = f"letter {repeated[0]!r} appears twice" if repeated else f"letter {stray[0]!r} is in no input"
        raise EquationError(f"subscripts {text!r}: in the output {output!r}, {what}",
                            "each output letter appears once, and in some input")
    if ops_symbolic:
        _check_upper_case(text, inputs, output)
    return Equation(text, inputs, output, False)


def _check_upper_case(text: str, inputs: tuple[str, ...], output: str) -> None:
    """Keras's symbolic einsum sizes an output letter missing from an operand as 1 by a pattern of lower-case
    letters only: an upper-case one makes it fail ("invalid literal for int() with base 10: 'K5'")."""
    for letter in letters(output):
        missing = [t for t in inputs if letter not in t]
        if letter.isupper() and missing:
            raise EquationError(f"subscripts {text!r}: the output letter {letter!r} is upper case and missing from "
                                f"the operand {missing[0]!r}, which Keras's symbolic einsum fails on (\"invalid "
                                "literal for int()\")", f"use a lower-case letter for {letter!r}")


def _check_term(text: str, term: str) -> None:
    rest = term.replace(ELLIPSIS, "", 1)
    bad = sorted({c for c in rest if c not in LETTERS})
    if bad:
        what = "a second '...'" if ELLIPSIS in rest else f"the character(s) {''.join(bad)!r}"
        raise EquationError(f"subscripts {text!r}: term {term!r} has {what}, which Keras's einsum refuses "
                            "(\"Subscripts have incorrect format\")",
                            "terms are letters a-z, A-Z, with at most one '...' each, separated by commas")


def implicit_output(text: str, inputs: tuple[str, ...]) -> str:
    """The output TensorFlow computes for an equation without '->': the letters seen once, in order of first
    appearance, after a leading '...' for one operand that has one. EquationError where Keras's declared (symbolic)
    shape is not that."""
    joined = "".join(letters(t) for t in inputs)
    once = "".join(dict.fromkeys(c for c in joined if joined.count(c) == 1))
    if once != "".join(sorted(once)):
        raise EquationError(
            f"subscripts {text!r} have no '->': the output is the letters seen once, {''.join(sorted(once))!r} in "
            f"Keras's declared shape (NumPy's alphabetical order), but {once!r} in what its TensorFlow backend "
            "computes (their order of appearance), so the model's shape and its result disagree",
            f"write the output after '->': {text + '->' + once!r} (what TensorFlow computes) or "
            f"{text + '->' + ''.join(sorted(once))!r}")
    output = (ELLIPSIS if len(inputs) == 1 and ELLIPSIS in inputs[0] else "") + once
    _check_upper_case(text, inputs, output)
    return output


@dataclass(frozen=True)
class Axes:
    """One operand's axes read through its term: the lettered axes' sizes and the axes its ellipsis covers."""

    sizes: tuple[tuple[str, object], ...]  # (letter, size) pairs, in the operand's order
    ellipsis: tuple  # the sizes the '...' covers (empty without one)


def read_axes(term: str, shape: tuple) -> Axes:
    """`shape` read through `term`; EquationError when the letters and the rank disagree."""
    named = letters(term)
    if ELLIPSIS not in term:
        if len(named) != len(shape):
            raise EquationError(f"term {term!r} has {len(named)} letters for an operand of rank {len(shape)}",
                                "one letter per axis, or '...' for the axes left unnamed")
        return Axes(tuple(zip(named, shape, strict=True)), ())
    before, after = term.split(ELLIPSIS)
    covered = len(shape) - len(named)
    if covered < 0:
        raise EquationError(f"term {term!r} names {len(named)} axes, but the operand has rank {len(shape)}",
                            "one letter per axis at most; '...' covers the rest")
    middle = shape[len(before):len(before) + covered]
    pairs = list(zip(before, shape[:len(before)], strict=True))
    pairs += zip(after, shape[len(before) + covered:], strict=True)
    return Axes(tuple(pairs), tuple(middle))
