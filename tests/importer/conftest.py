"""Fixtures for the importer tests: Keras, the CLI runner, and the comparison of an imported spec with the live
Keras model it came from (the ground truth: Keras's own output shapes and parameter counts, layer by layer)."""

from __future__ import annotations

import os

import pytest
from converting import keras_leaves
from frameworks import import_framework
from keras_helpers import count_weights

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


@pytest.fixture(scope="session")
def keras():
    return import_framework("keras")


@pytest.fixture(scope="session")
def tf_keras():
    return import_framework("tf_keras")


@pytest.fixture(scope="session")
def torch():
    return import_framework("torch")


@pytest.fixture(scope="session")
def onnxruntime():
    import_framework("onnx")
    return import_framework("onnxruntime")


@pytest.fixture
def run(monkeypatch):
    """run(*args) -> Result with exit_code, stdout, stderr (the CLI in-process, plain output)."""
    from specbridge.cli.testing import invoke

    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("SPECBRIDGE_DEBUG", raising=False)
    return invoke


def keras_records(model) -> dict[str, tuple]:
    """name -> (output shape without the batch axis, count_params(), trainable parameters), as Keras counts."""
    return {name: (tuple(layer.output.shape[1:]), layer.count_params(), count_weights(layer.trainable_weights))
            for name, layer in keras_leaves(model).items()}


def spec_records(result) -> dict[str, tuple]:
    return {r.name: (tuple(r.output_shape), r.params, r.trainable_params) for r in result.records}


@pytest.fixture
def imports_like_keras():
    """imports_like_keras(model, source) -> (Imported, CheckResult): `source` (a file of `model`, its JSON or the
    live model) imports without errors, the spec checks, and its records equal Keras's for every layer."""
    from specbridge.check import check_text
    from specbridge.importer import import_keras

    def check(model, source):
        imported = import_keras(source)
        assert imported.ok, [d.message for d in imported.errors]
        result = check_text(imported.text(), f"{imported.name}.spec.yaml")
        assert result.ok, ([d.message for d in result.errors], imported.text())
        expected, got = keras_records(model), spec_records(result)
        assert sorted(got) == sorted(expected), "the spec's layers are not the model's"
        differ = {name: {"spec": got[name], "keras": expected[name]} for name in expected if got[name] != expected[name]}
        assert not differ, f"(shape, params, trainable) differ from Keras's:\n{differ}\n{imported.text()}"
        return imported, result

    return check
