"""What summary and explain share: stopping on a spec with errors, and showing its warnings."""

from __future__ import annotations

import typer


def stop_on_errors(result, text: str, *, json_output: bool) -> None:
    """A spec with errors has no complete table: print its diagnostics as `check` would, exit 1."""
    if result.ok:
        return
    from . import exit_codes, output

    diagnostics = result.diagnostics
    errors = len(result.errors)
    warnings = len(result.warnings)
    if json_output:
        from ..diagnostics.render import json as render

        output.write(render.render(diagnostics, 1, errors, warnings))
    else:
        from ..diagnostics.render import text as render
        from ..diagnostics.render.styled import line

        lines = []
        for d in diagnostics:
            lines.extend(render.render_diagnostic(d, text.splitlines()))
            lines.append(line())
        lines.append(render.totals(1, errors, warnings))
        output.write_lines(lines)
    raise typer.Exit(exit_codes.FAILED)


def write_warnings(result, text: str) -> None:
    """Warnings and notes, after the main output (text mode only)."""
    if not result.diagnostics:
        return
    from ..diagnostics.render import text as render
    from ..diagnostics.render.styled import line
    from . import output

    lines = [line()]
    for d in result.diagnostics:
        lines.extend(render.render_diagnostic(d, text.splitlines()))
    output.write_lines(lines)
