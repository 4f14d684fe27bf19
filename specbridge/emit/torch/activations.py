"""Keras activations (by the names keras.activations.get accepts) as PyTorch modules."""

from __future__ import annotations

import math
import struct
from typing import Optional

from ...shapes.records import Shape
from ...spec.base import Layer
from ..source import literal
from .layout import torch_dim
from .stage import Ctx


def keras_constant(value: float) -> str:
    """A scalar constant as Keras (TensorFlow) applies it: rounded to float32 even when the model runs in float64,
    so the float64 cross-check agrees to ~1e-15 rather than ~1e-8. Beyond float32's range it is infinite."""
    try:
        return literal(struct.unpack("f", struct.pack("f", value))[0])
    except OverflowError:
        return literal(math.copysign(math.inf, value))


SIMPLE_ACTIVATIONS = {
    "relu": "nn.ReLU()", "relu6": "nn.ReLU6()", "sigmoid": "nn.Sigmoid()", "hard_sigmoid": "nn.Hardsigmoid()",
    "tanh": "nn.Tanh()", "elu": "nn.ELU()", "selu": "nn.SELU()", "log_sigmoid": "nn.LogSigmoid()",
    "softsign": "nn.Softsign()", "swish": "nn.SiLU()", "silu": "nn.SiLU()", "hard_silu": "nn.Hardswish()",
    "hard_swish": "nn.Hardswish()", "leaky_relu": f"nn.LeakyReLU({keras_constant(0.2)})",
    "mish": "nn.Mish()", "celu": "nn.CELU()", "tanh_shrink": "nn.Tanhshrink()", "hard_tanh": "nn.Hardtanh()",
    "soft_shrink": "nn.Softshrink(0.5)", "hard_shrink": "nn.Hardshrink(0.5)",
}
# Activations with a helper class (runtime.py, runtime_activations.py): PyTorch has no module for them, or its
# module differs from TensorFlow's arithmetic beyond rounding (thresholds, constants rounded to float32).
HELPER_ACTIVATIONS = {"exponential": "Exponential", "sparse_plus": "SparsePlus", "squareplus": "Squareplus",
                      "gelu": "KerasGELU", "gelu_approximate": "KerasGELUApproximate", "softplus": "KerasSoftplus",
                      "sparse_sigmoid": "SparseSigmoid"}
# Activations over the last Keras axis, which depends on the layout.
AXIS_ACTIVATIONS = {"softmax": "nn.Softmax", "log_softmax": "nn.LogSoftmax", "glu": "nn.GLU"}


def activation_stage(name: Optional[str], shape: Shape, layout: str, ctx: Ctx) -> Optional[str]:
    """The module for a Keras activation applied to a tensor of Keras shape `shape` in `layout`."""
    if name is None or name == "linear":
        return None
    if name in SIMPLE_ACTIVATIONS:
        return SIMPLE_ACTIVATIONS[name]
    if name in HELPER_ACTIVATIONS:
        return f"{ctx.helper(HELPER_ACTIVATIONS[name])}()"
    dim = torch_dim(-1, shape, layout)
    if name in AXIS_ACTIVATIONS:
        return f"{AXIS_ACTIVATIONS[name]}(dim={dim})"
    if name == "sparsemax":
        return f"{ctx.helper('Sparsemax')}(dim={dim})"
    raise ctx.fail(f"activation {name!r} takes arguments Keras cannot get from a name; use another activation")


def with_activation(stages: list[str], layer: Layer, shape: Shape, layout: str, ctx: Ctx) -> list[str]:
    """`stages` followed by the layer's `activation` argument, if it has one."""
    act = activation_stage(getattr(layer, "activation", None), shape, layout, ctx)
    return stages + ([act] if act else [])
