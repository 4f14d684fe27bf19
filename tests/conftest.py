"""Options shared by the whole suite. Fixtures for one area live in that area's conftest (tests/shapes/, ...).

pytest only honours command-line options declared in the root conftest, so every shared flag is declared here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from frameworks import REQUIRE_FRAMEWORKS, frameworks_required

# Before any test module imports a framework: quiet TensorFlow's C++ logging and pin Keras to its TF backend.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite golden files (expected CLI output, schemas) from the current output instead of comparing",
    )


def pytest_report_header(config: pytest.Config) -> str:
    """Which TensorFlow kernels this run tests (.ci/run runs the suite with oneDNN off, then on)."""
    setting = os.environ.get("TF_ENABLE_ONEDNN_OPTS")
    return f"TF_ENABLE_ONEDNN_OPTS={setting if setting is not None else 'unset (TensorFlow decides by CPU)'}"


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when golden files should be rewritten (`pytest --update-golden` or SPECBRIDGE_UPDATE_GOLDEN=1)."""
    return bool(request.config.getoption("--update-golden") or os.environ.get("SPECBRIDGE_UPDATE_GOLDEN"))


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """With SPECBRIDGE_REQUIRE_FRAMEWORKS set (CI), a skipped test is a failed one (see tests/frameworks.py)."""
    outcome = yield
    _skip_is_failure(outcome.get_result())


@pytest.hookimpl(hookwrapper=True)
def pytest_make_collect_report(collector: pytest.Collector):
    """The same for a whole module skipped at import (a module-level importorskip)."""
    outcome = yield
    _skip_is_failure(outcome.get_result())


def _skip_is_failure(report) -> None:
    if not report.skipped or hasattr(report, "wasxfail") or not frameworks_required():
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    report.outcome = "failed"
    report.longrepr = f"skipped ({reason}), but {REQUIRE_FRAMEWORKS} is set: every test must run"
