"""Reading model code must import no framework: `specbridge check model.py` runs where TensorFlow and PyTorch are
not installed (the pre-commit hook's environment), and fast. Each probe runs in a fresh interpreter, so what other
tests imported can neither hide nor fake an import.

The files read: the generated ~1,000-line training script with three models (bigfile.py, the one the benchmark
times) and the corpus of good model code (fixtures/python/good/*.py), through the CLI (`check`, and `summary` of
one model) and the library (read_python, then each model's spec).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from bigfile import MODEL_NAMES, N_MODELS, big_model_file

FRAMEWORKS = ("tensorflow", "keras", "tf_keras", "torch", "onnx", "onnxruntime")
ROOT = Path(__file__).resolve().parents[2]
GOOD = sorted((ROOT / "fixtures" / "python" / "good").glob("*.py"))

PROBE = textwrap.dedent(
    """\
    import io, json, sys
    from contextlib import redirect_stdout
    from specbridge.cli.app import main
    from specbridge.pycode import read_python

    def cli(argv):
        out = io.StringIO()
        try:
            with redirect_stdout(out):
                main(argv)
        except SystemExit as exc:
            return exc.code or 0, out.getvalue()
        return 0, out.getvalue()

    big, good = sys.argv[1], sys.argv[2:]
    report = {"check_big": cli(["check", big]), "check_good": cli(["check", *good])}
    result = read_python(open(big, encoding="utf-8").read(), big)
    report["models"] = [[m.name, m.framework, m.spec(big)[0] is not None] for m in result.models]
    report["diagnostics"] = [[d.code, d.severity.value, d.line, d.message] for d in result.diagnostics]
    if result.models:
        report["summary"] = cli(["summary", big, "--model", result.models[-1].name])
    report["loaded"] = sorted(m for m in sys.modules if m.split(".")[0] in FRAMEWORKS)
    print("REPORT=" + json.dumps(report))
    """
)


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    assert len(GOOD) >= 20, f"the corpus fixtures/python/good/ has only {len(GOOD)} files"
    big = tmp_path_factory.mktemp("bigfile") / "train.py"
    big.write_text(big_model_file(), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.replace("FRAMEWORKS", repr(FRAMEWORKS)), str(big), *map(str, GOOD)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )
    marker = [line for line in proc.stdout.splitlines() if line.startswith("REPORT=")]
    assert marker, f"probe failed (exit {proc.returncode}):\nstdout:\n{proc.stdout[-3000:]}\nstderr:\n{proc.stderr}"
    return json.loads(marker[-1][len("REPORT="):])


def test_the_generated_file_is_about_a_thousand_lines():
    text = big_model_file()
    assert 950 <= text.count("\n") <= 1050
    assert big_model_file() == text  # deterministic: the benchmark and this test read the same file
    compile(text, "train.py", "exec")  # valid Python


def test_the_probe_sees_a_framework_import():
    # Control: a probe that never reported a module would pass the real test whatever the reader imported.
    code = f"import sys, json; import onnx; print(sorted(m for m in sys.modules if m.split('.')[0] in {FRAMEWORKS!r}))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "'onnx'" in proc.stdout, proc.stderr


def test_reading_model_code_imports_no_framework(report):
    assert report["loaded"] == []


def test_the_three_models_of_the_generated_file_are_found_without_error(report):
    errors = [d for d in report["diagnostics"] if d[1] == "error"]
    assert errors == []
    assert len(report["models"]) == N_MODELS, report["models"]
    assert sorted(fw for _, fw, _ in report["models"]) == ["keras", "keras", "torch"], report["models"]
    assert sorted(name for name, _, _ in report["models"]) == sorted(MODEL_NAMES), report["models"]
    assert all(has_spec for *_, has_spec in report["models"]), report["models"]


def test_the_cli_checks_the_generated_file_clean_and_the_corpus_without_crashing(report):
    code, out = report["check_big"]
    assert code == 0, out
    code, out = report["check_good"]
    assert code in (0, 1), out  # the corpus's own verdicts are tests/pycode's business; here: no crash, no exit 2
    code, out = report["summary"]
    assert code == 0, out
