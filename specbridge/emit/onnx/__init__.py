"""The ONNX emitter: an onnx.ModelProto built straight from a checked spec, no framework needed, and not even
`import onnx`: proto.py has onnx.helper's functions over onnx's generated protobuf classes alone.

One module per layer family adds its entries to stage.ONNX_EMITTERS; assemble.py puts the graph together.
"""

from __future__ import annotations

from .assemble import build_onnx
from .weights import weight_source

__all__ = ["build_onnx", "weight_source"]
