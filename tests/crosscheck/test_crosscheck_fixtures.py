"""Every valid fixture's emitted Keras and PyTorch models agree layer by layer, in float32 and float64."""

from __future__ import annotations

import pytest
from crosscheck_helpers import ROOT, VALID_FIXTURES

from specbridge.check import check_file
from specbridge.crosscheck import run_crosscheck


def test_the_fixture_directory_is_populated():
    assert len(VALID_FIXTURES) >= 10, "fixtures/valid/ has (almost) no specs: the parametrized checks below are empty"


@pytest.mark.slow
@pytest.mark.parametrize("path", VALID_FIXTURES, ids=lambda p: p.name)
def test_valid_fixture_crosschecks(path, keras, torch):
    result = check_file(path)
    assert result.ok, [d.message for d in result.errors]

    single = run_crosscheck(result, dtype="float32")
    assert single.ok, f"{path.relative_to(ROOT)}: first divergence {single.first_divergence}: {single.to_dict()}"
    assert single.max_abs_error < 1e-4  # the scaled bound passes; the raw error is rounding-sized too
    assert len(single.layers) == len(result.records)  # every layer compared, not only the output

    double = run_crosscheck(result, dtype="float64")
    assert double.ok, f"{path.relative_to(ROOT)}: first divergence {double.first_divergence}"
    assert double.max_abs_error <= 1e-9
