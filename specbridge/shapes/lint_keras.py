"""Lint rules for what Keras itself computes otherwise than its definition says (warnings; see lint.py):

- SB305 attention-axes-ignored: attention_axes that Keras's dot-product path ignores (a rank-3 query).
- SB306 keras-bias-axis: a bias that Keras's TensorFlow backend adds along another axis than broadcasting does.
- SB307 mask-dropped: a padding mask (Embedding(mask_zero=True), Masking) that stops at a layer without masking
  support, or at a keras.ops call, which drops it without a word.

Rules receive lint.View (not imported here: lint.py imports this module).
"""

from __future__ import annotations

from typing import Optional

from ..diagnostics import codes
from ..diagnostics.model import Diagnostic
from .records import format_shape


def attention_axes_ignored(view) -> list[Diagnostic]:
    """MultiHeadAttention on a rank-3 query with no dropout and no scores: Keras calls ops.dot_product_attention,
    which attends over axis 1 whatever attention_axes says; adding dropout later would change what it computes."""
    out = []
    for site in view.sites:
        layer = site.layer
        if site.record is None or layer.FAMILY != "attention" or getattr(layer, "attention_axes", None) is None:
            continue
        rank = len(site.record.input_shapes[0]) + 1
        if not layer.dot_product_path(rank) or layer.declared_axes(rank) == (1,):
            continue
        given = layer.attention_axes
        given = [given] if isinstance(given, int) else list(given)
        out.append(codes.ATTENTION_AXES_IGNORED(
            f"{layer.kind} {site.name!r}: Keras ignores attention_axes {given} on a rank-3 query when dropout is 0 "
            "and the scores are not returned: it calls ops.dot_product_attention, which attends over axis 1 (the "
            f"default); with dropout or return_attention_scores it would attend over {given}",
            hint="leave attention_axes out (the same computation); to attend over another axis, move it to axis 1 "
                 "(Permute) first",
            layer=site.name, location=view.locate(site.path, "attention_axes"),
        ))
    return out


def bias_add_axis(tensor: tuple, bias: tuple) -> Optional[int]:
    """The axis keras.ops.add adds `bias` along on TensorFlow when it takes its tf.nn.bias_add shortcut (a bias
    that squeezes to one known size equal to the tensor's axis 1 or last axis: NCHW adds along axis 1, NHWC along
    the last), or None when it calls tf.add (NumPy broadcasting). `tensor` counts the batch axis."""
    squeezed = [d for d in bias if d is None or d > 1]
    if len(squeezed) != 1 or len(tensor) < 2 or squeezed[0] is None or squeezed[0] not in (tensor[1], tensor[-1]):
        return None
    return len(tensor) - 1 if tensor[-1] == squeezed[0] else 1


def misplaced_bias(tensor: tuple, bias: tuple) -> Optional[tuple[int, int]]:
    """(axis TensorFlow adds along, axis broadcasting adds along) when they differ, else None."""
    taken = bias_add_axis(tensor, bias)
    if taken is None:
        return None
    position = next(i for i, d in enumerate(bias) if d is None or d > 1)
    meant = len(tensor) - len(bias) + position
    return None if taken == meant else (taken, meant)


def _projection_biases(layer, record) -> list[tuple[str, tuple, tuple]]:
    """(role, projected tensor with batch, bias shape) of a MultiHeadAttention / GroupQueryAttention's biases."""
    if not hasattr(layer, "projections") or not layer.use_bias:
        return []
    shapes = record.input_shapes
    inputs = {"query": shapes[0], "value": shapes[1], "key": shapes[2] if len(shapes) > 2 else shapes[1]}
    found = [(role, (None, *inputs[role][:-1], *size), size) for role, size in layer.projections().items()]
    output = tuple(record.output_shape[len(shapes[0]) - 1:])
    found.append(("output", (None, *record.output_shape), output))
    return found


def keras_bias_axis(view) -> list[Diagnostic]:
    """keras.ops.add's bias_add shortcut on TensorFlow (keras/src/backend/tensorflow/numpy.py): a bias such as an
    attention projection's (heads, 1) is added along the positions when there are as many positions as heads.
    Keras on TensorFlow then computes another function than its definition (and than JAX, PyTorch and ONNX)."""
    out = []
    for site in view.sites:
        if site.record is None or site.layer.FAMILY != "attention":
            continue
        for role, tensor, bias in _projection_biases(site.layer, site.record):
            wrong = misplaced_bias(tensor, bias)
            if wrong is None:
                continue
            taken, meant = wrong
            out.append(codes.KERAS_BIAS_AXIS(
                f"{site.layer.kind} {site.name!r}: Keras's TensorFlow backend adds the {role} bias {list(bias)} along "
                f"axis {taken} of the projection {format_shape(tensor[1:])}, not along axis {meant}: keras.ops.add takes "
                "its bias_add shortcut when a bias squeezes to one size that matches axis 1. The model runs but "
                "computes another function on TensorFlow than its definition, Keras's other backends and the "
                "PyTorch/ONNX translations; the cross-check reports Keras alone",
                hint="use a head size above 1 (key_dim / value_dim / head_dim), or use_bias: false, or a sequence "
                     "length other than the number of heads",
                layer=site.name, location=view.locate(site.path),
            ))
            break
    return out


def mask_dropped(view) -> list[Diagnostic]:
    """A layer that does not support masking given a masked tensor: Keras warns ("will therefore destroy the mask
    information") and every layer after it sees the masked positions; a keras.ops call drops the mask silently."""
    out = []
    for entry in view.doc.entries:
        record = view.records.get(entry.name)
        if record is None or entry.layer is None or entry.layer.MASKING != "drops" or not record.input_masks:
            continue
        if record.output.mask is not None:  # the run keeps it (a Random* layer at inference returns its input)
            continue
        positional = entry.layer.bind(list(record.input_masks))[0]
        mask = positional[0] if positional else None
        if mask is None:
            continue
        layer = entry.layer
        how = ("a keras.ops call passes no mask on (and Keras says nothing)" if layer.FAMILY == "ops" else
               f"{layer.kind} does not support masking (Keras warns that it \"will therefore destroy the mask "
               "information\")")
        out.append(codes.MASK_DROPPED(
            f"{layer.kind} {entry.name!r} drops the padding mask of {mask.origin!r} {format_shape(mask.shape)}: {how}; "
            "the layers after it see every position, the padded ones included",
            hint=f"if the padding must stay masked, keep to layers that pass masks on (Dense, Dropout, "
                 f"LayerNormalization, RNNs with return_sequences...) up to the layers that read it; if not, drop "
                 f"the mask where it is made ({mask.origin!r})",
            layer=entry.name, location=view.locate(("layers", entry.index)),
        ))
    return out
