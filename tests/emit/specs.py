"""Spec text for the emitter tests, and the package's cross-check run on it (specbridge.crosscheck is the engine)."""

from __future__ import annotations

from specbridge.check import check_text
from specbridge.crosscheck import KERAS_TO_TORCH, CrosscheckReport, run_crosscheck


def spec(layers: str, input_shape, *, dtype: str = "float32", data_format: str = "channels_last") -> str:
    """A one-input spec around YAML flow-style layer lines."""
    shape = "[" + ", ".join("null" if d is None else str(d) for d in input_shape) + "]"
    body = "\n".join(f"  - {line}" for line in layers.strip().splitlines())
    return (
        f"specbridge: 1\nname: t\ndata_format: {data_format}\n"
        f"input: {{shape: {shape}, dtype: {dtype}}}\nlayers:\n{body}\n"
    )


def crosscheck(text: str, direction: str = KERAS_TO_TORCH, **options) -> CrosscheckReport:
    """run_crosscheck on spec text that must check cleanly (a test spec with errors is a broken test)."""
    result = check_text(text, lint=False)
    assert result.ok, [d.message for d in result.errors]
    return run_crosscheck(result, direction=direction, **options)


def why(report: CrosscheckReport) -> str:
    """The assertion message of a failed cross-check: the first divergent layer and its numbers."""
    first = report.first_divergence
    if first is None:
        return "ok"
    layer = report.layer(first)
    return (f"{report.direction}: first divergence at {first} ({layer.kind}): max abs error {layer.max_abs_error:.3g}, "
            f"max |output| {layer.max_abs_output:.3g}{'; ' + layer.note if layer.note else ''}")
