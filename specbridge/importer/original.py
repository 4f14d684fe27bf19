"""The original Keras model, loaded by Keras with its trained weights: what a conversion copies and is verified
against. Keras 3 loads .keras and most .h5 files; a Keras 2 .h5 that Keras 3 refuses (Keras 2-only arguments such
as GRU's time_major) is loaded by tf_keras, the Keras 2 API, when it is installed."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np


class OriginalNotLoadable(RuntimeError):
    pass


def load_original(path: str | Path, weights: Optional[str | Path] = None, keras2: bool = False):
    """The model in `path` (a .json needs `weights`: a .weights.h5 / .h5 file of the same model)."""
    from ..extras import quiet_tensorflow

    quiet_tensorflow()
    path = Path(path)
    errors = []
    for loader in (_keras3, _tf_keras) if not keras2 else (_tf_keras, _keras3):
        try:
            return loader(path, weights)
        except ImportError as exc:
            errors.append(f"{loader.__doc__}: not installed ({exc.name})")
        except Exception as exc:  # each Keras raises its own ValueError/TypeError/KeyError on a file it cannot load
            errors.append(f"{loader.__doc__}: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}")
    raise OriginalNotLoadable(f"{path}: Keras cannot load the original model to copy its weights and verify: "
                              + "; ".join(errors))


def _keras3(path: Path, weights):
    """Keras 3"""
    import keras

    return _load(keras, keras.saving.load_model, path, weights)


def _tf_keras(path: Path, weights):
    """tf_keras (Keras 2)"""
    import tf_keras

    return _load(tf_keras, tf_keras.models.load_model, path, weights)


def _load(framework, load_model, path: Path, weights):
    """A model file, or a model JSON plus its weights, with one Keras (both have the same API for these calls)."""
    if path.suffix.lower() == ".json":
        if weights is None:
            raise ValueError("a model JSON holds no weights: pass the weights file with --weights")
        model = framework.models.model_from_json(path.read_text(encoding="utf-8"))
    else:
        model = load_model(str(path), compile=False)
    if weights is not None:
        model.load_weights(str(weights))
    return model


def leaf_layers(model) -> dict:
    """Every layer by name, nested models' layers included (a spec inlines them with their names)."""
    found = {}
    for layer in model.layers:
        if hasattr(layer, "layers") and layer.__class__.__name__ in ("Sequential", "Functional", "Model"):
            found.update(leaf_layers(layer))
        else:
            found[layer.name] = layer
    return found


def copy_weights(original, emitted, names: list[str], originals: Optional[dict[str, str]] = None) -> int:
    """Set each named layer of the emitted Keras 3 model to the original layer's weights (same order in Keras 2
    and 3 for every built-in type); `originals` gives the original's name of a layer the spec renamed. Returns how
    many layers had weights."""
    layers = leaf_layers(original)
    copied = 0
    for name in names:
        source = layers.get((originals or {}).get(name, name))
        values = source.get_weights() if source is not None else []
        if not values:
            continue
        target = emitted.get_layer(name)
        expected = [tuple(w.shape) for w in target.weights]
        if [tuple(np.shape(v)) for v in values] != expected:
            raise ValueError(f"layer {name!r}: the original's weights have shapes {[np.shape(v) for v in values]}, "
                             f"the spec's layer {expected}")
        target.set_weights(values)
        copied += 1
    for layer in emitted.layers:  # Normalization divides by tensors finalize_state() derives; set_weights() does not
        for each in (layer, getattr(layer, "layer", None)):  # (nor the layer a TimeDistributed wraps)
            if callable(getattr(each, "finalize_state", None)):
                each.finalize_state()
    return copied


def original_outputs(model, names: list[str], inputs: list[np.ndarray]) -> dict[str, np.ndarray]:
    """The original model's output of each named top-level layer (inference mode), in its own Keras."""
    framework = __import__("tf_keras" if type(model).__module__.startswith("tf_keras") else "keras")
    probe = framework.Model(model.inputs, [model.get_layer(name).output for name in names])
    outputs = probe(list(inputs), training=False)
    if not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    return {name: np.asarray(out) for name, out in zip(names, outputs, strict=True)}
