"""An unexpected exception inside `import` or `convert` is a bug in specbridge: the documented exit status 3
(docs/cli.md), no traceback, and one message that says in which stage and at which layer it happened and asks for
a bug report with the command that reproduces it. Each stage is made to fail here by a planted exception."""

from __future__ import annotations

import json
import shlex

import pytest

import specbridge
from specbridge.importer import build, original
from specbridge.importer.failures import InternalFailure

pytestmark = [pytest.mark.keras, pytest.mark.filterwarnings("ignore:You are saving your model:UserWarning")]


@pytest.fixture(scope="module")
def model_file(keras, tmp_path_factory):
    L = keras.layers
    x = keras.Input((5,), name="x")
    inner = keras.Sequential([keras.Input((4,)), L.Dense(3, name="inner_dense")], name="inner")
    model = keras.Model(x, L.Dense(2, name="head")(inner(L.Dense(4, name="dense")(x))), name="small")
    path = tmp_path_factory.mktemp("internal") / "small.keras"
    model.save(path)
    return path


def boom(*args, **kwargs):
    raise ZeroDivisionError("boom")


def at_layer(name: str, function, position: int):
    """`function`, raising for the layer `name` (its argument at `position`)."""
    def planted(*args, **kwargs):
        if args[position] == name:
            boom()
        return function(*args, **kwargs)

    return planted


def plant_verify(monkeypatch):
    from specbridge.crosscheck import compare

    monkeypatch.setattr(compare, "compare_pair", at_layer("inner_dense", compare.compare_pair, 0))


def plant_copy(monkeypatch):
    monkeypatch.setattr(original, "_copy_layer", at_layer("head", original._copy_layer, 2))


def plant_import(monkeypatch):
    monkeypatch.setattr(build, "map_layer", at_layer("inner_dense", build.map_layer, 2))


def plant_capture(monkeypatch):
    monkeypatch.setattr(original, "_hook", boom)


STAGES = {  # plant -> what the message says the failure happened in
    "verify": (plant_verify, "while verifying layer 'inner_dense' against the original"),
    "copy": (plant_copy, "while copying the weights of layer 'head' from the original"),
    "import": (plant_import, "while importing layer 'inner_dense' (Dense, layers[1] of model 'inner' "
                             "(layers[2] of model 'small'))"),
    "capture": (plant_capture, "while running the original model on the verification inputs"),
}


@pytest.mark.parametrize("stage", sorted(STAGES))
def test_an_internal_error_names_its_stage_and_the_command(model_file, run, tmp_path, monkeypatch, stage):
    import_framework_torch()
    plant, says = STAGES[stage]
    plant(monkeypatch)
    argv = ["convert", str(model_file), "--to", "pytorch", "-o", str(tmp_path / "model.py"), "--samples", "2"]
    result = run(*argv)
    assert result.exit_code == 3, result.output  # docs/cli.md: 3, internal error
    assert result.stderr.startswith(f"specbridge: internal error {says} (ZeroDivisionError: boom)\n"), result.stderr
    assert "please report it" in result.stderr
    assert f"\n  {shlex.join(['specbridge', *argv])}\n" in result.stderr  # the command to reproduce it
    assert "Traceback" not in result.output and result.stdout == ""


def test_under_json_the_error_is_json_too(model_file, run, tmp_path, monkeypatch):
    import_framework_torch()
    plant_verify(monkeypatch)
    result = run("convert", str(model_file), "--to", "pytorch", "-o", str(tmp_path / "model.py"), "-f", "json")
    assert result.exit_code == 3
    data = json.loads(result.stdout)
    assert data["ok"] is False and data["exit_code"] == 3
    assert data["error"] == ("internal error while verifying layer 'inner_dense' against the original "
                             "(ZeroDivisionError: boom)")


def test_import_names_the_layer_too(model_file, run, monkeypatch):
    plant_import(monkeypatch)
    result = run("import", str(model_file))
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith(f"specbridge: internal error {STAGES['import'][1]} (ZeroDivisionError: boom)")
    assert f"specbridge import {model_file}" in result.stderr and "Traceback" not in result.output


def test_the_library_raises_the_stage_with_its_cause(model_file, tmp_path, monkeypatch):
    import_framework_torch()
    plant_verify(monkeypatch)
    with pytest.raises(InternalFailure, match="^while verifying layer 'inner_dense' against the original$") as raised:
        specbridge.convert(model_file, to="pytorch", out=tmp_path / "model.py", samples=2)
    assert isinstance(raised.value.__cause__, ZeroDivisionError)


def test_documented_failures_are_not_internal_errors(run, tmp_path):
    """A stage lets the documented exceptions through: an unreadable file is still exit 2 with its message."""
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"not a zip")
    result = run("convert", str(broken), "--to", "pytorch", "-o", str(tmp_path / "model.py"))
    assert result.exit_code == 2 and "internal error" not in result.output
    assert "not a readable .keras file" in result.stderr


def import_framework_torch():
    from frameworks import import_framework

    import_framework("torch")
