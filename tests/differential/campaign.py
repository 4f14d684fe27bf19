"""A campaign: many generated specs judged by Keras, the differences grouped by root cause.

scripts/differential.py is its command line; the CI test (test_differential.py) runs a small fixed-seed one
through Hypothesis directly, so that a difference fails the build and shrinks to a minimal spec.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import seed as hypothesis_seed

from .known import KNOWN, explain
from .models import specs
from .referee import Difference, Outcome, judge


def group_key(d: Difference) -> str:
    """An unexplained difference's root-cause guess: what differs, on which layer type, with which message."""
    words = re.sub(r"\d+", "N", d.detail.split(": ", 2)[-1])[:70]
    return f"{d.what} {d.layer_type}: {words}"


@dataclass
class Tally:
    generated: int = 0
    distinct: set = field(default_factory=set)
    specbridge_valid: int = 0
    keras_valid: int = 0
    agreeing: int = 0
    torch_checked: int = 0
    crosschecked: int = 0
    not_expressible: int = 0
    known: Counter = field(default_factory=Counter)  # entry id -> specs
    unexplained: dict = field(default_factory=lambda: defaultdict(list))  # group -> specs
    types: Counter = field(default_factory=Counter)
    seconds: float = 0.0

    def add(self, outcome: Outcome) -> None:
        self.generated += 1
        self.distinct.add(json.dumps(outcome.spec, sort_keys=True))
        self.specbridge_valid += bool(outcome.specbridge_ok)
        self.keras_valid += bool(outcome.keras_ok)
        self.agreeing += outcome.agrees
        self.torch_checked += outcome.torch_checked
        self.crosschecked += outcome.crosschecked
        self.not_expressible += bool(outcome.not_expressible)
        for raw in outcome.spec["layers"]:
            self.types[raw["type"]] += 1
            if isinstance(raw.get("layer"), dict):
                self.types[f"{raw['type']}({raw['layer']['type']})"] += 1
        ids = set()
        for d in outcome.differences:
            known = explain(outcome, d)
            if known is not None:
                ids.add(known.id)
            else:
                self.unexplained[group_key(d)].append(outcome.spec)
        self.known.update(ids)


def run(examples: int, seed: int, crosscheck_every: int = 25, torch: bool = True) -> Tally:
    """Judge `examples` generated specs (Hypothesis generation only: no shrinking, no example database)."""
    import keras

    tally = Tally()
    started = time.perf_counter()

    @hypothesis_seed(seed)
    @settings(max_examples=examples, database=None, deadline=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(specs())
    def campaign(spec):
        sample = crosscheck_every > 0 and tally.keras_valid % crosscheck_every == 0
        tally.add(judge(keras, spec, torch=torch, crosscheck=sample, seed=tally.generated))
        if tally.generated % 500 == 0:
            keras.backend.clear_session()  # the in-process models otherwise pile up
            print(f"  ... {tally.generated} specs, {tally.agreeing} agree", flush=True)

    campaign()
    tally.seconds = time.perf_counter() - started
    return tally


def smallest(specs_: list[dict]) -> dict:
    return min(specs_, key=lambda s: len(json.dumps(s)))


def summary(tally: Tally, seed: int) -> str:
    """The campaign's report, as docs/reliability.md quotes it."""
    n = max(tally.generated, 1)
    lines = [
        f"differential campaign against Keras: seed {seed}, {tally.seconds:.0f} s",
        f"  models generated:        {tally.generated} ({len(tally.distinct)} distinct)",
        f"  valid (Keras builds+runs): {tally.keras_valid} ({100 * tally.keras_valid / n:.1f}%); "
        f"specbridge accepts {tally.specbridge_valid} ({100 * tally.specbridge_valid / n:.1f}%)",
        f"  agreement:               {tally.agreeing} ({100 * tally.agreeing / n:.2f}%) with no difference at all",
        f"  PyTorch shapes checked:  {tally.torch_checked}; cross-checked: {tally.crosschecked}; "
        f"not expressible (SB400): {tally.not_expressible}",
        f"  layer types drawn:       {len([t for t in tally.types if '(' not in t])} "
        f"(+{len([t for t in tally.types if '(' in t])} wrapped combinations)",
        "known differences (tests/differential/known.py), specs affected:",
    ]
    for k in KNOWN:
        lines.append(f"  {tally.known[k.id]:6d}  [{k.status}] {k.id}: {k.reason}")
    lines.append(f"unexplained differences: {sum(len(v) for v in tally.unexplained.values())} specs")
    for key, found in sorted(tally.unexplained.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"  {len(found):6d}  {key}")
        lines.append(f"          smallest: {json.dumps(smallest(found))}")
    return "\n".join(lines)
