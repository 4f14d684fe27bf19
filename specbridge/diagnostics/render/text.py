"""Human-readable diagnostics, compiler style:

    model.spec.yaml:7:5: SB201 error: output rows would be 0 (zero or negative): ...
      7 |   - {type: Conv2D, filters: 64, kernel_size: 5}
        |     ^
      hint: use padding 'same', a smaller kernel_size, ...
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Optional

from ..model import Diagnostic, Severity
from .styled import Line, line

SEVERITY_STYLE = {Severity.ERROR: "bold red", Severity.WARNING: "bold yellow", Severity.INFO: "bold blue"}


def location(d: Diagnostic) -> str:
    """file:line:col, dropping the parts that are unknown."""
    where = d.file or "<spec>"
    if d.line:
        where += f":{d.line}"
        if d.column:
            where += f":{d.column}"
    return where


def snippet(source_line: str, line_no: int, column: int) -> list[Line]:
    """The offending source line with a caret under the column. A tab is shown as one visible arrow: as a blank it
    would hide the very character a YAML error is often about, and one character keeps the caret in place."""
    gutter = f"  {line_no}"
    pad = " " * len(gutter)
    text = source_line.rstrip("\r\n").replace("\t", "→")
    return [
        line((f"{gutter} | ", "dim"), text),
        line((f"{pad} | ", "dim"), " " * max(column - 1, 0), ("^", "bold red")),
    ]


def render_diagnostic(d: Diagnostic, source_lines: Optional[list[str]] = None) -> list[Line]:
    out = [
        line(
            (location(d) + ":", "bold"), " ", (d.code, "bold"), " ",
            (d.severity.value + ":", SEVERITY_STYLE[d.severity]), " ", d.message,
        )
    ]
    if source_lines is not None and 0 < d.line <= len(source_lines):
        out.extend(snippet(source_lines[d.line - 1], d.line, d.column))
    if d.hint:
        out.append(line("  ", ("hint:", "bold cyan"), " ", d.hint))
    return out


def render(
    diagnostics: list[Diagnostic], sources: Mapping[str, str] | None, files_checked: int, errors: int,
    warnings: int, *, strict: bool = False, noun: str = "spec",
) -> list[Line]:
    """Every diagnostic (with a source snippet when its file's text is in `sources`), each followed by a blank
    line, then the totals line (when any file was checked)."""
    split: dict[str, list[str]] = {}
    out: list[Line] = []
    for d in diagnostics:
        out.extend(render_diagnostic(d, _source_lines(d, sources, split)))
        out.append(line())
    if files_checked:
        out.append(totals(files_checked, errors, warnings, strict=strict, noun=noun))
    return out


def render_block(diagnostics: list[Diagnostic], sources: Mapping[str, str] | None) -> list[Line]:
    """Diagnostics one after the other, without blank lines or totals (notes under another report)."""
    split: dict[str, list[str]] = {}
    return [ln for d in diagnostics for ln in render_diagnostic(d, _source_lines(d, sources, split))]


def _source_lines(d: Diagnostic, sources: Mapping[str, str] | None, split: dict) -> Optional[list[str]]:
    if sources is None or d.file not in sources:
        return None
    if d.file not in split:
        text = sources[d.file]
        # Python numbers lines at "\n" only (a form feed is whitespace); YAML also breaks at \x85, U+2028, U+2029
        split[d.file] = text.split("\n") if d.file.lower().endswith(".py") else text.splitlines()
    return split[d.file]


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def totals(files_checked: int, errors: int, warnings: int, *, strict: bool = False, noun: str = "spec") -> Line:
    """The closing line of `check`: "All 3 specs OK" or "Checked 3 files: 2 errors, 1 warning" (`noun`: "file"
    when model code was checked too)."""
    if errors == 0 and (warnings == 0 or not strict):
        ok = f"All {plural(files_checked, noun)} OK" if files_checked != 1 else f"1 {noun} OK"
        if warnings:
            ok += f" ({plural(warnings, 'warning')})"
        return line((ok, "bold green"))
    counts = f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"
    tail = " (--strict: warnings fail)" if strict and warnings and not errors else ""
    return line((f"Checked {plural(files_checked, 'file')}: ", "bold"), (counts, "bold red"), tail)
