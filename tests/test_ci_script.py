""".ci/run tests both TensorFlow kernel sets, whatever CPU the CI machine has."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_suite_with_onednn_off_and_on():
    script = (ROOT / ".ci" / "run").read_text()
    loop = re.search(r"for onednn in ([0-9 ]+); do(.*?)done", script, flags=re.DOTALL)
    assert loop and loop.group(1).split() == ["0", "1"]
    assert "TF_ENABLE_ONEDNN_OPTS=$onednn" in loop.group(2) and "-m pytest -n 2 --dist loadfile" in loop.group(2)
    assert 'exit "$overall"' in script  # a failure in either run fails CI


def test_the_pytest_header_names_the_setting():
    for value in ("0", "1"):
        done = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-p", "no:xdist",
                               str(ROOT / "tests" / "test_ci_script.py")],
                              env={"TF_ENABLE_ONEDNN_OPTS": value, "PATH": "/usr/bin:/bin"}, cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"TF_ENABLE_ONEDNN_OPTS={value}" in done.stdout, done.stdout
