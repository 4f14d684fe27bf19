"""`shares:`: a layer called again. Its input must fit the shared weights exactly where Keras's second call
checks it, its parameters count once as count_params() counts them, and a `shares` that cannot hold is a located
error naming what differs."""

from __future__ import annotations

import pytest

from specbridge.check import check_text

HEAD = "specbridge: 1\nname: t\ninputs: [{{name: a, shape: {a}}}, {{name: b, shape: {b}}}]\noutputs: [{outs}]\nlayers:\n"


def _spec(a, b, layers: str, outs: str) -> str:
    return HEAD.format(a=a, b=b, outs=outs) + layers


def _errors(text: str) -> list[tuple[str, int, str]]:
    return [(d.code, d.line, d.message) for d in check_text(text).errors]


CALLS = {  # layer, input of the first call, input of the second: Keras decides whether the second call works
    "dense_other_features": ("Dense", {"units": 4}, [3], [5]),
    "dense_other_rank": ("Dense", {"units": 4}, [3], [7, 3]),
    "conv_other_size": ("Conv2D", {"filters": 2, "kernel_size": 3}, [8, 8, 3], [12, 10, 3]),
    "conv_other_channels": ("Conv2D", {"filters": 2, "kernel_size": 3}, [8, 8, 3], [8, 8, 4]),
    "lstm_other_steps": ("LSTM", {"units": 2}, [5, 3], [9, 3]),
    "lstm_other_features": ("LSTM", {"units": 2}, [5, 3], [5, 4]),
    "embedding_other_length": ("Embedding", {"input_dim": 10, "output_dim": 3}, [4], [6]),
}


@pytest.mark.parametrize("case", sorted(CALLS))
def test_a_second_call_is_accepted_exactly_when_keras_accepts_it(keras, case):
    kind, args, first, second = CALLS[case]
    layer = getattr(keras.layers, kind)(**args)
    dtype = "int32" if kind == "Embedding" else "float32"
    import numpy as np

    layer(keras.Input(tuple(first), dtype=dtype))
    try:  # run on data: Keras's symbolic call lets an LSTM read 4 features with a kernel built for 3
        out = layer(np.zeros((1, *second), dtype=dtype))
        keras_ok = True
    except Exception:  # ValueError from the input spec, InvalidArgumentError from TensorFlow's matmul
        keras_ok = False
    arguments = ", ".join(f"{k}: {v}" for k, v in args.items())
    text = HEAD.replace("shape: {a}", f"shape: {{a}}, dtype: {dtype}").replace("shape: {b}", f"shape: {{b}}, dtype: {dtype}")
    text = text.format(a=first, b=second, outs="x, y") + (
        f"  - {{type: {kind}, name: x, inputs: [a], {arguments}}}\n"
        f"  - {{type: {kind}, name: y, inputs: [b], shares: x, {arguments}}}\n")
    result = check_text(text)
    assert result.ok == keras_ok, [d.message for d in result.errors]
    if keras_ok:
        assert result.record("y").output_shape == tuple(out.shape[1:])
        assert result.total_params == layer.count_params()
        assert result.record("y").params == 0 and result.record("y").shares == "x"
    else:
        assert [d.code for d in result.errors] == ["SB105"]


DENSE = "  - {type: Dense, units: 4, name: x, inputs: [a]}\n"
BAD = {  # layers after DENSE, outputs -> (code, line, words of the message)
    "other_argument": ("  - {type: Dense, units: 5, name: y, inputs: [b], shares: x}\n", "x, y",
                       ("SB105", 7, "differs from it in `units`: 5 here, 4 there")),
    "other_type": ("  - {type: Activation, activation: relu, name: y, inputs: [b], shares: x}\n", "x, y",
                   ("SB105", 7, "differs from it in `type`: 'Activation' here, 'Dense' there")),
    "frozen_copy": ("  - {type: Dense, units: 4, name: y, inputs: [b], shares: x, trainable: false}\n", "x, y",
                    ("SB105", 7, "`trainable`: False here, True there")),
    "unknown": ("  - {type: Dense, units: 4, name: y, inputs: [b], shares: z}\n", "x, y",
                ("SB101", 7, "shares 'z': no layer has that name")),
    "input": ("  - {type: Dense, units: 4, name: y, inputs: [b], shares: a}\n", "x, y",
              ("SB105", 7, "an input, which has no weights")),
    "itself": ("  - {type: Dense, units: 4, name: y, inputs: [b], shares: y}\n", "x, y", ("SB105", 7, "itself")),
    "later": ("  - {type: Dense, units: 4, name: y, inputs: [b], shares: w}\n"
              "  - {type: Dense, units: 4, name: w, inputs: [a]}\n", "x, y, w", ("SB105", 7, "comes later")),
    "owner_reads_it": ("  - {type: Dense, units: 4, name: w, inputs: [y]}\n"
                       "  - {type: Dense, units: 4, name: y, inputs: [b], shares: w}\n", "x, w",
                       ("SB105", 8, "'w' reads this layer's output")),
    "inside_wrapper": ("  - {type: TimeDistributed, name: y, inputs: [b], layer: {type: Dense, units: 4, shares: x}}\n",
                       "x, y", ("SB105", 7, "the layer a wrapper holds cannot share")),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_shares_that_cannot_hold_is_one_located_error(case):
    layers, outs, (code, line, words) = BAD[case]
    errors = _errors(_spec("[3]", "[3]" if case != "inside_wrapper" else "[2, 3]", DENSE + layers, outs))
    assert len(errors) == 1 and errors[0][:2] == (code, line) and words in errors[0][2], errors


def test_a_chain_resolves_to_the_first_call_and_counts_once(keras):
    text = _spec("[4]", "[4]", DENSE.replace("units: 4", "units: 4, use_bias: true")
                 + "  - {type: Dense, units: 4, name: y, shares: x}\n  - {type: Dense, units: 4, name: z, shares: y}\n"
                   "  - {type: Add, name: out, inputs: [z, b]}\n", "out")
    result = check_text(text)
    assert result.ok, [d.message for d in result.errors]
    assert [result.record(n).shares for n in "xyz"] == [None, "x", "x"]
    dense = keras.layers.Dense(4)
    a, b = keras.Input((4,)), keras.Input((4,))
    model = keras.Model([a, b], keras.layers.Add()([dense(dense(dense(a))), b]))
    assert result.total_params == model.count_params()


def test_expect_on_a_later_call_asserts_no_parameters_of_its_own():
    layers = "  - {type: Dense, units: 4, name: y, inputs: [b], shares: x, expect: {params: 16}}\n"
    errors = _errors(_spec("[3]", "[3]", DENSE + layers, "x, y"))
    assert [(code, line) for code, line, _ in errors] == [("SB209", 7)]
    assert "expected params=16, inferred 0" in errors[0][2]
