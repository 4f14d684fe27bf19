"""Steps (shapes.records.Step) in words, for `explain`'s text, and as JSON objects.

A step's template is a str.format template over its values plus `topic` and `result`. The formatter
adds a few format specs so that values can stay numbers and shapes:

    {n:,}        1,234 (None stays "None")
    {s:shape}    a shape without the batch axis, as Keras prints it: (28, 28, 1)
    {s:batch}    a shape with the batch axis: (None, 28, 28, 1)
    {ss:shapes}  a list of shapes with the batch axis: [(None, 4), (None, 4)]
    {seq:SEP}    any other spec on a sequence joins its items with SEP: {kernel:x} -> 8x8, {kernel:*} -> 8*8
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from typing import Any

from ..diagnostics.wording import agree_counts
from ..shapes.records import Step, format_shape


class StepFormatter(string.Formatter):
    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec == "shape":
            return format_shape(value, batch=False)
        if format_spec == "batch":
            return format_shape(value)
        if format_spec == "shapes":
            return "[" + ", ".join(format_shape(s) for s in value) + "]"
        if value is None:
            return "None"
        if format_spec and isinstance(value, (tuple, list)):
            return format_spec.join("None" if v is None else str(v) for v in value)
        return super().format_field(value, format_spec)


FORMATTER = StepFormatter()


def render_step(step: Step) -> str:
    """The sentence `explain` prints for one step, prefixed by the wrappers it was computed inside."""
    sentence = agree_counts(FORMATTER.format(step.template, **step.values, topic=step.topic, result=step.result))
    return "".join(f"{label}: " for label in step.within) + sentence


def render_steps(steps: Iterable[Step]) -> list[str]:
    return [render_step(s) for s in steps]


def jsonable(value: Any) -> Any:
    """Tuples (shapes, kernel sizes) become lists; nested values follow."""
    if isinstance(value, (tuple, list)):
        return [jsonable(v) for v in value]
    return value


def step_document(step: Step) -> dict:
    """One step in `explain --format json`: the data and the sentence made from it.

    `within` (the wrappers around the step, outermost first) is present only for a wrapped layer's steps.
    """
    out = {
        "topic": step.topic,
        "formula": step.formula,
        "values": {name: jsonable(value) for name, value in step.values.items()},
        "result": jsonable(step.result),
        "text": render_step(step),
    }
    if step.within:
        out["within"] = list(step.within)
    return out
