"""A file that is not a readable Keras model: ModelFileError from the library, exit 2 and one clear message from
the CLI (never a traceback, never "internal error"), for damaged and wrong files made from real Keras output."""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path

import pytest
from frameworks import import_framework

from specbridge.importer import ModelFileError, import_keras


@pytest.fixture(scope="session")
def saved(keras, tmp_path_factory) -> Path:
    """A real Keras 3 .keras file (small: a Dense model)."""
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="dense")], name="small")
    path = tmp_path_factory.mktemp("saved") / "small.keras"
    model.save(path)
    return path


def _write(path: Path, data) -> Path:
    (path.write_bytes if isinstance(data, bytes) else path.write_text)(data)
    return path


def _zip(path: Path, members: dict[str, bytes], compression=zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _cut(saved: Path, tmp: Path, keep) -> Path:
    data = saved.read_bytes()
    return _write(tmp / "cut.keras", data[:keep(len(data))])


def _damaged_config(saved: Path, tmp: Path) -> Path:
    """The real config.json deflated into a zip, then bytes of its compressed stream overwritten."""
    with zipfile.ZipFile(saved) as archive:
        config = archive.read("config.json")
    path = _zip(tmp / "damaged.keras", {"config.json": config}, zipfile.ZIP_DEFLATED)
    with zipfile.ZipFile(path) as archive:
        info = archive.infolist()[0]
    data = bytearray(path.read_bytes())
    start = info.header_offset + 30 + len(info.filename)  # local header, then the compressed data
    data[start + 4:start + 36] = bytes(b ^ 0x5A for b in data[start + 4:start + 36])
    return _write(path, bytes(data))


def _layer_json(saved: Path, tmp: Path) -> Path:
    """A layer's config (not a model's), from the real file."""
    with zipfile.ZipFile(saved) as archive:
        layer = json.loads(archive.read("config.json"))["config"]["layers"][-1]
    return _write(tmp / "layer.json", json.dumps(layer))


def _plain_hdf5(_saved: Path, tmp: Path) -> Path:
    h5py = import_framework("h5py")
    path = tmp / "data.h5"
    with h5py.File(path, "w") as handle:
        handle.create_dataset("x", data=[1.0, 2.0])
    return path


def _directory(_saved: Path, tmp: Path) -> Path:
    (tmp / "folder.keras").mkdir()
    return tmp / "folder.keras"


# (id, make(saved .keras, tmp dir) -> path, what the message must say)
BAD_FILES = [
    ("truncated-half", lambda s, t: _cut(s, t, lambda n: n // 2), ["not a readable .keras", "truncated"]),
    ("truncated-end", lambda s, t: _cut(s, t, lambda n: n - 10), ["not a readable .keras", "truncated"]),
    ("truncated-head", lambda s, t: _cut(s, t, lambda n: 40), ["not a readable .keras", "truncated"]),
    ("empty-keras", lambda s, t: _write(t / "empty.keras", b""), ["not a readable .keras"]),
    ("damaged-member", _damaged_config, ["not a readable .keras"]),
    ("zip-without-config", lambda s, t: _zip(t / "x.keras", {"metadata.json": b"{}"}), ["without config.json"]),
    ("config-not-json", lambda s, t: _zip(t / "x.keras", {"config.json": b"{layers"}), ["config.json", "not valid JSON"]),
    ("not-a-zip", lambda s, t: _write(t / "text.keras", "hello"), ["not a readable .keras"]),
    ("layer-json", _layer_json, ["not a Keras model config", "'Dense'", "model.to_json()"]),
    ("json-object", lambda s, t: _write(t / "x.json", '{"a": 1}'), ["not a Keras model config"]),
    ("json-list", lambda s, t: _write(t / "x.json", "[1, 2]"), ["not a Keras model config", "'list'"]),
    ("json-invalid", lambda s, t: _write(t / "x.json", '{"class_name": '), ["not valid JSON"]),
    ("json-binary", lambda s, t: _write(t / "x.json", b"\xff\xfe\x00\x01"), ["not UTF-8"]),
    ("h5-not-hdf5", lambda s, t: _write(t / "x.h5", "hello"), ["not a readable HDF5 file"]),
    ("h5-plain-data", _plain_hdf5, ["HDF5 file without a model config", "model.save"]),
    ("unknown-suffix", lambda s, t: _write(t / "model.pb", b"\x00"), ["not a Keras model file", ".keras, .h5"]),
    ("no-suffix", lambda s, t: _write(t / "model", b"\x00"), ["not a Keras model file"]),
    ("missing-keras", lambda s, t: t / "absent.keras", ["no such file"]),
    ("missing-h5", lambda s, t: t / "absent.h5", ["no such file"]),
    ("missing-json", lambda s, t: t / "absent.json", ["no such file"]),
    ("directory", _directory, ["a directory"]),
]


def _assert_clear(message: str, path: Path, expected: list[str]) -> None:
    assert str(path) in message, message
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    assert "Traceback" not in message and "internal error" not in message, message


@pytest.mark.parametrize(("make", "expected"), [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES])
def test_library_raises_model_file_error(saved, tmp_path, make, expected):
    path = make(saved, tmp_path)
    with pytest.raises(ModelFileError) as caught:
        import_keras(path)
    _assert_clear(str(caught.value), path, expected)
    with pytest.raises(ModelFileError):
        import_keras(str(path))  # a str path, as the CLI passes it


@pytest.mark.parametrize(("make", "expected"), [case[1:] for case in BAD_FILES], ids=[case[0] for case in BAD_FILES])
def test_cli_exits_2_with_the_message(saved, tmp_path, run, make, expected):
    path = make(saved, tmp_path)
    out = tmp_path / "out.spec.yaml"
    result = run("import", str(path), "-o", str(out))
    assert result.exception is None, result.exception
    assert result.exit_code == 2, result.output
    _assert_clear(result.stderr, path, expected)
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr  # one message, not a dump
    assert not out.exists()


def test_cli_json_errors_are_json(saved, tmp_path, run):
    path = _cut(saved, tmp_path, lambda n: n // 2)
    result = run("import", str(path), "--format", "json")
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["ok"] is False and report["exit_code"] == 2 and "truncated" in report["error"]


def test_the_real_file_imports(saved):
    # Control for the cases above: the file they damage is itself a readable model.
    imported = import_keras(saved)
    assert imported.ok and [layer["name"] for layer in imported.spec["layers"]] == ["dense"]


WEIGHTS_ONLY = ["weights-only", "no architecture", "model.save('model.keras')", "model.to_json()"]


def test_keras3_weights_file_is_reported_as_weights_only(keras, tmp_path, run):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    path = tmp_path / "w.weights.h5"
    model.save_weights(path)
    with pytest.raises(ModelFileError) as caught:
        import_keras(path)
    _assert_clear(str(caught.value), path, WEIGHTS_ONLY)
    result = run("import", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    _assert_clear(result.stderr, path, WEIGHTS_ONLY)


def test_keras2_weights_file_is_reported_as_weights_only(tmp_path, run):
    tf_keras = import_framework("tf_keras")
    model = tf_keras.Sequential([tf_keras.layers.Dense(3, input_shape=(4,))])
    path = tmp_path / "w.h5"
    model.save_weights(str(path))
    with pytest.raises(ModelFileError) as caught:
        import_keras(path)
    _assert_clear(str(caught.value), path, WEIGHTS_ONLY)
    result = run("import", str(path))
    assert result.exit_code == 2 and result.stdout == ""
    _assert_clear(result.stderr, path, WEIGHTS_ONLY)
    with warnings.catch_warnings():  # tf_keras calls .h5 legacy
        warnings.simplefilter("ignore", UserWarning)
        model.save(str(tmp_path / "whole.h5"))  # control: the same model saved whole imports
    assert import_keras(tmp_path / "whole.h5").ok


@pytest.mark.parametrize("text", ['{"class_name": "Sequential"}', "{not json", '{"class_name": "Dense", "config": {}}'])
def test_json_text_that_is_not_a_model(text):
    with pytest.raises(ModelFileError, match="not a Keras model config|not valid JSON"):
        import_keras(text)


def test_other_objects_are_a_type_error():
    with pytest.raises(TypeError, match="expected a path, a model JSON or a keras.Model"):
        import_keras(42)
