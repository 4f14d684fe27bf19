"""Read a saved Keras model's architecture (its config) without TensorFlow.

`.keras` is a zip holding config.json; a full-model `.h5` holds the config as the `model_config` attribute (h5py
only); a `.json` is model.to_json()'s output. A file that is none of these raises ModelFileError, whose message
says what the file is and what to do (the CLI prints it and exits 2).
"""

from __future__ import annotations

import json
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

SUFFIXES = (".keras", ".h5", ".hdf5", ".json")


class ModelFileError(ValueError):
    """The file cannot be read as a Keras model (usage error: exit 2)."""


@dataclass(frozen=True)
class ModelConfig:
    config: dict  # {"class_name": "Sequential" | "Functional" | "Model", "config": {...}}
    file_format: str  # "keras", "h5", "json", "live"
    keras_version: Optional[str]  # "3.15.1", "2.21.0" (Keras 2 files say 2.x), None when unknown

    @property
    def keras2(self) -> bool:
        return self.keras_version is not None and self.keras_version.startswith("2.")


def read_model_config(path: str | Path) -> ModelConfig:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise ModelFileError(f"{path}: not a Keras model file: expected one of {', '.join(SUFFIXES)}")
    if not path.exists():  # before h5py, whose message for a missing file reads like a damaged one
        raise ModelFileError(f"{path}: no such file")
    if path.is_dir():
        raise ModelFileError(f"{path}: a directory, not a model file")
    try:
        if suffix == ".keras":
            return _read_keras_zip(path)
        if suffix == ".json":
            return from_json_text(path.read_text(encoding="utf-8"), str(path))
        return _read_h5(path)
    except OSError as exc:
        raise ModelFileError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ModelFileError(f"{path}: not UTF-8 text, so not a model JSON") from None


def _read_keras_zip(path: Path) -> ModelConfig:
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "config.json" not in names:
                raise ModelFileError(f"{path}: a zip without config.json, so not a .keras model file")
            config = _json(archive.read("config.json"), f"{path}: config.json")
            metadata = _json(archive.read("metadata.json"), f"{path}: metadata.json") if "metadata.json" in names else {}
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:  # zlib: a damaged compressed member
        raise ModelFileError(f"{path}: not a readable .keras file (a zip archive): {exc}; is it truncated? "
                             "Save it again with model.save('model.keras')") from None
    except zipfile.LargeZipFile as exc:
        raise ModelFileError(f"{path}: {exc}") from None
    return ModelConfig(_model(config, str(path)), "keras", metadata.get("keras_version"))


def _read_h5(path: Path) -> ModelConfig:
    try:
        import h5py
    except ImportError:
        raise ModelFileError(f"{path}: reading .h5 files needs h5py: pip install h5py") from None
    try:
        with h5py.File(path, "r") as handle:
            attrs = dict(handle.attrs)
            groups = list(handle.keys())
    except OSError as exc:
        raise ModelFileError(f"{path}: not a readable HDF5 file ({exc}); is it truncated?") from None
    if "model_config" not in attrs:
        what = "a weights-only file (model.save_weights)" if "layer_names" in attrs or "layers" in groups else \
            "an HDF5 file without a model config"
        raise ModelFileError(
            f"{path}: {what}: it holds no architecture to import. Import the model saved whole "
            "(model.save('model.keras') or .h5), or its architecture, model.to_json(), saved as a .json "
            "(`specbridge convert` takes that .json with this file as --weights)")
    version = attrs.get("keras_version")
    config = _json(attrs["model_config"], f"{path}: model_config")
    return ModelConfig(_model(config, str(path)), "h5", _text(version) if version is not None else None)


def from_json_text(text: str, where: str = "<json>") -> ModelConfig:
    config = _json(text, where)
    keras_version = config.get("keras_version") if isinstance(config, dict) else None
    return ModelConfig(_model(config, where), "json", keras_version)


def _json(raw: Any, where: str) -> Any:
    try:
        return json.loads(_text(raw))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ModelFileError(f"{where}: not valid JSON: {exc}") from None


def _text(raw: Any) -> str:
    return raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)


MODEL_CLASSES = ("Sequential", "Functional", "Model")


def _model(config: Any, where: str) -> dict:
    """The model's {class_name, config} with a `layers` list, or ModelFileError."""
    if isinstance(config, dict) and config.get("class_name") == "Sequential" and isinstance(config.get("config"), list):
        config = {**config, "config": {"layers": config["config"]}}  # Keras 2.0-2.2: a Sequential's config is its list
    if not (isinstance(config, dict) and config.get("class_name") in MODEL_CLASSES
            and isinstance(config.get("config"), dict) and isinstance(config["config"].get("layers"), list)):
        found = config.get("class_name") if isinstance(config, dict) else type(config).__name__
        raise ModelFileError(
            f"{where}: not a Keras model config (expected class_name Sequential, Functional or Model with a "
            f"list of layers, found {found!r}); a model JSON comes from model.to_json()")
    return config
