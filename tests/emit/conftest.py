"""Emitter tests build real Keras and PyTorch models: import both once per session."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session", autouse=True)
def frameworks():
    keras = pytest.importorskip("keras")
    torch = pytest.importorskip("torch")
    return keras, torch
