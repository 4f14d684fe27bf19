"""SimpleRNN, LSTM, GRU and Bidirectional: shapes and parameter counts against real Keras 3, built symbolically."""

from __future__ import annotations

import pytest
from _keras_multi import assert_matches_keras, check_layer, error_codes, keras_result

from specbridge.report.steps import render_steps

pytestmark = pytest.mark.keras


def lstm(**args):
    return {"type": "LSTM", **args}


def gru(**args):
    return {"type": "GRU", **args}


def rnn(**args):
    return {"type": "SimpleRNN", **args}


def bi(inner, **args):
    return {"type": "Bidirectional", "layer": inner, **args}


# (layer as a spec mapping, input shape without batch)
MATCHES_KERAS = [
    (lstm(units=64), (10, 32)),
    (lstm(units=64, return_sequences=True), (10, 32)),
    (lstm(units=7, use_bias=False), (None, 3)),
    (lstm(units=5, go_backwards=True, unit_forget_bias=False, return_sequences=True), (None, 4)),
    (lstm(units=4, trainable=False), (6, 3)),
    (gru(units=16), (10, 8)),
    (gru(units=16, reset_after=False), (10, 8)),
    (gru(units=16, use_bias=False), (10, 8)),
    (gru(units=16, use_bias=False, reset_after=False), (10, 8)),
    (gru(units=3, return_sequences=True), (None, 5)),
    (gru(units=3, reset_after=False, return_sequences=True), (12, 5)),
    (rnn(units=5), (20, 3)),
    (rnn(units=5, return_sequences=True), (None, 3)),
    (rnn(units=5, use_bias=False, activation="relu"), (20, 3)),
    (bi(lstm(units=8, return_sequences=True)), (10, 4)),
    (bi(lstm(units=8, return_sequences=True), merge_mode="concat"), (None, 4)),
    (bi(lstm(units=8, return_sequences=True), merge_mode="sum"), (10, 4)),
    (bi(lstm(units=8, return_sequences=True), merge_mode="mul"), (10, 4)),
    (bi(lstm(units=8, return_sequences=True), merge_mode="ave"), (10, 4)),
    (bi(lstm(units=8)), (10, 4)),
    (bi(lstm(units=8), merge_mode="sum"), (10, 4)),
    (bi(gru(units=8)), (10, 4)),
    (bi(gru(units=8, reset_after=False, return_sequences=True)), (10, 4)),
    (bi(gru(units=6, use_bias=False), merge_mode="ave"), (None, 2)),
    (bi(rnn(units=4)), (10, 3)),
    (bi(rnn(units=4, return_sequences=True), merge_mode="mul"), (10, 3)),
    (bi(lstm(units=3, trainable=False)), (5, 2)),
    (bi(lstm(units=3), trainable=False), (5, 2)),
]


def case_id(case):
    layer, shape = case
    inner = layer.get("layer")
    args = {k: v for k, v in layer.items() if k not in ("type", "layer")}
    name = layer["type"] + (f"({inner['type']},{inner.get('units')})" if inner else "")
    return f"{name}-{args}-{shape}".replace(" ", "")


@pytest.mark.parametrize("case", MATCHES_KERAS, ids=case_id)
def test_matches_keras(keras, case):
    layer, shape = case
    assert_matches_keras(keras, layer, [shape])


@pytest.mark.parametrize(
    ("layer", "shape", "code"),
    [
        # LSTM after Dense on a rank-2 tensor: no time axis.
        (lstm(units=8), (10,), "SB200"),
        # LSTM straight after Conv2D: rank 4.
        (lstm(units=8), (8, 8, 32), "SB200"),
        (gru(units=4), (10, 3, 2), "SB200"),
        (rnn(units=4), (10, None), "SB205"),
        (lstm(units=4), (None, None), "SB205"),
        (bi(gru(units=8)), (10,), "SB200"),
        (bi(rnn(units=4)), (10, None), "SB205"),
    ],
    ids=["lstm-rank2", "lstm-rank4", "gru-rank4", "rnn-unknown-features", "lstm-all-unknown", "bi-rank2",
         "bi-unknown-features"],
)
def test_rejected_like_keras(keras, layer, shape, code):
    with pytest.raises(ValueError):
        keras_result(keras, layer, [shape])
    result = check_layer(layer, [shape])
    assert error_codes(result) == [code]


def test_rank_errors_explain_the_fix():
    (after_dense,) = check_layer(lstm(units=8), [(10,)]).errors
    assert "expects ndim=3" in after_dense.message and "found ndim=2" in after_dense.message
    assert "RepeatVector" in after_dense.hint and "Reshape" in after_dense.hint
    (after_conv,) = check_layer(lstm(units=8), [(8, 8, 32)]).errors
    assert "TimeDistributed" in after_conv.hint and "Reshape([8, 256])" in after_conv.hint


def test_input_size_assertion_matches_pytorch():
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. Expected 10, got 8"):
        torch.nn.LSTM(input_size=10, hidden_size=4, batch_first=True)(torch.zeros(2, 5, 8))
    (err,) = check_layer(lstm(units=4, input_size=10), [(5, 8)]).errors
    assert err.code == "SB203"
    assert "input.size(-1) must be equal to input_size. Expected 10, got 8" in err.message
    assert err.hint.startswith("set input_size: 8")
    # the same assertion inside Bidirectional is reported with the wrapper and the inner kind
    (wrapped,) = check_layer(bi(gru(units=4, input_size=10)), [(5, 8)]).errors
    assert wrapped.code == "SB203" and wrapped.message.startswith("Bidirectional(GRU): ")
    # a right input_size passes
    assert check_layer(lstm(units=4, input_size=8), [(5, 8)]).ok


def test_bidirectional_without_merge_is_refused(keras):
    # Keras returns two tensors for merge_mode=None; a spec layer has a single output.
    outputs = keras.layers.Bidirectional(keras.layers.LSTM(3), merge_mode=None)(keras.Input((5, 2)))
    assert isinstance(outputs, (list, tuple)) and len(outputs) == 2
    (err,) = check_layer(bi(lstm(units=3), merge_mode=None), [(5, 2)]).errors
    assert err.code == "SB210" and "merged output" in err.message


def test_explain_steps_show_the_arithmetic():
    result = check_layer(lstm(units=64), [(10, 32)])
    steps = " ".join(render_steps(result.records[0].steps))
    assert "4 * ((32 + 64) * 64 + 64) = 24,832" in steps and "four gates" in steps
    steps = " ".join(render_steps(check_layer(gru(units=16), [(10, 8)]).records[0].steps))
    assert "3 * ((8 + 16) * 16 + 2 * 16) = 1,248" in steps
    steps = " ".join(render_steps(check_layer(gru(units=16, reset_after=False), [(10, 8)]).records[0].steps))
    assert "3 * ((8 + 16) * 16 + 16) = 1,200" in steps


def test_explain_steps_carry_the_numbers():
    shape, params, kernels, torch_params = check_layer(lstm(units=64, return_sequences=True), [(10, 32)]).records[0].steps
    assert (shape.topic, shape.result) == ("shape", (10, 64))
    assert (params.topic, params.formula, params.result) == ("params", "gates * ((in + units) * units + units)", 24832)
    assert dict(params.values) == {"kind": "LSTM", "gates": 4, "in": 32, "units": 64, "activation": "tanh"}
    assert kernels.values["width"] == 256
    assert torch_params.result == 4 * (32 * 64 + 64 * 64 + 2 * 64)
    steps = check_layer(bi(lstm(units=4)), [(10, 3)]).records[0].steps
    merged = next(s for s in steps if s.topic == "features")
    assert merged.result == 8 and merged.values["merge_mode"] == "concat"
    inner = [s for s in steps if s.within == ("each direction",)]
    assert [s.topic for s in inner] == ["shape", "params", "kernel shape", "params (PyTorch)"]
    assert render_steps(inner)[1].startswith("each direction: LSTM params = 4 * ((in + units)")
    assert steps[-1].result == 2 * inner[1].result


@pytest.mark.parametrize(
    ("layer", "torch_class"),
    [(lstm(units=6), "LSTM"), (gru(units=6), "GRU"), (rnn(units=6), "RNN"), (lstm(units=6, use_bias=False), "LSTM")],
    ids=["lstm", "gru", "rnn", "lstm-no-bias"],
)
def test_explain_quotes_the_pytorch_count(layer, torch_class):
    torch = pytest.importorskip("torch")
    module = getattr(torch.nn, torch_class)(5, 6, bias=layer.get("use_bias", True))
    torch_params = sum(p.numel() for p in module.parameters())
    steps = render_steps(check_layer(layer, [(4, 5)]).records[0].steps)
    pytorch_step = next(s for s in steps if s.startswith("PyTorch"))
    if "counts the same" in pytorch_step:
        assert torch_params == check_layer(layer, [(4, 5)]).records[0].params
    else:
        assert pytorch_step.endswith(f"= {torch_params:,}")


def test_bidirectional_of_a_non_recurrent_layer_is_refused(keras):
    # Keras fails while building the backward copy: Dense takes no go_backwards.
    with pytest.raises(TypeError, match="go_backwards"):
        keras_result(keras, bi({"type": "Dense", "units": 3}), [(5, 4)])
    result = check_layer(bi({"type": "Dense", "units": 3}), [(5, 4)])
    assert error_codes(result) == ["SB012"]
    assert "wraps a recurrent layer (SimpleRNN, LSTM or GRU), not Dense" in result.errors[0].message
