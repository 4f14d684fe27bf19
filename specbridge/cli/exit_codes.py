"""Exit codes, in one place (ruff's convention).

0: every spec is fine (warnings allowed unless --strict).
1: a spec has errors (or warnings, with --strict).
2: the command could not do its job: bad arguments, a missing or unreadable file, an internal error.
"""

from __future__ import annotations

import sys
from typing import NoReturn

import typer

OK = 0
FAILED = 1
USAGE = 2
INTERNAL = 2  # same as usage for callers (CI, pre-commit): "specbridge could not decide"

PROG = "specbridge"


class InternalError(Exception):
    """Wraps an unexpected exception with what specbridge was doing ("while checking model.yaml")."""


def error_line(message: str) -> str:
    return f"{PROG}: error: {message}"


def fail(message: str, code: int = USAGE) -> NoReturn:
    """Print a one-line error to stderr and stop with `code` (no traceback)."""
    print(error_line(message), file=sys.stderr)
    raise typer.Exit(code)
