"""EinsumDense in a saved Keras file and in Keras model code: `import` gives Keras's shapes and parameter counts
layer by layer, `convert` writes PyTorch, ONNX and Keras 3 files that compute what the trained original computes,
lora_rank (a setting a spec cannot hold) is refused by name, and the .py reader binds the positional equation,
output_shape and activation."""

from __future__ import annotations

import json

import pytest
from converting import (
    assert_converted_files_compute_the_original,
    trained,
)

from specbridge.check import check_text
from specbridge.importer import import_keras
from specbridge.pycode import read_python

pytestmark = [pytest.mark.keras, pytest.mark.torch]



def heads_model(keras):
    """A projection to (heads, size) with a partial bias, back through a leading '...', then a trailing one."""
    L = keras.layers
    tokens = keras.Input((5, 4), name="tokens")
    x = L.EinsumDense("abc,cde->abde", output_shape=(5, 2, 3), bias_axes="d", activation="relu",
                      kernel_initializer="he_normal", name="heads")(tokens)
    x = L.EinsumDense("...de,dek->...k", output_shape=6, bias_axes="k", name="merge")(x)
    x = L.EinsumDense("ab...,bc->ac...", output_shape=3, name="mix_steps")(x)
    return keras.Model(tokens, x, name="einsum_heads")


@pytest.fixture(scope="module")
def saved(keras, tmp_path_factory):
    keras.backend.clear_session()
    model = trained(heads_model(keras))
    path = tmp_path_factory.mktemp("einsum_dense") / "heads.keras"
    model.save(path)
    return model, path


def test_import_matches_keras_layer_by_layer(saved, imports_like_keras):
    model, path = saved
    imported, _ = imports_like_keras(model, path)
    assert [layer["type"] for layer in imported.spec["layers"]] == ["EinsumDense"] * 3
    assert imported.spec["layers"][0]["output_shape"] == [5, 2, 3]


@pytest.mark.parametrize("to", ["pytorch", "onnx", "keras"])
def test_converted_files_compute_what_the_original_computes(saved, to, tmp_path, torch, onnxruntime):
    assert_converted_files_compute_the_original(*saved, to, tmp_path, torch, onnxruntime)


def test_lora_rank_is_refused_by_name(keras, tmp_path):
    """LoRA adds two trainable matrices and freezes the kernel: a spec cannot say so."""
    keras.backend.clear_session()
    x = keras.Input((4,))
    y = keras.layers.EinsumDense("ab,bc->ac", output_shape=3, lora_rank=2, name="adapted")(x)
    path = tmp_path / "lora.keras"
    keras.Model(x, y).save(path)
    imported = import_keras(path)
    assert not imported.ok
    assert any("lora_rank" in d.message and "adapted" in d.message for d in imported.errors), imported.errors


CODE = '''
import keras
from keras import layers

inputs = keras.Input(shape=(7,))
x = layers.EinsumDense("ab,bc->ac", output_shape=8, bias_axes="c")(inputs)
x = layers.EinsumDense("ab,bc->ac", 4, "relu")(x)
model = keras.Model(inputs, x)
'''


def test_model_code_reads_the_positional_arguments(keras):
    checked = read_python(CODE, "model.py")
    assert checked.ok, [d.message for d in checked.errors]
    spec, problems = checked.model(None).spec()
    assert not problems, problems
    first, second = spec["layers"]
    assert (first["equation"], first["output_shape"], first["bias_axes"]) == ("ab,bc->ac", 8, "c")
    assert (second["equation"], second["output_shape"], second["activation"]) == ("ab,bc->ac", 4, "relu")
    # the same code run by Keras: the parameter counts the spec's layers must have
    namespace: dict = {}
    exec(CODE, namespace)  # noqa: S102 - the test's own constant source
    counts = [layer.count_params() for layer in namespace["model"].layers[1:]]
    result = check_text(json.dumps(spec), lint=False)
    assert result.ok, [d.message for d in result.errors]
    assert [r.params for r in result.records] == counts
