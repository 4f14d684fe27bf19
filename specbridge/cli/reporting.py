"""The one way a command reports diagnostics: every diagnostic, then the totals, in the chosen format.

check, summary, explain, emit and crosscheck all print problems through write_diagnostics, so a format looks the
same whichever command produced it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NoReturn, Optional


def write_diagnostics(
    diagnostics: list, sources: Optional[Mapping[str, str]], format: str = "text", *, files_checked: int = 1,
    strict: bool = False, noun: str = "spec",
) -> None:
    """Print `diagnostics` and the totals in `format` (text, json, github or sarif).

    `sources` maps a file name to its text, for the source snippets of the text format.
    """
    from ..diagnostics.model import Severity
    from . import output

    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = sum(d.severity is Severity.WARNING for d in diagnostics)
    if format == "text":
        from ..diagnostics.render import text

        output.write_lines(text.render(diagnostics, sources, files_checked, errors, warnings, strict=strict,
                                       noun=noun))
    elif format == "json":
        from ..diagnostics.render import json

        output.write(json.render(diagnostics, files_checked, errors, warnings))
    elif format == "github":
        from ..diagnostics.render import github

        output.write(github.render(diagnostics))
    elif format == "sarif":
        from .. import __version__
        from ..diagnostics.render import sarif

        output.write(sarif.render(diagnostics, __version__))
    else:
        raise ValueError(f"unknown diagnostics format {format!r}")


def fail_with(diagnostics: list, text: str, file: Optional[str], *, json_output: bool) -> NoReturn:
    """Report the diagnostics of one spec (its text gives the snippets) and exit 1 (2 when the input was refused)."""
    from ..diagnostics.codes import refused
    from .exit_codes import FAILED, USAGE, Exit

    write_diagnostics(diagnostics, {file: text}, "json" if json_output else "text")
    raise Exit(USAGE if refused(diagnostics) else FAILED)


def fail_not_expressible(result, text: str, exc, message: str, hint: str, *, json_output: bool) -> NoReturn:
    """SB400 at the layer a framework cannot compute exactly (exc: specbridge.emit.NotExpressible), exit 1."""
    from ..diagnostics import codes
    from ..diagnostics.model import Location

    entry = next((e for e in result.document.entries if e.name == exc.layer), None)
    location = result.document.locate(("layers", entry.index)) if entry is not None else Location()
    diagnostic = codes.NOT_EXPRESSIBLE(message, hint=hint, layer=exc.layer, location=location, file=result.file)
    fail_with([diagnostic], text, result.file, json_output=json_output)


def stop_on_errors(result, text: str, *, json_output: bool) -> None:
    """A spec with errors has no complete table or model: print its diagnostics as `check` would, exit 1."""
    if not result.ok:
        fail_with(result.diagnostics, text, result.file, json_output=json_output)


def write_warnings(result, text: str) -> None:
    """Warnings and notes, after the main output (text mode only)."""
    if not result.diagnostics:
        return
    from ..diagnostics.render.styled import line
    from ..diagnostics.render.text import render_block
    from . import output

    output.write_lines([line(), *render_block(result.diagnostics, {result.file: text})])
