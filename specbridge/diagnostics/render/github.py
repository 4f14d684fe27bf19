"""GitHub Actions workflow commands: each diagnostic becomes an annotation on the pull request.

    ::error file=model.spec.yaml,line=7,col=5,title=SB201 nonpositive-size::output rows would be 0 ...
"""

from __future__ import annotations

from ..model import Diagnostic, Severity

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escaping of the message part, as GitHub's toolkit does it (escapeData)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escaping of property values (escapeProperty): also ':' and ','."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def render_diagnostic(d: Diagnostic) -> str:
    props = []
    if d.file:
        props.append(f"file={escape_property(d.file.replace(chr(92), '/'))}")
    if d.line:
        props.append(f"line={d.line}")
        if d.column:
            props.append(f"col={d.column}")
    props.append(f"title={escape_property(f'{d.code} {d.name}')}")
    message = d.message + (f"\nhint: {d.hint}" if d.hint else "")
    return f"::{COMMAND[d.severity]} {','.join(props)}::{escape_data(message)}"


def render(diagnostics: list[Diagnostic]) -> str:
    return "".join(render_diagnostic(d) + "\n" for d in diagnostics)
