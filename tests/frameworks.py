"""Importing a framework in a test: a skip for a user without the extra, a failure where it must be installed.

CI (.ci/run) sets SPECBRIDGE_REQUIRE_FRAMEWORKS=1. Then a framework that does not import fails the test that
needs it, with the import error, and tests/conftest.py turns every other skip into a failure too: a broken
install cannot make hundreds of tests skip while CI stays green.
"""

from __future__ import annotations

import importlib
import os

import pytest

REQUIRE_FRAMEWORKS = "SPECBRIDGE_REQUIRE_FRAMEWORKS"


def frameworks_required() -> bool:
    return os.environ.get(REQUIRE_FRAMEWORKS, "").strip() not in ("", "0")


def import_framework(name: str):
    """The imported module `name`; when it cannot be imported, a skip (or a failure, see above)."""
    if not frameworks_required():
        return pytest.importorskip(name)
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        pytest.fail(f"{name} does not import ({exc}) and {REQUIRE_FRAMEWORKS} is set: it must be installed")
