"""Shrink a difference to a minimal spec with Hypothesis: the smallest spec the strategy can draw that shows it."""

from __future__ import annotations

from hypothesis import HealthCheck, find, settings

from .campaign import group_key
from .known import explain
from .models import specs
from .referee import judge


def shows(keras, key: str):
    """A predicate: the spec has an unexplained difference of group `key`."""
    def predicate(spec: dict) -> bool:
        outcome = judge(keras, spec)
        return any(group_key(d) == key and explain(outcome, d) is None for d in outcome.differences)

    return predicate


def shrink_groups(groups: dict, max_examples: int = 3000) -> dict[str, dict]:
    """{group: minimal spec} for each unexplained group (a group Hypothesis cannot find again is left out)."""
    import keras

    found = {}
    for key in groups:
        try:
            found[key] = find(specs(), shows(keras, key), settings=settings(
                max_examples=max_examples, database=None, deadline=None, suppress_health_check=list(HealthCheck)))
        except Exception as exc:  # hypothesis.errors.NoSuchExample: too rare to find from scratch
            print(f"  could not shrink {key}: {type(exc).__name__}")
    return found
