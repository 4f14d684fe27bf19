"""Renderers: diagnostics (and check totals) -> text, json, github or sarif output.

One module per format, no decisions in them: what to print is decided by the caller (the CLI).
The text renderer returns styled lines (see styled.py) so the CLI can print them plainly or with
rich colours; the other formats return plain strings.
"""

from __future__ import annotations

FORMATS = ("text", "json", "github", "sarif")
