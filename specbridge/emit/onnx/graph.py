"""A small builder over proto.py (onnx.helper's functions): nodes named after their spec layer, initializers,
constants, transposes.

Every tensor crossing a layer boundary is in Keras's axis order (the spec's data_format), so a layer's output is
directly comparable with Keras's; a layer that computes channels-first (Conv, pools, BatchNormalization) transposes
in and out, and fold_transposes() removes the pairs that cancel between layers afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Optional

import numpy as np

# Opset 21 has every op the emitters use (GroupNormalization with per-channel scale came in 21); IR 10 because
# onnx 1.23 writes IR 14 by default, which onnxruntime 1.31 refuses (REFERENCE.md section 5).
OPSET = 21
IR_VERSION = 10
DTYPES = ("float32", "float64")
BOOL = 9  # TensorProto.BOOL: Cast's `to` for a mask


class GraphBuilder:
    def __init__(self, dtype: str = "float32"):
        if dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
        from . import proto

        self.dtype = np.dtype(dtype)
        self.nodes: list = []
        # The graph is built inside a ModelProto and its initializers are made in place, in self.graph: a message
        # added to another is copied, and a model's weights can be hundreds of megabytes (assemble.build_onnx
        # fills self.model; a Scan body's builder makes a GraphProto of its own from self.graph's initializers).
        self.model = proto.pb2().ModelProto()
        self.graph = self.model.graph
        self.initializers = self.graph.initializer
        self._taken: set[str] = set()
        self.prefix = ""  # the spec layer being emitted: names of its nodes and values start with it
        # While a layer called again (`shares:`) or its first call is emitted: its weights by (hint, content), so
        # that every call reads the same initializers (assemble.py sets it per step).
        self.reuse: Optional[dict] = None
        # The NumPy dtype names of the values tensor operations make (emit/onnx/ops.py): an op's result may be an
        # int or bool tensor, which the model's outputs must declare, and which the next op reads.
        self.types: dict[str, str] = {}

    @property
    def float_elem(self) -> int:
        """The TensorProto element type of the model's float dtype (Cast's `to`)."""
        return 11 if self.dtype == np.float64 else 1  # TensorProto.DOUBLE, FLOAT

    # ------------------------------------------------------------ names

    def fresh(self, hint: str) -> str:
        """A value or node name not used yet, `<layer>/<hint>` while a layer is being emitted."""
        base = f"{self.prefix}/{hint}" if self.prefix else hint
        name, n = base, 1
        while name in self._taken:
            n += 1
            name = f"{base}_{n}"
        self._taken.add(name)
        return name

    def reserve(self, name: str) -> str:
        self._taken.add(name)
        return name

    # ------------------------------------------------------------ nodes and tensors

    def node(self, op: str, inputs: Sequence[str], outputs: int = 1, out: Optional[str] = None, **attrs) -> str | list[str]:
        """Add an `op` node; returns its output name (a list when `outputs` > 1). "" skips an optional input."""
        from . import proto as helper

        names = [out] if out is not None and outputs == 1 else [self.fresh(op.lower()) for _ in range(outputs)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        inputs = list(inputs)
        while inputs and inputs[-1] == "":  # a trailing skipped input is the same as none (and onnxruntime
            inputs.pop()  # 1.32 crashes on LayerNormalization(x, scale, ""))
        self.nodes.append(helper.make_node(op, inputs, names, name=self.fresh(op), **attrs))
        return names[0] if outputs == 1 else names

    def weight(self, hint: str, array: np.ndarray) -> str:
        """An initializer in the model's float dtype; the same one again for a layer called again (`reuse`)."""
        array = np.asarray(array, dtype=self.dtype)
        if self.reuse is None:
            return self._initializer(hint, array)
        import hashlib

        key = (hint, array.shape, hashlib.blake2b(np.ascontiguousarray(array).tobytes(), digest_size=16).digest())
        if key not in self.reuse:
            self.reuse[key] = self._initializer(hint, array)
        return self.reuse[key]

    def ints(self, hint: str, values: Sequence[int]) -> str:
        """An int64 initializer (shapes, axes, pads)."""
        return self._initializer(hint, np.asarray(list(values), dtype=np.int64))

    def floats32(self, hint: str, values: Sequence[float]) -> str:
        """A float32 initializer whatever the model's dtype (Resize's scales)."""
        return self._initializer(hint, np.asarray(list(values), dtype=np.float32))

    def scalar(self, hint: str, value: float) -> str:
        return self._initializer(hint, np.asarray(value, dtype=self.dtype))

    def constant(self, hint: str, array: np.ndarray) -> str:
        """An initializer in the array's own dtype and shape (a 0-d int64 for Range: ascontiguousarray, which
        _initializer applies, makes a 0-d array 1-d)."""
        from . import proto as numpy_helper

        array = np.asarray(array)
        name = self.fresh(hint)
        numpy_helper.from_array(np.ascontiguousarray(array).reshape(array.shape), name, tensor=self.initializers.add())
        return name

    def _initializer(self, hint: str, array: np.ndarray) -> str:
        from . import proto as numpy_helper

        name = self.fresh(hint)
        numpy_helper.from_array(np.ascontiguousarray(array), name, tensor=self.initializers.add())
        return name

    # ------------------------------------------------------------ common patterns

    def transpose(self, x: str, perm: Sequence[int]) -> str:
        perm = list(perm)
        if perm == sorted(perm):
            return x
        return self.node("Transpose", [x], perm=perm)


def channels_first_perm(rank: int) -> list[int]:
    """(N, d1.., C) -> (N, C, d1..) for a tensor of `rank` axes (batch included)."""
    return [0, rank - 1, *range(1, rank - 1)]


def channels_last_perm(rank: int) -> list[int]:
    """The inverse of channels_first_perm."""
    return [0, *range(2, rank), 1]


def to_channels_first(g: GraphBuilder, x: str, rank: int, channels_last: bool) -> str:
    return g.transpose(x, channels_first_perm(rank)) if channels_last else x


def to_channels_last(g: GraphBuilder, x: str, rank: int, channels_last: bool) -> str:
    return g.transpose(x, channels_last_perm(rank)) if channels_last else x
