"""The library's checking entry points: text, file or Spec object -> graph + records + diagnostics.

CheckResult keeps what inference built (the resolved graph and its topological order), so emitters and weight
transfer read it instead of ordering or checking the model again.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Optional

from .diagnostics.model import Diagnostic, Severity
from .shapes.records import LayerRecord
from .spec.limits import Limits
from .spec.loader import Document, document_from_spec, load_text

if TYPE_CHECKING:
    from .shapes.graph import Graph
    from .spec.full import Spec


@dataclass
class CheckResult:
    document: Document
    records: list[LayerRecord] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # The resolved graph (inputs, edges, outputs) and `graph.order`: entry indices, producers first, spec order
    # among ready layers. None when the spec's header or layers did not load.
    graph: Optional[Graph] = None

    @property
    def file(self) -> Optional[str]:
        return self.document.file

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.WARNING]

    @property
    def ok(self) -> bool:
        return not self.errors

    def ordered_entries(self) -> list:
        """The spec's layer entries, producers before consumers (the order inference visited them in)."""
        if self.graph is None:
            return []
        return [self.document.entries[i] for i in self.graph.order]

    def calls(self) -> dict[str, tuple[str, int]]:
        """Each layer -> (the layer whose Keras object it calls, which call of that object it is: 0 for the first),
        in the order inference visited them, which every emitted model runs them in. A layer with `shares:` calls
        the object of the layer it shares; every other layer is its own object's only call, (name, 0)."""
        shares = self.graph.shares if self.graph is not None else {}
        count: dict[str, int] = {}
        out = {}
        for entry in self.ordered_entries():
            owner = shares.get(entry.name, entry.name)
            out[entry.name] = (owner, count.get(owner, 0))
            count[owner] = out[entry.name][1] + 1
        return out

    def record(self, name: str) -> Optional[LayerRecord]:
        return next((r for r in self.records if r.name == name), None)

    @property
    def total_params(self) -> int:
        return sum(r.params for r in self.records)

    @property
    def trainable_params(self) -> int:
        return sum(r.trainable_params for r in self.records)


def check_text(
    text: str, file: Optional[str] = None, *, lint: bool = True, limits: Optional[Limits] = None
) -> CheckResult:
    """Validate, infer every shape, and lint one spec. Never raises for bad input.

    A file named *.json is parsed strictly as JSON. `limits` (spec.limits.Limits) default to the SPECBRIDGE_MAX_*
    environment variables; input over a limit gets the diagnostic SB004 (diagnostics.codes.refused()).
    """
    # A check allocates many small, acyclic objects (nodes, models, records): the cyclic garbage collector only
    # burns time on them (about a quarter of a 10,000-layer check), so it is paused for the duration.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _check_document(load_text(text, file, limits=limits), file, lint)
    finally:
        if was_enabled:
            gc.enable()


def check_spec(spec: Spec, *, lint: bool = True) -> CheckResult:
    """Check a Spec object (already validated by pydantic) directly: no text, so no source positions."""
    return _check_document(document_from_spec(spec), None, lint)


def _check_document(doc: Document, file: Optional[str], lint: bool) -> CheckResult:
    result = CheckResult(doc, diagnostics=list(doc.diagnostics))
    if doc.header is not None and doc.entries:
        from .shapes.graph import infer

        inference = infer(doc)
        result.records = inference.records
        result.graph = inference.graph
        result.diagnostics.extend(inference.diagnostics)
        if lint:
            from .shapes.lint import lint as run_lint

            result.diagnostics.extend(run_lint(doc, inference))
    result.diagnostics = sorted(
        (_with_file(d, file) for d in result.diagnostics), key=lambda d: (d.line, d.column, d.code)
    )
    return result


def check_file(path: str | Path, *, lint: bool = True) -> CheckResult:
    """Check one file. OSError and UnicodeDecodeError propagate: unreadable input is a usage error."""
    path = Path(path)
    return check_text(path.read_text(encoding="utf-8"), str(path), lint=lint)


def _with_file(d: Diagnostic, file: Optional[str]) -> Diagnostic:
    if d.file == file:
        return d
    from dataclasses import replace

    return replace(d, file=file)
