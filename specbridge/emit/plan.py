"""What both emitters need from a checked spec: layers in order with their records and inputs."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from ..check import CheckResult
from ..layouts import TORCH_LAYOUT, Boundary, boundary, check_layout
from ..shapes.records import LayerRecord
from ..spec.base import Layer
from ..spec.model import NamedInput, Spec
from .errors import SpecHasErrors


@dataclass(frozen=True)
class Step:
    """One spec layer, ready to emit."""

    name: str
    layer: Layer
    record: LayerRecord

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.record.inputs

    @property
    def shares(self) -> str | None:
        """The step whose layer this one calls again (`shares:`): its weights, its module; None for most."""
        return self.record.shares


@dataclass
class Plan:
    spec: Spec
    inputs: list[NamedInput]
    steps: list[Step]  # producers before consumers (spec order when it allows)
    outputs: list[str]
    layout: str = TORCH_LAYOUT  # the inputs' and outputs' layout option (layouts.py); the Keras emitter ignores it

    @cached_property
    def boundary(self) -> Boundary:
        """The layout of each input and model output (layouts.py: the one rule)."""
        return boundary(self)

    def input_dtype(self, name: str) -> str:
        """The dtype of the (first) tensor the layer `name` reads: a spec input's, or the layer before's output."""
        source = next(s for s in self.steps if s.name == name).inputs[0]
        for step in self.steps:
            if step.name == source:
                return step.record.output.dtype
        return next(i for i in self.inputs if i.name == source).dtype

    @property
    def is_stack(self) -> bool:
        """One input, every layer reads the previous one, and the last layer is the only output."""
        if len(self.inputs) != 1 or self.outputs != [self.steps[-1].name]:
            return False
        previous = self.inputs[0].name
        for step in self.steps:
            if step.inputs != (previous,) or not step.layer.CALL.single or step.shares or step.layer.FAMILY == "ops":
                # a merge is called on a list; a layer called again needs its object in a variable; an op is a
                # function call, which a Sequential cannot hold
                return False
            previous = step.name
        return True


def as_result(source: Any) -> CheckResult:
    """A CheckResult from a CheckResult, a Spec, a path or spec text (a Spec is checked as it is, no round trip)."""
    from ..check import check_file, check_spec, check_text

    if isinstance(source, CheckResult):
        return source
    if isinstance(source, Spec):
        return check_spec(source, lint=False)
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and Path(source).is_file()):
        return check_file(source, lint=False)
    if isinstance(source, str):
        return check_text(source, lint=False)
    raise TypeError(f"expected a CheckResult, Spec, path or spec text, got {type(source).__name__}")


def make_plan(result: CheckResult, layout: str = TORCH_LAYOUT) -> Plan:
    """The layers to emit in the order inference visited them (CheckResult keeps it: no second sort); `layout`
    is the option of layouts.py for the emitted model's inputs and outputs (ValueError for another value).

    Raises SpecHasErrors for a spec with errors, emit.budget.ModelTooLarge for weights over SPECBRIDGE_MAX_MODEL_BYTES.
    """
    check_layout(layout)
    if not result.ok or not result.document.valid or result.graph is None:
        raise SpecHasErrors(result)
    spec = result.document.spec()
    by_name = {r.name: r for r in result.records}
    steps = []
    for entry in result.ordered_entries():
        record = by_name.get(entry.name)
        if record is None:  # a layer inference skipped cannot happen without an error
            raise SpecHasErrors(result)
        steps.append(Step(entry.name, entry.layer, record))
    if len(steps) != len(result.document.entries):
        raise SpecHasErrors(result)
    from .budget import check_budget

    check_budget(result)  # ModelTooLarge before the emitted code can allocate anything
    return Plan(spec, spec.named_inputs(), steps, list(result.graph.outputs), layout)


def reaching_outputs(result: CheckResult) -> set[str]:
    """The layers whose output reaches a model output. The others (warning SB103) are in no built model: a
    functional Keras model drops them, and so do the ONNX model and the cross-check."""
    spec = result.document.spec()
    outputs = list(spec.outputs) if spec.outputs else [result.document.entries[-1].name]
    reads = {record.name: record.inputs for record in result.records}
    source = result.graph.source  # `mha.scores` is read from `mha`
    reached: set[str] = set()
    pending = [source(n) for n in outputs]
    while pending:
        name = pending.pop()
        if name in reached or name not in reads:
            continue
        reached.add(name)
        pending.extend(source(n) for n in reads[name])
    return reached
