"""Options shared by the whole suite. Fixtures for one area live in that area's conftest (tests/shapes/, ...).

pytest only honours command-line options declared in the root conftest, so every shared flag is declared here.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    """True when golden files should be rewritten (`pytest --update-golden` or SPECBRIDGE_UPDATE_GOLDEN=1)."""
    return bool(request.config.getoption("--update-golden") or os.environ.get("SPECBRIDGE_UPDATE_GOLDEN"))


@pytest.fixture(scope="session")
def project_root() -> Path:
    return PROJECT_ROOT
