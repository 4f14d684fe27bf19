"""Emit Keras and PyTorch source and ONNX models from a checked spec, and build live models from that same source.

`keras_source` / `torch_source` need no framework, `to_onnx` only the onnx package. `to_keras` / `to_torch` execute the emitted source
in a fresh module, so the code a user gets from `specbridge emit` is the code the tests exercise.
"""

from __future__ import annotations

import types
from itertools import count
from typing import Any

from ..layouts import DEFAULT_LAYOUT, LAYOUTS
from .budget import ModelTooLarge
from .errors import MissingExtra, NotExpressible, SpecHasErrors
from .plan import as_result, make_plan

__all__ = [
    "LAYOUTS", "MissingExtra", "ModelTooLarge", "NotExpressible", "SpecHasErrors", "keras_source", "load_module",
    "to_keras", "to_onnx", "to_torch", "torch_source",
]

_serial = count()


def keras_source(source: Any) -> str:
    """Keras 3 source defining build_model(), for a CheckResult, Spec, path or spec text."""
    from .keras import keras_source as emit

    return emit(make_plan(as_result(source)))


def torch_source(source: Any, layout: str = DEFAULT_LAYOUT["pytorch"]) -> str:
    """PyTorch source defining the model class and build_model().

    `layout="torch"` (the default): the model takes and returns PyTorch's layout, channels first for images,
    volumes and 1D signals, (N, steps, features) for sequences, whatever its first layer (the rule:
    specbridge/layouts.py); `layout="keras"`: Keras's layout. The class's INPUT_LAYOUT says which.
    """
    from .torch import torch_source as emit

    return emit(make_plan(as_result(source), layout))


def load_module(source_code: str, label: str) -> types.ModuleType:
    """Execute emitted source in a new module object (not registered in sys.modules)."""
    module = types.ModuleType(f"specbridge_emitted_{label}_{next(_serial)}")
    exec(compile(source_code, f"<specbridge {label} model>", "exec"), module.__dict__)
    return module


def require(module: str, framework: str, extra: str) -> None:
    """Raise MissingExtra unless the framework of `extra` is installed (the table is specbridge.extras')."""
    from ..extras import missing

    for absent in missing(extra):
        raise MissingExtra(absent.framework, absent.name)


def to_keras(source: Any):
    """A live keras.Model built by the emitted Keras source."""
    code = keras_source(source)
    require("keras", "TensorFlow/Keras", "keras")
    require("tensorflow", "TensorFlow/Keras", "keras")
    from ..extras import quiet_tensorflow

    quiet_tensorflow()
    return load_module(code, "keras").build_model()


def to_torch(source: Any, layout: str = DEFAULT_LAYOUT["pytorch"]):
    """A live torch.nn.Module (in eval mode) built by the emitted PyTorch source (`layout`: as torch_source)."""
    code = torch_source(source, layout)
    require("torch", "PyTorch", "torch")
    return load_module(code, "torch").build_model()


def to_onnx(source: Any, weights: Any = None, *, seed: int = 0, dtype: str = "float32", expose: Any = None,
            layout: str = DEFAULT_LAYOUT["onnx"]):
    """An onnx.ModelProto computing the spec, built with the onnx package alone (no TensorFlow, no torch).

    `weights`: a keras.Model or a PyTorch model emitted from the same spec (trained or not), a dict
    {layer: {"kernel": array, ...}} in Keras's layout, or None for seeded random values (`seed`). `layout="keras"`
    (the default): the inputs and outputs in the spec's layout (NHWC for channels_last), as the Keras model takes
    them; `layout="torch"`: as the emitted PyTorch model takes them (NCHW...: specbridge/layouts.py). The
    metadata_props INPUT_LAYOUT_KEY / OUTPUT_LAYOUT_KEY of specbridge.layouts say which. The batch axis and null axes
    are dynamic. `expose` lists layers whose outputs become extra graph outputs (in Keras's layout, a model
    output in its own). Raises NotExpressible (SB400) for a layer ONNX cannot compute exactly, SpecHasErrors,
    ModelTooLarge, MissingExtra when onnx is not installed, ValueError for another `layout`.
    """
    result = as_result(source)
    plan = make_plan(result, layout)
    from ..extras import installed

    if not installed("onnx"):  # building needs the onnx package only; running it, onnxruntime too
        raise MissingExtra("ONNX", "onnx")
    from .onnx import build_onnx, weight_source
    from .plan import reaching_outputs

    return build_onnx(plan, weight_source(weights, seed, dtype), dtype, expose=list(expose or []), live=reaching_outputs(result))
