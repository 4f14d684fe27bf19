"""Fixtures for the CLI tests: a CliRunner, the test specs, and golden-file comparison.

Golden files live in tests/golden/; rewrite them with `pytest tests/cli --update-golden` (or
SPECBRIDGE_UPDATE_GOLDEN=1) and review the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

SPECS = Path(__file__).resolve().parent / "specs"
GOLDEN = Path(__file__).resolve().parent.parent / "golden"


@pytest.fixture(autouse=True)
def _plain_output(monkeypatch):
    """Colour decisions must not depend on the environment the tests run in."""
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("SPECBRIDGE_DEBUG", raising=False)


@pytest.fixture
def in_specs(monkeypatch) -> Path:
    """Run from tests/cli/specs so that file names in the output are short and stable."""
    monkeypatch.chdir(SPECS)
    return SPECS


@pytest.fixture
def run():
    """run("check", "x.spec.yaml") -> Result with .exit_code, .stdout, .stderr (the CLI run in-process)."""
    from specbridge.cli.testing import invoke

    return invoke


@pytest.fixture
def golden(update_golden):
    """golden("name.txt", text): compare with tests/golden/name.txt, or rewrite it when updating."""

    def compare(name: str, actual: str) -> None:
        path = GOLDEN / name
        if update_golden:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(actual, encoding="utf-8")
            return
        assert path.exists(), f"missing golden file {path}: run pytest tests/cli --update-golden"
        expected = path.read_text(encoding="utf-8")
        assert actual == expected, f"output differs from {path} (pytest tests/cli --update-golden rewrites it)"

    return compare
