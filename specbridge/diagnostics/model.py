"""The Diagnostic record: data only; renderers live in diagnostics.render."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Optional


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True)
class Location:
    """1-based line and column in the spec file (0 when unknown)."""

    line: int = 0
    column: int = 0


@dataclass(frozen=True)
class Diagnostic:
    code: str  # "SB030"
    name: str  # "ndim-mismatch"
    severity: Severity
    message: str
    hint: Optional[str] = None
    layer: Optional[str] = None
    file: Optional[str] = None
    location: Location = field(default_factory=Location)

    @property
    def line(self) -> int:
        return self.location.line

    @property
    def column(self) -> int:
        return self.location.column

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "code": self.code,
            "name": self.name,
            "severity": self.severity.value,
            "message": self.message,
            "layer": self.layer,
            "line": self.line,
            "column": self.column,
            "hint": self.hint,
        }
