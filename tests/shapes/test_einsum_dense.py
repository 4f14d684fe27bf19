"""EinsumDense against real Keras 3.15: output shapes, count_params(), trainable counts and refusals, swept over
equations (the three forms Keras reads, and others), input shapes with known and unknown axes, output_shape with
null, wrong and missing entries, and bias_axes.

Each case is built in Keras on a keras.Input (the symbolic shape, the weights), then called on data twice (batch 2
with every unknown axis 11 long, batch 3 with 13): an axis whose size differs between the two runs is unknown.
Keras's verdicts, as measured here (the rule's docstring, shapes/infer/einsum_dense.py, lists them):

- refused at build: equations outside the three forms (spaces too), fewer output_shape entries than output letters
  after the batch (IndexError), an entry that differs from the input's size on a shared letter (even an unknown
  one), a kernel or bias axis that would be null (a null output_shape entry, an unknown input axis, the batch),
  a kernel letter in neither input nor output, bias_axes empty or naming a letter not in the output;
- built, refused when it runs: an input whose rank the equation does not fit; a letter repeated with two sizes;
- built and run, refused by specbridge on purpose: more output_shape entries than output letters (Keras declares a
  longer shape than it computes), and equations that move the batch letter or sum over it.
- A null output_shape entry stays null in Keras's declared shape though the data fills it; specbridge keeps it
  null. A leading '...' over 2 or more axes: the declared shape lists them reversed; specbridge gives the computed
  order (the sweep compares with the runs).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from keras_helpers import count_weights

from specbridge.check import check_text
from specbridge.diagnostics import codes

pytestmark = pytest.mark.keras

RUNS = ((2, 11), (3, 13))  # (batch size, size of every unknown axis) of the two calls on data

# (equation, output_shape, bias_axes), each swept over INPUTS' shapes of the rank it fits (and others)
LAYERS = [
    ("ab,bc->ac", 8, "c"), ("ab,bc->ac", [8], None), ("ab,bc->ac", [None], None), ("ab,bc->ac", [8, 3], None),
    ("ab,bc->ac", [], None), ("ab,bc->ac", 8, "cc"), ("ab,bc->ac", 8, ""), ("ab,bc->ac", 8, "a"),
    ("ab,bc->ac", 8, "x"), ("ab,cb->ac", 6, "c"), ("aB,Bc->ac", 8, "c"), ("aB,BC->aC", 5, "C"),
    ("abc,cd->abd", [None, 8], "d"), ("abc,cd->abd", [5, 8], "d"), ("abc,cd->abd", [6, 8], "d"),
    ("abc,cd->abd", [8], "d"), ("abc,cd->abd", [None, 8], "bd"), ("abc,dc->abd", [None, 6], "d"),
    ("abc,cde->abde", [None, 2, 3], "de"), ("abc,cde->abde", [None, 2, 3], "e"), ("abc,cde->abde", [None, 2, 3], "d"),
    ("abc,cde->abde", [5, 2, 3], "bd"), ("abc,cde->abde", [None, 2, 3], "bd"), ("abc,cde->abde", [5, 2, 3], "eb"),
    ("abc,bc->a", [], None), ("abc,bcd->ad", 6, "d"), ("abc,bd->acd", [5, 6], "d"), ("abc,bd->acd", [7, 6], "d"),
    ("abc,bd->acd", [None, 6], "cd"), ("abcd,cde->abe", [None, 6], "e"), ("abcd,de->abce", [None, None, 3], "e"),
    ("ab,bcd->acd", [8, 3], "cd"), ("ab,bcd->ac", [8], None), ("ab,bc->acd", [8, 3], "c"), ("ab,bc->ca", 8, None),
    ("ab,ac->bc", [4, 8], "c"), ("abc,cd->bd", [8], "d"), ("abb,bc->ac", 8, "c"), ("ab,bb->ab", 4, None),
    ("ab,bb->ab", 5, None), ("ab,b->ab", 4, "b"), ("ab,bc->abc", [4, 3], "c"), ("ab,bc->abc", [None, 3], "c"),
    ("...b,bc->...c", 8, "c"), ("...b,bc->...c", [None, 8], "c"), ("...bc,cd->...bd", [None, 8], "d"),
    ("...bc,cd->...bd", [5, 8], "bd"), ("...bc,cd->...bd", [None, 8], "bd"), ("...b,bc->...c", [], None),
    ("...ab,bc->...ac", [None, 8], "c"), ("...b,bcd->...cd", [2, 3], "d"),
    ("ab...,bc->ac...", 8, "c"), ("ab...,bc->ac...", 8, None), ("abc...,bc->a...", [], None),
    ("abc...,bcd->ad...", 3, "d"), ("a...,bc->ac...", 8, "c"),
    ("ab, bc->ac", 8, "c"), ("ab,bc", 8, None), ("ab,bc->ac,x", 8, "c"), ("ab->ab", 4, None),
    ("ab,bc,cd->ad", 8, None), ("ab,b...->a", [], None), ("ab...,bc->ac", 8, None), ("...b,bc->c...", 8, None),
    ("ab,bc->ac...", 8, None), ("ab,bc->aac", [8, 8], None), ("ab1,bc->ac", 8, None),
]
INPUTS = [(4,), (None,), (4, 5), (5, 4), (None, 4), (5, None), (3, 5, 4), (2, 3, 4), (1, 4)]


def case_id(value) -> str:
    if isinstance(value, tuple) and value and isinstance(value[0], str):
        eq, out, bias = value
        return f"{eq}|out={out}|bias={bias}".replace(" ", "")
    return "x".join("N" if d is None else str(d) for d in value) or "scalar"


def arguments(layer: tuple) -> dict:
    eq, out, bias = layer
    return {"equation": eq, "output_shape": out, **({} if bias is None else {"bias_axes": bias})}


def measure(keras, layer: tuple, shape: tuple) -> dict:
    """Keras's verdict: stage ("build", "run", "ok"), declared shape, the runs' shape, params, trainable."""
    args = arguments(layer)
    try:
        built = keras.layers.EinsumDense(**args)
        declared = tuple(built(keras.Input(shape=shape)).shape)
    except Exception as exc:  # noqa: BLE001 - whatever Keras raises is the fact measured
        return {"stage": "build", "error": f"{type(exc).__name__}: {exc}"[:300]}
    runs = []
    try:
        for batch, unknown in RUNS:
            data = np.random.default_rng(0).standard_normal((batch, *(unknown if d is None else d for d in shape)))
            runs.append((batch, tuple(built(data.astype("float32")).shape)))
    except Exception as exc:  # noqa: BLE001
        return {"stage": "run", "error": f"{type(exc).__name__}: {exc}"[:300], "declared": declared}
    (b1, first), (b2, second) = runs
    batch_kept = len(first) == len(second) and first[:1] == (b1,) and second[:1] == (b2,)
    ran = tuple(a if a == b else None for a, b in zip(first[1:], second[1:], strict=False)) if batch_kept else None
    return {"stage": "ok", "declared": declared[1:], "ran": ran, "params": built.count_params(),
            "trainable": count_weights(built.trainable_weights)}


def specbridge(layer: tuple, shape: tuple):
    spec = {"specbridge": 1, "name": "one_layer", "input": {"shape": list(shape)},
            "layers": [{"type": "EinsumDense", "name": "e", **arguments(layer)}]}
    return check_text(json.dumps(spec), lint=False)


def errors(result) -> list:
    return [(d.code, d.layer, d.message) for d in result.errors]


# A refusal's code: the equation and arguments (SB210), rank (SB200), unknown sizes (SB205), a letter of two sizes
# (SB204).
REFUSAL_CODES = {c.code for c in (codes.INVALID_ARGUMENT, codes.NDIM_MISMATCH, codes.UNKNOWN_DIMENSION,
                                   codes.MERGE_MISMATCH)}


@pytest.mark.parametrize("shape", INPUTS, ids=case_id)
@pytest.mark.parametrize("layer", LAYERS, ids=case_id)
def test_einsum_dense_matches_keras(keras, layer, shape):
    keras_side = measure(keras, layer, shape)
    result = specbridge(layer, shape)
    if keras_side["stage"] != "ok":
        assert result.errors, f"Keras refuses at {keras_side['stage']} ({keras_side['error']}); specbridge accepts " \
                              f"{[r.output_shape for r in result.records]}"
        assert {(d.code, d.layer) for d in result.errors} <= {(c, "e") for c in REFUSAL_CODES}, errors(result)
        return
    ran, declared = keras_side["ran"], keras_side["declared"]
    if ran is None or len(ran) != len(declared):
        # Keras runs it, but the batch axis moves or is summed over, or the declared shape is longer than the
        # result (extra output_shape entries): refused on purpose (SB210)
        assert [(d.code, d.layer) for d in result.errors] == [("SB210", "e")], (keras_side, errors(result))
        return
    assert result.ok, f"Keras gives {keras_side}; specbridge refuses: {errors(result)}"
    (record,) = result.records
    # each axis as the runs give it, or null where Keras itself declares it unknown (a null output_shape entry)
    assert len(record.output_shape) == len(ran), (record.output_shape, keras_side)
    for axis, (ours, measured, said) in enumerate(zip(record.output_shape, ran, declared, strict=True)):
        assert ours == measured or (ours is None and said is None), (axis, record.output_shape, keras_side)
    assert (record.params, record.trainable_params) == (keras_side["params"], keras_side["trainable"])


def test_the_sweep_covers_every_verdict(keras):
    """The sweep is not vacuous: it holds cases Keras builds, refuses at build, refuses at run, and runs while
    moving the batch or declaring a wrong shape."""
    stages = {}
    for layer in LAYERS:
        for shape in INPUTS:
            measured = measure(keras, layer, shape)
            kind = measured["stage"]
            if kind == "ok" and (measured["ran"] is None or len(measured["ran"]) != len(measured["declared"])):
                kind = "deliberate"
            stages[kind] = stages.get(kind, 0) + 1
    assert set(stages) == {"ok", "build", "run", "deliberate"}, stages
    assert stages["ok"] >= 60, stages


# ------------------------------------------------------------------------------------------ messages and explain

MESSAGES = [  # Keras refuses each, but the first (it declares (8, 3) and computes (8,))
    (("ab,bc->ac", [8, 3], None), (4,), "SB210", ("output_shape [8, 3]", "2 entries", "'ac'", "1 axis")),
    (("abc,cd->abd", [6, 8], "d"), (5, 4), "SB210", ("6", "'b'", "(None, 5, 4)", "5")),
    (("ab,bc->ac", [None], None), (4,), "SB205", ("'c'", "null")),
    (("abc,cde->abde", [None, 2, 3], "bd"), (5, 4), "SB205", ("'b'", "bias")),
    (("ab,bc->ac", 8, "x"), (4,), "SB210", ("bias_axes 'x'", "'ac'")),
    (("a...,bc->ac...", 8, "c"), (4,), "SB210", ("'a...,bc->ac...'", "'X,Y->Z'")),
    (("ab,bcd->ac", [8], None), (4,), "SB210", ("'d'", "neither")),
    (("ab,bc->ac", 8, None), (4, 5), "SB200", ("'ab'", "2 letters", "rank 3", "(None, 4, 5)")),
    (("ab,bc->ca", 8, None), (4,), "SB210", ("'a'", "'c'", "batch")),
    (("ab, bc->ac", 8, None), (4,), "SB210", ("spaces", "'ab,bc->ac'")),
]


@pytest.mark.parametrize("layer,shape,code,words", MESSAGES, ids=[f"{case_id(m[0])}-{case_id(m[1])}" for m in MESSAGES])
def test_refusals_echo_the_values(keras, layer, shape, code, words):
    measured = measure(keras, layer, shape)
    assert measured["stage"] in ("build", "run") or measured["ran"] != measured["declared"], measured
    result = specbridge(layer, shape)
    ((got, at, message),) = errors(result)
    assert (got, at) == (code, "e")
    said = f"{message} (hint: {result.errors[0].hint})"
    assert [w for w in words if w not in said] == [], said


def test_explain_shows_the_kernel_bias_and_param_formula(keras):
    layer, shape = ("abc,cde->abde", [None, 2, 3], "d"), (5, 4)
    result = specbridge(layer, shape)
    (record,) = result.records
    steps = {s.topic: s for s in record.steps}
    built = keras.layers.EinsumDense(**arguments(layer))
    built(keras.Input(shape=shape))
    assert steps["kernel shape"].result == tuple(built.kernel.shape)
    assert steps["bias shape"].result == tuple(built.bias.shape)
    assert steps["params"].formula == "prod(kernel shape) + prod(bias shape)"
    assert steps["params"].result == built.count_params()



def test_a_null_entry_stays_unknown_for_the_next_layer(keras):
    """Keras declares (None, None, 2, 3) for output_shape [null, 2, 3] on (5, 4), though the data gives 5: a next
    EinsumDense whose kernel needs that axis is refused by Keras, and so by specbridge."""
    x = keras.Input((5, 4))
    y = keras.layers.EinsumDense("abc,cde->abde", output_shape=(None, 2, 3))(x)
    with pytest.raises(ValueError, match="fully-defined"):
        keras.layers.EinsumDense("abcd,bcde->ae", output_shape=4)(y)
    spec = {"specbridge": 1, "name": "two", "input": {"shape": [5, 4]}, "layers": [
        {"type": "EinsumDense", "name": "e", "equation": "abc,cde->abde", "output_shape": [None, 2, 3]},
        {"type": "EinsumDense", "name": "f", "equation": "abcd,bcde->ae", "output_shape": 4}]}
    result = check_text(json.dumps(spec), lint=False)
    assert [(d.code, d.layer) for d in result.errors] == [("SB205", "f")], errors(result)
