"""'Did you mean' for misspelt names: layer types, arguments, references, codes."""

from __future__ import annotations


def suggest(word: str, choices, n: int = 1) -> list[str]:
    """Close matches for a misspelt name, case-insensitively."""
    import difflib  # only when something is misspelt: a clean check does not pay for it

    choices = list(choices)
    lowered = {c.lower(): c for c in choices}
    hits = difflib.get_close_matches(word.lower(), list(lowered), n=n, cutoff=0.6)
    return [lowered[h] for h in hits]
