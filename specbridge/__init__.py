"""specbridge: a model-spec validator and translator for Keras and PyTorch.

The core (loading, checking, summary, explain, schema) imports no TensorFlow, torch or onnx.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = [
    "__version__", "check_file", "check_text", "keras_to_torch", "load_spec", "to_keras", "to_onnx", "to_torch",
    "torch_to_keras",
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
    raise AttributeError(f"module 'specbridge' has no attribute {name!r}")
