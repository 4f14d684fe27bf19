"""Keras as the referee: one spec through specbridge and through real Keras, and every difference between them.

For a spec (a mapping, as the strategy draws it): specbridge's verdict against Keras's (the functional build, then
one call on a small random input), and when both accept it every layer's output shape and parameter counts
(total, trainable, non-trainable). For specs both accept, optionally the emitted PyTorch model's per-layer output
shapes (in Keras's layout, via OUTPUT_LAYOUT) against Keras's actual outputs, and specbridge's cross-check.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from specbridge.check import CheckResult, check_text

from .keras_build import BuildFailure, build_keras, keras_numbers

# The size a null (unknown) input dimension gets when Keras runs the model.
UNKNOWN_SIZE = 6
BATCH = 2


@dataclass(frozen=True)
class Difference:
    """One disagreement. `what`: verdict | shape | params | crash | torch | crosscheck."""

    what: str
    layer: Optional[str]
    layer_type: str
    detail: str

    def __str__(self) -> str:
        return f"{self.what} at {self.layer} ({self.layer_type}): {self.detail}"


@dataclass
class Outcome:
    spec: dict
    specbridge_ok: Optional[bool] = None
    keras_ok: Optional[bool] = None
    keras_stage: Optional[str] = None  # build | run, when Keras refused
    keras_error: str = ""
    differences: list[Difference] = field(default_factory=list)
    torch_checked: bool = False
    crosschecked: bool = False
    not_expressible: str = ""

    @property
    def agrees(self) -> bool:
        return not self.differences


def layer_type(spec: dict, name: Optional[str], result: Optional[CheckResult]) -> str:
    """The type of a named spec layer, wrappers spelled out: TimeDistributed(MaxPooling1D)."""
    index = None
    if result is not None and result.document.entries:
        index = next((e.index for e in result.document.entries if e.name == name), None)
    raw = spec["layers"][index] if index is not None else None
    if raw is None:
        return "model"
    inner = raw.get("layer")
    return f"{raw['type']}({inner['type']})" if isinstance(inner, dict) else raw["type"]


def random_inputs(spec: dict, doc, seed: int = 0) -> list[np.ndarray]:
    """One array per spec input (Keras layout, batch first); ids below the smallest Embedding vocabulary."""
    rng = np.random.default_rng(seed)
    vocab = [raw.get("layer", raw).get("input_dim", 1) for raw in spec["layers"]
             if "Embedding" in (raw["type"], raw.get("layer", {}).get("type"))]
    arrays = []
    for inp in doc.header.named_inputs():
        shape = (BATCH, *(UNKNOWN_SIZE if d is None else d for d in inp.shape))
        if inp.dtype.startswith(("int", "uint")):
            arrays.append(rng.integers(0, min(vocab, default=10), shape).astype(inp.dtype))
        else:
            arrays.append(rng.normal(size=shape).astype(inp.dtype))
    return arrays


def run_keras(model, inputs: list):
    """Call the model once. TF's CPU kernels lack some cases Keras can express (NCHW convolutions, unequal
    depthwise strides); XLA compiles the same graph with its own kernels, as the cross-check's capture does."""
    import tensorflow as tf

    try:
        return model(inputs, training=False)
    except (tf.errors.UnimplementedError, tf.errors.InvalidArgumentError):
        # ("only supports NHWC", "only supports equal length strides" for depthwise kernels...): a graph that is
        # really invalid fails under XLA too.
        return tf.function(lambda xs: model(xs, training=False), jit_compile=True)(inputs)


def judge(keras, spec: dict, *, torch: bool = False, crosscheck: bool = False, seed: int = 0) -> Outcome:
    """Run one spec through specbridge and Keras (and the emitted PyTorch model / cross-check when asked)."""
    outcome = Outcome(spec)
    try:
        result = check_text(json.dumps(spec))
    except Exception as exc:  # a crash is always a difference: bad input must become a diagnostic
        outcome.differences.append(Difference("crash", None, _first_type(spec), f"{type(exc).__name__}: {exc}"))
        return outcome
    outcome.specbridge_ok = result.ok
    doc = result.document
    if doc.header is None:
        return outcome  # no Keras model without a valid header; the generator only draws valid headers
    try:
        model, built = build_keras(keras, doc, spec["layers"])
        inputs = random_inputs(spec, doc, seed)
        probe = keras.Model(model.inputs, [layer.output for layer in built.values()])
        actual = dict(zip(built, _as_list(run_keras(probe, inputs)), strict=True))
        outcome.keras_ok = True
    except BuildFailure as exc:
        outcome.keras_ok, outcome.keras_stage, outcome.keras_error, blamed = False, "build", str(exc), exc.layer
    except Exception as exc:  # Keras refused at run time (an op's runtime check)
        outcome.keras_ok, outcome.keras_stage = False, "run"
        outcome.keras_error, blamed = f"{type(exc).__name__}: {exc}", None
    if outcome.specbridge_ok != outcome.keras_ok:
        outcome.differences.append(_verdict(spec, result, outcome, None if outcome.keras_ok else blamed))
        return outcome
    if outcome.keras_ok:
        outcome.differences += _numbers(spec, result, built)
        if torch and not outcome.differences:
            _torch_shapes(spec, result, inputs, actual, outcome)
        if crosscheck and not outcome.differences:
            _crosscheck(spec, result, outcome, seed)
    return outcome


def _first_type(spec: dict) -> str:
    return layer_type(spec, None, None) if not spec.get("layers") else spec["layers"][0]["type"]


def _as_list(outputs) -> list:
    return list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]


def _verdict(spec: dict, result: CheckResult, outcome: Outcome, keras_blame: Optional[str]) -> Difference:
    if outcome.specbridge_ok:
        detail = f"specbridge accepts, Keras refuses at {outcome.keras_stage}: {outcome.keras_error[:300]}"
        return Difference("verdict", keras_blame, layer_type(spec, keras_blame, result), detail)
    error = result.errors[0]
    detail = f"specbridge refuses ({error.code} {error.message[:200]}), Keras builds and runs it"
    return Difference("verdict", error.layer, layer_type(spec, error.layer, result), detail)


def _numbers(spec: dict, result: CheckResult, built: dict) -> list[Difference]:
    found = []
    for record in result.records:
        shape, params, trainable, frozen = keras_numbers(built[record.name])
        kind = layer_type(spec, record.name, result)
        if record.output_shape != shape:
            found.append(Difference("shape", record.name, kind, f"specbridge {record.output_shape} != keras {shape}"))
        ours, theirs = (record.params, record.trainable_params, record.non_trainable_params), (params, trainable, frozen)
        if ours != theirs:
            found.append(Difference("params", record.name, kind, f"specbridge {ours} != keras {theirs}"))
    return found


def _torch_shapes(spec: dict, result: CheckResult, inputs: list, actual: dict, outcome: Outcome) -> None:
    """The emitted PyTorch model's layer outputs, moved to Keras's layout, have Keras's actual output shapes."""
    from specbridge import to_torch
    from specbridge.crosscheck.capture import torch_layer_outputs
    from specbridge.crosscheck.compare import keras_to_torch_layout, torch_to_keras_layout
    from specbridge.emit import NotExpressible

    try:
        module = to_torch(result)
        names = [i.name for i in result.document.header.named_inputs()]
        xs = [keras_to_torch_layout(x, module.INPUT_LAYOUT[n]) for x, n in zip(inputs, names, strict=True)]
        outputs = torch_layer_outputs(module, xs)
    except NotExpressible as exc:
        outcome.not_expressible = str(exc)
        return
    except Exception as exc:
        outcome.differences.append(Difference("torch", None, _first_type(spec), f"{type(exc).__name__}: {exc}"))
        return
    outcome.torch_checked = True
    for name, array in outputs.items():
        got = tuple(torch_to_keras_layout(array, module.OUTPUT_LAYOUT[name]).shape)
        want = tuple(np.shape(actual[name]))
        if got != want:
            kind = layer_type(spec, name, result)
            outcome.differences.append(Difference("torch", name, kind, f"PyTorch output {got} != Keras {want}"))


def _crosscheck(spec: dict, result: CheckResult, outcome: Outcome, seed: int) -> None:
    from specbridge.crosscheck import run_crosscheck
    from specbridge.emit import NotExpressible

    try:
        report = run_crosscheck(result, samples=2, seed=seed)
    except NotExpressible as exc:
        outcome.not_expressible = str(exc)
        return
    except Exception as exc:
        outcome.differences.append(Difference("crosscheck", None, _first_type(spec), f"{type(exc).__name__}: {exc}"))
        return
    outcome.crosschecked = True
    for layer in report.layers:
        if not layer.ok:
            detail = layer.note or f"max abs err {layer.max_abs_error:.3g} (max |out| {layer.max_abs_output:.3g})"
            detail += f"; the NumPy reference agrees with: {getattr(layer, 'reference', None)}"
            outcome.differences.append(Difference("crosscheck", layer.name, layer.kind, detail))
