"""`specbridge explain SPEC [--layer NAME]`: the arithmetic behind every shape and parameter count."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .options import ReportFormat


def command(
    spec: Annotated[str, typer.Argument(metavar="SPEC", help="A spec file ('-' reads stdin).", show_default=False)],
    layer: Annotated[
        Optional[str], typer.Option("--layer", "-l", help="Explain only this layer (its name in the spec).")
    ] = None,
    format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
    ] = ReportFormat.text,
) -> None:
    """Explain the arithmetic behind every shape and param count.

    For each layer: its input shape, the computation, its output shape and parameters.

    Layers that cannot be computed show the problem in place; the exit status is then 1.
    """
    from . import exit_codes, files, output
    from .check import check_spec

    text = files.read_or_fail(spec)
    result = check_spec(text, files.display_name(spec))
    names = [e.name for e in result.document.entries]
    if layer is not None and layer not in names:
        from ..diagnostics.suggest import suggest

        guess = suggest(layer, names)
        did_you_mean = f"did you mean '{guess[0]}'? " if guess else ""
        known = ", ".join(names) if names else "none (the spec did not load)"
        exit_codes.fail(f"no layer named '{layer}' in {files.display_name(spec)}; {did_you_mean}layers: {known}")

    if format is ReportFormat.json:
        import json

        from ..report.explain import document

        doc = document(result)
        if layer is not None:
            doc["layers"] = [entry for entry in doc["layers"] if entry["name"] == layer]
            doc["diagnostics"] = [d for d in doc["diagnostics"] if d["layer"] == layer]
        output.write(json.dumps(doc, indent=2) + "\n")
    else:
        from ..report.explain import render_text

        output.write_lines(render_text(result, layer, text))
    if not result.ok:
        raise typer.Exit(exit_codes.FAILED)
