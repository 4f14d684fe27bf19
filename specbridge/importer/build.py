"""A flattened Keras model -> the spec document (a dict), with the diagnostics of the import."""

from __future__ import annotations

from typing import Any

from ..diagnostics import codes
from ..diagnostics.model import Diagnostic, Severity
from .failures import stage
from .layers import map_layer
from .topology import InputCall, Topology

DEFAULT_INPUT = "input_layer"  # the name a spec's single `input:` gets
FLOAT_DTYPES = ("float32", "float64")


def build_spec(top: Topology, keras2: bool = False) -> tuple[dict, list[Diagnostic]]:
    """(spec dict, diagnostics): errors mean the model cannot be a spec (and the dict must not be written).
    `keras2`: a Keras 2 file, whose masks may combine otherwise than the spec's (importer/masks_keras2.py)."""
    from .masks import check_masks, mask_only_ops

    diagnostics = list(top.diagnostics)
    layers: list[dict] = []
    left_out: dict[str, list[str]] = {}
    previous = top.inputs[0].name if len(top.inputs) == 1 else None
    masks = mask_only_ops(top)  # Keras's own mask computations: the spec carries masks implicitly
    for call in top.calls:
        if call.name in masks:
            continue
        with stage(f"importing layer {call.name!r} ({call.class_name}, {call.place})"):
            mapped = map_layer(call.class_name, call.config, call.name, call.place, call.module)
        diagnostics += mapped.errors
        for key in mapped.left_out:
            left_out.setdefault(_kind(key), []).append((key.rsplit(".", 1)[-1], call.name))
        if mapped.layer is None:
            continue
        if call.frozen:
            mapped.layer["trainable"] = False
        if call.shares:
            mapped.layer["shares"] = call.shares  # the same Keras layer called again (topology.py)
        if call.inputs != [previous]:
            mapped.layer["inputs"] = list(call.inputs)
        layers.append(mapped.layer)
        previous = call.name
    diagnostics += [_left_out(kind, found) for kind, found in sorted(left_out.items())]
    spec: dict[str, Any] = {"specbridge": 1, "name": top.name}
    spec.update(_inputs(top.inputs, diagnostics))
    spec["layers"] = layers
    kept = [c for c in top.calls if c.name not in masks]
    if kept and top.outputs != [kept[-1].name]:
        spec["outputs"] = list(top.outputs)
    if not any(d.severity == Severity.ERROR for d in diagnostics):
        with stage("checking the masks Keras recorded"):
            diagnostics += check_masks(top, spec, keras2)
    return spec, diagnostics


def _inputs(inputs: list[InputCall], diagnostics: list[Diagnostic]) -> dict:
    entries = [_input(i, diagnostics) for i in inputs]
    if len(entries) == 1 and entries[0]["name"] == DEFAULT_INPUT:
        entry = dict(entries[0])
        del entry["name"]
        return {"input": entry}
    return {"inputs": entries}


def _input(call: InputCall, diagnostics: list[Diagnostic]) -> dict:
    config = call.config
    shape = config.get("batch_shape") or config.get("batch_input_shape")
    if shape is None and config.get("shape") is not None:
        shape = [None, *config["shape"]]
    entry: dict[str, Any] = {"name": call.name, "shape": list(shape[1:]) if shape else []}
    dtype = config.get("dtype")
    if isinstance(dtype, dict):  # a DTypePolicy
        dtype = (dtype.get("config") or {}).get("name")
    if isinstance(dtype, str) and dtype != "float32":
        entry["dtype"] = dtype
    if not shape:
        diagnostics.append(codes.CALL_NOT_IMPORTABLE(f"input {call.name!r} has no shape in the model file"))
    return entry


def _kind(key: str) -> str:
    if key == "dtype":
        return "dtype policies"
    for kind in ("initializer", "regularizer", "constraint"):
        if key.endswith(kind):
            return kind + "s"
    return "regularizers"  # activity_regularizer


def _left_out(kind: str, found: list[tuple[str, str]]) -> Diagnostic:
    """One info per kind of training-only setting: which settings, on how many layers, which ones."""
    keys = sorted({key for key, _ in found})
    names = list(dict.fromkeys(name for _, name in found))
    where = ", ".join(repr(n) for n in names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    if kind == "dtype policies":
        return codes.SETTING_LEFT_OUT(
            f"{len(names)} layer{'s' if len(names) != 1 else ''} ({where}) compute with a dtype policy other "
            "than float32 in Keras (mixed precision); the spec describes the float32 computation",
            hint="the converted model computes in float32 (crosscheck --dtype float64 for float64); a "
                 "mixed-precision model's outputs differ from it by float16 rounding")
    return codes.SETTING_LEFT_OUT(
        f"{kind} are training-only settings, not part of a spec: {', '.join(keys)} left out of {len(names)} "
        f"layer{'s' if len(names) != 1 else ''} ({where})",
        hint="the spec describes the inference computation; the trained weights carry what the initializers "
             "started; set regularizers and constraints in the training code")
