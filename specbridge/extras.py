"""Is a framework installed? The one table of optional frameworks, found without importing them.

Each extra of the package (`pip install 'specbridge[keras]'`) provides a framework made of one or more import
names; the framework is installed when every one of them can be found. Nothing here imports a framework (nor
the rest of specbridge: specbridge.emit.require turns a missing extra into MissingExtra).
"""

from __future__ import annotations

import importlib.util
import re
from contextlib import contextmanager
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


# TensorFlow's C++ log threshold: 3 keeps FATAL only, which hides most of its INFO/WARNING lines on stderr
# (cpu_feature_guard, for one). Read once, when TensorFlow loads.
QUIET_TF_LOG_LEVEL = "3"

# Lines TensorFlow writes straight to file descriptor 2 while it loads, whatever TF_CPP_MIN_LOG_LEVEL says: with
# oneDNN on (the default on CPUs with AVX-512 or AMX, or with TF_ENABLE_ONEDNN_OPTS=1) port.cc logs "oneDNN
# custom operations are on" before absl's logging is initialised, preceded by absl's own notice. Only these
# start-up notices are dropped: any other line written while TensorFlow loads reaches stderr unchanged.
TF_STARTUP_NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|port\.cc:\d+\] oneDNN custom operations are on"
    r"|cpu_feature_guard\.cc:\d+\]"
    r"|To enable the following instructions: .* rebuild TensorFlow with the appropriate compiler flags"
    r"|Unable to register cu(DNN|FFT|BLAS) factory|computation_placer\.cc:\d+\]|cuda_executor\.cc:\d+\]"
    r"|Could not find cuda drivers on your machine|TF-TRT Warning: Could not find TensorRT"
)


def quiet_tensorflow(*, force: bool = False, verbose: bool = False) -> None:
    """Load TensorFlow and Keras (TF backend) without their start-up log lines reaching the user's terminal.

    The library only sets defaults (a user's TF_CPP_MIN_LOG_LEVEL wins); the CLI passes force=True, since its
    report is its output, unless the user asked for the logs (`--verbose`, verbose=True, or SPECBRIDGE_DEBUG).
    Quiet means: TF_CPP_MIN_LOG_LEVEL=3, Python-side warnings (absl, the 'tensorflow' logger) raised to ERROR,
    and TensorFlow imported here with its start-up notices (TF_STARTUP_NOISE) filtered out of file descriptor 2,
    since some of them ignore the log level. TF_ENABLE_ONEDNN_OPTS is left alone: turning oneDNN off would change
    the kernels under test, not just the message.
    """
    import os

    loud = verbose or bool(os.environ.get("SPECBRIDGE_DEBUG"))
    if loud:  # TensorFlow's own default, which later calls (the library's) then leave alone
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "0")
    elif force:
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = QUIET_TF_LOG_LEVEL
    else:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", QUIET_TF_LOG_LEVEL)
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    if loud or os.environ.get("TF_CPP_MIN_LOG_LEVEL") != QUIET_TF_LOG_LEVEL:
        return  # the user asked for TensorFlow's logs
    _import_without_startup_noise(["tensorflow", "keras"])
    import logging

    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    if installed("absl"):
        from absl import logging as absl_logging

        absl_logging.set_verbosity(absl_logging.ERROR)


def _import_without_startup_noise(modules: list[str]) -> None:
    """Import `modules` (those installed and not yet loaded) with TF_STARTUP_NOISE kept off stderr."""
    import importlib
    import sys

    wanted = [name for name in modules if name not in sys.modules and installed(name)]
    if not wanted:
        return
    with filtered_stderr(TF_STARTUP_NOISE):
        for name in wanted:
            importlib.import_module(name)


@contextmanager
def filtered_stderr(noise: re.Pattern):
    """Capture file descriptor 2 (where C++ code writes) for the block; then write back every line but `noise`."""
    import os
    import sys
    import tempfile

    sys.stderr.flush()
    with tempfile.TemporaryFile() as captured:
        saved = os.dup(2)
        os.dup2(captured.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            text = captured.read().decode("utf-8", errors="replace")
            kept = "".join(line for line in text.splitlines(keepends=True) if not noise.search(line))
            if kept:
                sys.stderr.write(kept)
                sys.stderr.flush()
