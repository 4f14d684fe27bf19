"""Building an ONNX model needs the onnx package's protobuf classes only: no TensorFlow, Keras, PyTorch, nor
onnxruntime (which runs models, not builds them), and not even `import onnx` (its helper, checker and ml_dtypes:
most of a cold emit's time, emit/onnx/proto.py); importing the emitter package loads nothing. Each probe runs in a
fresh interpreter, so what other tests imported cannot hide (or fake) an import."""

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
WATCHED = ("tensorflow", "keras", "tf_keras", "torch", "jax", "onnxruntime", "onnx", "ml_dtypes")
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
        f"report['nodes'] = len(model.graph.node); report['type'] = type(model).__module__ + '.' + type(model).__name__"
    )
    assert report["type"] == "onnx.onnx_ml_pb2.ModelProto" and report["nodes"] > 0, report
    assert report["loaded"] == [], f"building {LARGEST_FIXTURE.name} loaded {report['loaded']}"


def test_importing_the_onnx_emitter_loads_nothing():
    """Lazy: the emitter modules (and their stage table) import onnx only when a model is built."""
    report = probe(
        "import specbridge.emit.onnx; from specbridge.emit.onnx.stage import load_stage; "
        "report['entries'] = len(load_stage().entries)"
    )
    assert report["entries"] > 0, report
    assert report["loaded"] == [], f"import specbridge.emit.onnx loaded {report['loaded']}"


def most_parameters() -> Path:
    """The valid fixture with the most parameters (the 33 MB model of the emit benchmark)."""
    from specbridge.check import check_file

    sizes = {path: check_file(str(path)).total_params for path in walk(ROOT / "fixtures" / "valid")}
    return max(sizes, key=sizes.__getitem__)


def test_emit_to_onnx_writes_a_valid_model_loading_no_framework_nor_onnx(tmp_path):
    """`specbridge emit --to onnx` in a fresh process imports none of the watched packages (onnx's generated
    protobuf module is all it loads of onnx); the file it writes passes the full checker and runs in onnxruntime."""
    import numpy as np
    import onnx
    onnxruntime = import_framework("onnxruntime")

    spec, out = most_parameters(), tmp_path / "model.onnx"
    report = probe(textwrap.dedent(f"""\
        from specbridge.cli.app import main
        sys.argv = ["specbridge", "emit", {str(spec)!r}, "--to", "onnx", "-o", {str(out)!r}]
        try:
            main()
        except SystemExit as exc:
            report["exit"] = exc.code
        """))
    assert report["exit"] == 0, report
    assert report["loaded"] == [], f"emit --to onnx of {spec.name} loaded {report['loaded']}"
    onnx.checker.check_model(str(out), full_check=True)
    session = onnxruntime.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    feed = {i.name: np.random.default_rng(0).normal(size=[1, *i.shape[1:]]).astype(np.float32)
            for i in session.get_inputs()}
    (y,) = session.run(None, feed)
    assert y.shape[0] == 1 and np.isfinite(y).all()
