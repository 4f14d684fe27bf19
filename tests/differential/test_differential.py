"""Generated specs against real Keras 3 (issue 6): every difference is either in known.py or a failure.

CI runs a fixed seed and a bounded number of examples (SPECBRIDGE_DIFFERENTIAL_EXAMPLES, default 200: about a
minute of CPU); a failure shrinks to a minimal spec. The long campaign: scripts/differential.py (see
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
from .known import KNOWN, explain, unexplained
from .models import specs

pytestmark = [pytest.mark.keras, pytest.mark.torch, pytest.mark.differential]

SEED = 20240606
EXAMPLES = int(os.environ.get("SPECBRIDGE_DIFFERENTIAL_EXAMPLES", "200"))
DOCS = Path(__file__).resolve().parents[2] / "docs" / "reliability.md"


@pytest.fixture(scope="module")
def keras():
    import_framework("torch")  # the emitted PyTorch model's shapes are checked too
    return import_framework("keras")


@hypothesis_seed(SEED)
@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(spec=specs())
def test_generated_specs_agree_with_keras(keras, spec):
    outcome = referee.judge(keras, spec, torch=True, crosscheck=len(spec["layers"]) == 3)
    assert not unexplained(outcome), "\n".join(map(str, unexplained(outcome))) + "\n" + json.dumps(spec)


# ---------------------------------------------------------------- the strategy's reach (no Keras needed)


def _drawn(n: int) -> list[dict]:
    found = []

    @hypothesis_seed(SEED)
    @settings(max_examples=n, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(specs())
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
    drawn = _drawn(2000)
    seen = {(raw["type"], key) for spec in drawn for raw in _layers(spec) for key in raw}
    types = {kind for kind, _ in seen}
    assert {cls.type_names()[0] for cls in all_classes()} <= types
    missing = [(cls.type_names()[0], name) for cls in all_classes() for name in cls.model_fields
               if name not in ("type", "name", "expect", "inputs", "shares") and (cls.type_names()[0], name) not in seen]
    assert len(missing) <= 40, missing  # of ~400 (type, argument) pairs: the rare optional combinations
    # A wrapper around a pooling layer (which one depends on the draws, hence on the number of layer types).
    assert any("Pooling" in raw.get("layer", {}).get("type", "") for s in drawn for raw in s["layers"])
    assert any(s.get("data_format") == "channels_first" for s in drawn)
    assert any(None in i["shape"] for s in drawn for i in s.get("inputs", [s.get("input")]))
    assert any(-1 in raw.get("target_shape", []) for s in drawn for raw in s["layers"])
    assert any(len(raw.get("inputs", [])) == 2 for s in drawn for raw in s["layers"])


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
