"""Concatenate and the element-wise merges against real Keras 3, through graph specs with named inputs."""

from __future__ import annotations

import pytest
from _keras_multi import assert_matches_keras, check_layer, error_codes, keras_result

pytestmark = pytest.mark.keras

ELEMENTWISE = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum"]

# Input shape pairs that Keras 3.15 accepts for every element-wise merge (measured): NumPy-style
# broadcasting aligned on the right, unknown dims giving unknown results.
BROADCASTS = [
    ((3, 4), (3, 4)),
    ((3, 4), (1, 4)),
    ((3, 4), (4,)),
    ((4,), (3, 4)),
    ((3, 1), (1, 4)),
    ((3, 4), (1,)),
    ((None, 4), (3, 4)),
    ((3, 4), (None, 4)),
    ((None, None), (None, 4)),
    ((2, 3, 4), (3, 1)),
]

# ... and pairs it refuses ("Inputs have incompatible shapes. Received shapes ... and ...").
INCOMPATIBLE = [
    ((3, 4), (3, 5)),
    ((3, 4), (5,)),
    ((5,), (3, 4)),
    ((None, 4), (None, 5)),
    ((2, 3, 4), (2, 4)),
]


def shape_id(shapes):
    return "+".join("x".join("N" if d is None else str(d) for d in s) or "scalar" for s in shapes)


@pytest.mark.parametrize("kind", ELEMENTWISE)
@pytest.mark.parametrize("shapes", BROADCASTS, ids=shape_id)
def test_elementwise_matches_keras(keras, kind, shapes):
    assert_matches_keras(keras, {"type": kind}, list(shapes))


@pytest.mark.parametrize("kind", ELEMENTWISE)
@pytest.mark.parametrize("shapes", INCOMPATIBLE, ids=shape_id)
def test_elementwise_mismatch_rejected_like_keras(keras, kind, shapes):
    with pytest.raises(ValueError, match="Inputs have incompatible shapes"):
        keras_result(keras, {"type": kind}, list(shapes))
    result = check_layer({"type": kind}, list(shapes))
    assert error_codes(result) == ["SB204"]
    (err,) = result.errors
    assert err.message.startswith(f"{kind}: inputs have incompatible shapes")
    # both shapes are echoed, batch axis included as Keras prints it
    for shape in shapes:
        assert "(None, " + ", ".join("None" if d is None else str(d) for d in shape) in err.message


@pytest.mark.parametrize(
    "shapes",
    [((3, 4), (1, 4), (3, 1)), ((None, 4), (3, 1), (1, 4), (3, 4))],
    ids=shape_id,
)
@pytest.mark.parametrize("kind", ["Add", "Multiply", "Average", "Maximum", "Minimum"])
def test_elementwise_many_inputs_match_keras(keras, kind, shapes):
    assert_matches_keras(keras, {"type": kind}, list(shapes))


def test_third_input_mismatch_names_the_input(keras):
    shapes = [(3, 4), (1, 4), (3, 5)]
    with pytest.raises(ValueError):
        keras_result(keras, {"type": "Add"}, shapes)
    (err,) = check_layer({"type": "Add"}, shapes).errors
    assert err.code == "SB204" and "(input 2)" in err.message and "4 vs 5" in err.message


def test_subtract_takes_exactly_two_inputs(keras):
    shapes = [(3, 4)] * 3
    with pytest.raises(ValueError, match="exactly 2 inputs"):
        keras_result(keras, {"type": "Subtract"}, shapes)
    assert error_codes(check_layer({"type": "Subtract"}, shapes)) == ["SB104"]


CONCATENATES = [
    ({}, ((3, 4), (3, 5))),
    ({"axis": -1}, ((3, 4), (3, 5), (3, 1))),
    ({"axis": 1}, ((3, 4), (5, 4))),
    ({"axis": -2}, ((3, 4), (5, 4))),
    ({"axis": 2}, ((3, 4), (3, 4))),
    ({"axis": 1}, ((1, 4), (3, 4))),
    ({}, ((3,), (3,))),
    ({}, ((8, 8, 16), (8, 8, 32), (8, 8, 8))),  # inception-style channel concat
    ({"axis": 1}, ((16, 8, 8), (32, 8, 8))),  # channels_first channel concat
    # unknown dims: unknown matches anything; the output takes the first input's other axes
    ({}, ((None, 4), (3, 5))),
    ({}, ((3, 4), (None, 5))),
    ({}, ((3, None), (3, 5))),
    ({"axis": 1}, ((None, 4), (2, 4))),
    ({}, ((None, None), (None, 2))),
]


@pytest.mark.parametrize(("args", "shapes"), CONCATENATES, ids=lambda v: shape_id(v) if isinstance(v, tuple) else str(v))
def test_concatenate_matches_keras(keras, args, shapes):
    assert_matches_keras(keras, {"type": "Concatenate", **args}, list(shapes))


@pytest.mark.parametrize(
    ("args", "shapes", "code", "keras_error"),
    [
        ({}, ((3, 4), (5, 4)), "SB204", ValueError),
        ({"axis": 1}, ((3, 4), (3, 5)), "SB204", ValueError),
        ({}, ((1, 4), (3, 4)), "SB204", ValueError),  # a size 1 does not broadcast in Concatenate
        ({}, ((3, 4), (3, 4, 1)), "SB204", ValueError),  # ranks differ
        ({}, ((8, 8, 16), (4, 4, 16)), "SB204", ValueError),
        ({"axis": 3}, ((3, 4), (3, 4)), "SB210", IndexError),  # out of range
        ({"axis": -4}, ((3, 4), (3, 4)), "SB210", IndexError),
    ],
    ids=["axis-1-rows", "axis1-cols", "size1", "ranks", "spatial", "axis3", "axis-4"],
)
def test_concatenate_rejected_like_keras(keras, args, shapes, code, keras_error):
    with pytest.raises(keras_error):
        keras_result(keras, {"type": "Concatenate", **args}, list(shapes))
    result = check_layer({"type": "Concatenate", **args}, list(shapes))
    assert error_codes(result) == [code]
    if code == "SB204":
        listed = ", ".join("(None, " + ", ".join(map(str, s)) + ")" for s in shapes)
        assert (
            "requires inputs with matching shapes except for the concatenation axis" in result.errors[0].message
            and f"Received: input_shape=[{listed}]" in result.errors[0].message
        )


def test_concatenate_on_the_batch_axis_is_refused(keras):
    # Keras accepts axis=0 symbolically (it would stack samples); spec shapes describe one sample.
    assert keras_result(keras, {"type": "Concatenate", "axis": 0}, [(3, 4), (3, 4)])[0] == (3, 4)
    assert error_codes(check_layer({"type": "Concatenate", "axis": 0}, [(3, 4), (3, 4)])) == ["SB210"]


def test_merge_in_a_graph_with_branches(keras):
    """Two Dense branches of one input merged: the whole graph pipeline, counted against Keras."""
    from specbridge.check import check_text

    text = """
specbridge: 1
name: two_branches
inputs: [{name: x, shape: [16]}]
layers:
  - {type: Dense, units: 8, name: left, inputs: [x]}
  - {type: Dense, units: 8, name: right, inputs: [x]}
  - {type: Add, name: sum, inputs: [left, right]}
  - {type: Concatenate, name: both, inputs: [sum, left, right]}
"""
    result = check_text(text, lint=False)
    assert result.ok, result.diagnostics
    x = keras.Input((16,))
    left, right = keras.layers.Dense(8)(x), keras.layers.Dense(8)(x)
    both = keras.layers.Concatenate()([keras.layers.Add()([left, right]), left, right])
    model = keras.Model(x, both)
    assert result.record("both").output_shape == tuple(model.output.shape[1:]) == (24,)
    assert result.total_params == model.count_params()


def test_explain_steps_carry_the_numbers():
    from specbridge.report.steps import render_steps

    record = check_layer({"type": "Concatenate"}, [(3, 4), (3, 5)]).records[0]
    joined, shape = record.steps
    assert (joined.formula, joined.values["sizes"], joined.result) == ("sum(sizes)", [4, 5], 9)
    assert shape.result == (3, 9)
    assert render_steps(record.steps) == [
        "Concatenate joins 2 inputs along axis -1: 4 + 5 = 9; the other axes must match",
        "[(None, 3, 4), (None, 3, 5)] -> (None, 3, 9); no weights: params = 0",
    ]
    record = check_layer({"type": "Add"}, [(3, 4), (4,)]).records[0]
    assert record.steps[0].result == (3, 4) and record.steps[0].values["inputs"] == ((3, 4), (4,))
