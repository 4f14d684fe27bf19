"""Importing a Keras model needs no framework: reading the file (zipfile, json, h5py), mapping its layers and
writing the spec import no TensorFlow, Keras, tf_keras, PyTorch, ONNX or JAX. Each probe runs in a fresh
interpreter, so that what other tests imported cannot hide (or fake) an import. The model is the largest
keras.applications architecture (NASNetMobile, ~770 layers), saved here with weights=None."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

FRAMEWORKS = ("tensorflow", "keras", "tf_keras", "torch", "onnx", "onnxruntime", "onnxscript", "jax")
ROOT = Path(__file__).resolve().parents[2]

PROBE = """\
import json, sys
{action}
loaded = sorted(m for m in sys.modules if m.split(".")[0] in {frameworks!r})
print("RESULT=" + json.dumps({{"loaded": loaded, "found": found}}))
"""

IMPORT = """\
from specbridge.check import check_text
from specbridge.cli.app import main
from specbridge.importer import import_keras
found = {{}}
for path in {paths!r}:
    imported = import_keras(path)
    result = check_text(imported.text(), "probe.spec.yaml")
    assert result.ok, [d.message for d in result.errors]
    found[path] = [len(result.records), result.total_params, result.trainable_params]
try:
    main(["import", {paths[0]!r}, "-o", {out!r}])
except SystemExit as stop:
    found["cli"] = stop.code
"""


def _probe(action: str) -> dict:
    code = PROBE.format(frameworks=FRAMEWORKS, action=action)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    marker = [line for line in proc.stdout.splitlines() if line.startswith("RESULT=")]
    assert marker, f"probe failed (exit {proc.returncode}):\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return json.loads(marker[-1][len("RESULT="):])


def test_the_probe_sees_a_framework_import():
    # Control: without it, a probe that never looks (wrong names, a swallowed error) would pass the test below.
    assert "onnx" in _probe("import onnx\nfound = {}")["loaded"]


@pytest.fixture(scope="module")
def nasnet(keras, tmp_path_factory):
    model = keras.applications.NASNetMobile(weights=None)
    folder = tmp_path_factory.mktemp("nasnet")
    model.save(folder / "nasnet.keras")
    with warnings.catch_warnings():  # Keras calls .h5 legacy
        warnings.simplefilter("ignore", UserWarning)
        model.save(folder / "nasnet.h5")
    (folder / "nasnet.json").write_text(model.to_json(), encoding="utf-8")
    return model, folder


def test_importing_nasnet_imports_no_framework(nasnet):
    from keras_helpers import count_weights

    model, folder = nasnet
    paths = [str(folder / f"nasnet.{suffix}") for suffix in ("keras", "h5", "json")]
    out = folder / "nasnet.spec.yaml"
    report = _probe(textwrap.dedent(IMPORT.format(paths=paths, out=str(out))))
    assert report["loaded"] == [], f"importing a model loaded {report['loaded']}"
    assert report["found"]["cli"] == 0 and out.exists()
    layers = [layer for layer in model.layers if type(layer).__name__ != "InputLayer"]
    assert len(layers) > 700
    for path in paths:  # the import is the model: its layers and parameter counts are Keras's
        expected = [len(layers), model.count_params(), count_weights(model.trainable_weights)]
        assert report["found"][path] == expected, path
