"""Spec -> PyTorch source: one nn.Module class with one submodule per spec layer.

Tensors keep PyTorch's layout at the boundary (channels-first images, batch-first sequences) and
inside; each layer is emitted for the layout its input has, and declares the layout it returns.
Layouts are "keras" (same axis order as Keras) and "channels_first" (Keras's last axis moved to
position 1, i.e. NCHW for a channels_last spec). A layer whose input has the wrong layout gets a
ChannelsLast/ChannelsFirst stage in front. Every padding is computed here from the static shapes;
TF 'same' padding with stride > 1 on an axis of unknown size raises NotExpressible, since its split
depends on the size.
"""

from __future__ import annotations

import ast
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Optional

from ..shapes.records import Shape
from ..shapes.rules import as_tuple, axis_pairs, effective_kernel, same_padding, torch_pad_order
from ..spec.base import Layer
from ..spec.catalog import Stage, StageGap
from ..spec.layers import conv as C
from ..spec.layers import core as K
from ..spec.layers import merging as M
from ..spec.layers import normalization as N
from ..spec.layers import pooling as P
from ..spec.layers import recurrent as RC
from ..spec.layers import reshaping as R
from ..spec.layers import wrappers as W
from .errors import NotExpressible
from .names import Identifiers, class_name, py_str
from .plan import Plan
from .source import call, compact, literal
from .torch_helpers import HELPERS, REQUIRES

KERAS = "keras"
CHANNELS_FIRST = "channels_first"


def normalize_layout(layout: Optional[str], shape: Shape) -> Optional[str]:
    """Rank <= 2 (batch included) tensors look the same in both layouts."""
    if layout is not None and len(shape) <= 1:
        return KERAS
    return layout


def torch_dim(axis: int, shape: Shape, layout: str) -> int:
    """The PyTorch dim of Keras axis `axis` (batch counted) for a tensor of Keras shape `shape`."""
    rank = len(shape) + 1
    axis = axis + rank if axis < 0 else axis
    if layout == CHANNELS_FIRST and rank > 2 and axis > 0:
        return 1 if axis == rank - 1 else axis + 1
    return axis


@dataclass
class Built:
    """A layer's PyTorch stages; `takes`/`gives` are layouts (None: whatever the input has)."""

    stages: list[str]
    takes: Optional[str] = None
    gives: Optional[str] = None


@dataclass
class Ctx:
    plan: Plan
    name: str
    in_shapes: list[Shape]
    in_layouts: list[str]
    out_shape: Shape
    helpers: set[str] = field(default_factory=set)

    @property
    def in_shape(self) -> Shape:
        return self.in_shapes[0]

    @property
    def in_layout(self) -> str:
        return self.in_layouts[0]

    def helper(self, name: str) -> str:
        self.helpers.add(name)
        return name

    def fail(self, reason: str) -> NotExpressible:
        return NotExpressible(self.name, reason)

    def channels_last(self, layer: Layer) -> bool:
        return layer.data_format_in(self.plan.spec.data_format) == "channels_last"

    def spatial_layout(self, layer: Layer) -> str:
        """The layout that puts the channel axis at 1 for this layer."""
        return CHANNELS_FIRST if self.channels_last(layer) else KERAS

    def split(self, layer: Layer, shape: Shape) -> tuple[Shape, Optional[int]]:
        if self.channels_last(layer):
            return shape[:-1], shape[-1]
        return shape[1:], shape[0]


EMITTERS: Stage[Callable[[Layer, Ctx], Built]] = Stage("PyTorch emitter")
emitter = EMITTERS.register


def emitter_for(layer: Layer, name: str) -> Callable[[Layer, Ctx], Built]:
    """The PyTorch emitter of a layer's class; NotExpressible (SB400) with the stage's reason when it has none."""
    try:
        return EMITTERS.entry(type(layer))
    except StageGap as gap:
        raise NotExpressible(name, str(gap)) from None


def load_stage() -> Stage:
    return EMITTERS


def keras_constant(value: float) -> str:
    """A scalar constant as Keras (TensorFlow) applies it: rounded to float32 even when the model runs in float64,
    so the float64 cross-check agrees to ~1e-15 rather than ~1e-8."""
    return literal(struct.unpack("f", struct.pack("f", value))[0])


# ---------------------------------------------------------------- activations

SIMPLE_ACTIVATIONS = {
    "relu": "nn.ReLU()", "relu6": "nn.ReLU6()", "sigmoid": "nn.Sigmoid()", "hard_sigmoid": "nn.Hardsigmoid()",
    "tanh": "nn.Tanh()", "elu": "nn.ELU()", "selu": "nn.SELU()", "softplus": "nn.Softplus()",
    "softsign": "nn.Softsign()", "swish": "nn.SiLU()", "silu": "nn.SiLU()", "hard_silu": "nn.Hardswish()",
    "hard_swish": "nn.Hardswish()", "gelu": "nn.GELU()", "leaky_relu": f"nn.LeakyReLU({keras_constant(0.2)})", "mish": "nn.Mish()",
    "celu": "nn.CELU()", "tanh_shrink": "nn.Tanhshrink()", "hard_tanh": "nn.Hardtanh()",
    "soft_shrink": "nn.Softshrink(0.5)", "hard_shrink": "nn.Hardshrink(0.5)",
}
HELPER_ACTIVATIONS = {"exponential": "Exponential", "sparse_plus": "SparsePlus", "squareplus": "Squareplus"}
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
    act = activation_stage(getattr(layer, "activation", None), shape, layout, ctx)
    return stages + ([act] if act else [])


# ---------------------------------------------------------------- padding


def same_pads(ctx: Ctx, spatial: Shape, kernel, strides, dilation) -> list[tuple[int, int]]:
    """TF SAME (before, after) per axis; stride 1 does not depend on the (maybe unknown) size."""
    if any(length is None and s != 1 for length, s in zip(spatial, strides, strict=True)):
        raise ctx.fail(
            "'same' padding with stride > 1 on an axis of unknown size: its TF split (extra cell at the end) "
            "depends on the size; give the input a known size"
        )
    return [same_padding(n, k, s, d) for n, k, s, d in zip(spatial, kernel, strides, dilation, strict=True)]


def pad_module(rank: int, pads: list[tuple[int, int]], value: Optional[str] = None) -> str:
    order = torch_pad_order(pads)
    if value is None:
        return f"nn.ZeroPad{rank}d({literal(order)})"
    return f"nn.ConstantPad{rank}d({literal(order)}, {value})"


# ---------------------------------------------------------------- convolutions


def conv_padding(layer, ctx: Ctx, spatial: Shape, kernel, strides, dilation) -> tuple[list[str], dict]:
    """(stages before the conv, padding kwargs for the conv) reproducing Keras's padding."""
    rank = layer.RANK
    padding = layer.padding
    if padding == "valid":
        return [], {}
    if not isinstance(padding, str):
        return [], {"padding": compact(as_tuple(padding, rank))}
    if padding == "causal":
        return [pad_module(1, [(effective_kernel(kernel[0], dilation[0]) - 1, 0)])], {}
    pads = same_pads(ctx, spatial, kernel, strides, dilation)
    if all(b == a for b, a in pads):
        return [], {"padding": compact(b for b, _ in pads)} if any(b for b, _ in pads) else {}
    if all(s == 1 for s in strides):
        return [], {"padding": "same"}
    return [pad_module(rank, pads)], {}


def conv_kwargs(strides, dilation, **extra) -> dict:
    out = {}
    if any(s != 1 for s in strides):
        out["stride"] = compact(strides)
    if any(d != 1 for d in dilation):
        out["dilation"] = compact(dilation)
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


def _conv_common(layer, ctx: Ctx):
    rank = layer.RANK
    spatial, channels = ctx.split(layer, ctx.in_shape)
    kernel = as_tuple(layer.kernel_size, rank)
    strides = as_tuple(layer.strides, rank)
    dilation = as_tuple(layer.dilation_rate, rank)
    return rank, spatial, channels, kernel, strides, dilation


@emitter(C.Conv1D, C.Conv2D, C.Conv3D, C.DepthwiseConv1D, C.DepthwiseConv2D)
def emit_conv(layer, ctx: Ctx) -> Built:
    rank, spatial, channels, kernel, strides, dilation = _conv_common(layer, ctx)
    pre, pad_kw = conv_padding(layer, ctx, spatial, kernel, strides, dilation)
    if isinstance(layer, C.Depthwise):
        out_channels, groups = channels * layer.depth_multiplier, channels
    else:
        out_channels, groups = layer.filters, layer.groups
    kwargs = conv_kwargs(strides, dilation, **pad_kw)
    if groups != 1:
        kwargs["groups"] = groups
    if not layer.use_bias:
        kwargs["bias"] = False
    conv = call(f"nn.Conv{rank}d", str(channels), str(out_channels), literal(compact(kernel)), **kwargs)
    layout = ctx.spatial_layout(layer)
    return Built(with_activation(pre + [conv], layer, ctx.out_shape, layout, ctx), layout, layout)


@emitter(C.SeparableConv1D, C.SeparableConv2D)
def emit_separable(layer, ctx: Ctx) -> Built:
    rank, spatial, channels, kernel, strides, dilation = _conv_common(layer, ctx)
    pre, pad_kw = conv_padding(layer, ctx, spatial, kernel, strides, dilation)
    middle = channels * layer.depth_multiplier
    depthwise = call(
        f"nn.Conv{rank}d", str(channels), str(middle), literal(compact(kernel)),
        **conv_kwargs(strides, dilation, **pad_kw), groups=channels, bias=False,
    )
    pointwise = call(f"nn.Conv{rank}d", str(middle), str(layer.filters), "1",
                     **({} if layer.use_bias else {"bias": False}))
    layout = ctx.spatial_layout(layer)
    return Built(with_activation(pre + [depthwise, pointwise], layer, ctx.out_shape, layout, ctx), layout, layout)


@emitter(C.Conv1DTranspose, C.Conv2DTranspose, C.Conv3DTranspose)
def emit_conv_transpose(layer, ctx: Ctx) -> Built:
    """Keras's size comes from cropping the full transposed conv at TF SAME's pad_before of a forward
    conv over the output; torch's `padding` crops symmetrically, so an odd crop needs one more cell off
    the end, and an output longer than the full result needs output_padding."""
    rank, spatial, channels, kernel, strides, dilation = _conv_common(layer, ctx)
    if not isinstance(layer.padding, str):
        raise ctx.fail("integer padding on a transposed convolution is not a Keras argument")
    out_spatial, _ = ctx.split(layer, ctx.out_shape)
    padding, output_padding, crops = [], [], []
    for length, n, k, s, d in zip(spatial, out_spatial, kernel, strides, dilation, strict=True):
        if length is None or n is None:
            raise ctx.fail("a transposed convolution over an axis of unknown size: its crop depends on the size")
        total = (length - 1) * s + effective_kernel(k, d) - n
        if total >= 0:
            before = total // 2 if layer.padding == "same" else 0
            padding.append(before)
            extra = total - 2 * before  # cells still to drop at the end (0 or 1)
            if extra < 0:
                raise ctx.fail(f"cannot place the crop of {total} cells")
            output_padding.append(0)
            crops.append((0, extra))
        else:
            padding.append(0)
            output_padding.append(-total)
            crops.append((0, 0))
    kwargs = conv_kwargs(strides, dilation)
    if any(padding):
        kwargs["padding"] = compact(padding)
    if any(output_padding):
        kwargs["output_padding"] = compact(output_padding)
    if not layer.use_bias:
        kwargs["bias"] = False
    stages = [call(f"nn.ConvTranspose{rank}d", str(channels), str(layer.filters), literal(compact(kernel)), **kwargs)]
    if any(c != (0, 0) for c in crops):
        stages.append(f"{ctx.helper('Crop')}({', '.join(literal(c) for c in crops)})")
    layout = ctx.spatial_layout(layer)
    return Built(with_activation(stages, layer, ctx.out_shape, layout, ctx), layout, layout)


# ---------------------------------------------------------------- pooling


@emitter(P.MaxPooling1D, P.MaxPooling2D, P.MaxPooling3D, P.AveragePooling1D, P.AveragePooling2D, P.AveragePooling3D)
def emit_pooling(layer, ctx: Ctx) -> Built:
    rank = layer.RANK
    spatial, _ = ctx.split(layer, ctx.in_shape)
    kernel = as_tuple(layer.pool_size, rank)
    strides = as_tuple(layer.strides, rank) if layer.strides is not None else kernel
    kind = "Max" if layer.MODE == "max" else "Avg"
    kwargs = {} if strides == kernel else {"stride": compact(strides)}
    layout = ctx.spatial_layout(layer)
    pool_args = (f"nn.{kind}Pool{rank}d", literal(compact(kernel)))
    if layer.padding == "valid":
        return Built([call(*pool_args, **kwargs)], layout, layout)
    pads = same_pads(ctx, spatial, kernel, strides, (1,) * rank)
    symmetric = all(b == a and b <= k // 2 for (b, a), k in zip(pads, kernel, strict=True))
    if symmetric:
        if any(b for b, _ in pads):
            kwargs["padding"] = compact(b for b, _ in pads)
            if kind == "Avg":
                kwargs["count_include_pad"] = False
        return Built([call(*pool_args, **kwargs)], layout, layout)
    if kind == "Max":
        return Built([pad_module(rank, pads, 'float("-inf")'), call(*pool_args, **kwargs)], layout, layout)
    if any(length is None for length in spatial):
        raise ctx.fail("average pooling with asymmetric 'same' padding over an axis of unknown size")
    pool = call(*pool_args, **kwargs)
    module = f"{ctx.helper('AvgPoolSame')}({pool}, {pad_module(rank, pads)}, {literal(tuple(spatial))})"
    return Built([module], layout, layout)


@emitter(P.GlobalMaxPooling1D, P.GlobalMaxPooling2D, P.GlobalMaxPooling3D, P.GlobalAveragePooling1D, P.GlobalAveragePooling2D, P.GlobalAveragePooling3D)
def emit_global_pooling(layer, ctx: Ctx) -> Built:
    kind = "Max" if layer.MODE == "max" else "Avg"
    layout = ctx.spatial_layout(layer)
    pool = f"nn.Adaptive{kind}Pool{layer.RANK}d(1)"
    if layer.keepdims:
        return Built([pool], layout, layout)
    return Built([pool, "nn.Flatten()"], layout, KERAS)


# ---------------------------------------------------------------- core


@emitter(K.Dense)
def emit_dense(layer, ctx: Ctx) -> Built:
    kwargs = {} if layer.use_bias else {"bias": False}
    linear = call("nn.Linear", str(ctx.in_shape[-1]), str(layer.units), **kwargs)
    return Built(with_activation([linear], layer, ctx.out_shape, KERAS, ctx), KERAS, KERAS)


@emitter(R.Flatten)
def emit_flatten(layer, ctx: Ctx) -> Built:
    stages = ["nn.Flatten()"]
    if layer.data_format == "channels_first" and len(ctx.in_shape) > 1:
        stages.insert(0, f"{ctx.helper('ChannelsLast')}()")  # Keras moves channels last before flattening
    return Built(stages, KERAS, KERAS)


@emitter(K.Dropout)
def emit_dropout(layer, ctx: Ctx) -> Built:
    return Built([f"nn.Dropout({literal(layer.rate)})"])


@emitter(K.SpatialDropout1D, K.SpatialDropout2D, K.SpatialDropout3D)
def emit_spatial_dropout(layer, ctx: Ctx) -> Built:
    rank = layer.RANK
    layout = CHANNELS_FIRST if rank == 1 else ctx.spatial_layout(layer)
    return Built([f"nn.Dropout{rank}d({literal(layer.rate)})"], layout, layout)


@emitter(K.ActivationLayer)
def emit_activation(layer, ctx: Ctx) -> Built:
    stage = activation_stage(layer.activation, ctx.in_shape, ctx.in_layout, ctx)
    return Built([stage or "nn.Identity()"])


@emitter(K.ReLU)
def emit_relu(layer, ctx: Ctx) -> Built:
    m, slope, t = layer.max_value, layer.negative_slope, layer.threshold
    if t == 0 and slope == 0:
        if m is None:
            return Built(["nn.ReLU()"])
        return Built(["nn.ReLU6()" if m == 6 else f"nn.Hardtanh(0.0, {literal(float(m))})"])
    if t == 0 and m is None:
        return Built([f"nn.LeakyReLU({keras_constant(slope)})"])
    # Keras computes this general case with Python-float constants (exact in float64); only its pure leaky-ReLU
    # path above goes through TensorFlow's float32 `alpha` attribute.
    args = ", ".join("None" if v is None else literal(float(v)) for v in (m, slope, t))
    return Built([f"{ctx.helper('KerasReLU')}({args})"])


@emitter(K.LeakyReLU)
def emit_leaky_relu(layer, ctx: Ctx) -> Built:
    return Built([f"nn.LeakyReLU({keras_constant(layer.negative_slope)})"])


@emitter(K.ELU)
def emit_elu(layer, ctx: Ctx) -> Built:
    return Built(["nn.ELU()" if layer.alpha == 1.0 else f"nn.ELU({literal(float(layer.alpha))})"])


@emitter(K.Softmax)
def emit_softmax(layer, ctx: Ctx) -> Built:
    return Built([f"nn.Softmax(dim={torch_dim(layer.axis, ctx.in_shape, ctx.in_layout)})"])


@emitter(K.Embedding)
def emit_embedding(layer, ctx: Ctx) -> Built:
    if layer.mask_zero:
        raise ctx.fail("mask_zero=True makes Keras skip padded steps downstream; PyTorch has no masks to match")
    return Built([f"nn.Embedding({layer.input_dim}, {layer.output_dim})"], KERAS, KERAS)


# ---------------------------------------------------------------- normalization


@emitter(N.BatchNormalization)
def emit_batch_norm(layer, ctx: Ctx) -> Built:
    shape = ctx.in_shape
    rank = len(shape) + 1
    axis = layer.axis + rank if layer.axis < 0 else layer.axis
    if rank == 2 and axis == 1:
        layout = KERAS
    elif axis == rank - 1:
        layout = CHANNELS_FIRST
    elif axis == 1:
        layout = KERAS
    else:
        raise ctx.fail(f"BatchNormalization over axis {layer.axis} of a rank-{rank} tensor: PyTorch normalizes axis 1")
    if rank > 5:
        raise ctx.fail(f"BatchNormalization on a rank-{rank} tensor: PyTorch has BatchNorm1d/2d/3d only")
    if layer.center != layer.scale:
        raise ctx.fail("center and scale differ: PyTorch BatchNorm has both affine terms or neither")
    kwargs = {"eps": layer.epsilon, "momentum": round(1 - layer.momentum, 12)}
    if not layer.center:
        kwargs["affine"] = False
    dims = max(rank - 2, 1)
    return Built([call(f"nn.BatchNorm{dims}d", str(shape[axis - 1]), **kwargs)], layout, layout)


@emitter(N.LayerNormalization)
def emit_layer_norm(layer, ctx: Ctx) -> Built:
    shape = ctx.in_shape
    rank = len(shape) + 1
    axes = sorted(a + rank if a < 0 else a for a in as_tuple(layer.axis, 1))
    if axes != list(range(rank - len(axes), rank)):
        raise ctx.fail(f"LayerNormalization over axes {layer.axis}: PyTorch normalizes trailing axes only")
    if layer.center and not layer.scale:
        raise ctx.fail("center without scale: PyTorch LayerNorm has no bias-only form")
    normalized = tuple(shape[a - 1] for a in axes)
    kwargs: dict = {"eps": layer.epsilon}
    if not layer.scale:
        kwargs["elementwise_affine"] = False
    elif not layer.center:
        kwargs["bias"] = False
    return Built([call("nn.LayerNorm", literal(compact(normalized)), **kwargs)], KERAS, KERAS)


# ---------------------------------------------------------------- reshaping


@emitter(R.ZeroPadding1D, R.ZeroPadding2D, R.ZeroPadding3D)
def emit_zero_padding(layer, ctx: Ctx) -> Built:
    layout = ctx.spatial_layout(layer)  # Keras ZeroPadding1D takes data_format too
    return Built([pad_module(layer.RANK, list(axis_pairs(layer.padding, layer.RANK)))], layout, layout)


@emitter(R.Cropping1D, R.Cropping2D, R.Cropping3D)
def emit_cropping(layer, ctx: Ctx) -> Built:
    layout = CHANNELS_FIRST if layer.RANK == 1 else ctx.spatial_layout(layer)
    crops = list(axis_pairs(layer.cropping, layer.RANK))
    return Built([f"{ctx.helper('Crop')}({', '.join(literal(c) for c in crops)})"], layout, layout)


@emitter(R.UpSampling1D, R.UpSampling2D, R.UpSampling3D)
def emit_upsampling(layer, ctx: Ctx) -> Built:
    rank = layer.RANK
    layout = CHANNELS_FIRST if rank == 1 else ctx.spatial_layout(layer)
    size = compact(as_tuple(layer.size, rank))
    mode = getattr(layer, "interpolation", "nearest")
    kwargs = {"scale_factor": size, "mode": mode}
    if mode == "bilinear":
        kwargs["align_corners"] = False  # half-pixel centers, as tf.image.resize
    return Built([call("nn.Upsample", **kwargs)], layout, layout)


@emitter(R.Reshape)
def emit_reshape(layer, ctx: Ctx) -> Built:
    target = [d if d is not None else -1 for d in ctx.out_shape]
    if target.count(-1) > 1:
        target = list(layer.target_shape)
    return Built([f"{ctx.helper('Reshape')}({', '.join(map(str, target))})"], KERAS, KERAS)


@emitter(R.Permute)
def emit_permute(layer, ctx: Ctx) -> Built:
    return Built([f"{ctx.helper('Permute')}({', '.join(map(str, layer.dims))})"], KERAS, KERAS)


@emitter(R.RepeatVector)
def emit_repeat_vector(layer, ctx: Ctx) -> Built:
    return Built([f"{ctx.helper('RepeatVector')}({layer.n})"], KERAS, KERAS)


# ---------------------------------------------------------------- merging

MERGE_HELPERS = {
    M.Add: "Add", M.Subtract: "Subtract", M.Multiply: "Multiply", M.Average: "Average",
    M.Maximum: "Maximum", M.Minimum: "Minimum",
}


@emitter(M.Add, M.Subtract, M.Multiply, M.Average, M.Maximum, M.Minimum)
def emit_merge(layer, ctx: Ctx) -> Built:
    return Built([f"{ctx.helper(MERGE_HELPERS[type(layer)])}()"], ctx.in_layout, ctx.in_layout)


@emitter(M.Concatenate)
def emit_concatenate(layer, ctx: Ctx) -> Built:
    dim = torch_dim(layer.axis, ctx.in_shape, ctx.in_layout)
    return Built([f"{ctx.helper('Concatenate')}(dim={dim})"], ctx.in_layout, ctx.in_layout)


# ---------------------------------------------------------------- recurrent

RNN_CLASSES = {RC.SimpleRNN: "nn.RNN", RC.LSTM: "nn.LSTM", RC.GRU: "nn.GRU"}


def rnn_module(layer, input_size: int, ctx: Ctx, bidirectional: bool = False) -> str:
    """A batch-first PyTorch RNN computing the Keras recurrent layer's recurrence."""
    kwargs: dict = {"batch_first": True}
    if not layer.use_bias:
        kwargs["bias"] = False
    if bidirectional:
        kwargs["bidirectional"] = True
    if isinstance(layer, RC.GRU) and not layer.reset_after:
        acts = {}
        for arg, name in (("activation", layer.activation), ("recurrent_activation", layer.recurrent_activation)):
            default = "tanh" if arg == "activation" else "sigmoid"
            if name != default:
                stage = activation_stage(name, (None, layer.units), KERAS, ctx)
                if stage is None:
                    stage = "nn.Identity()"
                acts[arg] = stage
        extra = [f"{k}={v}" for k, v in acts.items()]
        kw = [f"{k}={literal(v)}" for k, v in kwargs.items() if k != "batch_first"]
        return f"{ctx.helper('GRUResetBefore')}({', '.join([str(input_size), str(layer.units)] + kw + extra)})"
    if isinstance(layer, RC.SimpleRNN):
        if layer.activation not in ("tanh", "relu"):
            raise ctx.fail(f"SimpleRNN activation {layer.activation!r}: nn.RNN supports tanh and relu only")
        if layer.activation == "relu":
            kwargs["nonlinearity"] = "relu"
    elif layer.activation != "tanh" or layer.recurrent_activation != "sigmoid":
        raise ctx.fail(
            f"{layer.kind} with activation={layer.activation!r}, recurrent_activation={layer.recurrent_activation!r}: "
            f"nn.{layer.kind} is fixed to tanh and sigmoid"
        )
    return call(RNN_CLASSES[type(layer)], str(input_size), str(layer.units), **kwargs)


@emitter(RC.SimpleRNN, RC.LSTM, RC.GRU)
def emit_recurrent(layer, ctx: Ctx) -> Built:
    rnn = rnn_module(layer, ctx.in_shape[-1], ctx)
    args = [rnn, f"return_sequences={literal(layer.return_sequences)}"]
    if layer.go_backwards:
        args.append("go_backwards=True")
    return Built([f"{ctx.helper('Recurrent')}({', '.join(args)})"], KERAS, KERAS)


@emitter(RC.Bidirectional)
def emit_bidirectional(layer, ctx: Ctx) -> Built:
    inner = layer.layer
    if layer.merge_mode is None:
        raise ctx.fail("merge_mode None returns two tensors; give a merge_mode")
    if inner.go_backwards:
        raise ctx.fail("Bidirectional over a go_backwards layer swaps the directions; drop go_backwards")
    rnn = rnn_module(inner, ctx.in_shape[-1], ctx, bidirectional=True)
    args = [rnn, f"units={inner.units}", f"merge_mode={literal(layer.merge_mode)}",
            f"return_sequences={literal(inner.return_sequences)}"]
    return Built([f"{ctx.helper('Bidirectional')}({', '.join(args)})"], KERAS, KERAS)


@emitter(W.TimeDistributed)
def emit_time_distributed(layer, ctx: Ctx) -> Built:
    inner = layer.layer
    if inner.WRAPS:
        raise ctx.fail(f"TimeDistributed({inner.kind}) is not supported")
    fn = emitter_for(inner, ctx.name)
    in_shape, out_shape = ctx.in_shape[1:], ctx.out_shape[1:]
    sub = Ctx(ctx.plan, ctx.name, [in_shape], [KERAS], out_shape, ctx.helpers)
    built = fn(inner, sub)
    stages = conversion(KERAS, normalize_layout(built.takes, in_shape), ctx) + built.stages
    produced = normalize_layout(built.gives or built.takes or KERAS, out_shape)
    stages += conversion(produced, KERAS, ctx)
    return Built([f"{ctx.helper('TimeDistributed')}({sequential(stages)})"], KERAS, KERAS)


# ---------------------------------------------------------------- assembling the module


def conversion(have: Optional[str], want: Optional[str], ctx: Ctx) -> list[str]:
    if want is None or have is None or have == want:
        return []
    return [f"{ctx.helper('ChannelsLast' if want == KERAS else 'ChannelsFirst')}()"]


def conversion_expr(var: str, have: str, want: str) -> str:
    if have == want:
        return var
    return f"{var}.movedim(1, -1)" if want == KERAS else f"{var}.movedim(-1, 1)"


def sequential(stages: list[str]) -> str:
    return stages[0] if len(stages) == 1 else "nn.Sequential(" + ", ".join(stages) + ")"


@dataclass
class Emitted:
    name: str
    attribute: str
    module: str
    in_layouts: list[str]  # what each input must be converted to before the call
    out_layout: str


def _takes_for_input(step, plan: Plan, shape: Shape) -> Optional[str]:
    """The layout a layer would like for a graph input (probed with a keras-layout input)."""
    fn = emitter_for(step.layer, step.name)
    probe = Ctx(plan, step.name, list(step.record.input_shapes), [KERAS] * len(step.inputs), step.record.output.shape)
    return normalize_layout(fn(step.layer, probe).takes, shape)


def input_layouts(plan: Plan) -> dict[str, str]:
    out = {}
    for inp in plan.inputs:
        shape = tuple(inp.shape)
        wanted = [
            _takes_for_input(s, plan, shape) for s in plan.steps if inp.name in s.inputs and s.inputs[0] == inp.name
        ]
        out[inp.name] = CHANNELS_FIRST if CHANNELS_FIRST in wanted and len(shape) > 1 else KERAS
    return out


def emit_layers(plan: Plan, attributes: Identifiers, helpers: set[str]) -> tuple[list[Emitted], dict[str, str]]:
    layouts = input_layouts(plan)
    layout_of = dict(layouts)
    shape_of = {i.name: tuple(i.shape) for i in plan.inputs}
    emitted = []
    for step in plan.steps:
        fn = emitter_for(step.layer, step.name)
        in_shapes = list(step.record.input_shapes)
        have = [normalize_layout(layout_of[n], shape_of[n]) for n in step.inputs]
        ctx = Ctx(plan, step.name, in_shapes, have, step.record.output.shape, helpers)
        built = fn(step.layer, ctx)
        takes = [normalize_layout(built.takes, s) or h for s, h in zip(in_shapes, have, strict=True)]
        stages = list(built.stages)
        if len(step.inputs) == 1:
            stages = conversion(have[0], takes[0], ctx) + stages
            takes = have
        out_shape = step.record.output.shape
        out_layout = normalize_layout(built.gives or takes[0], out_shape)
        attribute = attributes.take(step.name)
        emitted.append(Emitted(step.name, attribute, sequential(stages), takes, out_layout))
        layout_of[step.name] = out_layout
        shape_of[step.name] = out_shape
    return emitted, layouts


HEADER = '''"""PyTorch model generated by specbridge. build_model() returns it in eval mode.

Inputs and outputs use PyTorch layouts: see INPUT_LAYOUT and OUTPUT_LAYOUT on the class.
"""

{imports}

SPEC_NAME = {spec_name}
'''


def _dict_literal(items: list[tuple[str, str]], indent: str) -> str:
    if not items:
        return "{}"
    inner = "".join(f"{indent}    {py_str(k)}: {py_str(v)},\n" for k, v in items)
    return "{\n" + inner + indent + "}"


def _wrap_assignment(target: str, expr: str, indent: str) -> str:
    return f"{indent}{target} = " + _wrap_call(expr, indent, len(indent) + len(target) + 3)


def _wrap_call(expr: str, indent: str, used: int) -> str:
    """Keep a call on one line when it fits in 110 columns; else one argument per line, recursively."""
    open_at = expr.find("(")
    if used + len(expr) <= 110 or open_at <= 0 or not expr.endswith(")"):
        return expr
    parts = _split_top_level(expr[open_at + 1:-1])
    inner = indent + "    "
    body = "".join(f"{inner}{_wrap_call(p, inner, len(inner))},\n" for p in parts)
    return f"{expr[:open_at + 1]}\n{body}{indent})"


def _split_top_level(text: str) -> list[str]:
    parts, depth, current, quote = [], 0, [], None
    i = 0
    while i < len(text):
        ch = text[i]
        if quote:
            current.append(ch)
            if ch == "\\":
                current.append(text[i + 1])
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
            current.append(ch)
        elif ch in "([{":
            depth += 1
            current.append(ch)
        elif ch in ")]}":
            depth -= 1
            current.append(ch)
        elif ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
        i += 1
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def _helper_order(used: set[str]) -> list[str]:
    needed = set()
    stack = list(used)
    while stack:
        name = stack.pop()
        if name not in needed:
            needed.add(name)
            stack.extend(REQUIRES[name])
    return [name for name in HELPERS if name in needed]


def torch_source(plan: Plan) -> str:
    helpers: set[str] = set()
    attributes = Identifiers({"SPEC_LAYERS", "OUTPUT_LAYOUT", "INPUT_LAYOUT"})
    emitted, in_layouts = emit_layers(plan, attributes, helpers)
    helper_names = _helper_order(helpers)
    model_class = class_name(plan.spec.name)
    while model_class in HELPERS or model_class in {"SPEC_NAME", "F"}:
        model_class += "Model"

    by_name = {e.name: e for e in emitted}
    order = [s.name for s in sorted(plan.steps, key=lambda s: s.record.index)]  # the spec's own order
    lines = [f"class {model_class}(nn.Module):"]
    lines.append("    SPEC_LAYERS = " + _dict_literal([(n, by_name[n].attribute) for n in order], "    "))
    lines.append("    OUTPUT_LAYOUT = " + _dict_literal([(n, by_name[n].out_layout) for n in order], "    "))
    lines.append("    INPUT_LAYOUT = " + _dict_literal([(i.name, in_layouts[i.name]) for i in plan.inputs], "    "))
    lines += ["", "    def __init__(self):", "        super().__init__()"]
    for e in emitted:
        lines.append(_wrap_assignment(f"self.{e.attribute}", e.module, "        "))
    lines += [""] + _forward(plan, emitted, in_layouts)
    lines += ["", "", "def build_model():", f"    return {model_class}().eval()", ""]
    body = "\n".join(lines)
    helper_src = "\n\n".join(HELPERS[h] for h in helper_names)
    code_without_imports = (helper_src + "\n\n" + body) if helper_src else body
    used = {n.id for n in ast.walk(ast.parse(code_without_imports)) if isinstance(n, ast.Name)}
    imports = "import torch\nfrom torch import nn" if "torch" in used else "from torch import nn"
    header = HEADER.format(imports=imports, spec_name=py_str(plan.spec.name))
    parts = [header.rstrip("\n")]
    if helper_src:
        parts.append(helper_src.rstrip("\n"))
    parts.append(body.rstrip("\n"))
    return "\n\n\n".join(parts) + "\n"


def _forward(plan: Plan, emitted: list[Emitted], in_layouts: dict[str, str]) -> list[str]:
    local = Identifiers({"self", "torch", "nn"})
    var: dict[str, str] = {}
    layout: dict[str, str] = dict(in_layouts)
    if plan.is_stack:
        var[plan.inputs[0].name] = "x"
        params = ["x"]
    else:
        params = []
        for inp in plan.inputs:
            var[inp.name] = local.take(inp.name, "input")
            params.append(var[inp.name])
    lines = [f"    def forward(self, {', '.join(params)}):"]
    for e, step in zip(emitted, plan.steps, strict=True):
        args = []
        for n, want in zip(step.inputs, e.in_layouts, strict=True):
            args.append(conversion_expr(var[n], layout[n], want) if len(step.inputs) > 1 else var[n])
        target = "x" if plan.is_stack else local.take(e.name)
        lines.append(f"        {target} = self.{e.attribute}({', '.join(args)})")
        var[e.name] = target
        layout[e.name] = e.out_layout
    if plan.is_stack:
        lines[-1] = lines[-1].replace("        x = ", "        return ", 1)
    else:
        outs = [var[n] for n in plan.outputs]
        lines.append(f"        return {', '.join(outs)}")
    return lines
