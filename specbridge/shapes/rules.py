"""Shape arithmetic as small pure functions (Keras 3's operation_utils, with unknown dims).

Every function accepts None for an unknown length and returns None for an unknown result; only
known lengths can fail. Results are returned with the formula, for `explain`.
"""

from __future__ import annotations

from typing import Optional

Length = Optional[int]


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
    """PyTorch-style explicit padding p on both sides: floor((L + 2p - d(k-1) - 1) / s) + 1."""
    if length is None:
        return None, "unknown in, unknown out"
    keff = effective_kernel(kernel, dilation)
    out = (length + 2 * pad - keff) // stride + 1
    return out, f"floor(({length} + 2*{pad} - {keff}) / {stride}) + 1 = {out}"


def same_padding(length: int, kernel: int, stride: int, dilation: int = 1) -> tuple[int, int]:
    """TensorFlow's SAME split (before, after); the odd extra cell goes at the end.

    >>> same_padding(7, 3, 2)
    (1, 1)
    >>> same_padding(8, 3, 2)
    (0, 1)
    """
    out = ceil_div(length, stride)
    total = max((out - 1) * stride + effective_kernel(kernel, dilation) - length, 0)
    return total // 2, total - total // 2


def deconv_output_length(
    length: Length, kernel: int, stride: int, padding: str, output_padding: Optional[int] = None, dilation: int = 1
) -> tuple[Length, str]:
    """Keras's transposed-convolution length (keras/src/utils/conv_utils deconv_output_length).

    >>> deconv_output_length(5, 3, 2, "valid")
    (11, '(5 - 1) * 2 + max(3, 2) = 11')
    >>> deconv_output_length(5, 3, 2, "same")
    (10, '5 * 2 = 10')
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


def product(dims) -> Optional[int]:
    """Product of dims, None if any is unknown."""
    out = 1
    for d in dims:
        if d is None:
            return None
        out *= d
    return out
