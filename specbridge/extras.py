"""Is a framework installed? The one table of optional frameworks, found without importing them.

Each extra of the package (`pip install 'specbridge[keras]'`) provides a framework made of one or more import
names; the framework is installed when every one of them can be found. Nothing here imports a framework (nor
the rest of specbridge: specbridge.emit.require turns a missing extra into MissingExtra).
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass


@dataclass(frozen=True)
class Extra:
    name: str  # the pip extra: specbridge[name]
    framework: str  # what messages call it
    modules: dict[str, str]  # import name -> what messages call that module alone


EXTRAS: dict[str, Extra] = {
    "keras": Extra("keras", "TensorFlow/Keras", {"tensorflow": "TensorFlow", "keras": "Keras"}),
    "torch": Extra("torch", "PyTorch", {"torch": "PyTorch"}),
    "onnx": Extra("onnx", "ONNX", {"onnx": "onnx", "onnxruntime": "onnxruntime"}),
}


def installed(module: str) -> bool:
    """True when `module` can be imported (looked up, not imported)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package that fails, or a module with no spec in sys.modules
        return False


def missing_modules(*extras: str) -> list[str]:
    """The labels of the modules of `extras` (every extra when none is named) that are not installed."""
    return [label for extra in _extras(extras) for module, label in extra.modules.items() if not installed(module)]


def missing(*extras: str) -> list[Extra]:
    """The extras among `extras` (every extra when none is named) whose framework is not fully installed."""
    return [extra for extra in _extras(extras) if not all(installed(module) for module in extra.modules)]


def install_hint(*extras: str) -> str:
    """`pip install 'specbridge[keras,torch]'` for `extras` (every extra when none is named)."""
    return f"pip install 'specbridge[{','.join(extra.name for extra in _extras(extras))}]'"


def _extras(names: tuple[str, ...]) -> list[Extra]:
    return [EXTRAS[name] for name in names] if names else list(EXTRAS.values())


# TensorFlow's C++ log threshold: 3 keeps FATAL only, which hides its INFO/WARNING lines on stderr (the oneDNN
# notice "oneDNN custom operations are on ... TF_ENABLE_ONEDNN_OPTS=0", cpu_feature_guard, and absl's "All log
# messages before absl::InitializeLog() is called are written to STDERR"). Read once, when TensorFlow loads.
QUIET_TF_LOG_LEVEL = "3"


def quiet_tensorflow(*, force: bool = False) -> None:
    """Before TensorFlow's first import: silence its C++ and Python (absl) logging, and pick Keras's TF backend.

    The library only sets defaults (a user's TF_CPP_MIN_LOG_LEVEL wins); the CLI passes force=True, since its
    report is its output, unless SPECBRIDGE_DEBUG is set. TF_ENABLE_ONEDNN_OPTS is left alone: turning oneDNN off
    would change the kernels under test, not just the message. Python-side warnings (absl, the 'tensorflow' logger)
    are raised to ERROR.
    """
    import logging
    import os

    if force and not os.environ.get("SPECBRIDGE_DEBUG"):
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = QUIET_TF_LOG_LEVEL
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", QUIET_TF_LOG_LEVEL)
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if os.environ.get("TF_CPP_MIN_LOG_LEVEL") != QUIET_TF_LOG_LEVEL:
        return  # the user asked for TensorFlow's logs
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    if installed("absl"):
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)
