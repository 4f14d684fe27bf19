"""convert(): a trained Keras model -> PyTorch (source + state_dict), ONNX, or clean Keras 3 (source + weights),
verified against the original model as Keras loads it.

The weights go original -> the spec's Keras 3 model (layer by layer, by name: Keras 2 and 3 order a layer's weights
alike) -> the target, through the same mappings `crosscheck` proves. The verification then runs the ORIGINAL model
and the written target on the same random inputs and compares every layer the original exposes (its top-level
layers; a nested model by its output), with the cross-check's tolerances.
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


def convert(path: str | Path, to: str, out: str | Path, *, weights: Optional[str | Path] = None, verify: bool = True,
            samples: int = 4, seed: int = 0, state_dict: Optional[str | Path] = None) -> Converted:
    """Import `path`, write the `to` model at `out` with the trained weights, and verify it against the original.

    Raises importer.ModelFileError (unreadable file; a model JSON without `weights`), NotImportable (layers a spec
    cannot represent), emit.SpecHasErrors, emit.NotExpressible (a layer the target cannot compute exactly), and
    original.OriginalNotLoadable.
    """
    from ..check import check_text
    from ..emit import SpecHasErrors, to_keras
    from . import ModelFileError, import_keras
    from .original import copy_weights, load_original

    if to not in TARGETS:
        raise ValueError(f"to must be one of {', '.join(TARGETS)}, got {to!r}")
    imported = import_keras(path)
    if not imported.ok:
        raise NotImportable(imported)
    if imported.source.file_format == "json" and weights is None:
        raise ModelFileError(f"{path}: a model JSON holds the architecture only, not the trained weights: pass them "
                             "with --weights W (the model's .weights.h5 from save_weights, or its whole-model .h5)")
    renamed = keras3_names(imported)
    text = imported.text()
    result = check_text(text, f"{imported.name}.spec.yaml")
    if not result.ok:
        raise SpecHasErrors(result)
    original = load_original(path, weights, keras2=imported.source.keras2)
    emitted = to_keras(result)
    copy_weights(original, emitted, [e.name for e in result.document.entries],
                 originals={new: old for old, new in renamed.items()})
    out = Path(out)
    converted = Converted(text, result, weights=emitted, renamed=renamed)
    WRITERS[to](converted, emitted, out, state_dict)
    if verify:
        aliases = {**renamed, **imported.aliases}
        converted.report = verify_conversion(original, converted, to, aliases, samples, seed)
    return converted


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

    model = to_torch(converted.result)
    keras_to_torch(emitted, model, converted.result)
    weights = Path(state_dict) if state_dict else out.with_suffix(".pt")
    out.write_text(torch_source(converted.result), encoding="utf-8")
    torch.save(model.state_dict(), str(weights))
    converted.files += [out, weights]
    converted.model = model


def _write_onnx(converted: Converted, emitted, out: Path, _state_dict) -> None:
    import onnx

    from ..emit import to_onnx

    model = to_onnx(converted.result, emitted)
    onnx.save(model, str(out))
    converted.files.append(out)
    converted.model = model


WRITERS = {"keras": _write_keras, "pytorch": _write_pytorch, "onnx": _write_onnx}


def verify_conversion(original, converted: Converted, to: str, aliases: dict, samples: int, seed: int):
    """The original model vs the written target, layer by layer (the cross-check's comparison and tolerances)."""
    from ..crosscheck.compare import compare_pair
    from ..crosscheck.inputs import random_inputs
    from ..crosscheck.report import LABELS, CrosscheckReport, PairReport
    from ..crosscheck.run import tolerances

    result = converted.result
    spec_names = {e.name: e.layer.kind for e in result.document.entries}
    pairs = [(layer.name, aliases.get(layer.name, layer.name)) for layer in original.layers
             if aliases.get(layer.name, layer.name) in spec_names]
    inputs = random_inputs(result, samples, seed, "float32")
    from .original import original_outputs

    reference = original_outputs(original, [o for o, _ in pairs], inputs)
    got = _target_outputs(converted, to, [s for _, s in pairs], inputs)
    atol, rtol = tolerances("float32")
    layers = [compare_pair(spec, spec_names[spec], ("the original Keras model", reference[orig]),
                           (LABELS[_backend(to)], got[spec]), atol, rtol) for orig, spec in pairs]
    return CrosscheckReport(result.document.spec().name, "float32", samples, seed, atol, rtol, layers, [],
                            backends=["original", _backend(to)], pairs=[PairReport("original", _backend(to), layers)])


def _backend(to: str) -> str:
    return {"pytorch": "pytorch", "onnx": "onnx", "keras": "keras"}[to]


def _target_outputs(converted: Converted, to: str, names: list[str], inputs: list[np.ndarray]) -> dict:
    from ..crosscheck import backends

    if to == "keras":
        return backends.keras_outputs(converted.model, names, inputs)
    if to == "pytorch":
        outputs, _ = backends.torch_outputs(converted.result, converted.model, inputs)
        return outputs
    return _onnx_outputs(converted, names, inputs)


def _onnx_outputs(converted: Converted, names: list[str], inputs: list[np.ndarray]) -> dict:
    """Every compared layer from the same graph with those layers exposed (the written file folds the transposes
    between layers away, and their names with them); the model outputs from the written model itself."""
    from ..crosscheck.backends import onnx_outputs, run_onnx

    outputs = onnx_outputs(converted.result, converted.weights, names, inputs, "float32")
    outputs.update(run_onnx(converted.model, inputs))
    return outputs
