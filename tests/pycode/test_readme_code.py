"""The README's "Check Keras and PyTorch model code" section, as written: the two files fail in the real frameworks
the way the section says, and `specbridge check` prints exactly the output shown."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from frameworks import import_framework

from specbridge.cli.testing import invoke

ROOT = Path(__file__).resolve().parents[2]
SECTION = "## Check Keras and PyTorch model code (.py)"


def section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(SECTION)
    return readme[start:readme.index("\n## ", start + 1)]


def blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", section(), flags=re.DOTALL)


@pytest.fixture
def files(tmp_path, monkeypatch) -> Path:
    keras_code, torch_code = blocks("python")
    (tmp_path / "model.py").write_text(keras_code, encoding="utf-8")
    (tmp_path / "net.py").write_text(torch_code, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    return tmp_path


def test_the_readme_output_is_what_check_prints(files):
    (console,) = blocks("console")
    command, _, shown = console.partition("\n")
    assert command == "$ specbridge check model.py net.py"
    result = invoke("check", "model.py", "net.py")
    assert result.exit_code == 1
    assert result.stdout == shown


def _fails_with(path: Path, framework: str) -> str:
    """Run the file in a fresh interpreter with the real framework; its last stderr line (the exception)."""
    import_framework(framework)
    env = {"TF_CPP_MIN_LOG_LEVEL": "3", "CUDA_VISIBLE_DEVICES": "", "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode != 0, "the README's broken example runs without error"
    return done.stderr.strip().splitlines()[-1]


@pytest.mark.keras
def test_the_keras_example_fails_in_keras_at_the_channel_axis(files):
    error = _fails_with(files / "model.py", "keras")
    assert "expected min_ndim=4, found ndim=3" in error


@pytest.mark.torch
def test_the_pytorch_example_fails_with_the_mat1_mat2_error(files):
    error = _fails_with(files / "net.py", "torch")
    assert "mat1 and mat2 shapes cannot be multiplied (64x400 and 256x120)" in error


def test_the_fixes_the_hints_give_make_both_files_clean(files):
    keras_code = (files / "model.py").read_text().replace("input_shape=(100, 100)", "input_shape=(100, 100, 1)")
    torch_code = (files / "net.py").read_text().replace("nn.Linear(256, 120)", "nn.Linear(400, 120)")
    (files / "model.py").write_text(keras_code)
    (files / "net.py").write_text(torch_code)
    result = invoke("check", "model.py", "net.py")
    assert result.exit_code == 0, result.stdout
    assert result.stdout == "All 2 files OK\n"


