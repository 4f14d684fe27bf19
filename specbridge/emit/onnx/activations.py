"""Keras activations (by the names keras.activations.get accepts) as ONNX nodes on a Keras-layout tensor.

Float attributes of ONNX ops are float32, as TensorFlow's are (LeakyRelu's alpha); constants Keras computes in
the model's dtype are initializers in the model's dtype instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Optional

import numpy as np

from .graph import GraphBuilder
from .stage import Ctx

# name -> (op, attributes): one ONNX op each.
SIMPLE = {
    "relu": ("Relu", {}), "sigmoid": ("Sigmoid", {}), "tanh": ("Tanh", {}), "elu": ("Elu", {"alpha": 1.0}),
    "softplus": ("Softplus", {}), "softsign": ("Softsign", {}), "exponential": ("Exp", {}),
    "gelu": ("Gelu", {}),
    "leaky_relu": ("LeakyRelu", {"alpha": 0.2}), "mish": ("Mish", {}),
}
SHRINK = 0.5  # Keras's default threshold of soft_shrink and hard_shrink
# TensorFlow's selu constants (relu_op_functor.h): scale, and scale * alpha.
SELU_SCALE, SELU_SCALE_ALPHA = 1.0507009873554804934193349852946, 1.7580993408473768599402175208123


def _clip(low: Optional[float], high: Optional[float]) -> Callable[[GraphBuilder, str], str]:
    def build(g: GraphBuilder, x: str) -> str:
        bounds = [g.scalar("min", low) if low is not None else "", g.scalar("max", high) if high is not None else ""]
        return g.node("Clip", [x, *bounds])

    return build


def _hard_sigmoid(g: GraphBuilder, x: str) -> str:
    """Keras 3: relu6(x + 3) / 6, with constants in the model's dtype. Not ONNX's HardSigmoid, whose float32 alpha
    rounds 1/6 and which has no float64 kernel in onnxruntime."""
    shifted = g.node("Add", [x, g.scalar("three", 3.0)])
    return g.node("Div", [g.node("Clip", [shifted, g.scalar("min", 0.0), g.scalar("max", 6.0)]), g.scalar("six", 6.0)])


def _hard_silu(g: GraphBuilder, x: str) -> str:
    """x * hard_sigmoid(x), as Keras computes it (HardSwish: the same rounding as HardSigmoid)."""
    return g.node("Mul", [x, _hard_sigmoid(g, x)])


def _celu(g: GraphBuilder, x: str) -> str:
    """ONNX's Celu op in float32. Its schema takes float32 only (a float64 model holding it fails onnx.checker and
    onnxruntime's loading), so float64 models compute Keras's max(x, 0) + expm1(min(x, 0)) (alpha 1) instead."""
    if g.dtype == np.float32:
        return g.node("Celu", [x], alpha=1.0)
    negative = g.node("Sub", [g.node("Exp", [g.node("Min", [x, g.scalar("zero", 0.0)])]), g.scalar("one", 1.0)])
    return g.node("Add", [g.node("Relu", [x]), negative])


def _selu(g: GraphBuilder, x: str) -> str:
    """ONNX's Selu op in float32. Its alpha and gamma are float32 attributes (1.6732632, 1.0507010: rounded ~5e-8
    off), so float64 models compute TensorFlow's selu with float64 constants: scale * x, below 0 scale * alpha *
    (exp(x) - 1)."""
    if g.dtype == np.float32:
        return g.node("Selu", [x])
    below = g.node("Mul", [g.scalar("scale_alpha", SELU_SCALE_ALPHA),
                           g.node("Sub", [g.node("Exp", [x]), g.scalar("one", 1.0)])])
    above = g.node("Mul", [g.scalar("scale", SELU_SCALE), x])
    return g.node("Where", [g.node("Less", [x, g.scalar("zero", 0.0)]), below, above])


def _swish(g: GraphBuilder, x: str) -> str:
    return g.node("Mul", [x, g.node("Sigmoid", [x])])


def _tanh_shrink(g: GraphBuilder, x: str) -> str:
    return g.node("Sub", [x, g.node("Tanh", [x])])


def _sparse_plus(g: GraphBuilder, x: str) -> str:
    """0 for x <= -1, x for x >= 1, (x + 1)^2 / 4 between."""
    one = g.scalar("one", 1.0)
    shifted = g.node("Add", [x, one])
    middle = g.node("Div", [g.node("Mul", [shifted, shifted]), g.scalar("four", 4.0)])
    upper = g.node("Where", [g.node("GreaterOrEqual", [x, one]), x, middle])
    return g.node("Where", [g.node("LessOrEqual", [x, g.scalar("minus_one", -1.0)]), g.scalar("zero", 0.0), upper])


def _squareplus(g: GraphBuilder, x: str) -> str:
    root = g.node("Sqrt", [g.node("Add", [g.node("Mul", [x, x]), g.scalar("b", 4.0)])])
    return g.node("Div", [g.node("Add", [x, root]), g.scalar("two", 2.0)])


def _sparse_sigmoid(g: GraphBuilder, x: str) -> str:
    """0 for x <= -1, 1 for x >= 1, (x + 1) / 2 between: Keras's 0.5 * (x + 1), clipped."""
    half = g.node("Mul", [g.node("Add", [x, g.scalar("one", 1.0)]), g.scalar("half", 0.5)])
    return g.node("Clip", [half, g.scalar("min", 0.0), g.scalar("max", 1.0)])


def _log_sigmoid(g: GraphBuilder, x: str) -> str:
    """min(x, 0) - log(1 + exp(-|x|)): TensorFlow's -softplus(-x) to rounding, without a Softplus op (onnxruntime
    has no float64 kernel for it). exp(-|x|) <= 1 never overflows; where 1 + exp(-|x|) rounds to 1, TensorFlow's
    value differs from min(x, 0) by less than exp(-|x|) < the dtype's epsilon."""
    magnitude = g.node("Exp", [g.node("Neg", [g.node("Abs", [x])])])
    return g.node("Sub", [g.node("Min", [x, g.scalar("zero", 0.0)]),
                          g.node("Log", [g.node("Add", [g.scalar("one", 1.0), magnitude])])])


def _gelu_approximate(g: GraphBuilder, x: str) -> str:
    """tf.nn.gelu(x, approximate=True): 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + c * x**3))), c = 0.044715 rounded to
    float32 as TensorFlow casts it. Not ONNX's Gelu(approximate="tanh"): its expansion rounds both constants to
    float32 (~7e-9 off in float64)."""
    cube = g.node("Mul", [x, g.node("Mul", [x, x])])
    inner = g.node("Add", [x, g.node("Mul", [g.scalar("cubic", float(np.float32(0.044715))), cube])])
    tanh = g.node("Tanh", [g.node("Mul", [g.scalar("sqrt_2_over_pi", 0.7978845608028654), inner])])
    half_x = g.node("Mul", [g.scalar("half", 0.5), x])
    return g.node("Mul", [half_x, g.node("Add", [g.scalar("one", 1.0), tanh])])


def _hard_shrink(g: GraphBuilder, x: str) -> str:
    """x where |x| > 0.5, else 0. Not ONNX's Shrink: onnxruntime computes its float64 kernel in float32."""
    outside = g.node("Greater", [g.node("Abs", [x]), g.scalar("threshold", SHRINK)])
    return g.node("Where", [outside, x, g.scalar("zero", 0.0)])


def _soft_shrink(g: GraphBuilder, x: str) -> str:
    """x - 0.5 above 0.5, x + 0.5 below -0.5, else 0 (not Shrink, as above)."""
    threshold = g.scalar("threshold", SHRINK)
    below = g.node("Where", [g.node("Less", [x, g.node("Neg", [threshold])]), g.node("Add", [x, threshold]),
                             g.scalar("zero", 0.0)])
    return g.node("Where", [g.node("Greater", [x, threshold]), g.node("Sub", [x, threshold]), below])


# TensorFlow's softplus returns x above -(log(eps) + 2), exp(x) below log(eps) + 2 (Eigen, in float64).
SOFTPLUS_FLOAT64_THRESHOLD = float(np.log(np.finfo(np.float64).eps) + 2)


def _softplus_float64(g: GraphBuilder, x: str) -> str:
    """TensorFlow's softplus kernel: log(1 + exp(x)) (its log1p to ~1e-16) between its two thresholds."""
    exp = g.node("Exp", [x])
    middle = g.node("Log", [g.node("Add", [exp, g.scalar("one", 1.0)])])
    lower = g.node("Where", [g.node("Less", [x, g.scalar("low", SOFTPLUS_FLOAT64_THRESHOLD)]), exp, middle])
    return g.node("Where", [g.node("Greater", [x, g.scalar("high", -SOFTPLUS_FLOAT64_THRESHOLD)]), x, lower])


def _elu_float64(g: GraphBuilder, x: str) -> str:
    """TensorFlow's elu kernel: expm1(x) below 0 (exp(x) - 1: to ~1e-16), else x."""
    below = g.node("Sub", [g.node("Exp", [x]), g.scalar("one", 1.0)])
    return g.node("Where", [g.node("Less", [x, g.scalar("zero", 0.0)]), below, x])


def _leaky_relu_float64(g: GraphBuilder, x: str) -> str:
    """TensorFlow's leaky_relu kernel: x above 0, else alpha * x, its alpha attribute a float32 (0.2 rounded)."""
    scaled = g.node("Mul", [x, g.scalar("alpha", float(np.float32(0.2)))])
    return g.node("Where", [g.node("Greater", [x, g.scalar("zero", 0.0)]), x, scaled])


def _softsign_float64(g: GraphBuilder, x: str) -> str:
    return g.node("Div", [x, g.node("Add", [g.node("Abs", [x]), g.scalar("one", 1.0)])])


def _mish_float64(g: GraphBuilder, x: str) -> str:
    return g.node("Mul", [x, g.node("Tanh", [_softplus_float64(g, x)])])


# Float64 models compute these from ops onnxruntime has float64 kernels for: its CPU provider has none for Elu,
# LeakyRelu, Softplus and Softsign (Mish expands to Softplus). Float32 models keep the single op.
FLOAT64_BUILT = {"softplus": _softplus_float64, "elu": _elu_float64, "leaky_relu": _leaky_relu_float64,
                 "softsign": _softsign_float64, "mish": _mish_float64}

BUILT = {
    "relu6": _clip(0.0, 6.0), "hard_tanh": _clip(-1.0, 1.0), "swish": _swish, "silu": _swish,
    "tanh_shrink": _tanh_shrink, "sparse_plus": _sparse_plus, "squareplus": _squareplus,
    "hard_shrink": _hard_shrink, "soft_shrink": _soft_shrink, "hard_sigmoid": _hard_sigmoid,
    "hard_silu": _hard_silu, "hard_swish": _hard_silu, "celu": _celu, "selu": _selu,
    "sparse_sigmoid": _sparse_sigmoid, "log_sigmoid": _log_sigmoid, "gelu_approximate": _gelu_approximate,
}
# Over the last Keras axis.
AXIS = {"softmax": "Softmax", "log_softmax": "LogSoftmax"}


def activation(name: Optional[str], x: str, ctx: Ctx) -> str:
    """`x` through the Keras activation `name` (Keras layout: the last axis is Keras's last axis)."""
    g = ctx.g
    if name is None or name == "linear":
        return x
    if g.dtype == np.float64 and name in FLOAT64_BUILT:
        return FLOAT64_BUILT[name](g, x)
    if name in SIMPLE:
        op, attrs = SIMPLE[name]
        return g.node(op, [x], **attrs)
    if name in BUILT:
        return BUILT[name](g, x)
    if name in AXIS:
        return g.node(AXIS[name], [x], axis=-1)
    if name == "glu":
        first, second = g.node("Split", [x], outputs=2, axis=-1, num_outputs=2)
        return g.node("Mul", [first, g.node("Sigmoid", [second])])
    if name == "sparsemax":
        raise ctx.fail("the sparsemax activation has no ONNX op (it needs a sort along the axis); use softmax")
    raise ctx.fail(f"activation {name!r} takes arguments Keras cannot get from a name; use another activation")


def with_activation(layer, x: str, ctx: Ctx) -> str:
    """`x` through the layer's `activation` argument, if it has one."""
    return activation(getattr(layer, "activation", None), x, ctx)
