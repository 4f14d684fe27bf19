"""Nothing in a model file runs: `import`, `convert` (every target) and the library (specbridge.from_keras,
specbridge.convert, original.load_original) read the file statically and refuse a Lambda, a custom class or a
foreign module before any framework loader sees the file.

The files here are live: a Lambda whose function creates a marker file (marshalled bytecode in a Keras 2 .h5 and
its JSON, which tf_keras runs while it rebuilds the model; a `__lambda__` in a Keras 3 .keras and JSON, run when
loaded with safe_mode off), and .keras files naming a module whose import creates the marker (tf_keras's .keras
loader imports any module a config names). Each test first shows the refusal leaves no marker, then that loading
the same file with the framework's own loader does create it: the file would have run, had it been loaded.
"""

from __future__ import annotations

import json
import sys
import zipfile

import pytest

import specbridge
from specbridge.importer import import_keras, original
from specbridge.importer.convert import NotImportable

pytestmark = [pytest.mark.keras, pytest.mark.filterwarnings("ignore:You are saving your model:UserWarning")]

TARGETS = {"pytorch": "model.py", "onnx": "model.onnx", "keras": "model.py"}
KINDS = ("keras2_h5", "keras2_json", "keras3_keras", "keras3_json")


def marking_lambda(marker):
    """A Lambda function that creates `marker` (the path is a constant in its bytecode: no global needed)."""
    return eval(f"lambda x: (open({str(marker)!r}, 'w').close(), x)[1]")  # noqa: S307 - the point of the test


def marked_model(fw, marker):
    """The Lambda inside a nested model: the refusal must find it there, and say where."""
    L = fw.layers
    inner = fw.Sequential([fw.Input((3,)), L.Dense(3, name="inner_dense"), L.Lambda(marking_lambda(marker), name="mark")],
                          name="inner")
    x = fw.Input((4,), name="x")
    return fw.Model(x, L.Dense(2, name="head")(inner(L.Dense(3, name="dense")(x))), name="marked")


@pytest.fixture(scope="module")
def marked(keras, tf_keras, tmp_path_factory):
    """kind -> (model file, weights file or None, marker path); no marker exists when a test starts."""
    directory = tmp_path_factory.mktemp("marked")
    marker = directory / "MARKER"
    files = {}
    for version, fw in (("keras2", tf_keras), ("keras3", keras)):
        model = marked_model(fw, marker)  # building it calls the Lambda: the marker exists now
        suffix = ".h5" if version == "keras2" else ".keras"
        model.save(str(directory / f"{version}{suffix}"))
        model.save_weights(str(directory / f"{version}.weights.h5"))
        (directory / f"{version}.json").write_text(model.to_json(), encoding="utf-8")
        files[f"{version}_{suffix[1:]}"] = (directory / f"{version}{suffix}", None)
        files[f"{version}_json"] = (directory / f"{version}.json", directory / f"{version}.weights.h5")
    marker.unlink()
    return files, marker


@pytest.fixture
def live(marked):
    """(path, weights, marker) of one kind; after the test, the marker is removed again."""
    files, marker = marked
    yield files, marker
    marker.unlink(missing_ok=True)


def load_unsafely(kind: str, path, keras, tf_keras):
    """What the framework's own loader does with the file when it is not stopped first."""
    if kind == "keras2_h5":
        tf_keras.models.load_model(str(path))  # tf_keras's .h5 loader has no safe mode
    elif kind == "keras2_json":
        from tf_keras.src.saving.serialization_lib import SafeModeScope

        with SafeModeScope(False):  # tf_keras's JSON loader is safe by default
            tf_keras.models.model_from_json(path.read_text(encoding="utf-8"))
    elif kind == "keras3_keras":
        keras.saving.load_model(path, safe_mode=False)
    else:
        keras.saving.deserialize_keras_object(json.loads(path.read_text(encoding="utf-8")), safe_mode=False)


LAMBDA = "layer 'mark' at layers[2] of model 'inner' (layers[2] of model 'marked') is a Lambda layer"


@pytest.mark.parametrize("kind", KINDS)
def test_import_refuses_the_lambda_and_runs_nothing(live, run, keras, tf_keras, kind):
    files, marker = live
    path, _ = files[kind]
    result = run("import", str(path))
    assert result.exit_code == 1, result.output
    assert "SB500" in result.stdout and LAMBDA in result.stdout
    assert not marker.exists()
    load_unsafely(kind, path, keras, tf_keras)
    assert marker.exists()  # the file is live: loaded, it runs


@pytest.mark.parametrize("to", list(TARGETS))
@pytest.mark.parametrize("kind", KINDS)
def test_convert_refuses_the_lambda_before_loading(live, run, tmp_path, kind, to):
    files, marker = live
    path, weights = files[kind]
    out = tmp_path / TARGETS[to]
    result = run("convert", str(path), "--to", to, "-o", str(out), *(["--weights", str(weights)] if weights else []))
    assert result.exit_code == 1, result.output
    assert f"{path}: SB500 error: {LAMBDA}" in result.stdout
    assert not marker.exists() and not out.exists()


@pytest.mark.parametrize("kind", KINDS)
def test_the_library_refuses_before_loading(live, tmp_path, keras, tf_keras, kind):
    files, marker = live
    path, weights = files[kind]
    assert not import_keras(path).ok
    with pytest.raises(ValueError, match="layer 'mark'.*Lambda"):
        specbridge.from_keras(path)
    with pytest.raises(NotImportable, match="layer 'mark'.*Lambda"):
        specbridge.convert(path, to="onnx", out=tmp_path / "model.onnx", weights=weights)
    with pytest.raises(original.UnsafeModel, match="layer 'mark'.*Lambda"):  # the loader's own guard
        original.load_original(path, weights, keras2=kind.startswith("keras2"))
    assert not marker.exists()
    load_unsafely(kind, path, keras, tf_keras)
    assert marker.exists()


def test_a_live_model_has_run_already_and_is_only_read(marked, keras):
    """A keras.Model handed to the library ran its Lambda when it was built (fine: its code is the caller's);
    from_keras reads its config and refuses the Lambda all the same."""
    _, marker = marked
    model = marked_model(keras, marker)
    marker.unlink()
    with pytest.raises(ValueError, match="layer 'mark'.*Lambda"):
        specbridge.from_keras(model)
    assert not marker.exists()


# ---------------------------------------------------------------- modules a config names


def module_file(tmp_path, monkeypatch, marker) -> str:
    """An importable module whose import creates `marker` (and defines a Keras-looking initializer)."""
    name = f"sb_marker_{tmp_path.name.replace('-', '_')}"
    (tmp_path / f"{name}.py").write_text(f"open({str(marker)!r}, 'w').close()\nclass Marked:\n    pass\n",
                                         encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    return name


def rewritten(path, edit) -> None:
    """The .keras file with its config.json changed by `edit` (what a crafted file holds)."""
    with zipfile.ZipFile(path) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    config = json.loads(members["config.json"])
    edit(config)
    members["config.json"] = json.dumps(config).encode()
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)


def set_model_module(module):
    def edit(config):
        config["module"] = module
    return edit


def set_initializer_module(module):
    def edit(config):
        dense = next(layer for layer in config["config"]["layers"] if layer["class_name"] == "Dense")
        dense["config"]["kernel_initializer"] = {"module": module, "class_name": "Marked", "config": {},
                                                 "registered_name": None}
    return edit


MODULE_PLACES = {  # where the module is named -> (edit, what the refusal says)
    "model": (set_model_module, "model 'plain' (Functional) names the module {module!r}"),
    "initializer": (set_initializer_module,
                    "layer 'head' (Dense, layers[1] of model 'plain') names the module {module!r} at "
                    "config.kernel_initializer"),
}


@pytest.mark.parametrize("place", list(MODULE_PLACES))
def test_a_foreign_module_is_refused_before_any_loader_imports_it(tf_keras, run, tmp_path, monkeypatch, place):
    marker = tmp_path / "MARKER"
    module = module_file(tmp_path, monkeypatch, marker)
    x = tf_keras.Input((4,), name="x")
    path = tmp_path / "plain.keras"  # written by tf_keras: Keras 2's metadata, so convert would load it with tf_keras
    tf_keras.Model(x, tf_keras.layers.Dense(2, name="head")(x), name="plain").save(str(path))
    edit, says = MODULE_PLACES[place]
    rewritten(path, edit(module))
    assert import_keras(path).ok  # nothing a spec needs is missing: only convert, which loads the file, refuses
    for to, out in TARGETS.items():
        result = run("convert", str(path), "--to", to, "-o", str(tmp_path / out))
        assert result.exit_code == 1, result.output
        assert f"SB500 error: {says.format(module=module)}" in result.stdout
        assert not marker.exists() and module not in sys.modules
    with pytest.raises(original.UnsafeModel, match=module):
        original.load_original(path, keras2=True)
    assert not marker.exists()
    if place == "model":
        with pytest.raises(Exception):  # noqa: B017 - it fails, after importing the module
            tf_keras.models.load_model(str(path))
        assert marker.exists()  # the file is live: tf_keras imports the module it names
