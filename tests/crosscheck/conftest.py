"""Fixtures for the cross-check tests: the frameworks, imported once per session."""

from __future__ import annotations

import os

import pytest
from frameworks import import_framework

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@pytest.fixture(scope="session")
def keras():
    return import_framework("keras")


@pytest.fixture(scope="session")
def torch():
    return import_framework("torch")


@pytest.fixture(scope="session")
def onnxruntime():
    return import_framework("onnxruntime")


@pytest.fixture
def run(monkeypatch):
    """run(*args) -> Result with exit_code, stdout, stderr; output is plain (no colours)."""
    from specbridge.cli.testing import invoke

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("SPECBRIDGE_DEBUG", raising=False)
    return invoke
