"""torch.nn layers as spec layers, with PyTorch's own semantics.

A translation is a list of steps: spec layers (channels_first, as PyTorch lays tensors out) or, for what a spec
cannot express exactly (ceil_mode, a non-zero padding_mode...), a shape-only step that computes PyTorch's size
and says why it is not a spec layer. Each translation also knows what the layer reads: the declared input size
(in_channels, in_features, input_size, num_features), checked against the tensor in PyTorch's words, and used as
the input when the code states none.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Optional

from ..shapes.records import Tensor
from .torch_ranks import ANY, Ranks, ranks_of

POOL_PREFIX = {"Max": "MaxPooling", "Avg": "AveragePooling"}
ACTIVATIONS = {  # nn class -> Keras activation name (element-wise, shape-preserving)
    "ReLU": "relu", "ReLU6": "relu6", "ELU": None, "SELU": "selu", "GELU": "gelu", "SiLU": "silu", "Mish": "mish",
    "Sigmoid": "sigmoid", "Tanh": "tanh", "Hardswish": "hard_swish", "Hardsigmoid": "hard_sigmoid",
    "Softplus": "softplus", "Softsign": "softsign", "Identity": None, "CELU": "celu", "Hardtanh": "hard_tanh",
    "Dropout": None, "Dropout1d": None, "Dropout2d": None, "Dropout3d": None, "AlphaDropout": None,
    "LogSigmoid": "log_sigmoid", "Tanhshrink": "tanh_shrink", "Softshrink": "soft_shrink", "Hardshrink": "hard_shrink",
}
# Arguments of those classes the Keras activation fixes: the class maps to it only with these values (Keras's
# shrink threshold is 0.5, PyTorch's default lambd; hard_tanh clips to [-1, 1]); other values keep the shape only.
FIXED_ARGUMENTS = {
    "Hardtanh": {"min_val": -1.0, "max_val": 1.0, "min_value": None, "max_value": None}, "Softshrink": {"lambd": 0.5}, "Hardshrink": {"lambd": 0.5},
    "CELU": {"alpha": 1.0}, "Softplus": {"beta": 1.0, "threshold": 20.0}, "GELU": {"approximate": "none"},
}
# nn.GELU(approximate="tanh") is Keras's gelu(x, approximate=True): the spec's gelu_approximate.
GELU_FORMS = {"none": "gelu", "tanh": "gelu_approximate"}


@dataclass
class Step:
    layer: Optional[dict] = None  # a spec layer
    shape: Optional[Callable[[Tensor], Tensor]] = None  # or PyTorch's size arithmetic
    not_expressible: Optional[str] = None
    rank: Optional[int] = None  # the only rank (batch axis counted) `layer` is for: `shape` computes the others


@dataclass
class Translation:
    steps: list[Step]
    channel_axis: Optional[int] = None  # where the declared size sits (an index of the batched shape)
    declared: Optional[int] = None  # in_channels / in_features / input_size / num_features
    declared_name: str = ""
    derive: Optional[tuple] = None  # the batched shape assumed when the input is unknown (None: no assumption)
    trailing: Optional[tuple] = None  # LayerNorm's normalized_shape
    extra: dict = field(default_factory=dict)
    ranks: Ranks = ANY  # the ranks PyTorch accepts (torch_ranks.py; set by translate)


def translate(class_name: str, params: dict) -> Translation:
    """The layer's translation, with the ranks PyTorch accepts for it. Raises on arguments it cannot read."""
    translation = TRANSLATORS[class_name](class_name, params)
    translation.ranks = ranks_of(class_name, params)
    return translation


def _tuple(value: Any, n: int) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


def _rank(class_name: str) -> int:
    return int(class_name[-2]) if class_name[-2:-1].isdigit() else 1


def conv(cls: str, p: dict) -> Translation:
    n = _rank(cls)
    transposed = "Transpose" in cls
    padding = p["padding"]
    steps: list[Step] = []
    layer: dict = {"type": f"Conv{n}D" + ("Transpose" if transposed else ""), "filters": p["out_channels"],
                   "kernel_size": _tuple(p["kernel_size"], n), "strides": _tuple(p["stride"], n),
                   "dilation_rate": _tuple(p["dilation"], n), "use_bias": bool(p["bias"]), "padding": "valid"}
    if p.get("groups", 1) != 1:
        layer["groups"] = p["groups"]
    strided_dilated = max(layer["strides"]) > 1 and max(layer["dilation_rate"]) > 1
    if isinstance(padding, str):
        layer["padding"] = padding
    elif not transposed and any(_tuple(padding, n)):
        steps.append(Step({"type": f"ZeroPadding{n}D", "padding": _tuple(padding, n) if n > 1 else padding}))
    reason = None if p.get("padding_mode", "zeros") == "zeros" else f"padding_mode={p['padding_mode']!r}"
    if transposed or strided_dilated or reason:
        steps = [Step(shape=_conv_shape(p, n, transposed), not_expressible=reason or _conv_reason(transposed))]
    else:
        steps.append(Step(layer))
    return Translation(steps, 1, p["in_channels"], "in_channels", (None, p["in_channels"]) + (None,) * n)


def _conv_reason(transposed: bool) -> str:
    return "a transposed convolution's padding crops its output" if transposed else "strides and dilation together"


def _conv_shape(p: dict, n: int, transposed: bool) -> Callable[[Tensor], Tensor]:
    k, s, d = _tuple(p["kernel_size"], n), _tuple(p["stride"], n), _tuple(p["dilation"], n)
    pad = _tuple(p["padding"], n) if not isinstance(p["padding"], str) else None
    out_pad = _tuple(p.get("output_padding", 0), n)

    def shape(t: Tensor) -> Tensor:
        sizes = []
        for i, size in enumerate(t.shape[1:]):
            if size is None:
                sizes.append(None)
            elif transposed:
                sizes.append((size - 1) * s[i] - 2 * pad[i] + d[i] * (k[i] - 1) + out_pad[i] + 1)
            elif pad is None:  # 'same' (stride 1) keeps the size, 'valid' pads nothing
                sizes.append(size if p["padding"] == "same" else (size - d[i] * (k[i] - 1) - 1) // s[i] + 1)
            else:
                sizes.append((size + 2 * pad[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1)
        return _positive(Tensor((p["out_channels"], *sizes), t.dtype), "convolution")
    return shape


def _positive(t: Tensor, what: str) -> Tensor:
    bad = [d for d in t.shape if d is not None and d <= 0]
    if bad:
        from ..diagnostics import codes
        from ..shapes.errors import ShapeError

        raise ShapeError(codes.NONPOSITIVE_SIZE, f"the {what} output would have size {bad[0]}",
                         hint="the input is too small for this kernel: pad it, or use a smaller kernel or stride")
    return t


def pool(cls: str, p: dict) -> Translation:
    n = _rank(cls)
    kind = "Max" if cls.startswith("Max") else "Avg"
    k = _tuple(p["kernel_size"], n)
    s = _tuple(p["stride"] if p.get("stride") is not None else p["kernel_size"], n)
    pad = _tuple(p.get("padding", 0), n)
    dilation = _tuple(p.get("dilation", 1), n)
    exact_pad = not any(pad) or (kind == "Avg" and p.get("count_include_pad", True))
    if p.get("ceil_mode") or max(dilation) > 1 or not exact_pad:
        reason = "ceil_mode=True" if p.get("ceil_mode") else ("dilation" if max(dilation) > 1 else
                                                               "padding that is not counted as zeros")
        return Translation([Step(shape=_pool_shape(k, s, pad, dilation, bool(p.get("ceil_mode"))),
                                 not_expressible=reason)])
    steps = [Step({"type": f"ZeroPadding{n}D", "padding": pad if n > 1 else pad[0]})] if any(pad) else []
    steps.append(Step({"type": f"{POOL_PREFIX[kind]}{n}D", "pool_size": k, "strides": s}))
    return Translation(steps)


def _pool_shape(k, s, pad, dilation, ceil_mode: bool) -> Callable[[Tensor], Tensor]:
    def shape(t: Tensor) -> Tensor:
        sizes = []
        for i, size in enumerate(t.shape[1:]):
            if size is None:
                sizes.append(None)
                continue
            span = size + 2 * pad[i] - dilation[i] * (k[i] - 1) - 1
            out = (math.ceil(span / s[i]) if ceil_mode else span // s[i]) + 1
            if ceil_mode and (out - 1) * s[i] >= size + pad[i]:  # the last window must start inside the input
                out -= 1
            sizes.append(out)
        return _positive(Tensor((t.shape[0], *sizes), t.dtype), "pooling")
    return shape


def adaptive_pool(cls: str, p: dict) -> Translation:
    n = _rank(cls)
    size = _tuple(p["output_size"], n)

    def shape(t: Tensor) -> Tensor:
        return Tensor((t.shape[0], *(t.shape[1 + i] if v is None else v for i, v in enumerate(size))), t.dtype)
    if all(v == 1 for v in size):
        kind = "Max" if "Max" in cls else "Average"
        ones = (1,) * n  # on another rank (AdaptiveAvgPool2d(1) takes any): a mean over the last n axes

        def mean(t: Tensor) -> Tensor:
            return Tensor(tuple(t.shape[:-n]) + ones, t.dtype)
        return Translation([Step({"type": f"Global{kind}Pooling{n}D", "keepdims": True}, mean, rank=n + 2)])
    return Translation([Step(shape=shape, not_expressible=f"adaptive pooling to {size}")])


def linear(cls: str, p: dict) -> Translation:
    layer = {"type": "Dense", "units": p["out_features"], "use_bias": bool(p["bias"])}
    return Translation([Step(layer)], -1, p["in_features"], "in_features", (None, p["in_features"]))


def batch_norm(cls: str, p: dict) -> Translation:
    n = _rank(cls)
    affine = bool(p.get("affine", True))
    layer = {"type": "BatchNormalization", "axis": 1, "epsilon": p.get("eps", 1e-5), "center": affine,
             "scale": affine}
    reason = None if p.get("track_running_stats", True) else "track_running_stats=False (batch statistics)"
    step = Step(layer, not_expressible=reason)
    derive = (None, p["num_features"]) + ((None,) * n if n > 1 else ())
    return Translation([step], 1, p["num_features"], "num_features", derive)


def layer_norm(cls: str, p: dict) -> Translation:
    trailing = _tuple(p["normalized_shape"], 1)
    layer = {"type": "LayerNormalization", "axis": list(range(-len(trailing), 0)), "epsilon": p.get("eps", 1e-5)}
    if not p.get("elementwise_affine", True):
        layer.update(center=False, scale=False)
    return Translation([Step(layer)], trailing=trailing)


# torch.finfo(torch.float32).eps: nn.RMSNorm's eps=None is the input dtype's machine epsilon, float32's in the
# float32 models code builds by default.
FLOAT32_EPS = 1.1920928955078125e-07


def rms_norm(cls: str, p: dict) -> Translation:
    """nn.RMSNorm is Keras's RMSNormalization over the same trailing axes (x * rsqrt(mean(x**2) + eps) * weight)."""
    trailing = _tuple(p["normalized_shape"], 1)
    eps = p.get("eps")
    layer = {"type": "RMSNormalization", "axis": list(range(-len(trailing), 0)),
             "epsilon": FLOAT32_EPS if eps is None else eps}
    # Keras's RMSNormalization always has its scale: a ones scale would compute the same, with parameters PyTorch lacks.
    reason = None if p.get("elementwise_affine", True) else "elementwise_affine=False (Keras's RMSNormalization always has a scale)"
    return Translation([Step(layer, not_expressible=reason)], trailing=trailing)


def group_norm(cls: str, p: dict) -> Translation:
    layer = {"type": "GroupNormalization", "groups": p["num_groups"], "axis": 1, "epsilon": p.get("eps", 1e-5)}
    return Translation([Step(layer)], 1, p["num_channels"], "num_channels", None)


def recurrent(cls: str, p: dict) -> Translation:
    units = p["hidden_size"]
    inner: dict = {"type": cls.upper() if cls != "RNN" else "SimpleRNN", "units": units, "return_sequences": True,
                   "use_bias": bool(p.get("bias", True))}
    if cls == "GRU":
        inner["reset_after"] = True
    if cls == "RNN":
        inner["activation"] = p.get("nonlinearity", "tanh")
    reason = None
    if not p.get("batch_first", False):
        reason = "batch_first=False (the spec's sequences are batch-first)"
    if p.get("proj_size", 0):
        reason = "proj_size"
    steps = []
    features = p["input_size"]
    for _index in range(max(1, int(p.get("num_layers", 1)))):
        layer = dict(inner)
        if p.get("bidirectional"):
            layer = {"type": "Bidirectional", "layer": layer}
        steps.append(Step(layer, not_expressible=reason))
    directions = 2 if p.get("bidirectional") else 1
    return Translation(steps, -1, features, "input_size", (None, None, features),
                       extra={"hidden": units * directions})


def embedding(cls: str, p: dict) -> Translation:
    layer = {"type": "Embedding", "input_dim": p["num_embeddings"], "output_dim": p["embedding_dim"]}
    return Translation([Step(layer)], derive=None, extra={"ids": True})


def activation(cls: str, p: dict) -> Translation:
    name = ACTIVATIONS.get(cls)
    if cls == "LeakyReLU":
        return Translation([Step({"type": "LeakyReLU", "negative_slope": p.get("negative_slope", 0.01)})])
    if cls == "ELU":
        return Translation([Step({"type": "ELU", "alpha": p.get("alpha", 1.0)})])
    if cls in ("Softmax", "LogSoftmax"):
        dim = p.get("dim")
        reason = None if cls == "Softmax" else "log_softmax"
        layer = {"type": "Softmax", "axis": -1 if dim is None else dim}
        return Translation([Step(layer, not_expressible=reason)])
    if cls.startswith("Dropout") or cls == "AlphaDropout":
        return Translation([Step({"type": "Dropout", "rate": p.get("p", 0.5)})])
    if cls == "GELU" and p.get("approximate") in GELU_FORMS:
        name = GELU_FORMS[p["approximate"]]
    elif any(p.get(k, v) != v for k, v in FIXED_ARGUMENTS.get(cls, {}).items()):
        given = ", ".join(f"{k}={p[k]!r}" for k, v in FIXED_ARGUMENTS[cls].items() if p.get(k, v) != v)
        return Translation([Step(shape=lambda t: t, not_expressible=f"{cls}({given})")])
    if cls == "Identity":
        return Translation([Step({"type": "Identity"})])
    if name is None:  # Identity: shape-preserving
        return Translation([Step(shape=lambda t: t, not_expressible=None if cls == "Identity" else cls)])
    return Translation([Step({"type": "Activation", "activation": name})])


def flatten(cls: str, p: dict) -> Translation:
    start, end = p.get("start_dim", 1), p.get("end_dim", -1)
    if start == 1 and end == -1:
        return Translation([Step({"type": "Flatten", "data_format": "channels_last"})])
    return Translation([Step(shape=_flatten_whole(start, end), not_expressible=f"flatten from axis {start} to {end}")])


def _flatten_whole(start: int, end: int) -> Callable[[Tensor], Tensor]:
    """nn.Flatten(start_dim, end_dim) on the whole shape, the batch axis included (torch_ranks: whole)."""
    def shape(t: Tensor) -> Tensor:
        rank = len(t.shape)
        for dim in (start, end):
            if not -rank <= dim < rank:
                raise ValueError(f"PyTorch fails with \"Dimension out of range (expected to be in range of "
                                 f"[{-rank}, {rank - 1}], but got {dim})\"")
        lo, hi = start % rank, end % rank
        if lo > hi:
            raise ValueError("PyTorch fails with \"flatten() has invalid args: start_dim cannot come after end_dim\"")
        merged = t.shape[lo:hi + 1]
        size = None if any(d is None for d in merged) else math.prod(merged)
        return Tensor(tuple(t.shape[:lo]) + (size,) + tuple(t.shape[hi + 1:]), t.dtype)
    return shape


def upsample(cls: str, p: dict) -> Translation:
    scale = p.get("scale_factor")
    mode = p.get("mode", "nearest")
    if cls == "UpsamplingNearest2d":
        mode = "nearest"
    if isinstance(scale, (int, float)) and float(scale).is_integer() and mode in ("nearest", "bilinear") \
            and p.get("size") is None:
        reason = None if mode == "nearest" or p.get("align_corners") is False else "align_corners"
        return Translation([Step({"type": "UpSampling2D", "size": int(scale), "interpolation": mode},
                                 _resize_shape(p), not_expressible=reason, rank=4)])
    return Translation([Step(shape=_resize_shape(p), not_expressible=f"Upsample({mode})")])


def _resize_shape(p: dict) -> Callable[[Tensor], Tensor]:
    def shape(t: Tensor) -> Tensor:
        n = len(t.shape) - 1
        if p.get("size") is not None:
            return Tensor((t.shape[0], *_tuple(p["size"], n)), t.dtype)
        factors = _tuple(p["scale_factor"], n)
        return Tensor((t.shape[0], *(None if d is None else int(math.floor(d * f))
                                     for d, f in zip(t.shape[1:], factors, strict=False))), t.dtype)
    return shape


def zero_pad(cls: str, p: dict) -> Translation:
    pad = p["padding"]
    if cls == "ZeroPad1d":
        left, right = _tuple(pad, 2)
        return Translation([Step({"type": "ZeroPadding1D", "padding": [left, right]}, _pad_shape((left + right,)),
                                 rank=3)])
    left, right, top, bottom = _tuple(pad, 4)  # PyTorch orders the last axis first
    return Translation([Step({"type": "ZeroPadding2D", "padding": [[top, bottom], [left, right]]},
                             _pad_shape((top + bottom, left + right)), rank=4)])


def _pad_shape(added: tuple) -> Callable[[Tensor], Tensor]:
    """PyTorch pads the last axes of a tensor of any rank (a 2-D image, a 5-D batch of volumes)."""
    def shape(t: Tensor) -> Tensor:
        if len(added) > len(t.shape):
            raise ValueError(f"padding {len(added)} axes of a {len(t.shape)}-D sample")
        head = t.shape[:len(t.shape) - len(added)]
        tail = t.shape[len(t.shape) - len(added):]
        return _positive(Tensor(tuple(head) + tuple(None if d is None else d + a for d, a in zip(tail, added, strict=True)),
                                t.dtype), "padding")
    return shape


TRANSLATORS: dict[str, Callable[[str, dict], Translation]] = {
    **{f"Conv{n}d": conv for n in (1, 2, 3)}, **{f"ConvTranspose{n}d": conv for n in (1, 2, 3)},
    **{f"{k}Pool{n}d": pool for k in ("Max", "Avg") for n in (1, 2, 3)},
    **{f"Adaptive{k}Pool{n}d": adaptive_pool for k in ("Max", "Avg") for n in (1, 2, 3)},
    "Linear": linear, **{f"BatchNorm{n}d": batch_norm for n in (1, 2, 3)}, "LayerNorm": layer_norm, "RMSNorm": rms_norm,
    "GroupNorm": group_norm, "LSTM": recurrent, "GRU": recurrent, "RNN": recurrent, "Embedding": embedding,
    **{name: activation for name in ACTIVATIONS}, "LeakyReLU": activation, "Softmax": activation,
    "LogSoftmax": activation, "Flatten": flatten, "Upsample": upsample, "UpsamplingNearest2d": upsample,
    "ZeroPad1d": zero_pad, "ZeroPad2d": zero_pad,
}
