"""`specbridge codes [CODE]`: the diagnostic codes (docs/codes.md is `--format markdown`)."""

from __future__ import annotations

from .options import add_format

FORMATS = ("text", "json", "markdown")


def add_arguments(parser) -> None:
    parser.add_argument("code", nargs="?", metavar="CODE", help="show one code, by code (SB201) or name")
    add_format(parser, FORMATS)


def run(args) -> None:
    """List the diagnostic codes (code, name, severity, meaning)."""
    import json

    code, format = args.code, args.format
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
        if format == "json":
            output.write(json.dumps(entry, indent=2) + "\n")
        else:
            output.write(f"{entry['code']} {entry['name']} ({entry['severity']}): {entry['summary']}\n")
        return
    if format == "markdown":
        output.write(codes.markdown())
    elif format == "json":
        output.write(json.dumps(codes.as_json(), indent=2) + "\n")
    else:
        output.write(codes.text())
