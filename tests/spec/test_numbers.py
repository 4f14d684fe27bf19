"""Huge numbers get a diagnostic, never a crash or a silently wrong count (issue 6)."""

from __future__ import annotations

import pytest

from specbridge.check import check_text
from specbridge.report.summary import render_text

HEAD = "specbridge: 1\nname: m\n"


def diags(text: str, file=None):
    return [(d.code, d.line, d.layer) for d in check_text(text, file).diagnostics]


def test_a_size_of_10_to_the_30_is_out_of_bounds():
    """The defect: `units: 10**30` passed check (exit 0)."""
    text = HEAD + "input: {shape: [4]}\nlayers:\n  - {type: Dense, units: 1000000000000000000000000000000}\n"
    result = check_text(text)
    (d,) = result.diagnostics
    assert (d.code, d.line) == ("SB012", 5) and "2,147,483,647" in d.message


@pytest.mark.parametrize("value, ok", [(2**31 - 1, True), (2**31, False), (-(2**31), False)])
def test_the_integer_bound_is_int32(value, ok):
    text = HEAD + f"input: {{shape: [{value}]}}\nlayers:\n  - {{type: Dropout, rate: 0.5}}\n"
    codes = [c for c, _, _ in diags(text)]
    assert ("SB012" not in codes) is ok


def test_parameter_counts_in_expect_may_be_large():
    text = HEAD + "input: {shape: [4]}\nlayers:\n  - {type: Dense, units: 2, expect: {params: 5000000000}}\n"
    assert [c for c, _, _ in diags(text)] == ["SB209"]  # a mismatch, not a bound
    text = text.replace("5000000000", str(2**64))
    assert [c for c, _, _ in diags(text)] == ["SB012"]


def test_a_parameter_product_past_int64_is_a_diagnostic():
    """The defect: summary printed 100,000,000,010,000,000,000 params (355271 PB) as if real."""
    text = HEAD + "input: {shape: [2000000000, 2000000000]}\nlayers:\n  - {type: Flatten}\n" \
        "  - {type: Dense, units: 2000000000}\n  - {type: Dense, units: 3}\n"
    result = check_text(text)
    assert [(d.code, d.layer) for d in result.diagnostics] == [("SB211", "dense")]
    assert "int64" in result.diagnostics[0].message
    assert [r.name for r in result.records] == ["flatten"]  # dense_1 is downstream: skipped, not reported twice


def test_the_model_total_past_int64_is_a_diagnostic():
    layers = "".join("  - {type: Dense, units: 2000000000}\n" for _ in range(4))
    result = check_text(HEAD + "input: {shape: [2000000000]}\nlayers:\n" + layers)
    assert [d.code for d in result.diagnostics] == ["SB211"]
    assert "model's parameter count" in result.diagnostics[0].message
    assert result.total_params <= 2**63 - 1


def test_large_but_valid_models_still_summarize():
    text = HEAD + "input: {shape: [100000]}\nlayers:\n  - {type: Dense, units: 100000}\n"
    result = check_text(text)
    assert result.ok and result.total_params == 100000 * 100000 + 100000
    assert "10,000,100,000" in str(render_text(result))


def test_the_bound_applies_to_json_read_without_positions():
    import json

    text = json.dumps({"specbridge": 1, "name": "m", "k" * 1100: 1, "input": {"shape": [2**40]},
                       "layers": [{"type": "Dense", "units": 2}]})
    assert "SB012" in [c for c, _, _ in diags(text, "m.spec.json")]
