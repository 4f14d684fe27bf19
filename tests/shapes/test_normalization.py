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


# ---------------------------------------------------------------- GroupNormalization


def gn(**args):
    return {"type": "GroupNormalization", **args}


GROUP_NORM_MATCHES_KERAS = [
    (gn(), (8, 8, 64)),  # the default: 32 groups
    (gn(groups=4), (8, 8, 12)),
    (gn(groups=-1), (8, 8, 6)),  # instance normalization: one group per channel
    (gn(groups=1), (5, 6)),  # one group: layer normalization over everything
    (gn(groups=2, axis=1), (6, 8, None)),  # channels_first; only the grouped axis must be known
    (gn(groups=2, axis=-2), (6, 8, 4)),
    (gn(groups=2, axis=3), (None, None, 4)),
    (gn(groups=2), (4,)),
    (gn(groups=3, center=False), (4, 6)),
    (gn(groups=3, scale=False), (4, 6)),
    (gn(groups=3, center=False, scale=False), (4, 6)),
    (gn(groups=3, epsilon=1e-5, trainable=False), (4, 6)),
]


@pytest.mark.parametrize("case", GROUP_NORM_MATCHES_KERAS, ids=case_id)
def test_group_norm_matches_keras(keras, case):
    layer, shape = case
    assert_matches_keras(keras, layer, [shape])


@pytest.mark.parametrize(
    ("layer", "shape", "code", "keras_error"),
    [
        (gn(groups=4), (8, 8, 6), "SB210", ValueError),  # 6 channels in 4 groups
        (gn(groups=4), (8, 8, 2), "SB210", ValueError),  # more groups than channels
        (gn(), (8, 8, 16), "SB210", ValueError),  # the default 32 groups on 16 channels
        (gn(groups=2, axis=4), (6, 8, 4), "SB210", IndexError),
        (gn(groups=2, axis=-4), (6, 8, 4), "SB210", ValueError),  # the batch axis
        (gn(groups=2, axis=0), (6, 8), "SB210", ValueError),
        (gn(groups=2), (6, None), "SB205", ValueError),
        (gn(groups=2), (), "SB210", ValueError),  # rank 1: only the batch axis
    ],
    ids=["not-divisible", "more-groups-than-channels", "default-32", "axis-out-of-range", "axis-batch-negative",
         "axis-batch", "unknown-channels", "rank1"],
)
def test_group_norm_rejected_like_keras(keras, layer, shape, code, keras_error):
    with pytest.raises(keras_error):
        keras_result(keras, layer, [shape])
    result = check_layer(layer, [shape])
    assert error_codes(result) == [code]
    assert result.errors[0].message.startswith("GroupNormalization")


@pytest.mark.parametrize("groups", [0, -2])
def test_group_norm_constructor_refuses_groups_like_keras(keras, groups):
    with pytest.raises(ValueError, match="groups"):
        keras.layers.GroupNormalization(groups=groups)
    result = check_layer(gn(groups=groups), [(4, 8)])
    assert error_codes(result) == ["SB012"]
    assert "-1 for instance normalization" in result.errors[0].message


def test_group_norm_error_suggests_a_divisor():
    (err,) = check_layer(gn(groups=4), [(8, 8, 6)]).errors
    assert "groups=4 is not a divisor of the 6 channels" in err.message
    assert "e.g. 3" in err.hint


def test_group_norm_steps_show_the_arithmetic():
    from specbridge.report.steps import render_steps

    record = check_layer(gn(groups=4), [(8, 8, 12)]).records[0]
    groups, params = record.steps
    assert (groups.result, params.result, params.formula) == (3, 24, "count * channels")
    text = render_steps(record.steps)
    assert text == [
        "axis -1 has 12 channels in 4 groups of 12 / 4 = 3; each sample is normalized per group, over that group's "
        "channels and every other axis",
        "params = gamma and beta (one per channel) = 2 * 12 = 24",
    ]


def test_explain_steps_carry_the_numbers():
    from specbridge.report.steps import render_steps

    record = check_layer(bn(), [(61, 61, 24)]).records[0]
    features, trainable, moving, params, _note = record.steps
    assert (features.values["axis"], features.result) == (-1, 24)
    assert (trainable.formula, trainable.values["weights"], trainable.result) == ("count * features", ("gamma", "beta"), 48)
    assert (moving.formula, moving.result) == ("2 * features", 48)
    assert dict(params.values) == {"trainable": 48, "non_trainable": 48} and params.result == 96
    record = check_layer(ln(axis=[1, -1]), [(4, 5)]).records[0]
    axes, params = record.steps
    assert axes.values["sizes"] == (4, 5) and axes.result == 20 and params.result == 40
    assert render_steps(record.steps) == [
        "each sample is normalized over axis [1, -1] (4x5 values)",
        "params = gamma and beta of shape (4, 5) = 2 * 20 = 40",
    ]
