"""Building an ONNX model needs the onnx package only: no TensorFlow, Keras, PyTorch, nor onnxruntime (which runs
models, not builds them); and importing the emitter package loads not even onnx. Each probe runs in a fresh
interpreter, so what other tests imported cannot hide (or fake) an import."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from frameworks import import_framework

from specbridge.cli.files import walk

ROOT = Path(__file__).resolve().parents[3]
WATCHED = ("tensorflow", "keras", "tf_keras", "torch", "onnxruntime", "onnx")
LARGEST_FIXTURE = max(walk(ROOT / "fixtures" / "valid"), key=lambda path: (path.stat().st_size, path.name))


@pytest.fixture(scope="module", autouse=True)
def frameworks():
    """Overrides tests/emit/conftest.py's (Keras and PyTorch): building needs onnx alone."""
    return import_framework("onnx")


def probe(action: str) -> dict:
    """Run `action` in a fresh interpreter; its `report` dict plus the watched top-level packages it loaded."""
    code = textwrap.dedent(
        """\
        import json, sys
        report = {{}}
        {action}
        report["loaded"] = sorted({{m.split(".")[0] for m in sys.modules}} & set({watched!r}))
        print("REPORT=" + json.dumps(report))
        """
    ).format(action=action, watched=WATCHED)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    marker = [line for line in proc.stdout.splitlines() if line.startswith("REPORT=")]
    assert marker, f"probe failed (exit {proc.returncode}):\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return json.loads(marker[-1][len("REPORT="):])


def test_building_the_largest_fixture_loads_no_framework_nor_runtime():
    report = probe(
        f"from specbridge.emit import to_onnx; "
        f"model = to_onnx({str(LARGEST_FIXTURE)!r}); "
        f"report['nodes'] = len(model.graph.node); report['type'] = type(model).__name__"
    )
    assert report["type"] == "ModelProto" and report["nodes"] > 0, report
    assert report["loaded"] == ["onnx"], f"building {LARGEST_FIXTURE.name} loaded {report['loaded']}"


def test_importing_the_onnx_emitter_loads_nothing():
    """Lazy: the emitter modules (and their stage table) import onnx only when a model is built."""
    report = probe(
        "import specbridge.emit.onnx; from specbridge.emit.onnx.stage import load_stage; "
        "report['entries'] = len(load_stage().entries)"
    )
    assert report["entries"] > 0, report
    assert report["loaded"] == [], f"import specbridge.emit.onnx loaded {report['loaded']}"
