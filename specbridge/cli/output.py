"""Writing to the terminal: styled lines through rich on a terminal, plain text otherwise.

rich is imported only when colours are shown, so piped output (CI, pre-commit, tests) stays fast.
NO_COLOR disables colours, FORCE_COLOR forces them (https://no-color.org, https://force-color.org).
"""

from __future__ import annotations

import os
import sys
from typing import Optional, TextIO


def use_color(stream: Optional[TextIO] = None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty()) and os.environ.get("TERM") != "dumb"


def write_lines(lines, stream: Optional[TextIO] = None) -> None:
    """Print styled lines (diagnostics.render.styled) plainly or with colours."""
    stream = stream or sys.stdout
    if not use_color(stream):
        from ..diagnostics.render.styled import to_plain

        stream.write(to_plain(lines))
        return
    from rich.console import Console
    from rich.text import Text

    console = Console(file=stream, soft_wrap=True, highlight=False, markup=False, emoji=False)
    for ln in lines:
        console.print(Text.assemble(*ln))


def write(text: str, stream: Optional[TextIO] = None) -> None:
    """Print machine-readable text (json, sarif, github) as it is."""
    (stream or sys.stdout).write(text)
