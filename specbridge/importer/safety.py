"""What in a model file a Keras loader would run or import: read statically, before any loader sees the file.

`convert` loads the original model with Keras to copy its weights, and a loader does more than read: tf_keras
rebuilds a Keras 2 `.h5`'s Lambda from marshalled bytecode and calls it (its .h5 loader has no safe mode),
Keras 3 does the same for a `__lambda__` when safe_mode is off, and tf_keras's .keras loader imports any module
a config names. So every object in the config is looked at, not only the layers a spec maps: a Lambda, a Python
lambda, a class registered by the model's own code ("package>Name"), a module other than Keras's own. Each
layer holding one is an SB500 error at its place, and the file is not handed to a loader.
"""

from __future__ import annotations

from typing import Any

from ..diagnostics import codes
from ..diagnostics.model import Diagnostic
from .files import MODEL_CLASSES

KERAS_MODULES = ("keras", "tf_keras")  # and their submodules: what Keras 3 and tf_keras write for their own objects
HINT = ("specbridge never runs code from a model file: a file holding code (a Lambda) or naming other modules or "
        "custom classes is not loaded; replace such layers with built-in ones (docs/layers.md) and save it again")


def code_in_model(model: dict) -> list[Diagnostic]:
    """One SB500 error per layer (or model) holding something a loader would run or import."""
    found: list[Diagnostic] = []
    name = str((model.get("config") or {}).get("name") or "model")
    _model(model, name, f"model {name!r}", found)
    return found


def _model(model: dict, name: str, where: str, found: list[Diagnostic], place: str = "") -> None:
    """`where`: "model 'inner' (layers[2] of model 'outer')", what places inside it are relative to."""
    config = model.get("config") or {}
    outer = {key: value for key, value in model.items() if key != "config"}
    outer["config"] = {key: value for key, value in config.items() if key != "layers"}
    subject = f"model {name!r} ({model.get('class_name')}{', ' + place if place else ''})"
    _report(subject, name, _findings(outer, ""), found)
    for index, layer in enumerate(config.get("layers") or []):
        if not isinstance(layer, dict):
            continue
        layer_name = str((layer.get("config") or {}).get("name") or layer.get("name"))
        inner = f"layers[{index}] of {where}"
        if layer.get("class_name") in MODEL_CLASSES and isinstance((layer.get("config") or {}).get("layers"), list):
            _model(layer, layer_name, f"model {layer_name!r} ({inner})", found, inner)
        else:
            subject = f"layer {layer_name!r} ({layer.get('class_name')}, {inner})"
            _report(subject, layer_name, _findings(layer, ""), found)


def _report(subject: str, name: str, findings: list[str], found: list[Diagnostic]) -> None:
    if not findings:
        return
    unique = list(dict.fromkeys(findings))
    more = f" (and {len(unique) - 2} more)" if len(unique) > 2 else ""
    found.append(codes.LAYER_NOT_IMPORTABLE(
        f"{subject} {'; '.join(unique[:2])}{more}: a Keras loader would run or import it, so the model is not "
        "loaded", layer=name, hint=HINT))


def _findings(value: Any, path: str) -> list[str]:
    """What a loader would run or import in `value` (a layer's serialized dict, at any depth)."""
    if isinstance(value, list):
        return [f for i, item in enumerate(value) for f in _findings(item, f"{path}[{i}]")]
    if not isinstance(value, dict):
        return []
    found = []
    at = f" at {path}" if path else ""
    class_name, module, registered = value.get("class_name"), value.get("module"), value.get("registered_name")
    if class_name == "Lambda":
        found.append(f"is a Lambda layer{at} (its function is Python code)")
    if class_name == "__lambda__" or value.get("function_type") == "lambda":
        found.append(f"holds a Python lambda{at} (bytecode)")
    if isinstance(module, str) and not _keras_module(module):
        found.append(f"names the module {module!r}{at}")
    elif module is not None and not isinstance(module, str):
        found.append(f"names a module that is not a name{at}")
    if isinstance(registered, str) and ">" in registered:
        found.append(f"uses the class {registered!r}{at}, registered by the model's own code")
    for key, item in value.items():
        found += _findings(item, f"{path}.{key}" if path else str(key))
    return found


def _keras_module(module: str) -> bool:
    return any(module == root or module.startswith(root + ".") for root in KERAS_MODULES)
