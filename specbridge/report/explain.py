"""`specbridge explain`: for each layer, where its output shape and parameter count come from.

The arithmetic lines are the LayerRecord.steps that shape inference wrote (as data; report/steps.py words
them); this module only frames them with the layer's input and output shapes, in spec order. A layer that could not be inferred
shows its diagnostic in place, or says which earlier problem kept it from being computed.
"""

from __future__ import annotations

from typing import Optional

from ..check import CheckResult
from ..diagnostics.model import Diagnostic
from ..diagnostics.render import text
from ..diagnostics.render.styled import Line, line
from ..shapes.records import LayerRecord, format_shape
from .common import batch_shape, input_shapes
from .steps import render_step, step_document

INTRO = (
    "Shapes are written as Keras prints them: the first axis is the batch, None means any batch size. "
    "The other axes are per sample."
)


def params_line(r: LayerRecord) -> str:
    if r.shares is not None:
        return f"params: 0 of its own (it calls {r.shares} again: the weights are {r.shares}'s, counted there)"
    if r.params == 0:
        return "params: 0 (this layer has no weights)"
    if r.non_trainable_params == 0:
        return f"params: {r.params:,} (all trainable)"
    return (
        f"params: {r.params:,} ({r.trainable_params:,} trainable, {r.non_trainable_params:,} non-trainable, "
        "updated during training but not by the optimizer)"
        if r.trainable_params else f"params: {r.params:,} (all non-trainable)"
    )


def inputs_line(r: LayerRecord) -> str:
    masks = r.input_masks or (None,) * len(r.inputs)
    parts = [f"{format_shape(shape)} from {name}" + (f", masked by {mask.origin} {format_shape(mask.shape)}" if mask
                                                      else "")
             for name, shape, mask in zip(r.inputs, r.input_shapes, masks, strict=True)]
    return ("input:  " if len(parts) == 1 else "inputs: ") + "; ".join(parts)


def _input_document(name: str, shape, mask) -> dict:
    out = {"name": name, "shape": batch_shape(shape)}
    if mask is not None:
        out["mask"] = {"made_by": mask.origin, "shape": batch_shape(mask.shape)}
    return out


def title(entry) -> str:
    """'conv2d (Conv2D)', or just the name when the type is unknown."""
    return f"{entry.name} ({entry.type_name})" if entry.type_name else entry.name


def explain_record(r: LayerRecord) -> list[Line]:
    out = [line((f"{r.name} ({r.kind})", "bold")), line("  " + inputs_line(r))]
    out.extend(line("  ", (render_step(step), "cyan")) for step in r.steps)
    out.append(line("  ", ("output: " + format_shape(r.output_shape), "bold")))
    for name, tensor in zip(r.extra_names, r.extra_outputs, strict=True):
        out.append(line("  ", (f"output {name} ({r.name}.{name}): " + format_shape(tensor.shape), "bold")))
    out.append(line("  " + params_line(r)))
    return out


def render_text(
    result: CheckResult, layer: Optional[str] = None, source: Optional[str] = None
) -> list[Line]:
    """The explanation of every layer (or of `layer` only), with problems shown where they occur."""
    source_lines = source.splitlines() if source is not None else None
    by_layer: dict[Optional[str], list[Diagnostic]] = {}
    for d in result.diagnostics:
        by_layer.setdefault(d.layer, []).append(d)

    def diagnostics(ds: list[Diagnostic]) -> list[Line]:
        return [ln for d in ds for ln in text.render_diagnostic(d, source_lines)]

    out: list[Line] = []
    header = result.document.header
    if layer is None and header is None:  # nothing to explain until the spec's header loads
        return diagnostics(result.diagnostics)
    if layer is None:
        out.append(line(("Model ", "bold"), (f'"{header.name}"', "bold"), ": how each shape and parameter count is computed."))
        out.append(line(INTRO))
        out.extend(diagnostics(by_layer.get(None, [])))
        for input_name, (shape, dtype) in input_shapes(result).items():
            out.append(line())
            out.append(line((f"{input_name} (Input)", "bold"), f": {format_shape(shape)} {dtype}"))
    for entry in result.document.entries:
        if layer is not None and entry.name != layer:
            continue
        if layer is None:
            out.append(line())
        record = result.record(entry.name)
        own = by_layer.get(entry.name, [])
        if record is not None:
            out.extend(explain_record(record))
        elif own:
            out.append(line((title(entry), "bold"), ": not computed, because of this problem:"))
        else:
            out.append(line(
                (title(entry), "bold"),
                ": not computed: a layer it depends on has an error (`specbridge check` lists it)",
            ))
        out.extend(diagnostics(own))
    return out


def document(result: CheckResult) -> dict:
    """The `explain --format json` document: the same content, as data.

    Each step is an object: topic, formula, values, result, and the sentence the text output prints (report/steps.py).
    """
    return {
        "name": result.document.header.name if result.document.header else None,
        "inputs": [
            {"name": name, "shape": batch_shape(shape), "dtype": dtype}
            for name, (shape, dtype) in input_shapes(result).items()
        ],
        "layers": [
            {
                "name": r.name,
                "type": r.kind,
                "inputs": [_input_document(name, shape, mask) for name, shape, mask in
                           zip(r.inputs, r.input_shapes, r.input_masks or (None,) * len(r.inputs), strict=True)],
                "steps": [step_document(step) for step in r.steps],
                "output_shape": batch_shape(r.output_shape),
                **({"extra_outputs": {n: batch_shape(t.shape) for n, t in zip(r.extra_names, r.extra_outputs,
                                                                                strict=True)}}
                   if r.extra_outputs else {}),
                "params": r.params,
                "trainable_params": r.trainable_params,
                "non_trainable_params": r.non_trainable_params,
                **({"shares": r.shares} if r.shares is not None else {}),
            }
            for r in result.records
        ],
        "diagnostics": [d.to_dict() for d in result.diagnostics],
    }
