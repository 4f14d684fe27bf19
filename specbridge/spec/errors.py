"""Exceptions for library users; the CLI never lets them escape."""

from __future__ import annotations


class SpecError(ValueError):
    """A spec has errors; `.diagnostics` holds them."""

    def __init__(self, diagnostics):
        self.diagnostics = list(diagnostics)
        errors = [d for d in self.diagnostics if d.severity.value == "error"]
        lines = [f"{d.line}:{d.column}: {d.code} {d.message}" for d in errors[:10]]
        super().__init__(f"{len(errors)} error(s) in the spec:\n" + "\n".join(lines))
