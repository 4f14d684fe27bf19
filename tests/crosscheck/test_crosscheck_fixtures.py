"""Every valid fixture's emitted Keras, PyTorch and ONNX models agree layer by layer, in float32 and float64.

In float64, onnxruntime 1.32 has no CPU kernel for some ops (tests/emit/onnx_float64.py's ORT_NO_FLOAT64: Conv,
LSTM, ...): a fixture using one is compared in float64 by Keras and PyTorch only, and the report must say so for
exactly that reason (tests/emit/test_float64.py checks those ONNX models with onnx's ReferenceEvaluator instead).
"""

from __future__ import annotations

import re

import pytest
from crosscheck_helpers import ROOT, VALID_FIXTURES
from emit.onnx_float64 import ORT_NO_FLOAT64

from specbridge.check import check_file
from specbridge.crosscheck import run_crosscheck

NO_KERNEL = rf"has no float64 CPU kernel for ({'|'.join(ORT_NO_FLOAT64)});"


def test_the_fixture_directory_is_populated():
    assert len(VALID_FIXTURES) >= 10, "fixtures/valid/ has (almost) no specs: the parametrized checks below are empty"


@pytest.mark.slow
@pytest.mark.parametrize("path", VALID_FIXTURES, ids=lambda p: p.name)
def test_valid_fixture_crosschecks(path, keras, torch, onnxruntime):
    result = check_file(path)
    assert result.ok, [d.message for d in result.errors]

    single = run_crosscheck(result, dtype="float32")
    assert single.ok, f"{path.relative_to(ROOT)}: first divergence {single.first_divergence}: {single.to_dict()}"
    assert single.max_abs_error < 1e-4  # the scaled bound passes; the raw error is rounding-sized too
    extra = sum(len(r.extra_outputs) for r in result.records)  # attention scores, split parts: compared too
    assert len(single.layers) == len(result.records) + extra  # every layer compared, not only the output
    assert single.backends == ["keras", "pytorch", "onnx"], single.unavailable  # ONNX really took part
    assert len(single.pairs) == 3 and all(pair.ok for pair in single.pairs)

    double = run_crosscheck(result, dtype="float64")
    assert double.ok, f"{path.relative_to(ROOT)}: first divergence {double.first_divergence}"
    assert double.max_abs_error <= 1e-9
    if "onnx" not in double.backends:
        assert re.search(NO_KERNEL, double.unavailable["onnx"]), double.unavailable
