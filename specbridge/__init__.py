"""specbridge: a model-spec validator and translator for Keras and PyTorch.

The core (loading, checking, summary, explain, schema) imports no TensorFlow, torch or onnx.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "__version__", "check_file", "check_text", "convert", "from_keras", "keras_to_torch", "load_spec", "to_keras",
    "to_onnx", "to_torch", "torch_to_keras",
]


def __getattr__(name: str):
    # Lazy: `import specbridge` stays cheap, and the frameworks load only when asked for.
    if name in ("check_file", "check_text"):
        from . import check

        return getattr(check, name)
    if name == "load_spec":
        from .spec.loader import load_spec

        return load_spec
    if name in ("to_keras", "to_onnx", "to_torch"):
        from . import emit

        return getattr(emit, name)
    if name in ("keras_to_torch", "torch_to_keras"):
        from .emit import weights

        return getattr(weights, name)
    if name == "from_keras":
        return from_keras
    if name == "convert":
        from .importer.convert import convert

        return convert
    raise AttributeError(f"module 'specbridge' has no attribute {name!r}")


def from_keras(model_or_path):
    """The Spec of a Keras model: a .keras / .h5 / .json path, a model JSON text, or a live keras.Model (read
    through its config). Raises importer.ModelFileError for an unreadable file, and ValueError naming every layer
    a spec cannot represent (a custom class, Lambda)."""
    from .importer import import_keras
    from .spec.loader import load_spec

    imported = import_keras(model_or_path)
    if not imported.ok:
        raise ValueError("the model has layers a spec cannot represent: " + "; ".join(d.message for d in imported.errors))
    return load_spec(imported.text())
