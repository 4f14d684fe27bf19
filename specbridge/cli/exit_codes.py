"""Exit codes, in one place (ruff's convention), and the way a command stops with one.

0: every spec is fine (warnings allowed unless --strict).
1: a spec has problems (errors, or warnings with --strict; a cross-check that disagrees).
2: the command could not do its job: bad arguments, a missing or unreadable file, a framework not installed.
3: an internal error: a bug in specbridge (never the user's input), reported with a request for a bug report.
"""

from __future__ import annotations

import sys
from typing import NoReturn

OK = 0
FAILED = 1
USAGE = 2
INTERNAL = 3

PROG = "specbridge"


class Exit(Exception):
    """Stop the command with this exit status (what it had to say is printed already)."""

    def __init__(self, code: int = OK):
        super().__init__(code)
        self.code = code


class InternalError(Exception):
    """Wraps an unexpected exception with what specbridge was doing ("while checking model.yaml")."""


def error_line(message: str) -> str:
    return f"{PROG}: error: {message}"


def fail(message: str, code: int = USAGE) -> NoReturn:
    """Print a one-line error to stderr and stop with `code` (no traceback)."""
    print(error_line(message), file=sys.stderr)
    raise Exit(code)
