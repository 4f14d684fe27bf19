"""Per-layer inference functions: the "shape rule" stage, keyed by layer class.

An inference function takes (layer, inputs: list[Tensor], ctx: Context) and returns Inferred, or
raises ShapeError. Families live in their own modules (shapes/infer/<FAMILY>.py mirrors
spec/layers/<FAMILY>.py), each imported the first time a spec uses one of its layer types.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import replace

from ...diagnostics import codes
from ...spec.base import Layer
from ...spec.catalog import FAMILY_ORDER, Stage
from ..errors import ShapeError
from ..records import Inferred, Step, Tensor, format_shape
from .common import check_softmax_rank

InferFn = Callable[[Layer, list[Tensor], "Context"], Inferred]
RULES: Stage[InferFn] = Stage("shape rule")
rule = RULES.register  # @rule(Conv1D, Conv2D) registers the decorated function for those classes


class Context:
    """What an inference function may know beyond its layer and inputs."""

    def __init__(self, data_format: str = "channels_last", tensorflow: bool = True):
        self.data_format = data_format
        # The model runs on TensorFlow's kernels (a spec, Keras code): a verdict that depends on the CPU's kernels
        # is an error there. PyTorch code read by the .py reader runs on PyTorch's.
        self.tensorflow = tensorflow

    def channels_last(self, layer: Layer) -> bool:
        return layer.data_format_in(self.data_format) == "channels_last"

    def infer(self, layer: Layer, inputs: list[Tensor]) -> Inferred:
        """Infer one layer (wrappers call this for the layer they wrap)."""
        cls = type(layer)
        fn = RULES.entries.get(cls)
        if fn is None:
            importlib.import_module(f".{cls.FAMILY}", __name__)
            fn = RULES.entry(cls)  # every layer class has a rule: tests/test_stages.py keeps it so
        check_float_input(layer, inputs)
        result = fn(layer, inputs, self)
        if getattr(layer, "activation", None) == "glu" and layer.FAMILY != "recurrent":  # an RNN's is its cell's
            result = glu_output(layer, result)
        if layer.applies_softmax() and self.tensorflow:
            check_softmax_rank(layer, len(result.shape) + 1, result.shape, "computes a softmax",
                               hint="merge the axes the softmax does not run over with Reshape, so the tensor has at "
                                    "most 5 axes (batch included): the values are the same")
        return result


def glu_output(layer: Layer, result: Inferred) -> Inferred:
    """activation 'glu' splits the last axis in two halves (a * sigmoid(b)): it halves that axis.

    Keras's symbolic shape keeps the axis (compute_output_shape of Activation is the identity), but the op halves
    it and the built model fails when it runs with a layer after it sized for the full axis; specbridge follows
    what the model computes.
    """
    last = result.shape[-1] if result.shape else None
    if last is not None and last % 2:
        raise ShapeError(
            codes.INVALID_ARGUMENT,
            f"{layer.kind}: activation 'glu' splits the last axis in two halves, but it has {last} (odd) values "
            f"(output shape before the activation {format_shape(result.shape, batch=False)})",
            hint="give the last axis an even size (glu halves it), or use another activation", argument="activation",
        )
    half = None if last is None else last // 2
    step = Step("glu", "activation 'glu' splits the last axis in two halves a, b and returns a * sigmoid(b): "
                "{last} -> {result}", {"last": last}, half, formula="last / 2")
    return replace(result, shape=tuple(result.shape[:-1]) + (half,), steps=result.steps + (step,))


FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")


def check_float_input(layer: Layer, inputs: list[Tensor]) -> None:
    """SB212 when a layer that computes in floating point (spec.base.Layer.FLOAT_INPUT) reads an int or bool tensor."""
    wrong = [t.dtype for t in layer.bind(inputs)[0] if t.dtype not in FLOAT_DTYPES]  # a mask may be bool
    if not wrong or not layer.needs_float_input():
        return
    raise ShapeError(
        codes.FLOAT_INPUT,
        f"{layer.kind} computes in floating point but reads an input of dtype {wrong[0]}: Keras fails when the model runs "
        f"(or casts silently, depending on the layer) and the PyTorch translation refuses {wrong[0]} tensors",
        hint="give the input dtype: float32 (cast the data), or put an Embedding first if these are token ids",
    )


def load_stage() -> Stage[InferFn]:
    """The whole stage, every family's rules imported (for the catalog check and tools that enumerate)."""
    for family in FAMILY_ORDER:
        importlib.import_module(f".{family}", __name__)
    return RULES
