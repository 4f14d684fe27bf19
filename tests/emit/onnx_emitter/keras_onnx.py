"""The frameworks fixture of the ONNX emitter tests that compare with Keras (attention, ops)."""

from __future__ import annotations

import pytest
from frameworks import import_framework


@pytest.fixture(scope="module", autouse=True)
def frameworks():
    """Overrides tests/emit/conftest.py's: Keras, onnx and onnxruntime are what these tests need."""
    return import_framework("keras"), import_framework("onnx"), import_framework("onnxruntime")
