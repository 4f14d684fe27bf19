"""BatchNormalization and LayerNormalization against real Keras 3: shape, params, trainable / non-trainable split."""

from __future__ import annotations

import pytest
from _keras_multi import assert_matches_keras, check_layer, error_codes, keras_result

pytestmark = pytest.mark.keras


def bn(**args):
    return {"type": "BatchNormalization", **args}


def ln(**args):
    return {"type": "LayerNormalization", **args}


MATCHES_KERAS = [
    (bn(), (8, 8, 3)),
    (bn(axis=3), (8, 8, 3)),
    (bn(axis=1), (3, 8, 8)),  # after a channels_first layer
    (bn(axis=-3), (3, 8, 8)),
    (bn(axis=2), (4, 5)),
    (bn(), (5,)),
    (bn(), (None, None, 16)),  # only the normalized axis must be known
    (bn(axis=1), (6, None)),
    (bn(center=False), (4,)),
    (bn(scale=False), (4,)),
    (bn(center=False, scale=False), (4,)),
    (bn(trainable=False), (4,)),
    (bn(momentum=0.9, epsilon=1e-5), (2, 3, 4, 5)),
    (ln(), (8, 8, 3)),
    (ln(axis=[1, 2]), (8, 8, 3)),
    (ln(axis=[-1, -2]), (8, 8, 3)),
    (ln(axis=[1, 2, 3]), (4, 5, 6)),
    (ln(axis=[-1, 1]), (4, 5)),
    (ln(axis=1), (3, 8, 8)),
    (ln(axis=-1), (None, 7)),
    (ln(center=False), (4,)),
    (ln(scale=False), (4,)),
    (ln(center=False, scale=False), (4,)),
    (ln(trainable=False), (4,)),
]


def case_id(case):
    layer, shape = case
    args = {k: v for k, v in layer.items() if k != "type"}
    return f"{layer['type']}-{args}-{shape}".replace(" ", "")


@pytest.mark.parametrize("case", MATCHES_KERAS, ids=case_id)
def test_matches_keras(keras, case):
    layer, shape = case
    assert_matches_keras(keras, layer, [shape])


def test_batchnorm_split_is_2c_trainable_2c_moving_statistics():
    record = check_layer(bn(), [(32, 32, 16)]).records[0]
    assert (record.params, record.trainable_params, record.non_trainable_params) == (64, 32, 32)
    assert record.output_shape == (32, 32, 16)
    frozen = check_layer(bn(trainable=False), [(16,)]).records[0]
    assert (frozen.params, frozen.trainable_params) == (64, 0)


@pytest.mark.parametrize(
    ("layer", "shape", "code", "keras_error"),
    [
        (bn(axis=4), (8, 8, 3), "SB210", IndexError),  # out of range
        (bn(axis=-5), (8, 8, 3), "SB210", IndexError),
        (bn(axis=0), (8, 8, 3), "SB210", ValueError),  # the batch axis: unknown size
        (bn(axis=-4), (8, 8, 3), "SB210", ValueError),
        (bn(), (8, None), "SB205", ValueError),  # the normalized axis is unknown
        (bn(axis=1), (None, 4), "SB205", ValueError),
        (bn(), (), "SB210", ValueError),  # rank 1: only the batch axis is left
        (ln(axis=4), (8, 8, 3), "SB210", IndexError),
        (ln(axis=0), (3,), "SB210", ValueError),
        (ln(axis=-3), (4, 5), "SB210", ValueError),
        (ln(), (8, None), "SB205", ValueError),
        (ln(axis=[1, 2]), (4, None), "SB205", ValueError),
    ],
    ids=["bn-axis4", "bn-axis-5", "bn-batch-axis", "bn-axis-4", "bn-unknown", "bn-axis1-unknown", "bn-rank1",
         "ln-axis4", "ln-batch-axis", "ln-axis-3", "ln-unknown", "ln-list-unknown"],
)
def test_rejected_like_keras(keras, layer, shape, code, keras_error):
    with pytest.raises(keras_error):
        keras_result(keras, layer, [shape])
    result = check_layer(layer, [shape])
    assert error_codes(result) == [code]
    assert result.errors[0].message.startswith(layer["type"])


@pytest.mark.parametrize(
    ("axis", "keras_params"),
    [([], 2), ([1, 1], 32)],
    ids=["empty-list", "repeated-axis"],
)
def test_layernorm_degenerate_axes_are_refused(keras, axis, keras_params):
    # Keras builds these symbolically (scalar gamma/beta for [], a (4, 4) gamma for [1, 1]), but normalizing
    # over no axis returns beta for every input and a repeated axis is a typo: specbridge refuses both.
    assert keras_result(keras, ln(axis=axis), [(4, 5)])[1] == keras_params
    assert error_codes(check_layer(ln(axis=axis), [(4, 5)])) == ["SB210"]


def test_axis_error_points_at_the_axis_argument():
    text = "specbridge: 1\nname: t\ninput: {shape: [8, 8, 3]}\nlayers:\n  - type: BatchNormalization\n    axis: 4\n"
    from specbridge.check import check_text

    (err,) = check_text(text, lint=False).errors
    assert (err.code, err.line) == ("SB210", 6)
    assert "valid axes are 1..3 or -1..-3" in err.message
