"""Shape arithmetic as small pure functions (Keras 3's operation_utils, with unknown dims).

Every function accepts None for an unknown length and returns None for an unknown result; only
known lengths can fail. The per-axis length functions return a Step (records.Step): the length is its
`result`, with the formula and the numbers behind it, for `explain`; `axis` names the step's topic.
"""

from __future__ import annotations

from typing import Optional

from .records import Step

Length = Optional[int]


def as_tuple(value, n: int) -> tuple[int, ...]:
    """Keras's normalize_tuple: an int is repeated n times.

    >>> as_tuple(3, 2), as_tuple([3, 5], 2)
    ((3, 3), (3, 5))
    """
    if isinstance(value, int):
        return (value,) * n
    return tuple(value)


def axis_pairs(value, rank: int) -> tuple[tuple[int, int], ...]:
    """Keras's nestings of ZeroPadding/Cropping amounts -> one (before, after) pair per spatial axis.

    >>> axis_pairs(1, 2), axis_pairs([1, 2], 1), axis_pairs([1, [2, 3]], 2)
    (((1, 1), (1, 1)), ((1, 2),), ((1, 1), (2, 3)))
    """
    if isinstance(value, int):
        return ((value, value),) * rank
    if rank == 1:
        return (tuple(value),)
    return tuple((v, v) if isinstance(v, int) else tuple(v) for v in value)


def ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def effective_kernel(kernel: int, dilation: int) -> int:
    """(k - 1) * d + 1: the span a dilated kernel covers."""
    return (kernel - 1) * dilation + 1


def length_step(axis: str, arithmetic: str, values: dict, result: Length, formula: str) -> Step:
    """The step of one axis length: rendered "rows: <arithmetic with the numbers> = <result>"."""
    return Step(axis, "{topic}: " + arithmetic, values, result, formula=formula)


def unknown_length(axis: str) -> Step:
    """An unknown input length gives an unknown output length."""
    return Step(axis, "{topic}: unknown in, unknown out", {"L": None}, None)


def kernel_values(kernel: int, dilation: int) -> dict:
    """k, and d and keff = (k - 1) * d + 1 when the kernel is dilated."""
    if dilation == 1:
        return {"k": kernel}
    return {"k": kernel, "d": dilation, "keff": effective_kernel(kernel, dilation)}


def conv_output_length(
    length: Length, kernel: int, stride: int, padding: str, dilation: int = 1, axis: str = "length"
) -> Step:
    """Output length of a convolution along one axis (the step's result).

    >>> step = conv_output_length(128, 8, 2, "valid", axis="rows")
    >>> step.result, step.formula, dict(step.values)
    (61, 'floor((L - k) / s) + 1', {'L': 128, 'k': 8, 's': 2})
    >>> step = conv_output_length(7, 3, 2, "same")
    >>> step.result, step.formula, dict(step.values)
    (4, 'ceil(L / s)', {'L': 7, 's': 2})
    >>> step = conv_output_length(10, 3, 1, "valid", dilation=2)
    >>> step.result, step.formula, dict(step.values)
    (6, 'L - keff + 1', {'L': 10, 'k': 3, 'd': 2, 'keff': 5})
    >>> conv_output_length(None, 3, 1, "valid").result is None
    True
    """
    if length is None:
        return unknown_length(axis)
    if padding in ("same", "causal"):
        out = ceil_div(length, stride)
        if stride == 1:
            return length_step(axis, "{padding} padding keeps {L}", {"L": length, "padding": padding}, out, "L")
        return length_step(axis, "ceil({L} / {s}) = {result}", {"L": length, "s": stride}, out, "ceil(L / s)")
    out = (length - effective_kernel(kernel, dilation)) // stride + 1
    values = {"L": length, **kernel_values(kernel, dilation)}
    span, k = ("{k}", "k") if dilation == 1 else ("{keff} (dilated kernel (k-1)*d+1)", "keff")
    if stride == 1:
        return length_step(axis, f"{{L}} - {span} + 1 = {{result}}", values, out, f"L - {k} + 1")
    values["s"] = stride
    return length_step(axis, f"floor(({{L}} - {span}) / {{s}}) + 1 = {{result}}", values, out, f"floor((L - {k}) / s) + 1")


def pool_output_length(length: Length, pool: int, stride: int, padding: str, axis: str = "length") -> Step:
    """Output length of a max/average pooling window along one axis (the step's result).

    >>> step = pool_output_length(25, 2, 1, "same")
    >>> step.result, step.formula, dict(step.values)
    (25, 'L', {'L': 25})
    >>> step = pool_output_length(26, 2, 2, "valid")
    >>> step.result, step.formula, dict(step.values)
    (13, 'floor((L - pool) / s) + 1', {'L': 26, 'pool': 2, 's': 2})
    >>> pool_output_length(3, 5, 5, "valid").result
    0
    >>> pool_output_length(None, 2, 2, "valid").result is None
    True
    """
    if length is None:
        return unknown_length(axis)
    if padding == "same":
        out = ceil_div(length, stride)
        if stride == 1:
            return length_step(axis, "'same' padding with stride 1 keeps {L}", {"L": length}, out, "L")
        return length_step(axis, "ceil({L} / {s}) = {result}", {"L": length, "s": stride}, out, "ceil(L / s)")
    out = (length - pool) // stride + 1
    values = {"L": length, "pool": pool, "s": stride}
    return length_step(axis, "floor(({L} - {pool}) / {s}) + 1 = {result}", values, out, "floor((L - pool) / s) + 1")


def explicit_padding_length(
    length: Length, kernel: int, stride: int, pad: int, dilation: int = 1, axis: str = "length"
) -> Step:
    """PyTorch-style explicit padding p on both sides: floor((L + 2p - d(k-1) - 1) / s) + 1.

    >>> step = explicit_padding_length(28, 3, 1, 1)
    >>> step.result, step.formula, dict(step.values)
    (28, 'floor((L + 2*p - keff) / s) + 1', {'L': 28, 'p': 1, 'k': 3, 'd': 1, 'keff': 3, 's': 1})
    >>> explicit_padding_length(7, 3, 1, 1, dilation=2).result
    5
    """
    if length is None:
        return unknown_length(axis)
    keff = effective_kernel(kernel, dilation)
    out = (length + 2 * pad - keff) // stride + 1
    values = {"L": length, "p": pad, "k": kernel, "d": dilation, "keff": keff, "s": stride}
    return length_step(
        axis, "floor(({L} + 2*{p} - {keff}) / {s}) + 1 = {result}", values, out, "floor((L + 2*p - keff) / s) + 1"
    )


def transpose_crop(length: int, out: int, kernel: int, stride: int, dilation: int, same: bool) -> tuple[int, int, int]:
    """(cells cropped before, cells cropped after, output_padding) turning the full transposed convolution of
    `length` cells into Keras's `out` cells: Keras crops at TF SAME's pad_before of a forward conv over the output
    ('same') or at 0 ('valid'); an output longer than the full result is extended at the end (output_padding).

    >>> transpose_crop(5, 10, 3, 2, 1, True), transpose_crop(4, 12, 2, 3, 1, False)
    ((0, 1, 0), (0, 0, 1))
    """
    total = (length - 1) * stride + effective_kernel(kernel, dilation) - out
    before = total // 2 if same and total > 0 else 0
    return before, max(total, 0) - before, max(-total, 0)


def same_padding(length: Length, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's SAME split (before, after); the odd extra cell goes at the end.

    With stride 1 the split does not depend on the length, which may then be unknown (None).

    >>> same_padding(7, 3, 2)
    (1, 1)
    >>> same_padding(8, 3, 2)
    (0, 1)
    >>> same_padding(None, 4, 1)
    (1, 2)
    """
    if stride == 1:
        total = effective_kernel(kernel, dilation) - 1
    elif length is None:
        raise ValueError("the SAME split of a strided window depends on the length, which is unknown")
    else:
        out = ceil_div(length, stride)
        total = max((out - 1) * stride + effective_kernel(kernel, dilation) - length, 0)
    return total // 2, total - total // 2


def torch_pad_order(pads) -> tuple[int, ...]:
    """Per-axis (before, after) pairs, first axis first -> F.pad's flat tuple, which starts from the last axis.

    >>> torch_pad_order([(0, 1), (2, 3)])
    (2, 3, 0, 1)
    """
    return tuple(v for before_after in reversed(list(pads)) for v in before_after)


def deconv_output_length(
    length: Length, kernel: int, stride: int, padding: str, output_padding: Optional[int] = None, dilation: int = 1,
    axis: str = "length",
) -> Step:
    """Keras's transposed-convolution length (keras/src/backend/common/backend_utils.py,
    _get_output_shape_given_tf_padding). keff = (k-1)*d + 1.

    - valid, no output_padding: (L - 1) * s + max(keff, s)
    - valid with output_padding: (L - 1) * s + keff + op
    - same, no output_padding: L * s
    - same with output_padding: (L - 1) * s + (keff % 2) + op

    >>> step = deconv_output_length(5, 3, 2, "valid")
    >>> step.result, step.formula, dict(step.values)
    (11, '(L - 1) * s + max(keff, s)', {'L': 5, 'k': 3, 'd': 1, 'keff': 3, 's': 2})
    >>> deconv_output_length(5, 2, 3, "valid").result, deconv_output_length(5, 3, 2, "same").result
    (15, 10)
    >>> step = deconv_output_length(9, 3, 2, "valid", output_padding=1)
    >>> step.result, step.formula
    (20, '(L - 1) * s + keff + op')
    >>> step = deconv_output_length(5, 4, 3, "same", output_padding=2)
    >>> step.result, step.formula
    (14, '(L - 1) * s + (keff % 2) + op')
    >>> deconv_output_length(5, 2, 1, "same", output_padding=0, dilation=3).result
    4
    >>> deconv_output_length(None, 3, 2, "same").result is None
    True
    """
    if length is None:
        return unknown_length(axis)
    keff = effective_kernel(kernel, dilation)
    values = {"L": length, "k": kernel, "d": dilation, "keff": keff, "s": stride}
    if output_padding is None:
        if padding == "valid":
            out = (length - 1) * stride + max(keff, stride)
            arithmetic, formula = "({L} - 1) * {s} + max({keff}, {s}) = {result}", "(L - 1) * s + max(keff, s)"
        else:
            out = length * stride
            arithmetic, formula = "{L} * {s} = {result}", "L * s"
        return length_step(axis, arithmetic, values, out, formula)
    values["op"] = output_padding
    if padding == "valid":
        out = (length - 1) * stride + keff + output_padding
        arithmetic, formula = "({L} - 1) * {s} + {keff} + {op} = {result}", "(L - 1) * s + keff + op"
    else:
        out = (length - 1) * stride + (keff % 2) + output_padding
        arithmetic, formula = "({L} - 1) * {s} + ({keff} % 2) + {op} = {result}", "(L - 1) * s + (keff % 2) + op"
    return length_step(axis, arithmetic, values, out, formula)


def explicit_deconv_length(
    length: Length, kernel: int, stride: int, pad: int, output_padding: int = 0, dilation: int = 1,
    axis: str = "length",
) -> Step:
    """PyTorch ConvTranspose with explicit padding p: (L - 1) * s - 2p + (k-1)*d + 1 + op.

    >>> step = explicit_deconv_length(5, 3, 2, 1)
    >>> step.result, step.formula
    (9, '(L - 1) * s - 2*p + keff + op')
    >>> explicit_deconv_length(5, 4, 2, 1, output_padding=1).result
    11
    """
    if length is None:
        return unknown_length(axis)
    keff = effective_kernel(kernel, dilation)
    out = (length - 1) * stride - 2 * pad + keff + output_padding
    values = {"L": length, "p": pad, "k": kernel, "d": dilation, "keff": keff, "s": stride, "op": output_padding}
    return length_step(
        axis, "({L} - 1) * {s} - 2*{p} + {keff} + {op} = {result}", values, out, "(L - 1) * s - 2*p + keff + op"
    )


def padded_length(length: Length, before: int, after: int, axis: str = "length") -> Step:
    """ZeroPadding along one axis: L + before + after.

    >>> step = padded_length(28, 2, 2)
    >>> step.result, step.formula, dict(step.values)
    (32, 'L + before + after', {'L': 28, 'before': 2, 'after': 2})
    >>> padded_length(None, 1, 1).result is None
    True
    """
    if length is None:
        return unknown_length(axis)
    out = length + before + after
    values = {"L": length, "before": before, "after": after}
    return length_step(axis, "{L} + {before} + {after} = {result}", values, out, "L + before + after")


def cropped_length(length: Length, before: int, after: int, axis: str = "length") -> Step:
    """Cropping along one axis: L - before - after (the caller rejects a result <= 0).

    >>> cropped_length(32, 2, 3).result, cropped_length(5, 2, 3).result
    (27, 0)
    """
    if length is None:
        return unknown_length(axis)
    out = length - before - after
    values = {"L": length, "before": before, "after": after}
    return length_step(axis, "{L} - {before} - {after} = {result}", values, out, "L - before - after")


def upsampled_length(length: Length, size: int, axis: str = "length") -> Step:
    """UpSampling along one axis: each cell is repeated `size` times.

    >>> step = upsampled_length(7, 3)
    >>> step.result, step.formula, dict(step.values)
    (21, 'L * size', {'L': 7, 'size': 3})
    """
    if length is None:
        return unknown_length(axis)
    out = length * size
    return length_step(axis, "{L} * {size} = {result}", {"L": length, "size": size}, out, "L * size")


def reshape_output(shape, target) -> tuple[Optional[tuple], Optional[int], Optional[int]]:
    """Keras's compute_reshape_output_shape: (output shape, input size, known target size).

    The output shape is None when the element counts cannot match (the caller words the error);
    an unknown input dim makes the -1 entry unknown and skips the check, as in Keras.

    >>> reshape_output((4, 4, 8), [-1, 8])
    ((16, 8), 128, 8)
    >>> reshape_output((12,), [3, 5])
    (None, 12, 15)
    >>> reshape_output((12,), [-1, 5])
    (None, 12, 5)
    >>> reshape_output((None, 10), [-1, 5])
    ((None, 5), None, 5)
    """
    size = product(shape)
    known = product(d for d in target if d != -1)
    if -1 not in target:
        return (tuple(target) if size is None or size == known else None), size, known
    if size is None:
        return tuple(None if d == -1 else d for d in target), size, known
    if size % known:
        return None, size, known
    return tuple(size // known if d == -1 else d for d in target), size, known


def product(dims) -> Optional[int]:
    """Product of dims, None if any is unknown."""
    out = 1
    for d in dims:
        if d is None:
            return None
        out *= d
    return out


def statistics_shapes(kept: tuple[int, ...], shape) -> tuple[tuple, tuple]:
    """Keras Normalization's shapes for an input of `shape` (batch excluded) and the kept axes (batch counted,
    positive, sorted): (the mean and variance variables' shape, the shape they broadcast as, batch included).

    >>> statistics_shapes((3,), (8, 8, 3)), statistics_shapes((), (4,))
    (((3,), (1, 1, 1, 3)), ((), (1, 1)))
    """
    full = (None, *shape)
    return tuple(full[a] for a in kept), tuple(full[a] if a in kept else 1 for a in range(len(full)))



def dropout_mask_problem(noise, shape) -> Optional[str]:
    """Why Keras's Dropout mask of `noise` (noise_shape, batch axis included) fails on an input of `shape` (batch
    included, None unknown) when training, or None when it broadcasts to the input and leaves its shape alone.

    Keras fills a null entry with the input's size at the same index (left-aligned), then the mask broadcasts
    against the input as NumPy does (right-aligned): an entry must be 1, or the input's size on its axis. A size
    known only at run time (the batch, a null axis) matches only the null that copies that same axis.

    >>> dropout_mask_problem([1], (None, 5)), dropout_mask_problem([None, 1, None], (None, 4, 3))
    (None, None)
    >>> dropout_mask_problem([None, 2], (None, 5))
    'mask entry 1 (2) lines up with input axis 1 (5)'
    >>> dropout_mask_problem([None], (None, 5))
    'mask entry 0 (null: the batch size) lines up with input axis 1 (5)'
    """
    if len(noise) > len(shape):
        return f"the mask has {len(noise)} entries, more than the input's {len(shape)} axes: the output would gain axes"
    offset = len(shape) - len(noise)
    for i, entry in enumerate(noise):
        against = shape[i + offset]
        if entry is None and offset == 0:
            continue
        size = shape[i] if entry is None else entry
        if size == 1 or (size is not None and size == against):
            continue
        mine = str(entry) if entry is not None else f"null: {_size_in_words(size, i)}"
        return f"mask entry {i} ({mine}) lines up with input axis {i + offset} ({_size_in_words(against, i + offset)})"
    return None


def _size_in_words(size, axis: int) -> str:
    if size is not None:
        return str(size)
    return "the batch size" if axis == 0 else "a size known at run time"
