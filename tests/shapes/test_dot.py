"""Dot against real Keras 3: a sweep of input shapes and axes, each built symbolically and run on data, compared
with specbridge's shape (or its refusal), plus what the refusals and explain say."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _keras_multi import check_layer, error_codes, keras_layer, only_record

from specbridge.report.steps import render_steps

pytestmark = pytest.mark.keras

SHAPES = [(4,), (3, 4), (4, 3), (None, 4), (2, 3, 4)]
AXES = [1, 2, -1, -2, 3, 0, [1, 1], [1, 2], [2, 1], [-1, 1], [1, -1], [2, 2], [3, 1], [-1, -2], [1, -3]]
SWEEP = list(itertools.product(SHAPES, SHAPES, AXES))


def keras_dot(keras, layer: dict, shapes: list):
    """(symbolic shape without batch, run shape without batch), or the exception Keras raised building or running
    it (the batch axis builds and fails when the model runs)."""
    try:
        tensors = [keras.Input(shape=s) for s in shapes]
        out = keras_layer(keras, layer)(tensors)
        model = keras.Model(tensors, out)
        data = [np.ones((2, *(3 if d is None else d for d in s)), "float32") for s in shapes]
        ran = model(data)
    except (ValueError, IndexError, TypeError) as exc:
        return exc
    return tuple(out.shape[1:]), tuple(ran.shape[1:])


def sweep_id(case):
    first, second, axes = case
    return f"{first}.{second}.axes={axes}".replace(" ", "")


@pytest.mark.parametrize("case", SWEEP, ids=sweep_id)
@pytest.mark.parametrize("normalize", [False, True])
def test_sweep_matches_keras(keras, case, normalize):
    first, second, axes = case
    layer = {"type": "Dot", "axes": axes, "normalize": normalize}
    keras_outcome = keras_dot(keras, layer, [first, second])
    result = check_layer(layer, [first, second])
    if isinstance(keras_outcome, Exception):
        assert error_codes(result) in (["SB204"], ["SB210"], ["SB200"]), (keras_outcome, result.diagnostics)
        return
    symbolic, ran = keras_outcome
    record = only_record(result)
    assert record.output_shape == symbolic
    # The data had 3 for each unknown size: the run's shape is the symbolic one with those filled in.
    assert tuple(3 if d is None else d for d in record.output_shape) == ran
    assert (record.params, record.trainable_params) == (0, 0)


def test_the_sweep_has_both_outcomes(keras):
    """Not vacuous: the sweep holds shapes Keras accepts and shapes it refuses, in each way it refuses them."""
    outcomes = [keras_dot(keras, {"type": "Dot", "axes": axes}, [a, b]) for a, b, axes in SWEEP]
    refused = [o for o in outcomes if isinstance(o, Exception)]
    assert 50 < len(refused) < len(SWEEP) - 50
    messages = " ".join(str(e) for e in refused)
    assert "Incompatible input shapes" in messages and "batch_dot over axis 0" in messages
    assert any(isinstance(e, IndexError) for e in refused)


def test_values_are_keras_batch_dot(keras):
    """The run's values, not only its shape: axes (2, 1) of (3, 4) and (4, 5) is a batched matmul."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(2, 3, 4)).astype("float32"), rng.normal(size=(2, 4, 5)).astype("float32")
    out = keras.layers.Dot(axes=(2, 1))([x, y])
    np.testing.assert_allclose(np.asarray(out), x @ y, rtol=1e-5)
    cosine = keras.layers.Dot(axes=1, normalize=True)([x[:, 0], x[:, 0]])
    np.testing.assert_allclose(np.asarray(cosine), np.ones((2, 1)), rtol=1e-6)


@pytest.mark.parametrize(
    ("axes", "shapes", "code", "words"),
    [
        (1, [(4,), (5,)], "SB204", "axis 1 of input 0 has 4, axis 1 of input 1 has 5"),
        (1, [(None,), (4,)], "SB204", "an unknown size does not match a known one"),
        (0, [(4,), (4,)], "SB210", "axis 0 is the batch axis"),
        (-3, [(3, 4), (5, 6)], "SB210", "resolves to axes (0, 0)"),
        (3, [(4,), (4,)], "SB210", "axis 3 of input 0 (None, 4) is out of range for its rank 2"),
        ([1, 1], [(), (4,)], "SB200", "rank >= 2"),
    ],
)
def test_refused_like_keras_with_the_arithmetic(keras, axes, shapes, code, words):
    layer = {"type": "Dot", "axes": axes}
    assert isinstance(keras_dot(keras, layer, shapes), Exception)
    result = check_layer(layer, shapes)
    assert error_codes(result) == [code]
    error = result.errors[0]
    assert words in error.message and error.message.startswith("Dot") and error.hint


def test_explain_shows_the_contraction():
    record = only_record(check_layer({"type": "Dot", "axes": [1, 2], "normalize": True}, [(4, 5), (6, 4)]))
    text = render_steps(record.steps)
    assert text[1] == "Dot sums the products along axis 1 of input 0 and axis 2 of input 1 (size 4 each)"
    assert text[2] == ("input 0 without axis 1: (5,), then input 1 without batch and axis 2: (6,) -> (None, 5, 6)")
    assert "L2 norm" in text[0]
    scalar = render_steps(only_record(check_layer({"type": "Dot", "axes": 1}, [(4,), (4,)])).steps)
    assert scalar[1].endswith("-> (None, 1); nothing is left, so Keras gives (batch, 1)")


@pytest.mark.parametrize("axes", [[1], [1, 2, 3], "last", [1.5, 2]])
def test_malformed_axes_are_refused_as_keras_refuses_them(keras, axes):
    with pytest.raises((ValueError, TypeError)):
        keras.layers.Dot(axes=axes)
    # pydantic calls a one-element pair's missing second axis a missing argument (SB013)
    assert error_codes(check_layer({"type": "Dot", "axes": axes}, [(4,), (4,)])) in (["SB012"], ["SB013"])
