"""Hostile or broken input is refused quickly, with a located SB004, never a hang or a RecursionError (issue 6)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest

from specbridge.check import check_text
from specbridge.diagnostics.codes import refused
from specbridge.spec.limits import DEPTH_CEILING, InputRefused, Limits
from specbridge.spec.loader import load_text
from specbridge.spec.source import compose, measure, parse

HEADER = "specbridge: 1\nname: m\ninput: {shape: [4]}\n"
LAYERS = "layers:\n  - {type: Dense, units: 2}\n"


def billion_laughs(levels: int = 9) -> str:
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    return HEADER + "\n".join(lines) + "\n" + LAYERS


def codes(result) -> list[str]:
    return [d.code for d in result.diagnostics]


def test_billion_laughs_is_refused_at_once():
    """The defect: nine levels of ten-fold aliases kept check/summary/emit running past 60 s."""
    start = time.perf_counter()
    result = check_text(billion_laughs())
    assert time.perf_counter() - start < 0.5
    (d,) = result.diagnostics
    assert d.code == "SB004" and refused(result.diagnostics)
    assert "expands to more than 1,000,000 values" in d.message
    assert d.line > 3 and "SPECBRIDGE_MAX_NODES" in d.hint


def test_aliases_are_counted_at_every_use_but_small_ones_pass():
    text = "specbridge: 1\nname: m\ninput: {shape: &s [2]}\nlayers:\n  - {type: Dense, units: 2, expect: {shape: *s}}\n"
    assert check_text(text).ok
    small = Limits(max_nodes=1_000)
    assert "SB004" not in codes(load_text(billion_laughs(2), limits=small))  # 100 values
    assert codes(load_text(billion_laughs(3), limits=small)) == ["SB004"]  # 1,000 values and more


def test_measure_counts_expanded_values_and_depth():
    root = compose("a: &a [1, 2]\nb: [*a, *a, [[3]]]\n")
    # root, 2 keys, a (3 values), b: itself + 2 * 3 + [[3]] (3 values); root -> b -> [[3]] -> [3] -> 3
    assert measure(root, Limits()) == (1 + 2 + 3 + 1 + 6 + 3, 4)


@pytest.mark.parametrize("text", ["a: &a [*a]\n", "a: &a {b: [1, *a]}\n"])
def test_a_recursive_alias_is_refused(text):
    with pytest.raises(InputRefused, match="recursive alias"):
        parse(text)
    assert codes(load_text(text)) == ["SB004"]


@pytest.mark.parametrize("depth", [101, 900, 5_000, 200_000])
def test_deep_nesting_is_refused_without_recursion_error(depth):
    text = "[" * depth + "]" * depth
    (d,) = load_text(text).diagnostics
    assert d.code == "SB004" and "nested" in d.message


def test_aliases_that_nest_deeper_than_the_text_are_refused():
    inner = "[" * 60 + "1" + "]" * 60
    text = f"a: &a {inner}\nb: &b [*a, {inner}]\nc: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[*b]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]\n"
    (d,) = load_text(text).diagnostics
    assert d.code == "SB004" and "100 levels" in d.message


def test_depth_below_the_limit_converts():
    text = "[" * 99 + "]" * 99
    data, _ = parse(text)
    assert isinstance(data, list)


def test_byte_limit():
    text = HEADER + LAYERS
    assert codes(load_text(text, limits=Limits(max_bytes=len(text)))) != ["SB004"]
    (d,) = load_text(text, limits=Limits(max_bytes=len(text) - 1)).diagnostics
    assert d.code == "SB004" and "bytes" in d.message and "SPECBRIDGE_MAX_BYTES" in d.hint


def test_limits_from_environment(monkeypatch):
    monkeypatch.setenv("SPECBRIDGE_MAX_NODES", "1_000")
    monkeypatch.setenv("SPECBRIDGE_MAX_DEPTH", "7")
    monkeypatch.setenv("SPECBRIDGE_MAX_BYTES", "123456")
    assert Limits.from_env() == Limits(max_bytes=123456, max_nodes=1000, max_depth=7)
    assert codes(check_text(billion_laughs(3))) == ["SB004"]


@pytest.mark.parametrize("value", ["lots", "0", "-5", str(DEPTH_CEILING + 1)])
def test_a_bad_limit_setting_is_a_refusal_naming_the_variable(monkeypatch, value):
    monkeypatch.setenv("SPECBRIDGE_MAX_DEPTH", value)
    (d,) = check_text(HEADER + LAYERS).diagnostics
    assert d.code == "SB004" and d.message.startswith("input refused: SPECBRIDGE_MAX_DEPTH must be a positive")


def test_limits_reject_nonsense_in_python():
    with pytest.raises(ValueError):
        Limits(max_nodes=0)
    with pytest.raises(ValueError):
        Limits(max_depth=DEPTH_CEILING + 1)


def test_the_recursion_ceiling_is_safe():
    """_convert recurses (two frames a level with the comprehension): the ceiling stays far below the limit."""
    assert 2 * DEPTH_CEILING + 100 < sys.getrecursionlimit()
    depth = DEPTH_CEILING
    data, _ = parse("[" * depth + "]" * depth, limits=Limits(max_depth=depth))
    assert isinstance(data, list)


def test_a_10000_layer_spec_is_within_the_defaults():
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    try:
        from bench_check import generated_spec
    finally:
        sys.path.pop(0)
    text = generated_spec(10_000)
    result = check_text(text)
    assert result.ok and len(result.records) == 10_000
    # Its speed (the aim: < 1 s) is measured by bench/bench_check.py as a ratio, not asserted here in seconds.
    assert measure(compose(text), Limits())[0] < Limits().max_nodes / 10
