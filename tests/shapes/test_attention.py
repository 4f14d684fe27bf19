"""MultiHeadAttention, GroupedQueryAttention, Attention and AdditiveAttention against real Keras 3.15.

Every case is built once in Keras, on keras.Input tensors (parameter counts, the symbolic build), and the built
layer is then called on data twice (batch 2 with every unknown length 11, batch 3 with 13): an output axis that
differs between the two runs is unknown (null). specbridge is compared with the shapes the call returns: the model's
real behaviour (docs/reliability.md, "Deliberate differences from Keras").

Keras 3.15's rules, as measured here (TensorFlow backend, CPU):

- Scores layout. MultiHeadAttention's scores are (batch, <non-attention axes of the query, in order>, heads,
  <query attention axes, in attention_axes order>, <key attention axes, same order>). attention_axes count the batch
  axis; a negative one is taken from the query's rank R (batch included): -1 is the feature axis, -2 the last
  sequence axis, -(R-1) axis 1. The default is every axis from 1 to R-2. The non-attention axes of query and value
  must be equal (an einsum: a size 1 does not broadcast either), else the call fails.
- Keras's *symbolic* scores spec of MultiHeadAttention is (batch, heads, Tq, Tq) whatever the value or the
  attention_axes (compute_output_spec assumes self-attention over axis 1); the call returns the layout above.
  GroupedQueryAttention's (batch, num_query_heads, Tq, Tk) and Attention's (*query[:-1], Tk) are right.
- Mask broadcasting (MHA, GQA): the mask (batch axis included, the spec's shape after it) gets size-1 axes inserted
  just before its last 2k axes (k attention axes; k = 1 for GQA) until its rank is the scores'; then each mask axis
  must be 1 or equal to the scores' axis. A mask of more axes than the scores, or of fewer than 2k axes after the
  batch (the inserted axes then push the batch axis onto a query axis, so it fits or not depending on the batch
  size) fails when the model runs. When the scores are not returned on a rank-3 query (ops.dot_product_attention),
  a mask axis of size n against a scores axis of size 1 broadcasts silently: q (1, 8) with a (5, 7) mask returns
  an output of shape (5, 8).
- use_causal_mask builds a (1, T, S) mask from axis 1 of query and value: it works with one attention axis, and
  fits only when that axis is axis 1 (or the sizes happen to agree); with several attention axes the call fails.
- Raised when the layer is built (keras.Input): value and key differing on an axis but the last (MHA, GQA); GQA
  query and value widths differing; GQA num_query_heads not a multiple of num_key_value_heads (constructor); GQA on a
  rank-2 input; an unknown feature axis where a kernel (MHA, GQA) or AdditiveAttention's scale needs it;
  attention_axes >= R+1; a residual Add of tensors of different widths.
- Built, but refused when the model runs: Attention / AdditiveAttention query-key width mismatch, value/key length
  mismatch, query and value of different ranks; MHA on a rank-2 input or query/value of different ranks;
  attention_axes R or below -R; repeated attention_axes; query and value differing on a non-attention axis; masks that do not broadcast (above); causal masks (above).
- Built and run silently (specbridge refuses them on purpose): attention_axes 0 or -R (attention across the batch);
  Attention / AdditiveAttention on a rank-2 input (each sample attends the whole batch); the mask broadcasting up a
  query of length 1 (above). attention_axes R-1 or -1 (the heads axis of the projections) run too, and specbridge
  follows them (swept below).
- Width 1: Attention's concat scores and AdditiveAttention add query and key, so a width of 1 on either broadcasts
  (Keras builds and runs it); the dot product needs equal widths.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pytest
from keras_helpers import count_weights

from specbridge.check import check_text
from specbridge.diagnostics import codes

pytestmark = pytest.mark.keras

CALL_OPTIONS = ("use_causal_mask", "return_attention_scores")
NOT_CONSTRUCTOR = ("type", "attention_mask", *CALL_OPTIONS)
KERAS_CLASS = {"GroupedQueryAttention": "GroupQueryAttention"}
AS_LIST = ("Attention", "AdditiveAttention")
# (batch size, size of every unknown axis) of the two calls on data
RUNS = ((2, 11), (3, 13))


@dataclass(frozen=True)
class Case:
    layer: dict
    query: tuple
    value: tuple
    key: Optional[tuple] = None
    mask: Optional[tuple] = None
    same: bool = False  # value is the query tensor itself (`inputs: [q, q]`)

    @property
    def scores(self) -> bool:
        return bool(self.layer.get("return_attention_scores"))

    @property
    def id(self) -> str:
        short = {"MultiHeadAttention": "mha", "GroupedQueryAttention": "gqa", "GroupQueryAttention": "gqa-alias",
                 "Attention": "att", "AdditiveAttention": "add"}[self.layer["type"]]
        words = {"return_attention_scores": "scores", "use_causal_mask": "causal"}
        args = ",".join(f"{words.get(k, k)}={v}".replace(" ", "") for k, v in self.layer.items() if k != "type")
        shapes = [("q", self.query), ("v", "q" if self.same else self.value), ("k", self.key), ("m", self.mask)]
        text = "_".join(f"{n}{dims(s) if isinstance(s, tuple) else s}" for n, s in shapes if s is not None)
        return f"{short}[{args}]{text}"


def dims(shape) -> str:
    return "x".join("N" if d is None else str(d) for d in shape) or "scalar"


def batch_text(shape) -> str:
    """A shape as Keras prints it, batch axis included: (None, 5, 8)."""
    return "(" + ", ".join(["None", *("None" if d is None else str(d) for d in shape)]) + ")"


# ------------------------------------------------------------------------------------------- Keras and specbridge


@dataclass
class Measured:
    """What Keras does with one case: the stage that raised ("build", "run") or "ok", and what it returned."""

    stage: str
    error: str = ""
    symbolic: list = field(default_factory=list)  # output shapes of the symbolic call, batch excluded
    dtypes: list = field(default_factory=list)
    ran: list = field(default_factory=list)  # shapes the call on data returned, None where the two runs differ
    params: int = 0
    trainable: int = 0


def keras_layer(keras, layer: dict):
    kind = KERAS_CLASS.get(layer["type"], layer["type"])
    return getattr(keras.layers, kind)(**{k: v for k, v in layer.items() if k not in NOT_CONSTRUCTOR})


def keras_call(layer_object, layer: dict, query, value, key=None, mask=None):
    options = {k: layer[k] for k in CALL_OPTIONS if k in layer}
    if layer["type"] in AS_LIST:
        return layer_object([query, value] + ([key] if key is not None else []), **options)
    return layer_object(query, value, key=key, attention_mask=mask, **options)


def shapes(out) -> list:
    return [tuple(t.shape) for t in (out if isinstance(out, (tuple, list)) else (out,))]


def describe(exc: Exception) -> str:
    return f"{type(exc).__name__}: {' '.join(str(exc).split())[:300]}"


def data(shape, batch: int, unknown: int, rng, dtype: str = "float32"):
    """An array of `shape` with the batch axis in front and every unknown axis `unknown` long."""
    full = (batch, *(unknown if d is None else d for d in shape))
    return np.ones(full, bool) if dtype == "bool" else rng.standard_normal(full).astype(dtype)


def run_on_data(keras, built, case: Case) -> list:
    runs = []
    for batch, unknown in RUNS:
        rng = np.random.default_rng(0)
        query = data(case.query, batch, unknown, rng)
        value = query if case.same else data(case.value, batch, unknown, rng)
        key = data(case.key, batch, unknown, rng) if case.key else None
        mask = data(case.mask, batch, unknown, rng, "bool") if case.mask else None
        runs.append(shapes(keras_call(built, case.layer, query, value, key, mask)))
    first, second = runs
    if [len(s) for s in first] != [len(s) for s in second]:
        raise AssertionError(f"the two runs return different numbers of outputs: {first} vs {second}")
    return [tuple(a if a == b else None for a, b in zip(x[1:], y[1:], strict=True))
            for x, y in zip(first, second, strict=True)]


_MEASURED: dict[str, Measured] = {}


def measure(keras, case: Case) -> Measured:
    """Keras's verdict on `case`, built once per case (cached by id)."""
    if case.id in _MEASURED:
        return _MEASURED[case.id]
    try:
        built = keras_layer(keras, case.layer)
        query = keras.Input(case.query, dtype="float32", name="q")
        value = query if case.same else keras.Input(case.value, dtype="float32", name="v")
        key = keras.Input(case.key, dtype="float32", name="k") if case.key else None
        mask = keras.Input(case.mask, dtype="bool", name="m") if case.mask else None
        out = keras_call(built, case.layer, query, value, key, mask)
    except Exception as exc:  # noqa: BLE001 - whatever Keras raises is the fact measured
        measured = Measured("build", describe(exc))
    else:
        outs = out if isinstance(out, (tuple, list)) else (out,)
        measured = Measured("ok", symbolic=[s[1:] for s in shapes(out)], dtypes=[str(t.dtype) for t in outs],
                            params=built.count_params(), trainable=count_weights(built.trainable_weights))
        try:
            measured.ran = run_on_data(keras, built, case)
        except Exception as exc:  # noqa: BLE001
            measured.stage, measured.error = "run", describe(exc)
    _MEASURED[case.id] = measured
    return measured


def spec_text(case: Case, after: tuple = ()) -> str:
    """A graph spec: inputs q, v, k (float32), m (bool); the layer `att`; then the layers of `after`."""
    inputs = [{"name": "q", "shape": list(case.query), "dtype": "float32"}]
    if not case.same:
        inputs.append({"name": "v", "shape": list(case.value), "dtype": "float32"})
    if case.key:
        inputs.append({"name": "k", "shape": list(case.key), "dtype": "float32"})
    if case.mask:
        inputs.append({"name": "m", "shape": list(case.mask), "dtype": "bool"})
    layer = {**case.layer, "name": "att", "inputs": ["q", "q" if case.same else "v"] + (["k"] if case.key else [])}
    if case.mask:
        layer["attention_mask"] = "m"
    outputs = ["att", "att.scores"] if case.scores else ["att"]
    if after:
        outputs = [after[-1]["name"]]
    spec = {"specbridge": 1, "name": "attention", "inputs": inputs, "layers": [layer, *after], "outputs": outputs}
    return json.dumps(spec)


_CHECKED: dict[str, object] = {}


def specbridge(case: Case):
    if case.id not in _CHECKED:
        _CHECKED[case.id] = check_text(spec_text(case), lint=False)
    return _CHECKED[case.id]


def diagnostics(result) -> list:
    return [(d.code, d.layer, d.message) for d in result.diagnostics]


# ------------------------------------------------------------------------------------------------ the sweep


def mha(**args):
    return {"type": "MultiHeadAttention", "num_heads": 2, "key_dim": 4, **args}


def gqa(**args):
    return {"type": "GroupedQueryAttention", "head_dim": 4, "num_query_heads": 4, "num_key_value_heads": 2, **args}


def att(**args):
    return {"type": "Attention", **args}


def additive(**args):
    return {"type": "AdditiveAttention", **args}


def with_scores(layer: dict, both: bool = True):
    """The layer returning its scores, and (both) not returning them: on a rank-3 query that call takes another path
    in Keras (ops.dot_product_attention), which broadcasts masks differently."""
    scores = [{**layer, "return_attention_scores": True}]
    return scores + [{**layer, "return_attention_scores": False}] if both else scores


MHA_RANK3_SHAPES = [
    ((5, 8), (5, 8), None),
    ((5, 8), (7, 6), None),  # cross-attention: other length, other width
    ((5, 8), (7, 6), (7, 3)),  # a key of its own width
    ((None, 8), (None, 6), None),
    ((None, 8), (7, 6), None),
    ((5, 8), (None, 6), (None, 3)),
    ((1, 8), (1, 6), None),
]
MHA_RANK3_ARGS = [
    {}, {"num_heads": 1}, {"num_heads": 3, "key_dim": 2}, {"value_dim": 3}, {"use_bias": False},
    {"output_shape": 10}, {"output_shape": [2, 5]}, {"value_dim": 5, "output_shape": [3], "use_bias": False},
    {"dropout": 0.1}, {"use_causal_mask": True}, {"trainable": False},
]


def cross_value(query: tuple, axes, width: int, grow: int = 2) -> tuple:
    """A value for `query` whose attention axes are `grow` longer (its other axes must equal the query's)."""
    rank = len(query) + 1
    chosen = range(1, rank - 1) if axes is None else [axes] if isinstance(axes, int) else axes
    normalized = {a + rank if a < 0 else a for a in chosen}
    return tuple(d + grow if i + 1 in normalized and d is not None else d for i, d in enumerate(query[:-1])) + (width,)


def unknown_on(shape: tuple, axes) -> tuple:
    """`shape` with its first attention axis unknown."""
    rank = len(shape) + 1
    first = range(1, rank - 1)[0] if axes is None else axes if isinstance(axes, int) else axes[0]
    first = first + rank if first < 0 else first
    return tuple(None if i + 1 == first else d for i, d in enumerate(shape))


def higher_rank_cases(query: tuple, axes_list, variants) -> list[Case]:
    cases = []
    for axes in axes_list:
        extra = {} if axes is None else {"attention_axes": axes}
        for variant in variants:
            if variant == "self":
                shapes_, args = (query, query, None), {}
            elif variant == "cross":
                shapes_, args = (query, cross_value(query, axes, 6), None), {}
            elif variant == "key":
                shapes_, args = (query, cross_value(query, axes, 6), cross_value(query, axes, 3)), {}
            elif variant == "key-output":
                shapes_ = (query, cross_value(query, axes, 6), cross_value(query, axes, 3))
                args = {"output_shape": [2, 5], "value_dim": 3}
            else:  # unknown
                shapes_ = (unknown_on(query, axes), unknown_on(cross_value(query, axes, 6), axes), None)
                args = {"num_heads": 3}
            cases += [Case(layer, *shapes_) for layer in with_scores(mha(**extra, **args), variant == "cross")]
    return cases


def mask_cases() -> list[Case]:
    cases = []
    for mask in [(5, 7), (1, 7), (5, 1), (1, 1), (2, 5, 7), (1, 5, 7), (2, 1, 7), (2, 5, 1), (1, 1, 1)]:
        for causal in (False, True):
            cases += [Case(layer, (5, 8), (7, 6), mask=mask) for layer in with_scores(mha(use_causal_mask=causal))]
    for mask in [(None, None), (1, None), (None, 1)]:
        cases += [Case(layer, (None, 8), (None, 6), mask=mask) for layer in with_scores(mha())]
    groups = [
        ((4, 5, 8), (6, 7, 8), None, [(4, 5, 6, 7), (1, 5, 1, 7), (2, 4, 5, 6, 7), (1, 1, 1, 1)]),
        ((4, 5, 8), (4, 7, 8), 2, [(5, 7), (4, 5, 7), (4, 2, 5, 7), (1, 5, 7), (4, 1, 1, 7)]),
        ((3, 4, 5, 8), (6, 4, 7, 8), [1, 3], [(3, 5, 6, 7), (4, 1, 3, 5, 6, 7), (4, 3, 5, 6, 7)]),
    ]
    for query, value, axes, masks in groups:
        extra = {} if axes is None else {"attention_axes": axes}
        for mask in masks:
            cases += [Case(layer, query, value, mask=mask) for layer in with_scores(mha(**extra))]
    for mask in [(5, 7), (1, 7), (5, 1), (4, 5, 7), (1, 5, 7)]:
        cases += [Case(layer, (5, 8), (7, 8), mask=mask) for layer in with_scores(gqa())]
    cases += [Case(layer, (5, 8), (7, 8), mask=(5, 7)) for layer in with_scores(gqa(use_causal_mask=True))]
    return cases


def gqa_cases() -> list[Case]:
    shapes_ = [((5, 8), (5, 8), None), ((5, 8), (7, 8), None), ((5, 8), (7, 8), (7, 3)), ((None, 8), (None, 8), None)]
    groups = [(1, 1), (2, 1), (2, 2), (4, 1), (4, 2), (4, 4), (6, 2), (6, 3), (8, 2)]
    cases = []
    for qh, kvh in groups:
        for q, v, k in shapes_:
            layer = gqa(num_query_heads=qh, num_key_value_heads=kvh)
            cases += [Case(layer, q, v, k) for layer in with_scores(layer, (qh, kvh) == (4, 2))]
    for args in [{"head_dim": 3, "use_bias": False}, {"dropout": 0.1}, {"use_causal_mask": True},
                 {"trainable": False}, {"type": "GroupQueryAttention"}]:
        for q, v, k in shapes_:
            cases += [Case(layer, q, v, k) for layer in with_scores(gqa(**args), "use_causal_mask" in args)]
    return cases


PROJECTION_FREE_SHAPES = [
    ((5, 8), (5, 8), None),
    ((5, 8), (7, 8), None),
    ((5, 8), (7, 6), (7, 8)),  # the value's width is the output's; the key's must be the query's
    ((None, 8), (None, 8), None),
    ((None, 8), (7, 6), (7, 8)),
    ((4, 5, 8), (4, 7, 6), (4, 7, 8)),
    ((4, 5, 8), (1, 7, 8), None),  # leading axes broadcast (batched matmul)
    ((3, 4, 5, 8), (3, 4, 7, 8), None),
]


def projection_free_cases() -> list[Case]:
    cases = []
    for args in [{}, {"use_scale": True}, {"score_mode": "concat"}, {"score_mode": "concat", "use_scale": True},
                 {"use_causal_mask": True}, {"score_mode": "concat", "use_causal_mask": True}]:
        for q, v, k in PROJECTION_FREE_SHAPES:
            cases += [Case(layer, q, v, k) for layer in with_scores(att(**args))]
    for args in [{}, {"use_scale": False}, {"use_causal_mask": True}, {"trainable": False}]:
        for q, v, k in PROJECTION_FREE_SHAPES:
            cases += [Case(layer, q, v, k) for layer in with_scores(additive(**args))]
    return cases


def sweep() -> list[Case]:
    cases = []
    for q, v, k in MHA_RANK3_SHAPES:
        for args in MHA_RANK3_ARGS:
            both = not args or "use_causal_mask" in args or "output_shape" in args
            cases += [Case(layer, q, v, k) for layer in with_scores(mha(**args), both)]
    for query in [(5, 8), (None, 8)]:
        for args in [{}, {"use_causal_mask": True}]:
            cases += [Case(layer, query, query, same=True) for layer in with_scores(mha(**args))]
    cases += [Case(layer, (5, 8), (5, 8), same=True) for layer in with_scores(att()) + with_scores(additive())]
    variants4 = ["self", "cross", "key", "key-output", "unknown"]
    cases += higher_rank_cases((4, 5, 8), [None, 1, 2, -2, -3, [1, 2], [2, 1], [-3, -2], [1, -2]], variants4)
    cases += higher_rank_cases((3, 4, 5, 8), [None, 1, 2, 3, -2, -4, [1, 3], [3, 1], [2, 3], [-4, -2], [1, 2, 3]],
                               ["cross", "key-output", "unknown"])
    # attention over the heads axis of the projections (axis R-1, or -1): Keras runs it
    cases += higher_rank_cases((5, 8), [2, -1, [1, 2]], ["self", "cross", "key-output"])
    cases += higher_rank_cases((4, 5, 8), [3, -1, [1, 3], [3, 2]], ["self", "cross", "key-output"])
    cases += higher_rank_cases((3, 4, 5, 8), [4, [2, 4]], ["cross", "key-output"])
    for axes in (1, -3):  # a causal mask fits one attention axis when it is axis 1
        cases += [Case(layer, (4, 5, 8), (6, 5, 8)) for layer in with_scores(mha(attention_axes=axes,
                                                                                     use_causal_mask=True))]
    cases += mask_cases() + gqa_cases() + projection_free_cases()
    unique = {case.id: case for case in cases}
    return list(unique.values())


def softmax_over_six_axes(case: Case) -> bool:
    """MultiHeadAttention over one axis of a rank-5 input: its scores softmax has 6 axes, which TensorFlow's
    oneDNN kernels refuse (test_kernel_dependent_softmax_is_an_error_on_every_cpu)."""
    axes = case.layer.get("attention_axes")
    single = isinstance(axes, int) or (isinstance(axes, list) and len(axes) == 1)
    return case.layer["type"] == "MultiHeadAttention" and single and len(case.query) + 1 >= 5


SWEEP = [case for case in sweep() if not softmax_over_six_axes(case)]
KERNEL_DEPENDENT = [case for case in sweep() if softmax_over_six_axes(case)]


@pytest.mark.parametrize("case", SWEEP, ids=lambda c: c.id)
def test_matches_keras(keras, case):
    measured = measure(keras, case)
    assert measured.stage == "ok", measured.error
    # Keras's symbolic output agrees with the call (the scores are compared with the call only: see the docstring)
    assert measured.symbolic[0] == measured.ran[0]
    result = specbridge(case)
    assert result.ok, diagnostics(result)
    record = result.record("att")
    assert record.output_shape == measured.ran[0]
    assert record.output.dtype == measured.dtypes[0]
    assert (record.params, record.trainable_params) == (measured.params, measured.trainable)
    assert len(record.extra_outputs) == len(measured.ran) - 1
    if case.scores:
        assert record.extra_names == ("scores",)
        assert record.extra_outputs[0].shape == measured.ran[1]
        assert record.extra_outputs[0].dtype == measured.dtypes[1]


MHA_WITH_SCORES = [c for c in SWEEP if c.layer["type"] == "MultiHeadAttention" and c.scores]


@pytest.mark.parametrize("case", MHA_WITH_SCORES, ids=lambda c: c.id)
def test_mha_symbolic_scores_are_query_by_query(keras, case):
    """Keras's symbolic scores spec is (heads, Tq, Tq); specbridge says so in `explain` where the call differs."""
    measured = measure(keras, case)
    assert measured.stage == "ok", measured.error
    heads, length = case.layer["num_heads"], case.query[0]
    assert measured.symbolic[1] == (heads, length, length)
    record = specbridge(case).record("att")
    notes = [s for s in record.steps if s.topic == "note" and "symbolic" in s.template]
    assert bool(notes) == (measured.symbolic[1] != measured.ran[1])


@pytest.mark.parametrize("case", KERNEL_DEPENDENT, ids=lambda c: c.id)
def test_kernel_dependent_softmax_is_an_error_on_every_cpu(keras, case):
    """Keras builds these; this process's kernels run them (standard) or abort the call (oneDNN, which refuses a
    softmax over more than 5 axes): specbridge gives one error whichever runs (tests/shapes/test_softmax_kernels.py
    runs both kernels explicitly)."""
    measured = measure(keras, case)
    assert measured.stage in ("ok", "run"), measured.error
    if measured.stage == "run":
        assert "Input dims must be <= 5" in measured.error, measured.error
    else:
        assert measured.symbolic[0] == measured.ran[0]
    result = specbridge(case)
    assert [(d.code, d.layer) for d in result.errors] == [(codes.INVALID_ARGUMENT.code, "att")], diagnostics(result)
    message = result.errors[0].message
    for claim in ("standard kernels", "oneDNN", "TF_ENABLE_ONEDNN_OPTS", "PyTorch runs it", "6 axes"):
        assert claim in message, message


def test_the_sweep_is_wide():
    kinds = {c.layer["type"] for c in SWEEP}
    assert kinds == {"MultiHeadAttention", "GroupedQueryAttention", "GroupQueryAttention", "Attention",
                     "AdditiveAttention"}
    assert {len(c.query) + 1 for c in SWEEP} == {3, 4, 5}
    assert len(SWEEP) > 300
    assert len(KERNEL_DEPENDENT) >= 20
    assert {c.scores for c in SWEEP if c.layer["type"] == "MultiHeadAttention" and c.mask} == {True, False}


# ------------------------------------------------------------------------------------------------ refused


@dataclass(frozen=True)
class Refused:
    """A case specbridge refuses: what Keras does with it (measured: "build" raises, "run" builds but the call
    raises, "silent" builds and runs), the code expected at the attention layer, strings its message echoes."""

    why: str
    case: Case
    keras: str
    code: str
    echo: tuple = ()


NDIM, MERGE, ARG, UNKNOWN = (codes.NDIM_MISMATCH.code, codes.MERGE_MISMATCH.code, codes.INVALID_ARGUMENT.code,
                             codes.UNKNOWN_DIMENSION.code)


def axes_refused(query: tuple, axes, keras_does: str, batch: bool = False) -> Refused:
    listed = str(axes if isinstance(axes, list) else [axes])
    echo = (listed, "batch axis") if batch else (listed, f"rank {len(query) + 1}")
    return Refused("attention-axes", Case(mha(attention_axes=axes, return_attention_scores=True), query, query),
                   keras_does, ARG, echo)


def mask_refused(layer: dict, query, value, mask, keras_does: str) -> Refused:
    return Refused("mask", Case(layer, query, value, mask=mask), keras_does, MERGE, (batch_text(mask),))


REFUSED = [
    # dot-product (and additive) scores need the query's and the key's widths equal
    Refused("width", Case(att(), (5, 8), (7, 6)), "run", MERGE, ("8", "6")),
    Refused("width", Case(att(return_attention_scores=True), (5, 8), (7, 8), (7, 6)), "run", MERGE, ("8", "6")),
    Refused("width", Case(att(use_scale=True), (5, 8), (7, 6)), "run", MERGE, ("8", "6")),
    Refused("width", Case(att(score_mode="concat"), (5, 8), (7, 6)), "run", MERGE, ("8", "6")),
    Refused("width", Case(additive(), (5, 8), (7, 6)), "run", MERGE, ("8", "6")),
    Refused("width", Case(additive(), (5, 8), (7, 8), (7, 6)), "run", MERGE, ("8", "6")),
    Refused("width", Case(att(), (4, 5, 8), (4, 7, 6)), "run", MERGE, ("8", "6")),
    # the axes before the positions pair query and key in a batched matmul: equal, or 1
    Refused("leading-axes", Case(att(), (4, 7, 6), (5, 5, 6)), "run", MERGE, ("4 and 5", "axis 1")),
    Refused("leading-axes", Case(additive(), (2, 3, 7, 6), (3, 3, 5, 6)), "run", MERGE, ("2 and 3", "axis 1")),
    # rank 2: no sequence axis
    Refused("rank2", Case(mha(), (8,), (8,)), "run", NDIM, ("ndim=2",)),
    Refused("rank2", Case(mha(return_attention_scores=True), (8,), (8,)), "run", NDIM, ("ndim=2",)),
    Refused("rank2", Case(mha(), (5, 8), (8,)), "run", NDIM, ("ndim=2",)),
    Refused("rank2", Case(mha(), (8,), (5, 8)), "run", NDIM, ("ndim=2",)),
    Refused("rank2", Case(gqa(), (8,), (8,)), "build", NDIM, ("ndim=2",)),
    Refused("rank2", Case(att(), (8,), (8,)), "silent", NDIM, ("ndim=2",)),  # every sample attends the batch
    Refused("rank2", Case(att(return_attention_scores=True), (8,), (5, 8)), "silent", NDIM, ("ndim=2",)),
    Refused("rank2", Case(att(), (5, 8), (8,)), "silent", NDIM, ("ndim=2",)),
    Refused("rank2", Case(additive(return_attention_scores=True), (8,), (8,)), "silent", NDIM, ("ndim=2",)),
    # attention_axes over the batch axis (Keras mixes the samples of a batch), or past the heads axis
    axes_refused((4, 5, 8), 0, "silent", batch=True),
    axes_refused((4, 5, 8), -4, "silent", batch=True),
    axes_refused((5, 8), 0, "silent", batch=True),
    axes_refused((3, 4, 5, 8), [0, 2], "silent", batch=True),
    axes_refused((4, 5, 8), 4, "run"),
    axes_refused((4, 5, 8), -5, "run"),
    axes_refused((4, 5, 8), 5, "build"),
    axes_refused((4, 5, 8), [1, 1], "run"),
    axes_refused((4, 5, 8), [1, -3], "run"),  # the same axis twice
    axes_refused((5, 8), 3, "run"),
    axes_refused((3, 4, 5, 8), -6, "run"),
    # value and key must agree on every axis but the last
    Refused("value-key", Case(mha(), (5, 8), (7, 6), (6, 6)), "build", MERGE,
            (batch_text((7, 6)), batch_text((6, 6)))),
    Refused("value-key", Case(mha(), (5, 8), (None, 6), (7, 6)), "build", MERGE,
            (batch_text((None, 6)), batch_text((7, 6)))),
    Refused("value-key", Case(mha(attention_axes=[1, 2]), (4, 5, 8), (4, 6, 6), (3, 6, 6)), "build", MERGE,
            (batch_text((4, 6, 6)), batch_text((3, 6, 6)))),
    Refused("value-key", Case(gqa(), (5, 8), (7, 8), (6, 8)), "build", MERGE,
            (batch_text((7, 8)), batch_text((6, 8)))),
    Refused("value-key", Case(att(), (5, 8), (7, 8), (6, 8)), "run", MERGE,
            (batch_text((7, 8)), batch_text((6, 8)))),
    Refused("value-key", Case(additive(), (5, 8), (7, 8), (6, 8)), "run", MERGE,
            (batch_text((7, 8)), batch_text((6, 8)))),
    # attention masks that do not broadcast to (batch, heads, query positions, key positions)
    *(mask_refused(mha(return_attention_scores=s), (5, 8), (7, 6), m, "run")
      for s in (True, False) for m in [(7,), (1,), (3, 5, 7), (5, 8), (7, 5), (1, 1, 5, 7)]),
    mask_refused(mha(return_attention_scores=True), (1, 8), (7, 6), (5, 7), "run"),
    mask_refused(mha(), (1, 8), (7, 6), (5, 7), "silent"),  # the mask broadcasts the query up: output (5, 8)
    mask_refused(mha(attention_axes=2), (4, 5, 8), (4, 7, 8), (2, 5, 7), "run"),
    mask_refused(mha(attention_axes=2), (4, 5, 8), (4, 7, 8), (7,), "run"),
    mask_refused(mha(), (4, 5, 8), (6, 7, 8), (6, 7), "run"),  # fewer axes than the 2 x 2 attention axes
    mask_refused(mha(), (4, 5, 8), (6, 7, 8), (5, 6, 7), "run"),
    mask_refused(gqa(return_attention_scores=True), (5, 8), (7, 8), (2, 5, 7), "run"),  # 4 query heads
    mask_refused(gqa(), (5, 8), (7, 8), (5, 8), "run"),
    mask_refused(gqa(), (5, 8), (7, 8), (7,), "run"),
    # GroupedQueryAttention: heads in groups, query and value of one width
    Refused("groups", Case(gqa(num_query_heads=6, num_key_value_heads=4), (5, 8), (7, 8)), "build", ARG,
            ("6", "4")),
    Refused("groups", Case(gqa(num_query_heads=4, num_key_value_heads=3), (5, 8), (7, 8)), "build", ARG,
            ("4", "3")),
    Refused("groups", Case(gqa(num_query_heads=5, num_key_value_heads=2, return_attention_scores=True), (5, 8),
                           (5, 8)), "build", ARG, ("5", "2")),
    Refused("gqa-width", Case(gqa(), (5, 8), (7, 6)), "build", MERGE, ("8", "6")),
    Refused("gqa-width", Case(gqa(return_attention_scores=True), (5, 8), (7, 6)), "build", MERGE, ("8", "6")),
    Refused("gqa-width", Case(gqa(), (5, 8), (7, 6), (7, 8)), "build", MERGE, ("8", "6")),
    # further shape errors
    Refused("gqa-rank4", Case(gqa(), (4, 5, 8), (4, 5, 8)), "run", NDIM, ("ndim=4",)),
    Refused("unknown-width", Case(mha(), (5, None), (7, 6)), "build", UNKNOWN, (batch_text((5, None)),)),
    Refused("unknown-width", Case(mha(), (5, 8), (7, None)), "build", UNKNOWN, (batch_text((7, None)),)),
    Refused("unknown-width", Case(gqa(), (5, None), (7, None)), "build", UNKNOWN, (batch_text((5, None)),)),
    Refused("unknown-width", Case(additive(), (5, None), (7, 8)), "build", UNKNOWN, (batch_text((5, None)),)),
    Refused("ranks-differ", Case(mha(), (5, 8), (4, 5, 8)), "run", NDIM, (batch_text((5, 8)), batch_text((4, 5, 8)))),
    Refused("ranks-differ", Case(att(), (4, 5, 8), (7, 8)), "run", NDIM, (batch_text((4, 5, 8)), batch_text((7, 8)))),
    Refused("ranks-differ", Case(att(), (5, 8), (4, 7, 8)), "run", NDIM, (batch_text((5, 8)), batch_text((4, 7, 8)))),
    Refused("ranks-differ", Case(additive(), (4, 5, 8), (7, 8)), "run", NDIM,
            (batch_text((4, 5, 8)), batch_text((7, 8)))),
    # the axes attention does not run over are shared by query and value: they must be equal (einsum)
    Refused("other-axes", Case(mha(attention_axes=1), (4, 5, 8), (6, 7, 8)), "run", MERGE,
            (batch_text((4, 5, 8)), batch_text((6, 7, 8)))),
    Refused("other-axes", Case(mha(attention_axes=1, return_attention_scores=True), (4, 5, 8), (6, 1, 8)), "run",
            MERGE, (batch_text((4, 5, 8)), batch_text((6, 1, 8)))),
    Refused("other-axes", Case(mha(attention_axes=[1, 3]), (3, 4, 5, 8), (6, 2, 7, 8)), "run", MERGE,
            (batch_text((3, 4, 5, 8)), batch_text((6, 2, 7, 8)))),
    # use_causal_mask with several attention axes, or one that is not axis 1 (the mask is built from axis 1)
    Refused("causal", Case(mha(use_causal_mask=True), (4, 5, 8), (4, 5, 8)), "run", ARG, ("use_causal_mask",)),
    Refused("causal", Case(mha(use_causal_mask=True, return_attention_scores=True), (4, 5, 8), (6, 7, 8)), "run",
            ARG, ("use_causal_mask",)),
    Refused("causal", Case(mha(use_causal_mask=True, attention_axes=2), (4, 5, 8), (4, 7, 8)), "run", ARG,
            ("use_causal_mask",)),
]


@pytest.mark.parametrize("refused", REFUSED, ids=lambda r: f"{r.why}-{r.case.id}")
def test_refused_at_the_layer(keras, refused):
    measured = measure(keras, refused.case)
    assert ("silent" if measured.stage == "ok" else measured.stage) == refused.keras, measured.error or measured.ran
    result = specbridge(refused.case)
    assert [(d.code, d.layer) for d in result.errors] == [(refused.code, "att")], diagnostics(result)
    message = result.errors[0].message
    assert all(text in message for text in refused.echo), (refused.echo, message)


# Keras's dot-product path: a rank-3 query, dropout 0, no scores. attention_axes is ignored (plain attention over
# axis 1) wherever the layer builds; the batch axis, the heads axis, repeated and several axes all run.
FAST_PATH_AXES = [0, 1, 2, -1, -2, -3, -4, -7, -8, 3, 4, [1, 1], [1, 2], [0, 1], [2, 1], [1, 2, 3]]
FAST_PATH = [Case(mha(attention_axes=axes, **extra), (5, 8), (7, 6), mask=mask)
             for axes in FAST_PATH_AXES for mask in (None, (5, 7))
             for extra in ({}, {"use_causal_mask": True}) if not (mask and extra)]


@pytest.mark.parametrize("case", FAST_PATH, ids=lambda c: c.id)
def test_the_dot_product_path_ignores_attention_axes_as_keras_does(keras, case):
    measured = measure(keras, case)
    result = check_text(spec_text(case))  # with the lint warnings
    if measured.stage != "ok":
        assert [(d.code, d.layer) for d in result.errors] == [(ARG, "att")], (measured.error, diagnostics(result))
        return
    assert result.ok, diagnostics(result)
    assert result.record("att").output_shape == measured.ran[0]
    # ...and it computes plain attention: the same output as the layer without attention_axes, on the same weights
    given = case.layer["attention_axes"]
    plain = keras_layer(keras, {k: v for k, v in case.layer.items() if k != "attention_axes"})
    built = keras_layer(keras, case.layer)
    rng = np.random.default_rng(0)
    query, value = rng.normal(size=(2, 5, 8)).astype("float32"), rng.normal(size=(2, 7, 6)).astype("float32")
    mask = rng.random((2, 5, 7)) > 0.3 if case.mask else None
    outputs = []
    for layer in (built, plain):
        keras_call(layer, case.layer, query, value, mask=mask)  # builds it
        if layer is plain:
            plain.set_weights(built.get_weights())
        outputs.append(np.asarray(keras_call(layer, case.layer, query, value, mask=mask)))
    np.testing.assert_allclose(outputs[0], outputs[1], atol=1e-5)
    warned = [d for d in result.diagnostics if d.code == "SB305"]
    assert len(warned) == (given not in (1, -2, [1], [-2])), diagnostics(result)


@pytest.mark.parametrize("layer", [att(), additive(), att(return_attention_scores=True)], ids=["att", "add", "scores"])
def test_a_size_1_leading_axis_of_the_query_broadcasts_up_as_keras_computes(keras, layer):
    """Keras's symbolic shape keeps the query's (1, 7, 6); the model returns (5, 7, 6): specbridge follows the run."""
    case = Case(layer, (1, 7, 6), (5, 5, 6))
    measured = measure(keras, case)
    assert measured.stage == "ok" and measured.symbolic[0] == (1, 7, 6), measured.error
    record = specbridge(case).record("att")
    assert record.output_shape == measured.ran[0] == (5, 7, 6)
    if case.scores:
        assert record.extra_outputs[0].shape == measured.ran[1]
    assert any(s.topic == "note" and "broadcasts" in s.template for s in record.steps)


def test_a_mask_that_broadcasts_a_length_one_query_up_changes_the_output(keras):
    """Without scores (ops.dot_product_attention) Keras silently returns the mask's query length."""
    case = Case(mha(), (1, 8), (7, 6), mask=(5, 7))
    measured = measure(keras, case)
    assert measured.stage == "ok"
    assert measured.symbolic[0] == case.query
    assert measured.ran[0] == (case.mask[0], case.query[-1])


@pytest.mark.parametrize(
    ("layer", "query"),
    [
        (mha(output_shape=10), (5, 8)),
        (mha(output_shape=[2, 4]), (5, 8)),
        (mha(output_shape=10, attention_axes=[1, 2]), (4, 5, 8)),
        (mha(), (5, 8)),  # the default output_shape is the query's width: the residual adds
        (mha(output_shape=8), (5, 8)),
        (mha(output_shape=[8]), (4, 5, 8)),
    ],
    ids=lambda v: ",".join(f"{k}={x}".replace(" ", "") for k, x in v.items() if k != "type")
    if isinstance(v, dict) else dims(v),
)
def test_residual_add_of_the_attention_output(keras, layer, query):
    """x + attention(x): output_shape sets the width; the Add is refused (SB204 at the Add) where Keras refuses it."""
    case = Case(layer, query, query, same=True)
    add = {"type": "Add", "name": "sum", "inputs": ["att", "q"]}
    result = check_text(spec_text(case, after=(add,)), lint=False)
    x = keras.Input(query, dtype="float32")
    try:
        total = keras.layers.Add()([keras_layer(keras, layer)(x, x), x])
    except ValueError as exc:
        assert "Inputs have incompatible shapes" in str(exc)
        assert [(d.code, d.layer) for d in result.errors] == [(MERGE, "sum")], diagnostics(result)
        assert "incompatible shapes" in result.errors[0].message
    else:
        assert result.ok, diagnostics(result)
        model = keras.Model(x, total)
        assert result.record("sum").output_shape == tuple(model.output.shape[1:])
        assert result.total_params == model.count_params()


@pytest.mark.parametrize(
    "case",
    [
        Case(att(score_mode="concat", return_attention_scores=True), (5, 1), (7, 8)),
        Case(att(score_mode="concat"), (5, 8), (7, 6), (7, 1)),
        Case(additive(return_attention_scores=True), (5, 1), (7, 8)),
        Case(additive(), (5, 8), (7, 6), (7, 1)),
    ],
    ids=lambda c: c.id,
)
def test_width_one_broadcasts_in_concat_and_additive_scores(keras, case):
    """tanh(query + key) broadcasts a width of 1 against the other's width: Keras builds and runs it."""
    test_matches_keras(keras, case)
