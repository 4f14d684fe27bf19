"""Spec helpers for the cross-check tests (a plain module: conftest.py cannot be imported by tests)."""

from __future__ import annotations

import json
from pathlib import Path

from specbridge.cli.files import walk

ROOT = Path(__file__).resolve().parents[2]
# The specs `specbridge check fixtures/valid` finds (expected-output files and other data are skipped).
VALID_FIXTURES = walk(ROOT / "fixtures" / "valid")


def spec_text(input_shape, layers: list[dict], *, dtype: str | None = None, **header) -> str:
    """A single-input spec as JSON text (JSON is valid YAML)."""
    spec = {"specbridge": 1, "name": header.pop("name", "crosscheck_test"), **header,
            "input": {"shape": list(input_shape)}, "layers": layers}
    if dtype:
        spec["input"]["dtype"] = dtype
    return json.dumps(spec)


def checked(text: str):
    """check_text(text), asserting the spec is valid (a test spec with errors is a broken test)."""
    from specbridge.check import check_text

    result = check_text(text)
    assert result.ok, [d.message for d in result.errors]
    return result
