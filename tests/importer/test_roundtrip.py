"""Every valid fixture: spec -> emitted Keras model (random weights) -> .keras file -> import -> spec again.

The re-imported spec must have the fixture's records (names, output shapes, parameters, trainable parameters), and
the Keras model built from it, given the emitted model's weights by name, must compute the same function, layer by
layer. A layer the Keras emitter adds (the ZeroPadding of an explicit `padding: 1`) is in the file, so the import
has it too: it must be exactly the emitted model's extra layers, no more."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from specbridge.check import check_file, check_text
from specbridge.crosscheck.capture import keras_layer_outputs
from specbridge.crosscheck.inputs import random_inputs
from specbridge.crosscheck.randomize import poison_keras_weights, randomize_keras_weights
from specbridge.emit import to_keras
from specbridge.importer import import_keras
from specbridge.importer.original import copy_weights

ROOT = Path(__file__).resolve().parents[2]
VALID = sorted([*(ROOT / "fixtures" / "valid").glob("*.spec.yaml"), *(ROOT / "fixtures" / "valid").glob("*.spec.json")])


def _records(result) -> dict[str, tuple]:
    return {r.name: (tuple(r.output_shape), r.params, r.trainable_params) for r in result.records}


def _by_call(result) -> dict:
    """_records keyed by name for a layer object's first call, by (the layer it shares, which call) for a later one:
    a .keras file keeps one layer object per shared layer, and the import names its later calls <name>_call_<k>."""
    calls = result.calls()
    return {(name if calls[name][1] == 0 else calls[name]): record for name, record in _records(result).items()}


def _first_calls(result) -> list[str]:
    return [name for name, (_, call) in result.calls().items() if call == 0]


def _inputs(spec: dict) -> list[tuple]:
    entries = spec.get("inputs") or [{"name": "input_layer", **spec["input"]}]
    return [(i["name"], list(i["shape"]), i.get("dtype", "float32")) for i in entries]


def _outputs(model, names: list[str], inputs: list[np.ndarray]) -> dict[str, np.ndarray]:
    """capture.keras_layer_outputs in one traced function: the recurrent fixtures run ~8x faster than eagerly."""
    import keras
    import tensorflow as tf

    outputs = [model.get_layer(name).output for name in names]
    probe = keras.Model(model.inputs, [o[0] if isinstance(o, list) else o for o in outputs])  # attention: + scores
    try:
        outputs = tf.function(lambda xs: probe(xs, training=False))(list(inputs))
    except (tf.errors.UnimplementedError, tf.errors.InvalidArgumentError):  # NCHW kernels TF's CPU lacks
        return keras_layer_outputs(model, names, inputs)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return {name: keras.ops.convert_to_numpy(out) for name, out in zip(names, outputs, strict=True)}


def test_the_fixture_directory_is_populated():
    assert len(VALID) >= 10, "fixtures/valid/ has (almost) no specs: the round trips below check nothing"


@pytest.mark.slow
@pytest.mark.parametrize("path", VALID, ids=lambda p: p.name)
def test_fixture_round_trips_through_a_keras_file(keras, tmp_path, path):
    fixture = check_file(path)
    assert fixture.ok, [d.message for d in fixture.errors]
    emitted = to_keras(fixture)
    randomize_keras_weights(emitted, seed=11)
    saved = tmp_path / f"{fixture.document.spec().name}.keras"
    emitted.save(saved)

    imported = import_keras(saved)
    assert imported.ok, [d.message for d in imported.errors]
    again = check_text(imported.text(), "again.spec.yaml")
    assert again.ok, ([d.message for d in again.errors], imported.text())

    expected, got = _by_call(fixture), _by_call(again)
    differ = {name: (got.get(name), record) for name, record in expected.items() if got.get(name) != record}
    assert not differ, f"(shape, params, trainable) of the re-import vs the fixture:\n{differ}"
    emitted_names = {layer.name for layer in emitted.layers if type(layer).__name__ != "InputLayer"}
    assert set(got) - set(expected) == emitted_names - set(expected)
    assert _inputs(imported.spec) == [(i.name, list(i.shape), i.dtype) for i in fixture.document.spec().named_inputs()]

    rebuilt = to_keras(again)
    poison_keras_weights(rebuilt)  # a weight the copy misses is NaN, not a lucky default
    copy_weights(emitted, rebuilt, _first_calls(again))  # a later call has its first call's weights
    inputs = random_inputs(fixture, 3, 0, "float32")
    names = [record.name for record in fixture.records if record.name in _first_calls(fixture)]
    reference, outputs = _outputs(emitted, names, inputs), _outputs(rebuilt, names, inputs)
    for name in names:
        np.testing.assert_allclose(outputs[name], reference[name], rtol=1e-6, atol=1e-6, err_msg=name)
