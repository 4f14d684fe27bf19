"""ConvLSTM1D, ConvLSTM2D and ConvLSTM3D: shapes, parameter counts and refusals against real Keras 3, built
symbolically (no data runs, so channels_first needs no CPU kernel).

One table for the three ranks: every case is written once per rank, as Keras writes the three layers on one
ConvLSTM base that differs in the rank alone.
"""

from __future__ import annotations

import itertools

import pytest
from _keras_multi import assert_matches_keras, check_layer, error_codes, keras_result

from specbridge.report.steps import render_steps

pytestmark = pytest.mark.keras

RANKS = (1, 2, 3)
KINDS = {1: "ConvLSTM1D", 2: "ConvLSTM2D", 3: "ConvLSTM3D"}
# Spatial sizes, different on every axis so that an axis read in the wrong place shows in the output shape.
FRAMES = {1: (11,), 2: (10, 9), 3: (9, 8, 7)}


def clstm(rank: int, **args) -> dict:
    return {"type": KINDS[rank], "filters": 4, "kernel_size": 3, **args}


def per_axis(rank: int, values: list) -> list:
    """One entry per spatial axis: the first `rank` of `values`."""
    return values[:rank]


def frames(rank: int, channels=2, *, time=5, data_format: str = "channels_last", spatial=None) -> tuple:
    """A sequence of frames, batch excluded: (time, *spatial, channels), or channels before the spatial axes."""
    spatial = FRAMES[rank] if spatial is None else spatial
    return (time, channels, *spatial) if data_format == "channels_first" else (time, *spatial, channels)


# The convolution's arguments, swept over both data formats and return_sequences.
CONV_ARGS = [
    {},
    {"padding": "same"},
    {"strides": 2},
    {"strides": 2, "padding": "same"},  # TF 'same': ceil(L / s), the extra padding cell at the end
    {"dilation_rate": 2},
    {"dilation_rate": 2, "padding": "same", "kernel_size": 2},  # an even kernel: asymmetric 'same'
]
SWEEP = [
    (clstm(rank, data_format=data_format, return_sequences=sequences, **args),
     frames(rank, data_format=data_format, time=time))
    for rank, data_format, args, sequences in itertools.product(
        RANKS, ("channels_last", "channels_first"), CONV_ARGS, (False, True))
    for time in ((None,) if sequences and not args else (4,))  # any number of frames, where it is the only change
]


def rank_cases(rank: int) -> list:
    """Per-axis arguments, unknown time, bias and activations, training-only options, frozen weights."""
    three = per_axis(rank, [3, 2, 4])
    return [
        (clstm(rank, kernel_size=three, strides=per_axis(rank, [2, 3, 1])), frames(rank, 3)),
        (clstm(rank, kernel_size=per_axis(rank, [4, 2, 3]), padding="SAME", strides=per_axis(rank, [3, 1, 2]),
               return_sequences=True), frames(rank)),
        (clstm(rank, kernel_size=4, padding="same", dilation_rate=per_axis(rank, [1, 2, 3])), frames(rank, 1)),
        (clstm(rank, return_sequences=True), frames(rank, time=None)),
        (clstm(rank, use_bias=False, unit_forget_bias=False), frames(rank)),
        (clstm(rank, unit_forget_bias=False, data_format="channels_first"), frames(rank, 3, data_format="channels_first")),
        (clstm(rank, activation="relu", recurrent_activation="hard_sigmoid", go_backwards=True), frames(rank)),
        (clstm(rank, dropout=0.2, recurrent_dropout=0.1, seed=3, return_sequences=True), frames(rank)),
        (clstm(rank, filters=7, kernel_size=1, trainable=False), frames(rank, 5, time=2)),
        (clstm(rank, kernel_size=per_axis(rank, [9, 8, 7])), frames(rank, time=1)),  # the kernel spans the frame
    ]


EXTRA = [case for rank in RANKS for case in rank_cases(rank)]


def case_id(case) -> str:
    layer, shape = case
    args = {k: v for k, v in layer.items() if k != "type"}
    return f"{layer['type']}-{args}-{shape}".replace(" ", "")


@pytest.mark.parametrize("case", SWEEP + EXTRA, ids=case_id)
def test_conv_lstm_matches_keras(keras, case):
    layer, shape = case
    assert_matches_keras(keras, layer, [shape])


@pytest.mark.parametrize("rank", RANKS)
def test_conv_lstm_reads_the_spec_data_format(assert_matches_keras, rank):
    # The spec-level data_format applies (DATA_FORMAT trait): channels first, as Keras with data_format set.
    spatial = FRAMES[rank]
    record = assert_matches_keras(KINDS[rank], {"filters": 3, "kernel_size": 2}, (4, 2, *spatial), "channels_first")
    assert record.output_shape == (3, *(n - 1 for n in spatial))


def rejected(rank: int) -> list:
    """(layer, input shape, code): what Keras refuses for a ConvLSTM of this rank, and specbridge's code."""
    last, first = frames(rank), frames(rank, data_format="channels_first")
    unknown_axis = (5, None, *FRAMES[rank][1:], 2)
    return [
        (clstm(rank), last[1:], "SB200"),  # one frame, no time axis
        (clstm(rank), (*last, 1), "SB200"),
        (clstm(rank), unknown_axis, "SB205"),  # Keras: static spatial dims only
        (clstm(rank), (*last[:-1], None), "SB205"),
        (clstm(rank, data_format="channels_first"), (5, None, *FRAMES[rank]), "SB205"),
        (clstm(rank, data_format="channels_first"), (*first[:-1], None), "SB205"),
        (clstm(rank, kernel_size=12), last, "SB201"),  # wider than the frame: an output of 0 or fewer cells
        (clstm(rank, kernel_size=7, dilation_rate=2), last, "SB201"),  # spans (7 - 1) * 2 + 1 = 13
        (clstm(rank, strides=2, dilation_rate=2), last, "SB206"),
        (clstm(rank, padding="causal"), last, "SB012"),
        (clstm(rank, kernel_size=[3] * (rank + 1)), last, "SB012"),
    ]


REJECTED = [(rank, *case) for rank in RANKS for case in rejected(rank)]
REJECTED_IDS = [f"{KINDS[rank]}-{i}" for rank in RANKS for i in (
    "rank-short", "rank-long", "unknown-spatial", "unknown-channels", "first-unknown-channels",
    "first-unknown-spatial", "kernel-too-big", "dilated-kernel-too-big", "stride-and-dilation", "causal",
    "kernel-extra-axis")]


@pytest.mark.parametrize(("rank", "layer", "shape", "code"), REJECTED, ids=REJECTED_IDS)
def test_conv_lstm_rejected_like_keras(keras, rank, layer, shape, code):
    with pytest.raises(ValueError):
        keras_result(keras, layer, [shape])
    assert error_codes(check_layer(layer, [shape])) == [code]


@pytest.mark.parametrize(("rank", "expected"), [
    (1, "expects ndim=4 (batch, time, steps, channels), found ndim=3"),
    (2, "expects ndim=5 (batch, time, rows, cols, channels), found ndim=4"),
    (3, "expects ndim=6 (batch, time, depth, rows, cols, channels), found ndim=5"),
])
def test_conv_lstm_rank_error_explains_the_time_axis(rank, expected):
    (err,) = check_layer(clstm(rank), [frames(rank)[1:]]).errors
    assert expected in err.message
    assert "add a time axis" in err.hint


def test_conv_lstm_unknown_size_names_the_axes():
    (err,) = check_layer(clstm(3), [(5, 9, None, 7, 2)]).errors
    assert "ConvLSTM3D needs known depth, rows, cols and channels" in err.message
    assert "got (None, 5, 9, None, 7, 2)" in err.message


def test_conv_lstm_steps_show_the_arithmetic(keras):
    record = check_layer(clstm(2, filters=8, strides=2), [(None, 40, 40, 1)]).records[0]
    params = next(s for s in record.steps if s.topic == "params")
    assert (params.result, params.formula) == (record.params, "4 * (kh*kw*in*f + kh*kw*f*f + f)")
    text = render_steps(record.steps)
    assert "rows: floor((40 - 3) / 2) + 1 = 19" in text
    assert "params = 4 gates (i, f, c, o) * (3*3*1*8 + 3*3*8*8 + 8) = 2,624" in text
    assert "weights in Keras: kernel (3, 3, 1, 32), recurrent_kernel (3, 3, 8, 32), bias (32,)" in text
    assert keras_result(keras, clstm(2, filters=8, strides=2), [(None, 40, 40, 1)])[1] == 2_624


def test_conv_lstm_1d_and_3d_steps(keras):
    one = check_layer(clstm(1, filters=2, padding="same", strides=2, use_bias=False), [(None, 11, 3)]).records[0]
    text = render_steps(one.steps)
    assert "steps: ceil(11 / 2) = 6" in text
    assert "params = 4 gates (i, f, c, o) * (3*3*2 + 3*2*2) = 120" in text
    assert "weights in Keras: kernel (3, 3, 8), recurrent_kernel (3, 2, 8)" in text
    assert next(s for s in one.steps if s.topic == "params").formula == "4 * (k*in*f + k*f*f)"
    three = check_layer(clstm(3, kernel_size=[2, 3, 1], return_sequences=True), [(4, 9, 8, 7, 2)]).records[0]
    text = render_steps(three.steps)
    assert "depth: 9 - 2 + 1 = 8" in text
    assert "return_sequences=true: the 8x6x7x4 state after every time step" in text
    assert next(s for s in three.steps if s.topic == "params").formula == "4 * (kd*kh*kw*in*f + kd*kh*kw*f*f + f)"
    for record, layer, shape in ((one, clstm(1, filters=2, padding="same", strides=2, use_bias=False), (None, 11, 3)),
                                 (three, clstm(3, kernel_size=[2, 3, 1], return_sequences=True), (4, 9, 8, 7, 2))):
        assert (record.output_shape, record.params) == keras_result(keras, layer, [shape])[:2]
