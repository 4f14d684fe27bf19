"""One verdict per layer over every pair of backends."""

from __future__ import annotations

from dataclasses import replace

from .report import LayerComparison, PairReport


def merge_layer(pairs: list[PairReport], index: int, backends: list[str]) -> LayerComparison:
    """The layer's comparison over all pairs: the worst pair's figures (a failing pair first), ok only when every
    pair agrees, and with three or more backends the one that disagrees with all the others, if there is one."""
    comparisons = [pair.layers[index] for pair in pairs]
    failing = [c for c in comparisons if not c.ok]
    worst = max(failing or comparisons, key=lambda c: (c.max_abs_error, c.max_rel_error))
    # The NumPy reference verdict belongs to the Keras/PyTorch pair: keep it whichever pair is the worst.
    reference = next((c.reference for c in comparisons if c.reference is not None), None)
    return replace(worst, ok=not failing, reference=reference, disagrees=odd_one_out(pairs, index, backends))


def odd_one_out(pairs: list[PairReport], index: int, backends: list[str]):
    """The backend that differs from every other one while all the others agree among themselves."""
    if len(backends) < 3:
        return None
    failed = {(pair.a, pair.b) for pair in pairs if not pair.layers[index].ok}
    for backend in backends:
        involving = {(p.a, p.b) for p in pairs if backend in (p.a, p.b)}
        if failed and failed == involving:
            return backend
    return None
