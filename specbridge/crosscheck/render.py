"""Text rendering of a CrosscheckReport (json is report.to_dict())."""

from __future__ import annotations

from .dims import DEFAULT_SIZE
from .report import LABELS, CrosscheckReport, LayerComparison

_HEADER = ("layer", "type", "max abs err", "max rel err", "max |out|", "")


def render_text(report: CrosscheckReport) -> str:
    reference, *copies = report.backends
    models = " vs ".join(LABELS[b] for b in report.backends)
    return render_report(report, [
        f"crosscheck {report.spec}: {models}, {report.dtype}, {report.samples} samples, seed {report.seed}",
        f"random weights drawn for {LABELS[reference]}, copied to {' and '.join(LABELS[b] for b in copies)}",
        f"a layer agrees when, for each pair, max|a - b| <= {report.atol:g} + {report.rtol:g} * max|a output| "
        f"(a: {reference}, or the pair's first)",
    ])


def render_verification(report: CrosscheckReport, model: str) -> str:
    """A conversion's check: the original model (its trained weights) against the converted one."""
    target = LABELS[report.backends[1]]
    return render_report(report, [
        f"verify {model}: the original Keras model vs the converted {target} model, {report.dtype}, "
        f"{report.samples} random samples, seed {report.seed}, trained weights",
        f"a layer agrees when max|original - converted| <= {report.atol:g} + {report.rtol:g} * max|original output|",
    ])


def render_report(report: CrosscheckReport, header: list[str]) -> str:
    rows = [_HEADER] + [_row(layer) for layer in report.layers]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADER))]
    lines = [
        *header,
        *_dims(report),
        *[f"not compared: {LABELS[b]}: {why}" for b, why in report.unavailable.items()],
        "",
    ]
    lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    if report.skipped:
        lines += ["", f"not compared (reach no model output, so no model computes them): {', '.join(report.skipped)}"]
    if len(report.pairs) > 1:
        lines += ["", "pairs:", *[_pair_line(pair) for pair in report.pairs]]
    lines += ["", verdict(report)]
    return "\n".join(lines) + "\n"


def _pair_line(pair) -> str:
    where = "ok" if pair.ok else f"FAILED, first at '{pair.first_divergence}'"
    return f"  {pair.a} ~ {pair.b}: {where} (max abs error {_num(pair.max_abs_error)})"


def _dims(report: CrosscheckReport) -> list[str]:
    """The sizes the inputs' unknown axes were given (none when every size is in the spec)."""
    if not report.dims:
        return []
    sizes = ", ".join(f"{d.input} axis {d.axis} = {d.size}{' (--dims)' if d.given else ''}" for d in report.dims)
    searched = any(not d.given for d in report.dims)
    why = (f"; searched: the smallest size from {DEFAULT_SIZE} up that every layer accepts (below it only when "
           "nothing larger fits), --dims sets it") if searched else ""
    return [f"unknown axes: {sizes}{why}"]


def verdict(report: CrosscheckReport) -> str:
    totals = f"max abs error {report.max_abs_error:.3g}, max rel error {report.max_rel_error:.3g}"
    if report.ok:
        return f"ok: all {len(report.layers)} layers agree ({totals})"
    first = report.layer(report.first_divergence)
    failed = sum(not layer.ok for layer in report.layers)
    if first.note:
        why = first.note
    else:
        limit = report.atol + report.rtol * first.max_abs_output
        why = (f"max abs error {first.max_abs_error:.3g} > {report.atol:g} + {report.rtol:g} * "
               f"{first.max_abs_output:.3g} = {limit:.3g}")
    who = (f"{LABELS[first.disagrees]} disagrees with the others" if first.disagrees
           else "the models diverge")
    return (f"FAILED: {who} first at layer '{first.name}' ({first.kind}): {why}; "
            f"{failed} of {len(report.layers)} layers differ{_reference(first.reference)}")


REFERENCE_WORDS = {
    "keras": "Keras agrees with it: the PyTorch translation is wrong",
    "pytorch": "PyTorch agrees with it: the difference is Keras's (a framework bug, not the translation)",
    "both": "both agree with it within the tolerance",
    "neither": "neither agrees with it",
}


def _reference(reference) -> str:
    """What the independent NumPy evaluation of the layer says (crosscheck/reference.py)."""
    if reference is None:
        return ""
    return f"; a NumPy reference of the layer: {REFERENCE_WORDS.get(reference, reference)}"


def _row(layer: LayerComparison) -> tuple[str, ...]:
    return (layer.name, layer.kind, _num(layer.max_abs_error), _num(layer.max_rel_error),
            f"{layer.max_abs_output:.3g}", "ok" if layer.ok else f"DIFFERS{_in(layer)}{': ' + layer.note if layer.note else ''}"
            + (f" (NumPy reference: {layer.reference})" if layer.reference else ""))


def _in(layer: LayerComparison) -> str:
    return f" in {layer.disagrees}" if layer.disagrees else ""


def _num(value: float) -> str:
    return "-" if value == float("inf") else f"{value:.2e}"
