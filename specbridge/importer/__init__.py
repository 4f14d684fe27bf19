"""Import a Keras model (a .keras / .h5 / .json file, or a live keras.Model) as a spec, without TensorFlow.

import_keras() reads the architecture (importer/files.py), flattens nested models (topology.py), maps each layer
config to a spec layer (layers.py, build.py) and returns the spec as a dict and as text, with the diagnostics:
an error (SB500, SB501) means the model has something a spec cannot represent, and no spec is produced; info
diagnostics (SB502) list the training-only settings left out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

from ..diagnostics.model import Diagnostic, Severity
from .files import ModelConfig, ModelFileError, from_json_text, read_model_config

__all__ = ["Imported", "ModelFileError", "import_keras", "model_config"]


@dataclass
class Imported:
    name: str
    spec: Optional[dict]  # None when a layer cannot be represented (see diagnostics)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    source: Optional[ModelConfig] = None
    aliases: dict[str, str] = field(default_factory=dict)  # nested model -> the spec layer of its output
    # Spec layer -> (the Keras layer it is a call of, which call: topology.Call.path), for the verification.
    origins: dict[str, tuple[str, tuple[int, ...]]] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.spec is not None

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == Severity.ERROR]

    def text(self, syntax: str = "yaml") -> str:
        from .write import spec_text

        if self.spec is None:
            raise ValueError("the model has layers a spec cannot represent: " + "; ".join(d.message for d in self.errors))
        return spec_text(self.spec, syntax)


def model_config(source: Any) -> ModelConfig:
    """The architecture of a path (.keras, .h5, .json), a model JSON text, or a live keras.Model."""
    if isinstance(source, (str, Path)) and not (isinstance(source, str) and source.lstrip().startswith("{")):
        return read_model_config(source)
    if isinstance(source, str):
        return from_json_text(source)
    if hasattr(source, "to_json"):  # a live keras.Model: its config, as model.save would write it
        return _live(source)
    raise TypeError(f"expected a path, a model JSON or a keras.Model, got {type(source).__name__}")


def _live(model) -> ModelConfig:
    """The model's own Keras (a tf_keras model is Keras 2, whose JSON says so; Keras 3's JSON has no version)."""
    import importlib

    config = from_json_text(model.to_json(), f"model {getattr(model, 'name', '')!r}")
    framework = importlib.import_module(type(model).__module__.split(".")[0])
    return ModelConfig(config.config, "live", config.keras_version or getattr(framework, "__version__", None))


def import_keras(source: Any) -> Imported:
    """The spec of a Keras model; raises ModelFileError for a file that is not a readable Keras model (anything
    else is a bug: failures.InternalFailure, naming the stage and the layer)."""
    from .build import build_spec
    from .failures import stage
    from .topology import flatten

    with stage("reading the model file", ModelFileError, TypeError):
        config = model_config(source)
    with stage("reading the model's layer graph"):
        top = flatten(config.config)
    with stage("building the spec"):
        spec, diagnostics = build_spec(top, keras2=config.keras2)
    if any(d.severity == Severity.ERROR for d in diagnostics):
        spec = None
    return Imported(top.name, spec, diagnostics, config, dict(top.aliases), top.origins())
