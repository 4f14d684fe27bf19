"""Run the CLI in-process with captured output, for tests and tools (what typer.testing.CliRunner was)."""

from __future__ import annotations

import contextlib
import io
import sys
from dataclasses import dataclass
from typing import Optional


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str
    exception: Optional[BaseException] = None  # an exception main() let through (SPECBRIDGE_DEBUG=1)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def invoke(*args: str, input: Optional[str] = None) -> Result:
    """`specbridge ARGS...` as the console script runs it (main(), SystemExit included); `input` is stdin."""
    from .app import main

    out, err = io.StringIO(), io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(input or "")
    exception = None
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main(list(args))
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except Exception as exc:  # noqa: BLE001 - handed back to the caller, as CliRunner does
        exception, code = exc, 1
    finally:
        sys.stdin = old_stdin
    return Result(code, out.getvalue(), err.getvalue(), exception)
