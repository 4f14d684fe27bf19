"""The backends a cross-check compares: which ones, how each is built with the shared weights, and each one's
output of every spec layer in Keras's layout.

Keras and PyTorch run the emitted models; ONNX runs the model emit.to_onnx builds, under onnxruntime, with every
layer's output exposed as a graph output. The weights are drawn for one model (the reference: Keras, or PyTorch
for torch_to_keras) and copied to the others: to the other framework by emit.weights, to ONNX by its weight
source reading the reference model, so each copy is an independent path from the same numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Optional

import numpy as np

from ..check import CheckResult
from ..spec.call import output_reference
from .report import BACKENDS, KERAS, ONNX, PYTORCH, TORCH_TO_KERAS

EXTRA_OF = {KERAS: "keras", PYTORCH: "torch", ONNX: "onnx"}  # specbridge.extras entries


class BackendError(ValueError):
    """A --backends list that cannot be cross-checked (unknown names, fewer than two)."""


def installed_backends() -> list[str]:
    from .. import extras

    return [b for b in BACKENDS if not extras.missing(EXTRA_OF[b])]


def choose_backends(backends: Optional[list[str]]) -> list[str]:
    """The backends to compare, in BACKENDS order: those asked for, or every installed one."""
    if backends is None:
        return installed_backends()
    unknown = [b for b in backends if b not in BACKENDS]
    if unknown:
        raise BackendError(f"unknown backend {unknown[0]!r}; choose from {', '.join(BACKENDS)}")
    chosen = [b for b in BACKENDS if b in backends]
    if len(chosen) < 2:
        raise BackendError(f"a cross-check compares at least two backends, got {', '.join(chosen) or 'none'}")
    return chosen


def reference_backend(chosen: list[str], direction: str) -> str:
    """The framework whose model gets the random weights (ONNX always receives a copy)."""
    first, second = (PYTORCH, KERAS) if direction == TORCH_TO_KERAS else (KERAS, PYTORCH)
    return first if first in chosen else second


@dataclass
class Run:
    """Each backend's layer outputs (Keras layout), what kept a layer from being observed, and backends that
    could not run at all."""

    outputs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    notes: dict[str, dict[str, str]] = field(default_factory=dict)
    unavailable: dict[str, str] = field(default_factory=dict)
    models: dict[str, Any] = field(default_factory=dict)


def build_models(result: CheckResult, dtype: str, seed: int, direction: str, chosen: list[str],
                 layout: Optional[str] = None) -> dict[str, Any]:
    """The live framework models among `chosen`, the reference one with seeded random weights; the PyTorch one
    in `layout` (None: its default)."""
    from .run import build_pair, build_single

    frameworks = [b for b in chosen if b != ONNX]
    if len(frameworks) == 2:
        keras_model, torch_model = build_pair(result, dtype, seed, direction, layout=layout)
        return {KERAS: keras_model, PYTORCH: torch_model}
    (only,) = frameworks
    return {only: build_single(result, dtype, seed, only, layout=layout)}


def keras_outputs(result: CheckResult, model, names: list[str], inputs: list[np.ndarray]) -> dict:
    """Each named layer's output (and extra output, `mha.scores`); CheckResult.calls() places the calls of a layer
    called again."""
    from .capture import keras_layer_outputs

    extra = {output_reference(r.name, n): (r.name, 1 + i) for r in result.records for i, n in enumerate(r.extra_names)}
    return keras_layer_outputs(model, names, inputs, result.calls(), extra, op_nodes(result))


def op_nodes(result: CheckResult) -> list:
    """The spec's ops as the Keras capture finds them (capture.OpNode), in spec order."""
    from .capture import OpNode

    records = {r.name: r for r in result.records}
    nodes = []
    for entry in result.ordered_entries():
        if entry.layer.FAMILY == "ops" and entry.name in records:
            record = records[entry.name]
            refs = (entry.name, *(output_reference(entry.name, n) for n in record.extra_names))
            nodes.append(OpNode(entry.layer.KERAS_CLASS, tuple(entry.layer.bind(list(record.inputs))[0]), refs,
                                tuple(record.output_shape)))
    return nodes


def torch_outputs(result: CheckResult, model, inputs: list[np.ndarray]) -> tuple[dict, dict]:
    """(outputs in Keras layout, {layer: why it was not observed or not returned as computed})."""
    from ..layouts import KERAS as KERAS_ORDER
    from .capture import torch_layer_outputs
    from .compare import keras_to_torch_layout, torch_to_keras_layout
    from .run import unreturned_outputs

    spec_inputs = result.document.spec().named_inputs()
    torch_inputs = [keras_to_torch_layout(x, model.INPUT_LAYOUT[i.name]) for x, i in zip(inputs, spec_inputs, strict=True)]
    returned: list = []
    extra = {r.name: tuple(output_reference(r.name, n) for n in r.extra_names) for r in result.records if r.extra_names}
    raw = torch_layer_outputs(model, torch_inputs, returned, [e.name for e in result.ordered_entries()], extra)
    notes = unreturned_outputs(result, raw, returned)
    # An extra output (attention scores) is not a feature map: it keeps Keras's layout in every emitted model.
    outputs = {name: torch_to_keras_layout(out, model.OUTPUT_LAYOUT.get(name, KERAS_ORDER)) for name, out in raw.items()}
    return outputs, notes


def onnx_outputs(result: CheckResult, weights, names: list[str], inputs: list[np.ndarray], dtype: str,
                 layout: Optional[str] = None) -> dict:
    """Every named layer's output (Keras layout) from onnxruntime, the model built by emit.to_onnx in `layout`
    (None: its default) with `weights` (the reference model). Raises OnnxUnavailable when onnxruntime cannot run
    it (a missing float64 kernel)."""
    from ..emit import to_onnx
    from ..layouts import DEFAULT_LAYOUT

    model = to_onnx(result, weights, dtype=dtype, expose=names, layout=layout or DEFAULT_LAYOUT["onnx"])
    return run_onnx(model, inputs, dtype)


def onnx_layouts(model) -> tuple[dict[str, str], dict[str, str]]:
    """({input: layout}, {model output: layout}) from an ONNX model's metadata (specbridge/layouts.py); a value not
    listed (an exposed layer), or a model without them, is in Keras's layout."""
    import json

    from ..layouts import INPUT_LAYOUT_KEY, OUTPUT_LAYOUT_KEY

    props = {p.key: p.value for p in model.metadata_props}
    return json.loads(props.get(INPUT_LAYOUT_KEY, "{}")), json.loads(props.get(OUTPUT_LAYOUT_KEY, "{}"))


def run_onnx(model, inputs: list[np.ndarray], dtype: str = "float32") -> dict:
    """{output name: array in Keras's layout} of an onnx.ModelProto under onnxruntime's CPU provider, fed `inputs`
    (in Keras's layout) in order, each converted to the layout the model's metadata gives it (onnx_layouts)."""
    import onnxruntime

    from ..layouts import KERAS as KERAS_ORDER
    from .compare import keras_to_torch_layout, torch_to_keras_layout

    try:
        session = onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own pybind classes (NotImplemented, Fail...)
        raise OnnxUnavailable(_no_kernel(str(exc), dtype)) from exc
    in_layouts, out_layouts = onnx_layouts(model)
    feed = {i.name: keras_to_torch_layout(x, in_layouts.get(i.name, KERAS_ORDER))
            for i, x in zip(session.get_inputs(), inputs, strict=True)}
    wanted = [o.name for o in session.get_outputs()]
    try:
        outputs = session.run(wanted, feed)
    except Exception as exc:  # some kernels refuse a dtype only when they run ("GRU operator does not support double")
        if dtype == "float32":
            raise
        raise OnnxUnavailable(_no_kernel(str(exc), dtype)) from exc
    return {name: torch_to_keras_layout(out, out_layouts.get(name, KERAS_ORDER))
            for name, out in zip(wanted, outputs, strict=True)}


class OnnxUnavailable(RuntimeError):
    pass


def _no_kernel(message: str, dtype: str) -> str:
    import onnxruntime

    found = re.search(r"implementation for (\w+)\(", message) or re.search(r"(\w+) operator does not support", message)
    if found:
        return (f"onnxruntime {onnxruntime.__version__} has no {dtype} CPU kernel for {found.group(1)}; "
                "cross-check this spec with ONNX in float32")
    return f"onnxruntime could not load the model: {message.strip().splitlines()[0]}"
