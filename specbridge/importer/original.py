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
    """The model in `path` (a .json needs `weights`: a .weights.h5 / .h5 file of the same model).

    Nothing in the file runs: its config is read statically first (safety.py), and a Lambda, a custom class or a
    module other than Keras's own refuses the file (UnsafeModel) before any loader sees it; the loaders then run
    in safe mode too (Keras 3's safe_mode=True; tf_keras's .h5 and JSON loaders, which have no safe_mode
    argument, inside its safe-mode scope)."""
    from ..extras import quiet_tensorflow

    path = Path(path)
    refuse_code(path)
    quiet_tensorflow()
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


class UnsafeModel(OriginalNotLoadable):
    """The file holds something a Keras loader would run or import (diagnostics: one SB500 per layer)."""

    def __init__(self, path: Path, diagnostics: list):
        super().__init__(f"{path}: not loaded, it holds code: " + "; ".join(d.message for d in diagnostics))
        self.diagnostics = diagnostics


def refuse_code(path: Path) -> None:
    """UnsafeModel when the file's config holds a Lambda, a custom class or a non-Keras module (read statically)."""
    from .files import read_model_config
    from .safety import code_in_model

    found = code_in_model(read_model_config(path).config)
    if found:
        raise UnsafeModel(path, found)


def _keras3(path: Path, weights):
    """Keras 3"""
    import keras
    from keras.src.saving.serialization_lib import SafeModeScope

    def load(filepath, compile):
        return keras.saving.load_model(filepath, compile=compile, safe_mode=True)

    return _load(keras, load, path, weights, SafeModeScope)


def _tf_keras(path: Path, weights):
    """tf_keras (Keras 2)"""
    import tf_keras
    from tf_keras.src.saving.serialization_lib import SafeModeScope

    def load(filepath, compile):
        return tf_keras.models.load_model(filepath, compile=compile, safe_mode=True)

    return _load(tf_keras, load, path, weights, SafeModeScope)


def _load(framework, load_model, path: Path, weights, safe_mode_scope):
    """A model file, or a model JSON plus its weights, with one Keras (both have the same API for these calls),
    in the framework's safe-mode scope (its legacy .h5 and JSON paths read the scope, not an argument)."""
    with safe_mode_scope(True):
        if path.suffix.lower() == ".json":
            if weights is None:
                raise ValueError("a model JSON holds no weights: pass the weights file with --weights")
            model = framework.models.model_from_json(path.read_text(encoding="utf-8"))
        else:
            model = load_model(str(path), compile=False)
    if weights is not None:
        model.load_weights(str(weights))
    return model


def is_model(layer) -> bool:
    """A nested Sequential or functional model (Keras 3 or tf_keras)."""
    return hasattr(layer, "layers") and layer.__class__.__name__ in ("Sequential", "Functional", "Model")


def leaf_layers(model) -> dict:
    """Every layer by name, nested models' layers included (a spec inlines them with their names)."""
    found = {}
    for layer in model.layers:
        if is_model(layer):
            found.update(leaf_layers(layer))
        else:
            found[layer.name] = layer
    return found


def leaf_operations(model) -> dict:
    """leaf_layers plus a Keras 3 functional graph's keras.ops calls (x + 3.0 is an operation, not a layer; the
    spec has it, as a Rescaling named after it), InputLayers left out."""
    found = {}
    for op in getattr(model, "operations", None) or model.layers:
        if is_model(op):
            found.update(leaf_operations(op))
        elif type(op).__name__ != "InputLayer":
            found[op.name] = op
    return found


def copy_weights(original, emitted, names: list[str], originals: Optional[dict[str, str]] = None) -> int:
    """Set each named layer of the emitted Keras 3 model to the original layer's weights (same order in Keras 2
    and 3 for every built-in type); `originals` gives the original's name of a layer the spec renamed. Returns how
    many layers had weights."""
    from .failures import stage

    layers = leaf_layers(original)
    copied = 0
    for name in names:
        with stage(f"copying the weights of layer {name!r} from the original"):
            copied += _copy_layer(layers.get((originals or {}).get(name, name)), emitted, name)
    for layer in emitted.layers:  # Normalization divides by tensors finalize_state() derives; set_weights() does not
        for each in (layer, getattr(layer, "layer", None)):  # (nor the layer a TimeDistributed wraps)
            if callable(getattr(each, "finalize_state", None)):
                each.finalize_state()
    return copied


def _copy_layer(source, emitted, name: str) -> int:
    values = source.get_weights() if source is not None else []
    if not values:
        return 0
    target = emitted.get_layer(name)
    expected = [tuple(w.shape) for w in target.weights]
    if [tuple(np.shape(v)) for v in values] != expected:
        raise ValueError(f"layer {name!r}: the original's weights have shapes {[np.shape(v) for v in values]}, "
                         f"the spec's layer {expected}")
    target.set_weights(values)
    return 1


def original_outputs(model, names: list[str], inputs: list[np.ndarray]) -> dict[str, list[np.ndarray]]:
    """What each named layer (or keras.ops call) of the original returned in one inference run of the whole
    model, one array per call in call order: inner layers of nested models at any depth included, a layer of a
    nested model called twice with two. Captured by a hook on each layer's `call` for the run, so the values are
    the original's own, computed by its own Keras (3 or tf_keras) in its own graph; a probe model over inner
    layers' symbolic outputs cannot be built (they belong to the nested model's graph, not the outer one's)."""
    import tensorflow as tf

    operations = leaf_operations(model)
    captured: dict[str, list] = {name: [] for name in names}
    hooked = [operations[name] for name in names if name in operations]
    structured = _structured(model, inputs)
    try:
        for op in hooked:
            _hook(op, captured[op.name])
        try:
            model(structured, training=False)
        except (tf.errors.UnimplementedError, tf.errors.InvalidArgumentError):
            # TF's standard CPU kernels lack some layouts Keras expresses (channels_first convolutions: "only
            # supports NHWC"; oneDNN runs them): XLA compiles the same graph with its own kernels, as the cross-check
            # does. The hooks then record the traced tensors, returned by the compiled function.
            _run_compiled(model, structured, captured)
    finally:
        for op in hooked:
            if "call" in vars(op):
                object.__delattr__(op, "call")
    return {name: [np.asarray(value) for value in values] for name, values in captured.items()}


def _run_compiled(model, structured, captured: dict[str, list]) -> None:
    import tensorflow as tf

    def run(xs):
        for values in captured.values():
            values.clear()
        model(xs, training=False)
        return {name: list(values) for name, values in captured.items()}

    for name, values in tf.function(run, jit_compile=True)(structured).items():
        captured[name][:] = values


def call_paths(model, prefix: tuple[int, ...] = (), found: Optional[dict] = None) -> dict[str, list[tuple]]:
    """Each leaf layer's calls in the order one run of `model` makes them, each as topology.Call.path: the node
    index of every enclosing model's call, outermost first, then the layer's own. A node index counts the layer's
    nodes in that model's graph, as the saved config numbers them. A functional graph runs its nodes by depth,
    deepest first (Keras 3's Function._run_through_graph, tf_keras's _run_internal_graph), which need not be the
    order of the node indices: a shared layer's second call can run first."""
    found = {} if found is None else found
    graph = getattr(model, "_functional", None) or model  # a Keras 3 Sequential runs its inner Functional
    by_depth = getattr(graph, "_nodes_by_depth", None)
    if not by_depth:  # a Sequential without a graph: its layers in order, each called once
        for layer in model.layers:
            _visit(layer, (*prefix, 0), found)
        return found
    members = {id(node) for nodes in by_depth.values() for node in nodes}
    for depth in sorted(by_depth, reverse=True):
        for node in by_depth[depth]:
            op = getattr(node, "operation", None) or getattr(node, "layer", None)
            if op is None or getattr(node, "is_input", False) or type(op).__name__ == "InputLayer":
                continue
            own = [n for n in op._inbound_nodes if id(n) in members]
            _visit(op, (*prefix, next(i for i, n in enumerate(own) if n is node)), found)
    return found


def _visit(op, path: tuple[int, ...], found: dict) -> None:
    if is_model(op):
        call_paths(op, path, found)
    elif type(op).__name__ != "InputLayer":
        found.setdefault(op.name, []).append(path)


def _structured(model, inputs: list[np.ndarray]):
    """The inputs as the model was built to take them: one array, or a list (Model([x], y) takes a list of one)."""
    try:
        structure = model.input
    except (AttributeError, ValueError):  # a model with no defined input structure
        structure = None
    return list(inputs) if len(inputs) != 1 or isinstance(structure, (list, tuple)) else inputs[0]


def _hook(op, sink: list) -> None:
    """Record every output `op.call` returns (an instance attribute shadowing the class's method: Keras 3 and
    tf_keras both look `self.call` up at each call; object.__setattr__ keeps it out of their attribute tracking)."""
    call = op.call

    def recording(*args, **kwargs):
        out = call(*args, **kwargs)
        sink.append(out)  # a tensor (eager), or a traced one when the model runs compiled
        return out

    object.__setattr__(op, "call", recording)
