"""`specbridge codes [CODE]`: the diagnostic codes (docs/codes.md is `--format markdown`)."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, Optional

import typer


class CodesFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


def command(
    code: Annotated[
        Optional[str], typer.Argument(metavar="[CODE]", help="Show one code, by code (SB201) or name.")
    ] = None,
    format: Annotated[
        CodesFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
    ] = CodesFormat.text,
) -> None:
    """List the diagnostic codes (code, name, severity, meaning)."""
    import json

    from ..report import codes
    from . import exit_codes, output

    if code is not None:
        wanted = code.strip().lower()
        hits = [c for c in codes.as_json() if wanted in (c["code"].lower(), c["name"])]
        if not hits:
            from ..diagnostics.suggest import suggest

            guess = suggest(wanted, [c["name"] for c in codes.as_json()] + [c["code"] for c in codes.as_json()])
            exit_codes.fail(f"unknown code '{code}'" + (f"; did you mean '{guess[0]}'?" if guess else ""))
        entry = hits[0]
        if format is CodesFormat.json:
            output.write(json.dumps(entry, indent=2) + "\n")
        else:
            output.write(f"{entry['code']} {entry['name']} ({entry['severity']}): {entry['summary']}\n")
        return
    if format is CodesFormat.markdown:
        output.write(codes.markdown())
    elif format is CodesFormat.json:
        output.write(json.dumps(codes.as_json(), indent=2) + "\n")
    else:
        output.write(codes.text())
