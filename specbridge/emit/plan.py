"""What both emitters need from a checked spec: layers in order with their records and inputs."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..check import CheckResult
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


@dataclass
class Plan:
    spec: Spec
    inputs: list[NamedInput]
    steps: list[Step]  # producers before consumers (spec order when it allows)
    outputs: list[str]

    @property
    def is_stack(self) -> bool:
        """One input, every layer reads the previous one, and the last layer is the only output."""
        if len(self.inputs) != 1 or self.outputs != [self.steps[-1].name]:
            return False
        previous = self.inputs[0].name
        for step in self.steps:
            if step.inputs != (previous,):
                return False
            previous = step.name
        return True


def as_result(source: Any) -> CheckResult:
    """A CheckResult from a CheckResult, a Spec, a path or spec text."""
    from ..check import check_file, check_text

    if isinstance(source, CheckResult):
        return source
    if isinstance(source, Spec):
        import json

        return check_text(json.dumps(source.model_dump(mode="json", exclude_unset=True)), lint=False)
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and Path(source).is_file()):
        return check_file(source, lint=False)
    if isinstance(source, str):
        return check_text(source, lint=False)
    raise TypeError(f"expected a CheckResult, Spec, path or spec text, got {type(source).__name__}")


def make_plan(result: CheckResult) -> Plan:
    if not result.ok or not result.document.valid:
        raise SpecHasErrors(result)
    spec = result.document.spec()
    by_name = {r.name: r for r in result.records}
    steps = []
    for entry in result.document.entries:
        record = by_name.get(entry.name)
        if record is None:  # an unused layer that inference skipped cannot happen without an error
            raise SpecHasErrors(result)
        steps.append(Step(entry.name, entry.layer, record))
    order = {name: i for i, name in enumerate(_topological(steps, spec))}
    steps.sort(key=lambda s: order[s.name])
    outputs = list(spec.outputs) if spec.outputs else [result.document.entries[-1].name]
    return Plan(spec, spec.named_inputs(), steps, outputs)


def _topological(steps: list[Step], spec: Spec) -> list[str]:
    """Kahn's algorithm keeping spec order among ready layers (check reported any cycle already)."""
    import heapq

    index = {s.name: i for i, s in enumerate(steps)}
    waiting = {s.name: sum(1 for n in set(s.inputs) if n in index) for s in steps}
    consumers: dict[str, list[str]] = {}
    for s in steps:
        for n in set(s.inputs):
            if n in index:
                consumers.setdefault(n, []).append(s.name)
    ready = [index[n] for n, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        name = steps[heapq.heappop(ready)].name
        order.append(name)
        for c in consumers.get(name, []):
            waiting[c] -= 1
            if waiting[c] == 0:
                heapq.heappush(ready, index[c])
    return order
