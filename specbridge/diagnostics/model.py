"""The Diagnostic record: data only; renderers live in diagnostics.render."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Optional

from .wording import agree_counts


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

    def __post_init__(self) -> None:
        # One place makes every count agree with its number ("1 unit"), whichever rule wrote the message.
        object.__setattr__(self, "message", agree_counts(self.message))
        if self.hint is not None:
            object.__setattr__(self, "hint", agree_counts(self.hint))

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
