"""The emitted source itself: ruff-clean, compilable, safe against hostile names; the `emit` command."""

from __future__ import annotations

import io
import json
import py_compile
import subprocess
import sys
import tokenize
from pathlib import Path

import pytest

from specbridge.check import check_text
from specbridge.emit import NotExpressible, keras_source, to_keras, to_torch, torch_source

from .specs import crosscheck, spec, why
from .test_layers import CASES, dtype_of
from .test_models import FIXTURES

HERE = Path(__file__).parent
RUFF = [sys.executable, "-m", "ruff", "check", "--isolated", "--select", "E,F,W,I,B,UP", "--line-length", "120",
        "--ignore", "E501"]


def emitted_sources() -> dict[str, str]:
    out = {}
    texts = {case: spec(*CASES[case], dtype=dtype_of(case)) for case in CASES}
    texts.update({p.name.split(".")[0]: p.read_text() for p in FIXTURES})
    texts["graph"] = (HERE / "graph_all_merges.spec.yaml").read_text()
    for name, text in texts.items():
        result = check_text(text, lint=False)
        out[f"{name}_keras.py"] = keras_source(result)
        out[f"{name}_torch.py"] = torch_source(result)
    return out


def test_emitted_files_pass_ruff_and_py_compile(tmp_path):
    for filename, code in emitted_sources().items():
        path = tmp_path / filename
        path.write_text(code, encoding="utf-8")
        py_compile.compile(str(path), doraise=True)
    proc = subprocess.run(RUFF + [str(tmp_path)], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_emitted_modules_import_only_their_framework():
    for filename, code in emitted_sources().items():
        imports = {line for line in code.splitlines() if line.startswith(("import ", "from "))}
        expected = {"import keras", "from keras import layers"} if "keras" in filename else {
            "from torch import nn", "import torch"}
        assert imports <= expected and imports, (filename, imports)


def test_helpers_are_emitted_only_when_used():
    plain = torch_source(check_text(spec("{type: Dense, units: 3}", [4]), lint=False))
    assert "class " in plain and plain.count("class ") == 1  # the model class only
    assert "import torch\n" not in plain


HOSTILE = [
    'a"; __import__("os").system("echo pwned"); "',
    "b'''\nimport os\n'''",
    'c"""\nraise SystemExit\n"""',
    "class",
    "self",
    "forward",
    "x",
    "1st conv",
    "ñandú ü",
    "__import__('os')",
    "\\",
    "line\nbreak\r\u2028end",
]


def hostile_spec() -> str:
    layers = [{"type": "Dense", "units": 3, "name": HOSTILE[0]}]
    for name in HOSTILE[1:]:
        layers.append({"type": "Dense", "units": 3, "name": name})
    layers.append({"type": "Add", "name": "sum\"'", "inputs": HOSTILE[-2:]})
    return json.dumps({
        "specbridge": 1, "name": 'm"""\n__import__("os").system("x")\n#',
        "inputs": [{"name": "in\"put'\n", "shape": [3]}], "layers": layers,
    })


def code_outside_strings(code: str) -> str:
    tokens = tokenize.generate_tokens(io.StringIO(code).readline)
    return " ".join(t.string for t in tokens if t.type not in (tokenize.STRING, tokenize.COMMENT))


@pytest.mark.parametrize("emit", [keras_source, torch_source], ids=["keras", "torch"])
def test_hostile_names_cannot_inject_code(emit):
    code = emit(check_text(hostile_spec(), lint=False))
    compile(code, "emitted", "exec")
    outside = code_outside_strings(code)
    for marker in ("__import__", "system", "SystemExit", "pwned", "os"):
        assert marker not in outside.split() and f"{marker}(" not in outside, marker


def test_hostile_names_build_and_match():
    report = crosscheck(hostile_spec())
    assert report.ok, why(report)
    model = to_torch(check_text(hostile_spec(), lint=False))
    assert set(type(model).SPEC_LAYERS) == set(HOSTILE) | {"sum\"'"}


def test_keras_rejects_slash_in_names():
    text = spec("{type: Dense, units: 3, name: a/b}", [4])
    with pytest.raises(NotExpressible, match="'/'"):
        keras_source(text)
    assert "a/b" in torch_source(text)


@pytest.mark.parametrize("layers, shape, dtype, reason", [
    ("{type: Embedding, input_dim: 5, output_dim: 2, mask_zero: true}\n{type: TimeDistributed, layer: {type: LSTM, "
     "units: 3}}", [3, 4], "int32", "with the mask of"),
    ("{type: LSTM, units: 3, activation: relu}", [4, 2], "float32", "tanh and sigmoid"),
    ("{type: SimpleRNN, units: 3, activation: elu}", [4, 2], "float32", "tanh and relu"),
    ("{type: Conv2D, filters: 2, kernel_size: 3, strides: 2, padding: same}", [None, 8, 2], "float32", "unknown size"),
    ("{type: GroupNormalization, groups: 2, scale: false}", [4], "float32", "center and scale"),
    ("{type: GroupNormalization, groups: 2, axis: 2}", [3, 4, 5], "float32", "GroupNorm groups axis 1"),
    ("{type: RandomCrop, height: 3, width: 4}", [5, 6, 3], "uint8", "keras-team/keras#21868"),
])
def test_not_expressible_in_torch(layers, shape, dtype, reason):
    text = spec(layers, shape, dtype=dtype)
    result = check_text(text, lint=False)
    assert result.ok
    with pytest.raises(NotExpressible, match=reason):
        torch_source(result)
    keras_source(result)  # Keras itself expresses it


@pytest.mark.parametrize(
    ("layer", "dtype", "module"),
    [("RandomFlip", "uint8", "FloatInput()"), ("RandomFlip", "float32", "nn.Identity()"),
     ("RandomContrast, factor: 0.1", "uint8", "nn.Identity()"), ("RandomCrop, height: 5, width: 6", "int32",
                                                                 "nn.Identity()")],
)
def test_augmentation_is_the_identity_with_keras_s_cast(layer, dtype, module):
    """At inference Keras casts an integer image to float32, except in RandomContrast and RandomCrop."""
    source = torch_source(spec(f"{{type: {layer}}}", [5, 6, 3], dtype=dtype))
    assert f"= {module}" in source
    assert ("class FloatInput(nn.Module):" in source) == (module == "FloatInput()")


def test_to_keras_and_to_torch_run_the_emitted_source():
    result = check_text(spec("{type: Dense, units: 3, name: head}", [4]), lint=False)
    assert to_keras(result).get_layer("head").units == 3
    torch_model = to_torch(result)
    assert not torch_model.training and type(torch_model).SPEC_LAYERS == {"head": "head"}


# ---------------------------------------------------------------- CLI


@pytest.fixture
def run():
    from specbridge.cli.testing import invoke

    return invoke


def test_cli_emit_writes_a_module(run, tmp_path):
    spec_path = tmp_path / "m.spec.yaml"
    spec_path.write_text(spec("{type: Conv2D, filters: 2, kernel_size: 3}\n{type: Flatten}", [5, 5, 1]))
    out = tmp_path / "m_torch.py"
    result = run("emit", str(spec_path), "--to", "pytorch", "-o", str(out))
    assert result.exit_code == 0, result.output
    py_compile.compile(str(out), doraise=True)
    assert "class T(nn.Module)" in out.read_text()
    result = run("emit", str(spec_path), "--to", "keras")
    assert result.exit_code == 0 and "keras.Sequential(" in result.stdout


def test_cli_emit_reports_spec_errors_as_diagnostics(run, tmp_path):
    spec_path = tmp_path / "bad.spec.yaml"
    spec_path.write_text(spec("{type: Conv2D, filters: 2, kernel_size: 3}", [5, 5]))
    result = run("emit", str(spec_path), "--to", "keras")
    assert result.exit_code == 1
    assert "SB200" in result.output and "Traceback" not in result.output


def test_cli_emit_reports_not_expressible(run, tmp_path):
    spec_path = tmp_path / "lstm_relu.spec.yaml"
    spec_path.write_text(spec("{type: LSTM, units: 3, activation: relu}", [4, 2]))
    result = run("emit", str(spec_path), "--to", "pytorch")
    assert result.exit_code == 1
    assert "SB400" in result.output and "tanh and sigmoid" in result.output and ":5:" in result.output


def test_cli_emit_notes_a_missing_framework(tmp_path):
    """With torch hidden, emitting still works and names the extra to install."""
    spec_path = tmp_path / "m.spec.yaml"
    spec_path.write_text(spec("{type: Dense, units: 2}", [3]))
    code = (
        "import sys; sys.modules['torch'] = None\n"
        "import importlib.util as u; real = u.find_spec\n"
        "u.find_spec = lambda name, *a: None if name == 'torch' else real(name, *a)\n"
        "from specbridge.cli.app import main\n"
        f"main(['emit', {str(spec_path)!r}, '--to', 'pytorch'])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "pip install 'specbridge[torch]'" in proc.stderr and "class T(nn.Module)" in proc.stdout


def test_to_torch_names_the_missing_extra(monkeypatch):
    import importlib.util

    from specbridge.emit import MissingExtra

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    with pytest.raises(MissingExtra, match=r"pip install 'specbridge\[torch\]'"):
        to_torch(spec("{type: Dense, units: 2}", [3]))
