"""Keras's implicit masks through the importer: real files saved by Keras 3 (.keras) and tf_keras (.h5).

Keras 3 records the masks it computes (Embedding(mask_zero=True)'s NotEqual, Masking's NotEqual and Any, the
merges' LogicalOr, Concatenate's widened and joined masks, Attention's ConvertToTensor) as op nodes feeding the
readers' `mask` arguments; the import leaves them out (the spec carries masks implicitly) once each recorded mask
is the one specbridge propagates, and refuses any other mask (SB501 at the layer called with it). Keras 2 files
record no mask. The spec's masks are compared with Keras's own `_keras_mask`, layer by layer.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from specbridge.check import check_text
from specbridge.importer import import_keras

pytestmark = [pytest.mark.keras, pytest.mark.filterwarnings("ignore:.*does not support masking"),
              pytest.mark.filterwarnings("ignore:You are saving your model as an HDF5 file")]

STEPS, VOCAB = 9, 30


def text_model(k):
    """Embedding(mask_zero) -> LSTM -> Bidirectional(GRU) -> self-attention -> Add -> pooling, the masks kept on
    by Dense and LayerNormalization, or-ed by Add."""
    L = k.layers
    ids = k.Input((STEPS,), dtype="int32", name="ids")
    x = L.Embedding(VOCAB, 6, mask_zero=True, name="emb")(ids)
    x = L.LSTM(5, return_sequences=True, name="lstm")(x)
    x = L.Bidirectional(L.GRU(3, return_sequences=True), name="bigru")(x)
    a = L.MultiHeadAttention(2, 3, name="mha")(x, x)
    x = L.LayerNormalization(name="norm")(L.Add(name="add")([x, a]))
    x = L.Dense(4, name="dense")(x)
    out = L.Dense(2, name="head")(L.GlobalAveragePooling1D(name="pool")(x))
    return k.Model(ids, out, name="masked_text")


def masking_model(k, partly_masked: bool = True):
    """Masking (mask_value 0.5) -> recurrent layers with zero_output_for_mask -> Concatenate along the steps and
    along the features, with an unmasked input -> Attention. (tf_keras cannot build a Concatenate of a masked and an
    unmasked input: its compute_mask joins masks of different shapes; there the second input is masked too.)"""
    L = k.layers
    x_in = k.Input((STEPS, 4), name="series")
    plain_in = k.Input((STEPS, 4), name="plain")
    plain = plain_in if partly_masked else L.Masking(mask_value=0.5, name="masking_2")(plain_in)
    x = L.Masking(mask_value=0.5, name="masking")(x_in)
    x = L.SimpleRNN(4, return_sequences=True, zero_output_for_mask=True, name="rnn")(x)
    steps = L.Concatenate(axis=1, name="join_steps")([x, plain])
    s = L.GRU(3, name="gru_steps")(steps)
    # Keras 2 ands the joined masks where Keras 3 ors them: there the joined inputs carry the same mask
    features = L.Concatenate(name="join_features")([x, plain if partly_masked else L.Dense(4, name="dense")(x)])
    f = L.LSTM(4, return_sequences=True, name="lstm_features")(features)
    att = L.Attention(name="att")([x, f])
    a = L.GRU(3, go_backwards=True, name="gru_att")(att)
    return k.Model([x_in, plain_in], L.Concatenate(name="out")([s, a]), name="masked_series")


def keras3_models(k):
    return [text_model(k), masking_model(k)]


def data_for(model, seed: int = 0) -> list[np.ndarray]:
    """Padded ids (trailing zeros) and series whose trailing steps are all 0.5, the first sample unpadded."""
    rng = np.random.default_rng(seed)
    out = []
    for tensor in model.inputs:
        shape = (3, *tensor.shape[1:])
        if "int" in str(tensor.dtype):
            x = rng.integers(1, VOCAB, size=shape).astype("int32")
            x[1:, STEPS // 2:] = 0
        else:
            x = rng.normal(size=shape).astype("float32")
            x[1:, STEPS // 2:] = 0.5
        out.append(x)
    return out


def with_weights_of(original, rebuilt):
    """`rebuilt` with the weights of the original's layer of the same name (nested models walked into)."""
    from converting import keras_leaves

    layers = keras_leaves(original)
    for name, layer in keras_leaves(rebuilt).items():
        if layer.weights:
            layer.set_weights(layers[name].get_weights())
    return rebuilt


def feed(data: list):
    return data[0] if len(data) == 1 else data


def save(model, directory, suffix: str):
    path = directory / f"{model.name}.{suffix}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model.save(str(path))
    return path


@pytest.fixture(scope="module")
def keras3_files(keras, tmp_path_factory):
    directory = tmp_path_factory.mktemp("masks3")
    return {m.name: (save(m, directory, "keras"), m) for m in keras3_models(keras)}


@pytest.fixture(scope="module")
def keras2_files(tf_keras, tmp_path_factory):
    directory = tmp_path_factory.mktemp("masks2")
    tf_keras.backend.clear_session()
    models = [text_model(tf_keras), masking_model(tf_keras, partly_masked=False)]
    return {m.name: (save(m, directory, "h5"), m) for m in models}


def imported_masks(path) -> tuple[dict, object]:
    """{layer: the shape of the mask its output carries in the imported spec, or None}, and the check result."""
    imported = import_keras(path)
    assert imported.ok, [d.message for d in imported.errors]
    result = check_text(imported.text(), lint=False)
    assert result.ok, ([d.message for d in result.errors], imported.text())
    return {r.name: None if r.output.mask is None else tuple(r.output.mask.shape) for r in result.records}, result


def keras_masks(model) -> dict:
    out = {}
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        mask = getattr(layer.output, "_keras_mask", None)
        out[layer.name] = None if mask is None else tuple(mask.shape[1:])
    return out


@pytest.mark.parametrize("name", ["masked_text", "masked_series"])
def test_a_keras3_file_imports_with_its_masks(keras3_files, name):
    path, model = keras3_files[name]
    ours, result = imported_masks(path)
    assert ours == keras_masks(model)  # the op nodes Keras recorded are gone: the layers are the model's
    assert any(m is not None for m in ours.values())
    kinds = {r.kind for r in result.records}
    assert not any(k.startswith("ops.") for k in kinds), kinds


@pytest.mark.parametrize("name", ["masked_text", "masked_series"])
def test_a_keras2_h5_imports_with_its_masks(keras2_files, name):
    path, model = keras2_files[name]
    ours, _ = imported_masks(path)
    assert ours == keras_masks(model)


def test_the_keras3_file_records_the_masks_as_op_nodes(keras3_files):
    """What the import has to leave out: the ops Keras 3 saved, and the readers' `mask` arguments."""
    import json
    import zipfile

    path, _ = keras3_files["masked_series"]
    layers = json.loads(zipfile.ZipFile(path).read("config.json"))["config"]["layers"]
    ops = {layer["class_name"] for layer in layers if layer["module"].startswith("keras.src.ops")}
    assert {"NotEqual", "Any", "ExpandDims", "ZerosLike", "OnesLike", "LogicalOr", "Concatenate",
            "ConvertToTensor"} <= ops
    readers = {layer["name"] for layer in layers for node in layer["inbound_nodes"]
               if isinstance((node.get("kwargs") or {}).get("mask"), dict)}
    assert {"rnn", "gru_steps", "lstm_features", "gru_att"} <= readers


def test_zero_output_for_mask_and_mask_value_are_imported(keras3_files, keras2_files):
    for files in (keras3_files, keras2_files):
        text = import_keras(files["masked_series"][0]).text()
        assert "zero_output_for_mask: true" in text
        assert "mask_value: 0.5" in text


def test_the_imported_spec_computes_what_keras_computes(keras, keras3_files):
    """specbridge's own Keras emitter, built from the imported spec with the original's weights, predicts what the
    original predicts on padded data: the implicit masks are the recorded ones."""
    from specbridge.emit import to_keras

    for name in ("masked_text", "masked_series"):
        path, model = keras3_files[name]
        result = check_text(import_keras(path).text(), lint=False)
        rebuilt = with_weights_of(model, to_keras(result))
        data = data_for(model)
        want = model.predict(feed(data), verbose=0)
        got = rebuilt.predict(feed(data), verbose=0)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        unmasked = model.predict(feed([np.where(x == 0, 1, x) if x.dtype == np.int32 else np.where(x == 0.5, 0.51, x)
                                       for x in data]), verbose=0)
        assert not np.allclose(unmasked, want)  # the data is masked: the comparison can fail


# ---------------------------------------------------------------- masks that are not the implicit ones


def custom_mask_models(k):
    """(model, the layer called with a mask that is not the implicit one, what the refusal says it is)."""
    L, ops = k.layers, k.ops
    ids = k.Input((STEPS,), dtype="int32", name="ids")
    masked = L.Embedding(VOCAB, 4, mask_zero=True, name="emb")(ids)
    plain = L.Embedding(VOCAB, 4, name="plain_emb")(ids)
    flags = k.Input((STEPS,), dtype="bool", name="flags")
    yield (k.Model(ids, L.LSTM(2, name="lstm")(masked, mask=ops.not_equal(ids, 5)), name="other_padding_id"),
           "lstm", "mask=ids != 5")
    yield (k.Model(ids, L.GRU(2, name="gru")(plain, mask=ops.not_equal(ids, 0)), name="no_implicit_mask"),
           "gru", "(no mask)")
    yield (k.Model([ids, flags], L.GlobalAveragePooling1D(name="pool")(masked, mask=flags), name="mask_input"),
           "pool", "the tensor 'flags'")
    yield (k.Model(ids, L.LSTM(2, name="lstm2")(masked, mask=ops.any(ops.not_equal(ops.expand_dims(ids, -1), 0),
                                                                     axis=1)), name="other_axis"), "lstm2",
           "(Any), which is not a mask Keras computes implicitly")


@pytest.fixture(scope="module")
def custom_files(keras, tmp_path_factory):
    directory = tmp_path_factory.mktemp("custom_masks")
    return [(save(model, directory, "keras"), layer, says) for model, layer, says in custom_mask_models(keras)]


def test_a_mask_of_the_users_own_is_refused_at_its_layer(custom_files):
    for path, layer, says in custom_files:
        imported = import_keras(path)
        assert not imported.ok, path.name
        refusals = [d for d in imported.errors if d.code == "SB501"]
        assert [d.layer for d in refusals] == [layer], [d.message for d in imported.errors]
        (refusal,) = refusals
        assert says in refusal.message, refusal.message
        assert "not the mask Keras propagates to it implicitly" in refusal.message
        assert refusal.hint


def test_an_explicit_mask_equal_to_the_implicit_one_imports(keras, tmp_path):
    L, ops = keras.layers, keras.ops
    ids = keras.Input((STEPS,), dtype="int32", name="ids")
    x = L.Embedding(VOCAB, 4, mask_zero=True, name="emb")(ids)
    model = keras.Model(ids, L.GRU(2, name="gru")(x, mask=ops.not_equal(ids, 0)), name="same_mask")
    ours, result = imported_masks(save(model, tmp_path, "keras"))
    assert ours == {"emb": (STEPS,), "gru": None}
    assert result.records[-1].input_masks[0].origin == "emb"


def test_a_mask_after_a_layer_the_spec_refuses_cannot_be_verified(keras, tmp_path):
    """Keras builds an Attention of a 4-feature query on 3-feature values (it fails only when run); the spec's check
    refuses it, so the mask recorded for the layer after it cannot be compared: refused, saying why."""
    L = keras.layers
    ids = keras.Input((STEPS,), dtype="int32", name="ids")
    q = L.Embedding(VOCAB, 4, mask_zero=True, name="q")(ids)
    v = L.Embedding(VOCAB, 3, mask_zero=True, name="v")(ids)
    model = keras.Model(ids, L.LSTM(2, name="lstm")(L.Attention(name="att")([q, v])), name="unverifiable")
    imported = import_keras(save(model, tmp_path, "keras"))
    (error,) = imported.errors
    assert (error.code, error.layer) == ("SB501", "lstm")
    assert "the spec's check fails before it" in error.message and "at 'att'" in error.message


def test_a_nested_model_reads_the_outer_mask(keras, tmp_path):
    """Keras 3 hands a nested model its input's mask (Functional.call's mask argument, recorded) and, when the model
    runs, the layers after it read the mask its output tensor still carries: the inlined spec computes the same."""
    from specbridge.emit import to_keras

    L = keras.layers
    inner_in = keras.Input((STEPS, 4), name="inner_in")
    inner = keras.Model(inner_in, L.LSTM(3, return_sequences=True, name="inner_lstm")(inner_in), name="inner")
    ids = keras.Input((STEPS,), dtype="int32", name="ids")
    model = keras.Model(ids, L.GlobalAveragePooling1D(name="pool")(inner(L.Embedding(VOCAB, 4, mask_zero=True,
                                                                                       name="emb")(ids))), name="outer")
    ours, result = imported_masks(save(model, tmp_path, "keras"))
    assert ours == {"emb": (STEPS,), "inner_lstm": (STEPS,), "pool": None}
    rebuilt = with_weights_of(model, to_keras(result))
    data = data_for(model)
    want = model.predict(feed(data), verbose=0)
    np.testing.assert_allclose(rebuilt.predict(feed(data), verbose=0), want, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- Keras 2 combines masks otherwise


def keras2_merges(k):
    """(model, the layer refused or None, what the refusal says): tf_keras ands a merge's masks (Keras 3 ors them),
    and leaves out an input without one (Keras 3 then gives no mask); the same mask on every input is the same."""
    L = k.layers
    ids, ids2 = k.Input((STEPS,), dtype="int32", name="ids"), k.Input((STEPS,), dtype="int32", name="ids2")
    a = L.Embedding(VOCAB, 4, mask_zero=True, name="a")(ids)
    b = L.Embedding(VOCAB, 4, mask_zero=True, name="b")(ids2)
    plain = L.Embedding(VOCAB, 4, name="plain")(ids2)
    ands = "Keras 2 ands the masks"
    yield k.Model([ids, ids2], L.LSTM(2, name="lstm")(L.Add(name="add")([a, b])), name="two_masks"), "add", ands
    yield k.Model([ids, ids2], L.GRU(2, name="gru")(L.Average(name="avg")([a, plain])), name="one_mask"), "avg", ands
    yield (k.Model([ids, ids2], L.LSTM(2, name="lstm")(L.Concatenate(name="cat")([a, b])), name="joined_masks"),
           "cat", ands)
    # Keras 3's Maximum computes its masked positions from the masks, Keras 2's from the values: refused even where
    # no layer after it reads masks
    yield (k.Model([ids, ids2], L.Dense(2, name="head")(L.Maximum(name="max")([a, b])), name="max_values"), "max",
           "computes Maximum's masked positions from the masks")
    yield (k.Model(ids, L.LSTM(2, name="lstm")(L.Add(name="add")([a, L.Dense(4, name="d")(a)])), name="same_mask"),
           None, None)
    yield k.Model([ids, ids2], L.Dense(2, name="head")(L.Add(name="add")([a, b])), name="nothing_reads"), None, None


@pytest.fixture(scope="module")
def keras2_merge_files(tf_keras, tmp_path_factory):
    directory = tmp_path_factory.mktemp("masks2_merges")
    tf_keras.backend.clear_session()
    return [(save(model, directory, "h5"), model, refused, says) for model, refused, says in keras2_merges(tf_keras)]


def test_a_keras2_merge_of_other_masks_is_refused_where_a_layer_reads_them(keras2_merge_files):
    for path, model, refused, says in keras2_merge_files:
        imported = import_keras(path)
        if refused is None:
            assert imported.ok, (path.name, [d.message for d in imported.errors])
            ours, _ = imported_masks(path)
            assert ours == keras_masks(model), path.name
            continue
        (error,) = imported.errors
        assert (error.code, error.layer) == ("SB501", refused), error.message
        assert says in error.message and "reads the mask" in error.message, error.message


def test_tf_keras_really_ands_a_merges_masks(tf_keras, keras2_merge_files):
    """The difference the refusal is about, as tf_keras computes it (Keras 3 ors: test_masks.py)."""
    import tensorflow as tf

    _, model, _, _ = keras2_merge_files[0]
    ids = np.array([[1, 2, 0, 0, 3, 4, 5, 6, 7]], "int32")
    ids2 = np.array([[1, 0, 0, 2, 3, 0, 5, 6, 7]], "int32")
    x = tf.zeros((1, STEPS, 4))
    mask = model.get_layer("add").compute_mask([x, x], [tf.constant(ids != 0), tf.constant(ids2 != 0)])
    np.testing.assert_array_equal(np.asarray(mask), (ids != 0) & (ids2 != 0))


# ---------------------------------------------------------------- convert: the emitters' explicit masks, verified


@pytest.fixture(scope="module")
def trained_files(keras, tf_keras, tmp_path_factory):
    from converting import trained

    directory = tmp_path_factory.mktemp("masks_convert")
    found = {f"{m.name}.keras": save(trained(m), directory, "keras") for m in keras3_models(keras)}
    tf_keras.backend.clear_session()
    for model in (text_model(tf_keras), masking_model(tf_keras, partly_masked=False)):
        found[f"{model.name}.h5"] = save(trained(model), directory, "h5")
    return found


CONVERSIONS = [
    (name, to)
    for name in ("masked_text.keras", "masked_text.h5", "masked_series.keras", "masked_series.h5")
    for to in ("pytorch", "onnx", "keras")
]


@pytest.mark.parametrize(("name", "to"), CONVERSIONS)
def test_a_masked_model_converts_and_verifies(trained_files, name, to, tmp_path, torch, onnxruntime):
    """`specbridge convert` verifies the converted model on padded inputs against the original (Keras 3 or tf_keras)."""
    import specbridge

    out = tmp_path / ("model.onnx" if to == "onnx" else "model.py")
    converted = specbridge.convert(trained_files[name], to=to, out=out, samples=3)
    assert converted.report.ok, converted.report.to_dict()
