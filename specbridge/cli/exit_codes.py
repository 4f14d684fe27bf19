"""Exit codes, in one place (ruff's convention), and the way a command stops with one.

0: every spec is fine (warnings allowed unless --strict).
1: a spec has problems (errors, or warnings with --strict; a cross-check that disagrees).
2: the command could not do its job: bad arguments, a missing or unreadable file, a framework not installed.
3: an internal error: a bug in specbridge (never the user's input), reported with a request for a bug report.

Under `--format json` (use_json_errors), a failure of kind 2 or 3 also prints one JSON object on stdout,
{"ok": false, "exit_code": N, "error": "..."}, so a tool reading stdout always gets JSON. Messages never carry
terminal escapes (TensorFlow's error texts contain ANSI bold): strip_ansi removes them.
"""

from __future__ import annotations

import json
import re
import sys
from typing import NoReturn

OK = 0
FAILED = 1
USAGE = 2
INTERNAL = 3

PROG = "specbridge"

# ESC [ ... final byte (CSI: colours, bold), and ESC ] ... BEL/ST (OSC: hyperlinks).
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_json_errors = False


class Exit(Exception):
    """Stop the command with this exit status (what it had to say is printed already)."""

    def __init__(self, code: int = OK):
        super().__init__(code)
        self.code = code


class InternalError(Exception):
    """Wraps an unexpected exception with what specbridge was doing ("while checking model.yaml")."""


def strip_ansi(text: str) -> str:
    """`text` without terminal escape sequences (what exceptions from TensorFlow carry)."""
    return _ANSI.sub("", text)


def use_json_errors(on: bool) -> None:
    """Whether failures also print a JSON object on stdout (the command runs with --format json)."""
    global _json_errors
    _json_errors = on


def json_errors() -> bool:
    return _json_errors


def write_json_error(message: str, code: int) -> None:
    """{"ok": false, "exit_code": code, "error": message} on stdout, when use_json_errors is on."""
    if _json_errors:
        payload = {"ok": False, "exit_code": code, "error": strip_ansi(message)}
        sys.stdout.write(json.dumps(payload, indent=2) + "\n")


def error_line(message: str) -> str:
    return f"{PROG}: error: {strip_ansi(message)}"


def fail(message: str, code: int = USAGE) -> NoReturn:
    """Print a one-line error to stderr (and the JSON error under --format json) and stop with `code`."""
    print(error_line(message), file=sys.stderr)
    write_json_error(message, code)
    raise Exit(code)
