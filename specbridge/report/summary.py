"""`specbridge summary`: the table Keras's model.summary() prints, from the check's records.

    Model: "mnist_convnet"
    ___________________________________________________________
     Layer (type)             Output Shape             Param #
    ===========================================================
     conv2d (Conv2D)          (None, 26, 26, 32)           320
     ...
"""

from __future__ import annotations

from ..check import CheckResult
from ..diagnostics.render.styled import Line, line
from ..shapes.records import format_shape
from .common import batch_shape, input_shapes, is_graph, readable_bytes

# Keras stores the weights of these models as float32: 4 bytes per parameter; but an adapted Normalization's
# `count` (one of its non-trainable parameters) is an int64, 4 bytes more (Keras's summary: 7 params, 32.00 B).
BYTES_PER_PARAM = 4


def rows(result: CheckResult) -> list[tuple[str, ...]]:
    """One row per layer (after the inputs, in graph specs): name (type), shape, params[, connected to]."""
    graph = is_graph(result)
    out = []
    if graph:
        for name, (shape, _dtype) in input_shapes(result).items():
            out.append((f"{name} (InputLayer)", format_shape(shape), "0", "-"))
    for r in result.records:
        row = (f"{r.name} ({r.kind})", format_shape(r.output_shape), f"{r.params:,}")
        out.append(row + (", ".join(r.inputs),) if graph else row)
    return out


def totals(result: CheckResult) -> list[str]:
    total, trainable = result.total_params, result.trainable_params
    int64 = 4 * sum(1 for r in result.records if r.kind == "Normalization" and r.params)  # the counts' extra bytes
    return [
        f"Total params: {total:,} ({readable_bytes(total * BYTES_PER_PARAM + int64)})",
        f"Trainable params: {trainable:,} ({readable_bytes(trainable * BYTES_PER_PARAM)})",
        f"Non-trainable params: {total - trainable:,} ({readable_bytes((total - trainable) * BYTES_PER_PARAM + int64)})",
    ]


def render_text(result: CheckResult) -> list[Line]:
    header = ("Layer (type)", "Output Shape", "Param #", "Connected to")
    body = rows(result)
    header = header[: len(body[0])] if body else header[:3]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    right = {2}  # Param # is right-aligned, like numbers in Keras's table

    def cells(row: tuple[str, ...]) -> str:
        parts = [c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))]
        return (" " + "   ".join(parts)).rstrip()

    width = max(len(cells(header)), *(len(t) + 1 for t in totals(result))) + 1
    out = [line(("Model: ", "bold"), f'"{result.document.header.name}"'), line("_" * width)]
    out.append(line((cells(header), "bold")))
    out.append(line("=" * width))
    out.extend(line(cells(r)) for r in body)
    out.append(line("=" * width))
    out.extend(line(" " + t) for t in totals(result))
    out.append(line("_" * width))
    return out


def document(result: CheckResult) -> dict:
    """The `summary --format json` document: one entry per spec layer, in spec order."""
    return {
        "name": result.document.header.name,
        "layers": [
            {
                "name": r.name,
                "type": r.kind,
                "output_shape": batch_shape(r.output_shape),
                "params": r.params,
                "trainable_params": r.trainable_params,
            }
            for r in result.records
        ],
        "total_params": result.total_params,
        "trainable_params": result.trainable_params,
        "non_trainable_params": result.total_params - result.trainable_params,
    }
