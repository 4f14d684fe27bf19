"""Lint rules: warnings drawn from real users' mistakes (../shared/seeds).

Each rule is a function (doc, view) -> diagnostics, registered in RULES. Rules only read what shape
inference produced; they never raise and never report errors (warnings do not fail `check`).

- SB300 pooling-no-downsample: stride-1 'same' pooling keeps the size (the Matlab/tf.nn 'SAME' puzzles).
- SB301 dense-dominates-params: a Dense after Flatten holding most of the weights (7*7*64 x 1024 in MNIST).
- SB302 suspicious-data-format: an input laid out for the other data_format ((3, 32, 32) under channels_last).
- SB303 asymmetric-same-padding: strided 'same' padding that TF splits unevenly (PyTorch pads evenly).
- SB304 softmax-not-last: a softmax whose output feeds another layer.
- SB305, SB306, SB307: what Keras itself computes otherwise than it says, and masks it drops (lint_keras.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

from ..diagnostics import codes
from ..diagnostics.model import Diagnostic
from ..spec.base import Layer
from ..spec.loader import Document
from .axes import SPATIAL_NAMES, split_channels
from .graph import Inference
from .lint_keras import attention_axes_ignored, keras_bias_axis, mask_dropped
from .records import LayerRecord, Shape, format_shape
from .rules import as_tuple, ceil_div, effective_kernel, same_padding, torch_pad_order

# SB301: a Dense after Flatten is flagged when it holds more than this share of all parameters...
DOMINANT_SHARE = 0.5
# ...and more than this many parameters (small models are allowed to be mostly one Dense).
DOMINANT_MIN_PARAMS = 1_000_000
# SB302: a channel axis is "small" up to this size; the opposite end is "large" from this size.
SMALL_CHANNELS = 4
LARGE_SPATIAL = 8
# Layers that pass a tensor through unchanged in shape: SB301 looks through them for the Flatten.
PASS_THROUGH = ("Dropout", "Activation", "ReLU", "LeakyReLU", "ELU")
# The family trait is read first: a check imports only the families its spec uses, and when the trait matches,
# the layer's family module is imported already (so these imports cost nothing).


def _is_pooling(layer: Layer) -> bool:
    """Windowed pooling (not global)."""
    if layer.FAMILY != "pooling":
        return False
    from ..spec.layers.pooling import Pooling

    return isinstance(layer, Pooling)


def _is_forward_conv(layer: Layer) -> bool:
    if layer.FAMILY != "conv":
        return False
    from ..spec.layers.conv import ConvTranspose

    return not isinstance(layer, ConvTranspose)


def _is_recurrent(layer: Layer) -> bool:
    if layer.FAMILY != "recurrent":
        return False
    from ..spec.layers.recurrent import RNN

    return isinstance(layer, RNN)


@dataclass(frozen=True)
class Site:
    """A layer as the rules see it: a TimeDistributed wrapper is unwrapped to the layer doing the work."""

    name: str  # the spec entry's name
    index: int  # the spec entry's position in `layers`
    layer: Layer  # the innermost layer
    path: tuple  # source path of `layer`, to locate its arguments
    record: Optional[LayerRecord]  # None when inference failed for this entry
    input_shape: Optional[Shape]  # what `layer` sees (one time step for TimeDistributed); None if unknown


@dataclass
class View:
    """Everything the rules read, computed once."""

    doc: Document
    inference: Inference
    sites: list[Site]
    consumers: dict[str, list[int]]  # tensor name -> indices of the entries that read it
    records: dict[str, LayerRecord]
    total_params: int

    def locate(self, path: tuple, argument: Optional[str] = None):
        if argument is not None:
            return self.doc.locate(path + (argument,), key=True)
        return self.doc.locate(path)

    def data_format(self, layer: Layer) -> str:
        return layer.data_format_in(self.doc.header.data_format)


def _view(doc: Document, inference: Inference) -> View:
    records = {r.name: r for r in inference.records}
    consumers: dict[str, list[int]] = {}
    for index, names in inference.graph.edges.items():
        for name in names:
            if name is not None:
                consumers.setdefault(name, []).append(index)
    sites = []
    for entry in doc.entries:
        if entry.layer is None:
            continue
        record = records.get(entry.name)
        shape = record.input_shapes[0] if record is not None and len(record.input_shapes) == 1 else None
        layer, path = entry.layer, ("layers", entry.index)
        if layer.WRAPS and layer.FAMILY == "wrappers":  # TimeDistributed: lint the layer doing the work
            layer, path = layer.layer, path + ("layer",)
            shape = shape[1:] if shape else None
        sites.append(Site(entry.name, entry.index, layer, path, record, shape))
    return View(doc, inference, sites, consumers, records, sum(r.params for r in inference.records))


def _spatial(shape: Shape, rank: int, channels_last: bool) -> Optional[Shape]:
    if shape is None or len(shape) != rank + 1:
        return None
    return split_channels(shape, channels_last)[0]


def _pool_strides(layer) -> tuple[int, ...]:
    return as_tuple(layer.pool_size if layer.strides is None else layer.strides, layer.RANK)


def pooling_no_downsample(view: View) -> list[Diagnostic]:
    out = []
    for site in view.sites:
        layer = site.layer
        if not _is_pooling(layer) or layer.padding != "same" or any(s != 1 for s in _pool_strides(layer)):
            continue
        # A pooling branch beside others that read the same tensor (Inception's pool branch) keeps the
        # size on purpose, so that the branches can be concatenated.
        source = site.record.inputs[0] if site.record is not None else None
        if source is not None and len(view.consumers.get(source, [])) > 1:
            continue
        change = ""
        if site.record is not None:
            change = (f": {format_shape(site.record.input_shapes[0], batch=False)} -> "
                      f"{format_shape(site.record.output_shape, batch=False)}")
        argument = "strides" if "strides" in layer.model_fields_set else None
        out.append(codes.POOL_NO_DOWNSAMPLE(
            f"{layer.kind} with pool_size {list(as_tuple(layer.pool_size, layer.RANK))}, strides "
            f"{list(_pool_strides(layer))} and padding 'same' does not downsample{change}; "
            "'same' pads so that the output has ceil(L / stride) = L cells when stride is 1",
            hint=(
                "pooling shrinks the input only through its stride: drop `strides` (it defaults to pool_size) "
                "or set strides: 2 to halve each axis; if keeping the size is intended, this layer only "
                f"smooths ({layer.MODE} over each window)"
            ),
            layer=site.name, location=view.locate(site.path, argument),
        ))
    return out


def _flatten_source(view: View, record: LayerRecord) -> Optional[LayerRecord]:
    """The Flatten feeding `record` directly or through shape-preserving layers, if any."""
    seen = 0
    name = record.inputs[0] if len(record.inputs) == 1 else None
    while name in view.records and seen < 100:
        producer = view.records[name]
        if producer.kind == "Flatten":
            return producer
        if producer.kind not in PASS_THROUGH or len(producer.inputs) != 1:
            return None
        name, seen = producer.inputs[0], seen + 1
    return None


def dense_dominates(view: View) -> list[Diagnostic]:
    out = []
    total = view.total_params
    for site in view.sites:
        record = site.record
        if record is None or record.kind != "Dense" or site.path != ("layers", site.index):
            continue
        if record.params <= DOMINANT_MIN_PARAMS or record.params <= DOMINANT_SHARE * total:
            continue
        flatten = _flatten_source(view, record)
        if flatten is None:
            continue
        flat_in = flatten.input_shapes[0]
        flat_size = flatten.output_shape[-1]
        # The layout of Flatten's input: the spec's (Flatten's own data_format, when given, says how it reads it).
        fmt = view.doc.entries[flatten.index].layer.data_format or view.doc.header.data_format
        channels = split_channels(flat_in, fmt == "channels_last")[1]
        spatial_rank = len(flat_in) - 1
        pooling = f"GlobalAveragePooling{spatial_rank}D" if spatial_rank in (1, 2, 3) else "a global pooling"
        out.append(codes.DENSE_DOMINATES(
            f"Dense {record.name!r} holds {record.params:,} of the model's {total:,} parameters "
            f"({record.params / total:.1%}): Flatten turns {format_shape(flat_in, batch=False)} into "
            f"{' * '.join(map(str, flat_in))} = {flat_size:,} values, so its kernel is "
            f"{flat_size:,} x {site.layer.units} (flagged above {DOMINANT_SHARE:.0%} of all parameters "
            f"and {DOMINANT_MIN_PARAMS:,} parameters)",
            hint=(
                f"shrink the feature map before Flatten (more pooling or strided convolutions), or replace "
                f"Flatten with {pooling} ({channels} features instead of {flat_size:,})"
            ),
            layer=record.name, location=view.locate(site.path),
        ))
    return out


def _input_path(view: View, position: int) -> tuple:
    if view.doc.header.inputs is None:
        return ("input", "shape")
    return ("inputs", position, "shape")


def _other_layout(shape: Shape, channels_last: bool) -> Optional[str]:
    """The data_format a (spatial..., channels) shape looks laid out for, when it is not the one in use."""
    first, last = shape[0], shape[-1]
    if first is None or last is None:  # an unknown end says nothing about the layout
        return None
    if channels_last and first <= SMALL_CHANNELS and last >= LARGE_SPATIAL:
        return "channels_first"
    if not channels_last and last <= SMALL_CHANNELS and first >= LARGE_SPATIAL:
        return "channels_last"
    return None


def suspicious_layout(view: View) -> list[Diagnostic]:
    out = []
    by_index = {s.index: s for s in view.sites}
    for position, (name, tensor) in enumerate(view.inference.graph.inputs.items()):
        if len(tensor.shape) < 2 or tensor.shape[0] is None or tensor.shape[-1] is None:
            continue
        for index in view.consumers.get(name, []):
            site = by_index.get(index)
            if site is None or not (site.layer.FAMILY == "conv" or _is_pooling(site.layer)):
                continue
            seen = tensor.shape[1:] if site.path[-1] == "layer" else tensor.shape  # TimeDistributed: one step
            channels_last = view.data_format(site.layer) == "channels_last"
            looks = _other_layout(seen, channels_last) if len(seen) == site.layer.RANK + 1 else None
            if looks is None:
                continue
            # How the data is meant (channels at the other end) and how the layer reads it.
            if channels_last:
                channels, spatial, read_spatial, read_channels = seen[0], seen[1:], seen[:-1], seen[-1]
                fixed = spatial + (channels,)
            else:
                channels, spatial, read_spatial, read_channels = seen[-1], seen[:-1], seen[1:], seen[0]
                fixed = (channels,) + spatial
            axes = SPATIAL_NAMES.get(len(spatial), ())
            read_as = ", ".join(f"{d} {axis}" for d, axis in zip(read_spatial, axes, strict=False))
            out.append(codes.SUSPICIOUS_LAYOUT(
                f"input shape {format_shape(tensor.shape, batch=False)} looks {looks} ({channels} channels of "
                f"{'x'.join(map(str, spatial))}), but {site.layer.kind} {site.name!r} reads it "
                f"{view.data_format(site.layer)}: as {read_as} and {read_channels} channels",
                hint=(
                    f"if the data really is laid out {looks}, set `data_format: {looks}` at the top of the spec; "
                    f"otherwise transpose the data to {format_shape(fixed, batch=False)}"
                ),
                layer=site.name, location=view.locate(_input_path(view, position)),
            ))
            break
    return out


def asymmetric_same(view: View) -> list[Diagnostic]:
    out = []
    for site in view.sites:
        layer = site.layer
        is_conv = _is_forward_conv(layer)
        if not (is_conv or _is_pooling(layer)) or layer.padding != "same":
            continue
        rank = layer.RANK
        if is_conv:
            kernel, strides = as_tuple(layer.kernel_size, rank), as_tuple(layer.strides, rank)
            dilation = as_tuple(layer.dilation_rate, rank)
        else:
            kernel, strides, dilation = as_tuple(layer.pool_size, rank), _pool_strides(layer), (1,) * rank
        spatial = _spatial(site.input_shape, rank, view.data_format(layer) == "channels_last")
        if max(strides) == 1 or spatial is None or None in spatial:
            continue
        pads = [same_padding(n, k, s, d) for n, k, s, d in zip(spatial, kernel, strides, dilation, strict=True)]
        if all(before == after for before, after in pads):
            continue
        details = []
        for axis, n, k, s, d, (before, after) in zip(
            SPATIAL_NAMES[rank], spatial, kernel, strides, dilation, pads, strict=True
        ):
            if before != after:
                details.append(
                    f"{axis}: max((ceil({n}/{s}) - 1)*{s} + {effective_kernel(k, d)} - {n}, 0) = {before + after} "
                    f"-> {before} before, {after} after"
                )
        fill = ", value=-inf" if getattr(layer, "MODE", None) == "max" else ""
        average = " and divide by the real cells only" if getattr(layer, "MODE", None) == "average" else ""
        out.append(codes.ASYMMETRIC_SAME(
            f"padding 'same' with strides {list(strides)} is asymmetric here ({'; '.join(details)}): "
            f"TensorFlow puts the odd cell at the end, PyTorch's `padding` pads both sides equally "
            f"(and refuses padding='same' for strided convolutions), so it cannot express this natively; "
            f"output {'x'.join(str(ceil_div(n, s)) for n, s in zip(spatial, strides, strict=True))}",
            hint=(
                f"in PyTorch pad explicitly, F.pad(x, {torch_pad_order(pads)}{fill}), then use padding=0{average} "
                "(`specbridge emit --to pytorch` does this); or pick a kernel_size / input size whose total "
                "padding is even"
            ),
            layer=site.name, location=view.locate(site.path, "padding"),
        ))
    return out


def _applies_softmax(layer: Layer) -> bool:
    # ops.softmax inside a model is attention's arithmetic (softmax(q . k) @ v), not an output activation
    return layer.applies_softmax() and layer.FAMILY != "ops"


def softmax_not_last(view: View) -> list[Diagnostic]:
    out = []
    names = {e.index: e.name for e in view.doc.entries}
    for site in view.sites:
        if not _applies_softmax(site.layer):
            continue
        readers = view.consumers.get(site.name, [])
        if not readers:
            continue
        shown = ", ".join(repr(names[i]) for i in readers)
        argument = "activation" if "activation" in site.layer.model_fields_set else None
        out.append(codes.SOFTMAX_NOT_LAST(
            f"{site.layer.kind} {site.name!r} applies softmax, but its output feeds {shown}: "
            "softmax turns scores into probabilities and belongs on the model's last layer",
            hint=(
                "drop the softmax here (no activation, or 'relu') and apply it once at the output; "
                "with a loss that takes logits (from_logits=True) no softmax is needed at all"
            ),
            layer=site.name, location=view.locate(site.path, argument),
        ))
    return out


RULES: tuple[Callable[[View], list[Diagnostic]], ...] = (
    pooling_no_downsample, dense_dominates, suspicious_layout, asymmetric_same, softmax_not_last,
    attention_axes_ignored, keras_bias_axis, mask_dropped,
)


def lint(doc: Document, inference: Inference) -> list[Diagnostic]:
    """All lint warnings for a document whose shapes were inferred (see specbridge.check)."""
    view = _view(doc, inference)
    out: list[Diagnostic] = []
    for rule in RULES:
        out.extend(rule(view))
    return out
