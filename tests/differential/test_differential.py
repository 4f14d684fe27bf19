"""Generated specs against real Keras 3 (issue 6): every difference is either in known.py or a failure.

CI runs a fixed seed and a bounded number of examples (SPECBRIDGE_DIFFERENTIAL_EXAMPLES, default 500: about half a
minute of CPU, 3 in 7 of them attention or op graphs); a failure shrinks to a minimal spec. The long campaign: scripts/differential.py (see
docs/reliability.md). The planted-bug tests below show that a disagreement cannot pass unnoticed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from frameworks import import_framework
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

from specbridge.spec.catalog import all_classes

from . import referee
from .attention_graphs import attention_graphs
from .known import KNOWN, explain, unexplained
from .models import layer_specs, specs
from .op_graphs import op_graphs

pytestmark = [pytest.mark.keras, pytest.mark.torch, pytest.mark.differential]

SEED = 20240606
EXAMPLES = int(os.environ.get("SPECBRIDGE_DIFFERENTIAL_EXAMPLES", "500"))
DOCS = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


@pytest.fixture(scope="module")
def keras():
    import_framework("torch")  # the emitted PyTorch model's shapes are checked too
    return import_framework("keras")


@pytest.mark.filterwarnings("ignore:You are using a softmax over axis")  # Keras's hint on a size-1 axis
@hypothesis_seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(spec=specs())
def test_generated_specs_agree_with_keras(keras, spec):
    outcome = referee.judge(keras, spec, torch=True, crosscheck=len(spec["layers"]) == 3)
    assert not unexplained(outcome), "\n".join(map(str, unexplained(outcome))) + "\n" + json.dumps(spec)


# ---------------------------------------------------------------- the strategy's reach (no Keras needed)


def _drawn(n: int, strategy=None) -> list[dict]:
    found = []

    @hypothesis_seed(SEED)
    @settings(max_examples=n, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(specs() if strategy is None else strategy)
    def collect(spec):
        found.append(spec)

    collect()
    return found


def _layers(spec: dict):
    for raw in spec["layers"]:
        yield raw
        if isinstance(raw.get("layer"), dict):
            yield raw["layer"]


def test_strategy_covers_every_layer_type_and_argument():
    """specs() draws from each of its strategies; each is drawn here on its own, as often as its reach needs (the
    layer chains and merged graphs, the attention graphs, the op graphs)."""
    drawn = _drawn(2000, layer_specs())
    attention, ops = _drawn(600, attention_graphs()), _drawn(2500, op_graphs())
    seen = {(raw["type"], key) for spec in drawn + attention + ops for raw in _layers(spec) for key in raw}
    types = {kind for kind, _ in seen}
    assert {cls.type_names()[0] for cls in all_classes()} <= types
    # An op takes no `trainable` (Op.KERAS_REFUSES, one rule for every op): drawn on some op types, not all.
    refused = {(cls.type_names()[0], "trainable") for cls in all_classes() if cls.FAMILY == "ops"}
    assert len(refused & seen) >= 10
    missing = [(cls.type_names()[0], name) for cls in all_classes() for name in cls.model_fields
               if name not in ("type", "name", "expect", "inputs", "shares") and (cls.type_names()[0], name) not in seen
               and (cls.type_names()[0], name) not in refused]
    pairs = sum(name not in ("type", "name", "expect", "inputs", "shares") for cls in all_classes()
                for name in cls.model_fields)
    assert len(missing) <= pairs // 12, (pairs, missing)  # ~8% of the (type, argument) pairs: rare combinations
    _assert_the_new_families_reach_their_edges(attention, ops)
    # A wrapper around a pooling layer (which one depends on the draws, hence on the number of layer types).
    assert any("Pooling" in raw.get("layer", {}).get("type", "") for s in drawn for raw in s["layers"])
    assert any(s.get("data_format") == "channels_first" for s in drawn)
    assert any(None in i["shape"] for s in drawn for i in s.get("inputs", [s.get("input")]))
    assert any(-1 in raw.get("target_shape", []) for s in drawn for raw in s["layers"])
    assert any(len(raw.get("inputs", [])) == 2 for s in drawn for raw in s["layers"])


def _assert_the_new_families_reach_their_edges(attention: list[dict], ops: list[dict]) -> None:
    layers = [raw for spec in attention for raw in spec["layers"]]
    heads = [raw for raw in layers if raw["type"] in ("GroupQueryAttention", "GroupedQueryAttention")]
    assert any(raw["num_query_heads"] % raw["num_key_value_heads"] for raw in heads)  # non-multiples
    assert any(raw["num_query_heads"] % raw["num_key_value_heads"] == 0 for raw in heads)
    axes = [(raw["attention_axes"], len(s["inputs"][0]["shape"]) + 1) for s in attention for raw in s["layers"]
            if "attention_axes" in raw]
    assert any(isinstance(a, int) and a < 0 for a, _ in axes) and any(isinstance(a, list) and len(a) > 1 for a, _ in axes)
    assert any(0 in [x + rank if x < 0 else x for x in (a if isinstance(a, list) else [a])] for a, rank in axes)
    assert any("attention_mask" in raw for raw in layers)
    assert any("att.scores" in s.get("outputs", []) for s in attention)
    assert any("att.scores" in raw.get("inputs", []) for raw in layers)  # the scores feeding a later layer
    assert {len(i["shape"]) + 1 for s in attention for i in s["inputs"]} >= {3, 4, 5}
    assert any(len(raw["inputs"]) == 3 for raw in layers if raw.get("name") == "att")  # a key of its own
    nodes = [raw for spec in ops for raw in spec["layers"]]
    assert any("x1" in raw for raw in nodes) and any("x2" in raw for raw in nodes)
    keys = [raw["key"] for raw in nodes if "key" in raw]
    assert all(any(word in k for k in keys) for word in ("...", "None", "::", "-1"))
    assert any(":" in item and "-" in item for k in keys for item in k.split(","))  # a slice with a negative bound
    assert any(raw.get("newshape", [0])[0] == -1 for raw in nodes)
    assert any(0 in (a if isinstance(a, list) else [a]) for raw in nodes for a in [raw.get("axis")] if a is not None)
    assert any(str(i).startswith("op.") for raw in nodes for i in raw.get("inputs", []))  # split's parts read


def test_about_half_of_the_generated_specs_are_valid():
    from specbridge.check import check_text

    drawn = _drawn(300)
    valid = sum(check_text(json.dumps(s)).ok for s in drawn)
    assert 0.35 <= valid / len(drawn) <= 0.75, f"{valid} of {len(drawn)} valid"


# ---------------------------------------------------------------- it can fail: planted disagreements


DENSE = {"specbridge": 1, "name": "planted", "input": {"shape": [4]}, "layers": [{"type": "Dense", "units": 3}]}


def test_a_planted_parameter_error_is_detected(keras, monkeypatch):
    real = referee.check_text

    def wrong(text):
        result = real(text)
        result.records = [r.__class__(**{**r.__dict__, "params": r.params + 1}) for r in result.records]
        return result

    monkeypatch.setattr(referee, "check_text", wrong)
    outcome = referee.judge(keras, DENSE)
    assert [d.what for d in outcome.differences] == ["params"]
    assert unexplained(outcome) == outcome.differences


def test_a_planted_verdict_error_is_detected(keras, monkeypatch):
    """specbridge 'refusing' a Dense that Keras builds: a verdict difference no known entry explains.

    (Shrinking is Hypothesis's own: a failing example of the test above is reported shrunk, e.g. to one layer.)
    """
    real = referee.check_text

    def refuses_dense(text):
        result = real(text)
        if '"Dense"' in text and result.ok:
            result.diagnostics.append(_error(result))
        return result

    monkeypatch.setattr(referee, "check_text", refuses_dense)
    outcome = referee.judge(keras, DENSE)
    assert [d.what for d in outcome.differences] == ["verdict"]
    assert unexplained(outcome) == outcome.differences


CROSS = {"specbridge": 1, "name": "planted", "inputs": [{"name": "q", "shape": [5, 8]}, {"name": "v", "shape": [7, 6]}],
         "layers": [{"type": "MultiHeadAttention", "name": "att", "num_heads": 2, "key_dim": 4, "inputs": ["q", "v"],
                     "return_attention_scores": True}], "outputs": ["att", "att.scores"]}
NULL_OP = {"specbridge": 1, "name": "planted", "input": {"shape": [None, 4]}, "layers": [{"type": "ops.exp", "name": "op"}]}


def _planted(monkeypatch, change):
    """check_text with every record passed through `change`."""
    real = referee.check_text

    def wrong(text):
        result = real(text)
        result.records = [change(r) for r in result.records]
        return result

    monkeypatch.setattr(referee, "check_text", wrong)


def test_attention_is_judged_on_what_keras_computes(keras):
    """Keras's symbolic scores are (batch, 2, 5, 5); the call returns (batch, 2, 5, 7), as specbridge says."""
    outcome = referee.judge(keras, CROSS)
    assert outcome.keras_ok and outcome.specbridge_ok and not outcome.differences


def test_a_planted_scores_shape_error_is_detected(keras, monkeypatch):
    """specbridge giving the scores Keras's symbolic shape (heads, Tq, Tq): the runs show (heads, Tq, Tk)."""
    from specbridge.shapes.records import Tensor

    _planted(monkeypatch, lambda r: r.__class__(**{**r.__dict__, "extra_outputs": tuple(
        Tensor((2, 5, 5), t.dtype) for t in r.extra_outputs)}))
    outcome = referee.judge(keras, CROSS)
    assert [(d.what, d.layer) for d in outcome.differences] == [("shape", "att.scores")]
    assert unexplained(outcome) == outcome.differences


def test_a_planted_size_for_an_unknown_axis_is_detected(keras, monkeypatch):
    """An op's null axis given the size of the first run (6): the second run (7) shows it is unknown."""
    from specbridge.shapes.records import Tensor

    _planted(monkeypatch, lambda r: r.__class__(**{**r.__dict__, "output": Tensor((referee.UNKNOWN_SIZE, 4))}))
    outcome = referee.judge(keras, NULL_OP)
    assert [(d.what, d.layer) for d in outcome.differences] == [("shape", "op")]
    assert unexplained(outcome) == outcome.differences


def _error(result):
    from specbridge.diagnostics import codes

    return codes.MERGE_MISMATCH("planted", layer=result.records[0].name)


# ---------------------------------------------------------------- the known-differences table


def test_every_known_difference_has_a_reason_and_is_documented():
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    assert len({k.id for k in KNOWN}) == len(KNOWN)
    for k in KNOWN:
        assert k.status in ("deliberate", "open", "upstream") and len(k.reason) > 30, k.id
        assert f"`{k.id}`" in text, f"docs/reliability.md does not list known difference {k.id}"
        if k.status == "open":
            assert k.repro, f"{k.id}: an open difference needs a minimal repro"


@pytest.mark.parametrize("entry", [k for k in KNOWN if k.status == "open"], ids=lambda k: k.id)
def test_each_open_difference_still_reproduces(keras, entry):
    """An open entry whose repro now agrees with Keras was fixed: remove it and add the repro as a fixture."""
    outcome = referee.judge(keras, json.loads(entry.repro), torch=True, crosscheck=True)
    assert any(explain(outcome, d) is entry for d in outcome.differences), (
        f"{entry.id} no longer differs: delete it from known.py and add its repro as a regression fixture")
