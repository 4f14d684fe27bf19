"""convert(): a trained Keras model -> PyTorch (source + state_dict), ONNX, or clean Keras 3 (source + weights),
verified against the original model as Keras loads it.

The file is read statically first (import_keras, then safety.py): a layer a spec cannot represent, or anything a
Keras loader would run or import (a Lambda, a custom class, a foreign module), refuses it before any loader sees it.
The weights go original -> the spec's Keras 3 model (layer by layer, by name: Keras 2 and 3 order a layer's weights
alike) -> the target, through the same mappings `crosscheck` proves. The verification then runs the ORIGINAL model
and the written target on the same random inputs and compares every spec layer, the layers of nested models (at any
depth) included, with what that layer returned in the original's run (original.original_outputs), with the
cross-check's tolerances.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

import numpy as np

TARGETS = ("pytorch", "onnx", "keras")


class NotImportable(ValueError):
    def __init__(self, imported):
        super().__init__("; ".join(d.message for d in imported.errors))
        self.imported = imported


@dataclass
class Converted:
    spec_text: str
    result: Any  # CheckResult of the imported spec
    files: list[Path] = field(default_factory=list)
    report: Any = None  # crosscheck.report.CrosscheckReport of the verification; None with verify=False
    model: Any = None  # the target model: torch module, onnx.ModelProto or keras.Model
    weights: Any = None  # the spec's Keras 3 model holding the original's weights
    # Original layer name -> spec name, for the Keras 2 names with '/' that Keras 3 refuses (keras3_names).
    renamed: dict[str, str] = field(default_factory=dict)
    layout: str = "keras"  # the target's input and output layout option (specbridge/layouts.py)
    # Spec layer (its name before keras3_names) -> (the original's layer, which call of it): Imported.origins.
    origins: dict[str, tuple[str, tuple[int, ...]]] = field(default_factory=dict)

    @property
    def boundary(self):
        """The written model's inputs' and outputs' layouts and shapes (layouts.Boundary)."""
        from ..emit.plan import make_plan

        return make_plan(self.result, self.layout).boundary


def convert(path: str | Path, to: str, out: str | Path, *, weights: Optional[str | Path] = None, verify: bool = True,
            samples: int = 4, seed: int = 0, state_dict: Optional[str | Path] = None,
            layout: Optional[str] = None) -> Converted:
    """Import `path`, write the `to` model at `out` with the trained weights, and verify it against the original.

    `layout`: the written model's input and output layout, "torch" (PyTorch's: NCHW...) or "keras"; None is the
    target's default (specbridge/layouts.py: torch for pytorch, keras for onnx and keras).

    Raises importer.ModelFileError (unreadable file; a model JSON without `weights`), NotImportable (layers a spec
    cannot represent, or anything a Keras loader would run or import: nothing is loaded then), emit.SpecHasErrors,
    emit.NotExpressible (a layer the target cannot compute exactly), original.OriginalNotLoadable, OSError (writing
    `out`); anything else is a bug, raised as failures.InternalFailure naming the stage (and layer) it happened in.
    """
    from ..emit import MissingExtra, NotExpressible, SpecHasErrors, to_keras
    from .failures import stage
    from .original import OriginalNotLoadable, copy_weights, load_original

    if to not in TARGETS:
        raise ValueError(f"to must be one of {', '.join(TARGETS)}, got {to!r}")
    layout = _layout(to, layout)
    imported, renamed, text, result = _import(path, weights)
    with stage(f"loading the original model {path}", OriginalNotLoadable):
        original = load_original(path, weights, keras2=imported.source.keras2)
    with stage("building the spec's Keras model", NotExpressible, MissingExtra, SpecHasErrors):
        emitted = to_keras(result)
    owners = [e.name for e in result.document.entries if e.name not in result.graph.shares]  # a layer called
    copy_weights(original, emitted, owners, originals={new: old for old, new in renamed.items()})  # again: once
    out = Path(out)
    converted = Converted(text, result, weights=emitted, renamed=renamed, layout=layout, origins=imported.origins)
    with stage(f"writing the {to} model to {out}", NotExpressible, MissingExtra, OSError):
        WRITERS[to](converted, emitted, out, state_dict)
    if verify:
        converted.report = verify_conversion(original, converted, to, renamed, samples, seed)
    return converted


def _import(path, weights) -> tuple:
    """(Imported, renamed, spec text, CheckResult) of the file, read statically; refuses before anything loads it."""
    from ..check import check_text
    from ..emit import SpecHasErrors
    from . import ModelFileError, import_keras
    from .failures import stage
    from .safety import code_in_model

    with stage(f"importing {path}", ModelFileError):
        imported = import_keras(path)
    if imported.ok:
        with stage(f"reading {path} for code a Keras loader would run"):
            unsafe = code_in_model(imported.source.config)
        if unsafe:
            imported.diagnostics, imported.spec = [*imported.diagnostics, *unsafe], None
    if not imported.ok:
        raise NotImportable(imported)
    if imported.source.file_format == "json" and weights is None:
        raise ModelFileError(f"{path}: a model JSON holds the architecture only, not the trained weights: pass them "
                             "with --weights W (the model's .weights.h5 from save_weights, or its whole-model .h5)")
    with stage("checking the imported spec"):
        renamed = keras3_names(imported)
        text = imported.text()
        result = check_text(text, f"{imported.name}.spec.yaml")
    if not result.ok:
        raise SpecHasErrors(result)
    return imported, renamed, text, result


def _layout(to: str, layout: Optional[str]) -> str:
    from ..layouts import DEFAULT_LAYOUT, KERAS_LAYOUT, check_layout

    layout = check_layout(DEFAULT_LAYOUT[to] if layout is None else layout)
    if to == "keras" and layout != KERAS_LAYOUT:
        raise ValueError(f"layout {layout!r} applies to the pytorch and onnx targets; a Keras model has Keras's")
    return layout


def keras3_names(imported) -> dict[str, str]:
    """Keras 2 allowed '/' in layer names (DenseNet121's 'conv1/conv'); Keras 3, whose model carries the weights
    to every target, does not. Such layers (and inputs) get '_' for '/' in the spec, made unique; every reference
    follows. Returns original name -> spec name for the renamed ones."""
    spec = imported.spec
    entries = [*spec["layers"], *spec.get("inputs", [])]
    taken = {entry["name"] for entry in entries}
    renamed: dict[str, str] = {}
    for entry in entries:
        if "/" in entry["name"]:
            base = new = entry["name"].replace("/", "_")
            count = 1
            while new in taken:
                new, count = f"{base}_{count}", count + 1
            taken.add(new)
            renamed[entry["name"]], entry["name"] = new, new
    if renamed:
        for layer in spec["layers"]:
            if "inputs" in layer:
                layer["inputs"] = [renamed.get(name, name) for name in layer["inputs"]]
            if "shares" in layer:
                layer["shares"] = renamed.get(layer["shares"], layer["shares"])
        if "outputs" in spec:
            spec["outputs"] = [renamed.get(name, name) for name in spec["outputs"]]
        imported.aliases = {model: renamed.get(name, name) for model, name in imported.aliases.items()}
    return renamed


def _write_keras(converted: Converted, emitted, out: Path, _state_dict) -> None:
    from ..emit import keras_source

    weights = out.with_name(out.name.removesuffix(".py") + ".weights.h5")
    out.write_text(keras_source(converted.result), encoding="utf-8")
    emitted.save_weights(str(weights))
    converted.files += [out, weights]
    converted.model = emitted


def _write_pytorch(converted: Converted, emitted, out: Path, state_dict) -> None:
    import torch

    from ..emit import to_torch, torch_source
    from ..emit.weights import keras_to_torch

    model = to_torch(converted.result, converted.layout)
    keras_to_torch(emitted, model, converted.result)
    weights = Path(state_dict) if state_dict else out.with_suffix(".pt")
    out.write_text(torch_source(converted.result, converted.layout), encoding="utf-8")
    torch.save(model.state_dict(), str(weights))
    converted.files += [out, weights]
    converted.model = model


def _write_onnx(converted: Converted, emitted, out: Path, _state_dict) -> None:
    import onnx

    from ..emit import to_onnx

    model = to_onnx(converted.result, emitted, layout=converted.layout)
    onnx.save(model, str(out))
    converted.files.append(out)
    converted.model = model


WRITERS = {"keras": _write_keras, "pytorch": _write_pytorch, "onnx": _write_onnx}


def verify_conversion(original, converted: Converted, to: str, renamed: dict, samples: int, seed: int):
    """The original model vs the written target, every spec layer (the inner layers of nested models included)
    against what the original layer of that name returned in a run of the whole original model, with the
    cross-check's comparison and tolerances; a layer called several times, each call against its own output
    (converted.origins says which call a spec layer is). `renamed`: original name -> spec name (keras3_names)."""
    from ..crosscheck.inputs import random_inputs
    from ..crosscheck.report import CrosscheckReport, PairReport
    from ..crosscheck.run import tolerances
    from .failures import stage
    from .original import call_paths, original_outputs

    result = converted.result
    kinds = {e.name: e.layer.kind for e in result.document.entries}
    originals = {new: old for old, new in renamed.items()}
    origins = {name: converted.origins.get(originals.get(name, name), (originals.get(name, name), None))
               for name in kinds}
    inputs = random_inputs(result, samples, seed, "float32")
    with stage("running the original model on the verification inputs"):
        captured = original_outputs(original, list(dict.fromkeys(layer for layer, _ in origins.values())), inputs)
        paths = call_paths(original)
    with stage(f"running the converted {to} model on the verification inputs"):
        got = _target_outputs(converted, to, list(kinds), inputs)
    atol, rtol = tolerances("float32")
    layers = []
    for name, kind in kinds.items():
        with stage(f"verifying layer {name!r} against the original"):
            layer, path = origins[name]
            calls = _this_call(captured.get(layer, []), paths.get(layer, []), path)
            layers.append(_verify_layer(name, kind, calls, got.get(name), to, atol, rtol))
    return CrosscheckReport(result.document.spec().name, "float32", samples, seed, atol, rtol, layers, [],
                            backends=["original", _backend(to)], pairs=[PairReport("original", _backend(to), layers)])


def _this_call(calls: list, paths: list, path) -> list:
    """The output of the one call `path` names among a layer's captured `calls` (run order, `paths` alike); all of
    them when the layer ran another number of times than its calls (_verify_layer reports it)."""
    if path is None or len(calls) != len(paths) or path not in paths:
        return calls
    return [calls[paths.index(path)]]


def _verify_layer(name: str, kind: str, calls: list, got, to: str, atol: float, rtol: float):
    """One spec layer is one call of the original's layer: compared with that call's output."""
    import math

    from ..crosscheck.compare import compare_pair
    from ..crosscheck.report import LABELS, LayerComparison

    if len(calls) != 1:
        why = "never ran this layer" if not calls else f"ran this layer {len(calls)} times"
        return LayerComparison(name, kind, math.inf, math.inf, 0.0, ok=False,
                               note=f"the original model {why} in one run; a spec layer is one call")
    if got is None:  # every layer of a Keras model is on a path to its outputs: the target computes it
        return LayerComparison(name, kind, math.inf, math.inf, 0.0, ok=False,
                               note=f"the converted {LABELS[_backend(to)]} model gave no output for this layer")
    return compare_pair(name, kind, ("the original Keras model", calls[0]), (LABELS[_backend(to)], got), atol, rtol)


def _backend(to: str) -> str:
    return {"pytorch": "pytorch", "onnx": "onnx", "keras": "keras"}[to]


def _target_outputs(converted: Converted, to: str, names: list[str], inputs: list[np.ndarray]) -> dict:
    from ..crosscheck import backends

    if to == "keras":
        return backends.keras_outputs(converted.result, converted.model, names, inputs)
    if to == "pytorch":
        outputs, _ = backends.torch_outputs(converted.result, converted.model, inputs)
        return outputs
    return _onnx_outputs(converted, names, inputs)


def _onnx_outputs(converted: Converted, names: list[str], inputs: list[np.ndarray]) -> dict:
    """Every compared layer from the same graph with those layers exposed (the written file folds the transposes
    between layers away, and their names with them); the model outputs from the written model itself."""
    from ..crosscheck.backends import onnx_outputs, run_onnx

    outputs = onnx_outputs(converted.result, converted.weights, names, inputs, "float32", converted.layout)
    outputs.update(run_onnx(converted.model, inputs))
    return outputs
