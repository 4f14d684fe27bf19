"""The ONNX emitter: an onnx.ModelProto built straight from a checked spec with onnx.helper, no framework needed.

One module per layer family adds its entries to stage.ONNX_EMITTERS; assemble.py puts the graph together.
"""

from __future__ import annotations

from .assemble import build_onnx
from .weights import weight_source

__all__ = ["build_onnx", "weight_source"]
