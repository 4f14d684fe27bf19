"""SPECBRIDGE_REQUIRE_FRAMEWORKS (set by .ci/run): a skip is a failure, so a broken install cannot pass CI green.

Runs pytest in a subprocess on tiny test files that skip, with tests/conftest.py loaded as a plugin (its hooks
are what is under test), once without the variable (a user without the extras: skips) and once with it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from frameworks import REQUIRE_FRAMEWORKS

TESTS = Path(__file__).resolve().parent

SKIPPING = '''
import pytest
from frameworks import import_framework


def test_runs():
    pass


def test_skips():
    pytest.skip("not today")


def test_needs_a_framework_that_is_not_installed():
    import_framework("specbridge_no_such_framework")
'''
SKIPPING_MODULE = '''
import pytest

pytest.importorskip("specbridge_no_such_framework")


def test_never_collected():
    pass
'''


def run_pytest(tmp_path: Path, source: str, required: bool) -> subprocess.CompletedProcess:
    (tmp_path / "test_tiny.py").write_text(source)
    env = {k: v for k, v in os.environ.items() if k != REQUIRE_FRAMEWORKS}
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")])
    if required:
        env[REQUIRE_FRAMEWORKS] = "1"
    command = [sys.executable, "-m", "pytest", "-p", "conftest", "-p", "no:cacheprovider", "-q", str(tmp_path)]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_without_the_variable_skips_stay_skips(tmp_path):
    proc = run_pytest(tmp_path, SKIPPING, required=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed, 2 skipped" in proc.stdout, proc.stdout
    proc = run_pytest(tmp_path, SKIPPING_MODULE, required=False)
    assert proc.returncode in (0, 5) and "1 skipped" in proc.stdout, proc.stdout + proc.stderr  # 5: none ran


def test_with_the_variable_every_skip_fails(tmp_path):
    proc = run_pytest(tmp_path, SKIPPING, required=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "2 failed, 1 passed" in proc.stdout, proc.stdout
    assert f"not today), but {REQUIRE_FRAMEWORKS} is set" in proc.stdout, proc.stdout
    assert "specbridge_no_such_framework does not import" in proc.stdout


def test_with_the_variable_a_module_skipped_at_import_fails(tmp_path):
    proc = run_pytest(tmp_path, SKIPPING_MODULE, required=True)
    assert proc.returncode not in (0, 5), proc.stdout + proc.stderr  # a collection error: the run stops
    assert "1 error" in proc.stdout and f"but {REQUIRE_FRAMEWORKS} is set" in proc.stdout, proc.stdout
