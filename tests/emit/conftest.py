"""Emitter tests build real Keras and PyTorch models: import both once per session."""

from __future__ import annotations

import pytest
from frameworks import import_framework


@pytest.fixture(scope="session", autouse=True)
def frameworks():
    return import_framework("keras"), import_framework("torch")
