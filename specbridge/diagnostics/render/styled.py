"""Styled text as plain data: lines of (text, style) segments.

Renderers build these; the CLI prints them plain (piped, tests, golden files) or through rich on a
terminal. Keeping styles as data means rich is imported only when colours are actually shown.
Style names are rich style strings ("bold red"); None means unstyled.
"""

from __future__ import annotations

from typing import Optional

Segment = tuple[str, Optional[str]]
Line = tuple[Segment, ...]


def line(*parts: str | Segment) -> Line:
    """Build a line from plain strings and (text, style) pairs."""
    return tuple((p, None) if isinstance(p, str) else p for p in parts)


def to_plain(lines: list[Line]) -> str:
    """The text without styles, one newline after every line."""
    return "".join("".join(text for text, _ in ln) + "\n" for ln in lines)
