"""Shape arithmetic as small pure functions (Keras 3's operation_utils, with unknown dims).

Every function accepts None for an unknown length and returns None for an unknown result; only
known lengths can fail. Results are returned with the formula, for `explain`.
"""

from __future__ import annotations

from typing import Optional

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


def conv_output_length(length: Length, kernel: int, stride: int, padding: str, dilation: int = 1) -> tuple[Length, str]:
    """Output length of a convolution along one axis.

    >>> conv_output_length(128, 8, 2, "valid")
    (61, 'floor((128 - 8) / 2) + 1 = 61')
    >>> conv_output_length(7, 3, 2, "same")
    (4, 'ceil(7 / 2) = 4')
    >>> conv_output_length(None, 3, 1, "valid")
    (None, 'unknown in, unknown out')
    """
    if length is None:
        return None, "unknown in, unknown out"
    if padding in ("same", "causal"):
        out = ceil_div(length, stride)
        return out, (f"ceil({length} / {stride}) = {out}" if stride > 1 else f"{padding} padding keeps {length}")
    keff = effective_kernel(kernel, dilation)
    out = (length - keff) // stride + 1
    span = f"{kernel}" if dilation == 1 else f"{keff} (dilated kernel (k-1)*d+1)"
    if stride == 1:
        return out, f"{length} - {span} + 1 = {out}"
    return out, f"floor(({length} - {span}) / {stride}) + 1 = {out}"


def pool_output_length(length: Length, pool: int, stride: int, padding: str) -> tuple[Length, str]:
    """Output length of a max/average pooling window along one axis.

    >>> pool_output_length(25, 2, 1, "same")
    (25, "'same' padding with stride 1 keeps 25")
    >>> pool_output_length(26, 2, 2, "valid")
    (13, 'floor((26 - 2) / 2) + 1 = 13')
    >>> pool_output_length(3, 5, 5, "valid")
    (0, 'floor((3 - 5) / 5) + 1 = 0')
    >>> pool_output_length(None, 2, 2, "valid")
    (None, 'unknown in, unknown out')
    """
    if length is None:
        return None, "unknown in, unknown out"
    if padding == "same":
        out = ceil_div(length, stride)
        if stride == 1:
            return out, f"'same' padding with stride 1 keeps {length}"
        return out, f"ceil({length} / {stride}) = {out}"
    out = (length - pool) // stride + 1
    return out, f"floor(({length} - {pool}) / {stride}) + 1 = {out}"


def explicit_padding_length(length: Length, kernel: int, stride: int, pad: int, dilation: int = 1) -> tuple[Length, str]:
    """PyTorch-style explicit padding p on both sides: floor((L + 2p - d(k-1) - 1) / s) + 1.

    >>> explicit_padding_length(28, 3, 1, 1)
    (28, 'floor((28 + 2*1 - 3) / 1) + 1 = 28')
    >>> explicit_padding_length(7, 3, 1, 1, dilation=2)
    (5, 'floor((7 + 2*1 - 5) / 1) + 1 = 5')
    """
    if length is None:
        return None, "unknown in, unknown out"
    keff = effective_kernel(kernel, dilation)
    out = (length + 2 * pad - keff) // stride + 1
    return out, f"floor(({length} + 2*{pad} - {keff}) / {stride}) + 1 = {out}"


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
    length: Length, kernel: int, stride: int, padding: str, output_padding: Optional[int] = None, dilation: int = 1
) -> tuple[Length, str]:
    """Keras's transposed-convolution length (keras/src/backend/common/backend_utils.py,
    _get_output_shape_given_tf_padding). keff = (k-1)*d + 1.

    - valid, no output_padding: (L - 1) * s + max(keff, s)
    - valid with output_padding: (L - 1) * s + keff + op
    - same, no output_padding: L * s
    - same with output_padding: (L - 1) * s + (keff % 2) + op

    >>> deconv_output_length(5, 3, 2, "valid")
    (11, '(5 - 1) * 2 + max(3, 2) = 11')
    >>> deconv_output_length(5, 2, 3, "valid")
    (15, '(5 - 1) * 3 + max(2, 3) = 15')
    >>> deconv_output_length(5, 3, 2, "same")
    (10, '5 * 2 = 10')
    >>> deconv_output_length(9, 3, 2, "valid", output_padding=1)
    (20, '(9 - 1) * 2 + 3 + 1 = 20')
    >>> deconv_output_length(5, 4, 3, "same", output_padding=2)
    (14, '(5 - 1) * 3 + (4 % 2) + 2 = 14')
    >>> deconv_output_length(5, 2, 1, "same", output_padding=0, dilation=3)
    (4, '(5 - 1) * 1 + (4 % 2) + 0 = 4')
    >>> deconv_output_length(None, 3, 2, "same")
    (None, 'unknown in, unknown out')
    """
    if length is None:
        return None, "unknown in, unknown out"
    keff = effective_kernel(kernel, dilation)
    if output_padding is None:
        if padding == "valid":
            out = (length - 1) * stride + max(keff, stride)
            return out, f"({length} - 1) * {stride} + max({keff}, {stride}) = {out}"
        out = length * stride
        return out, f"{length} * {stride} = {out}"
    if padding == "valid":
        out = (length - 1) * stride + keff + output_padding
        return out, f"({length} - 1) * {stride} + {keff} + {output_padding} = {out}"
    out = (length - 1) * stride + (keff % 2) + output_padding
    return out, f"({length} - 1) * {stride} + ({keff} % 2) + {output_padding} = {out}"


def explicit_deconv_length(
    length: Length, kernel: int, stride: int, pad: int, output_padding: int = 0, dilation: int = 1
) -> tuple[Length, str]:
    """PyTorch ConvTranspose with explicit padding p: (L - 1) * s - 2p + (k-1)*d + 1 + op.

    >>> explicit_deconv_length(5, 3, 2, 1)
    (9, '(5 - 1) * 2 - 2*1 + 3 + 0 = 9')
    >>> explicit_deconv_length(5, 4, 2, 1, output_padding=1)
    (11, '(5 - 1) * 2 - 2*1 + 4 + 1 = 11')
    """
    if length is None:
        return None, "unknown in, unknown out"
    keff = effective_kernel(kernel, dilation)
    out = (length - 1) * stride - 2 * pad + keff + output_padding
    return out, f"({length} - 1) * {stride} - 2*{pad} + {keff} + {output_padding} = {out}"


def padded_length(length: Length, before: int, after: int) -> tuple[Length, str]:
    """ZeroPadding along one axis: L + before + after.

    >>> padded_length(28, 2, 2)
    (32, '28 + 2 + 2 = 32')
    >>> padded_length(None, 1, 1)
    (None, 'unknown in, unknown out')
    """
    if length is None:
        return None, "unknown in, unknown out"
    out = length + before + after
    return out, f"{length} + {before} + {after} = {out}"


def cropped_length(length: Length, before: int, after: int) -> tuple[Length, str]:
    """Cropping along one axis: L - before - after (the caller rejects a result <= 0).

    >>> cropped_length(32, 2, 3)
    (27, '32 - 2 - 3 = 27')
    >>> cropped_length(5, 2, 3)
    (0, '5 - 2 - 3 = 0')
    """
    if length is None:
        return None, "unknown in, unknown out"
    out = length - before - after
    return out, f"{length} - {before} - {after} = {out}"


def upsampled_length(length: Length, size: int) -> tuple[Length, str]:
    """UpSampling along one axis: each cell is repeated `size` times.

    >>> upsampled_length(7, 3)
    (21, '7 * 3 = 21')
    """
    if length is None:
        return None, "unknown in, unknown out"
    out = length * size
    return out, f"{length} * {size} = {out}"


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
