"""Keras as the referee: one spec through specbridge and through real Keras, and every difference between them.

For a spec (a mapping, as the strategy draws it): specbridge's verdict against Keras's (the functional build, then
one call on a small random input), and when both accept it every layer's output shape and parameter counts
(total, trainable, non-trainable). For specs both accept, optionally the emitted PyTorch model's per-layer output
shapes (in Keras's layout, via OUTPUT_LAYOUT) against Keras's actual outputs, and specbridge's cross-check.

A spec with attention layers or op nodes (RUNTIME_FAMILIES) is judged on what Keras computes, not on its symbolic
shapes, which cannot be trusted there (MultiHeadAttention's symbolic scores are always (batch, heads, Tq, Tq); some
ops' symbolic shapes differ from their results): the model runs twice, with other batch sizes and unknown sizes, and
Keras accepts it only when both runs succeed (several attention errors only show on data). Every output, extra
outputs (`mha.scores`, `parts.1`) included, must then have the batch axis first in both runs; an axis specbridge
knows must have that size in both, one it leaves unknown (null) must differ between them (or be unknown in Keras's
symbolic shape too); and the dtypes must be the ones the run returns.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from specbridge.check import CheckResult, check_text
from specbridge.spec.call import output_reference

from .keras_build import BuildFailure, build_keras_tensors, keras_numbers

# The size a null (unknown) input dimension gets when Keras runs the model.
UNKNOWN_SIZE = 6
BATCH = 2
# The second run of a spec judged on what Keras computes: (batch size, size of every unknown input dim). 11 is no
# size the strategies draw, so a batch axis moved or mixed into another cannot pass unseen.
SECOND_RUN = (11, 7)
RUNTIME_FAMILIES = ("attention", "ops")


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


def random_inputs(spec: dict, doc, seed: int = 0, batch: int = BATCH, unknown: int = UNKNOWN_SIZE) -> list:
    """One array per spec input (Keras layout, batch first); ids below the smallest Embedding vocabulary; bool
    inputs (attention masks) mostly True."""
    rng = np.random.default_rng(seed)
    vocab = [raw.get("layer", raw).get("input_dim", 1) for raw in spec["layers"]
             if "Embedding" in (raw["type"], raw.get("layer", {}).get("type"))]
    arrays = []
    for inp in doc.header.named_inputs():
        shape = (batch, *(unknown if d is None else d for d in inp.shape))
        if inp.dtype.startswith(("int", "uint")):
            arrays.append(rng.integers(0, min(vocab, default=10), shape).astype(inp.dtype))
        elif inp.dtype == "bool":
            arrays.append(rng.random(shape) > 0.25)
        else:
            arrays.append(rng.normal(size=shape).astype("float32" if inp.dtype == "bfloat16" else inp.dtype))
    return arrays


def runtime_checked(doc) -> bool:
    """The spec has a layer whose symbolic shapes Keras gets wrong: judged on what the model computes."""
    return any(e.layer is not None and e.layer.FAMILY in RUNTIME_FAMILIES for e in doc.entries)


def run_keras(model, inputs: list, xla: bool = True):
    """Call the model once. TF's CPU kernels lack some cases Keras can express (NCHW convolutions, unequal
    depthwise strides); XLA compiles the same graph with its own kernels, as the cross-check's capture does."""
    import tensorflow as tf

    try:
        return model(inputs, training=False)
    except (tf.errors.UnimplementedError, tf.errors.InvalidArgumentError):
        if not xla:
            raise
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
    checked = runtime_checked(doc)
    try:
        model, built, tensors = build_keras_tensors(keras, doc, spec["layers"])
        inputs = random_inputs(spec, doc, seed)
        inputs_named = {i.name for i in doc.header.named_inputs()}
        references = [r for r in tensors if r not in inputs_named]
        probe = keras.Model(model.inputs, [tensors[r] for r in references])
        actual = dict(zip(references, _as_list(run_keras(probe, inputs, xla=not checked)), strict=True))
        if checked:
            batch, unknown = SECOND_RUN
            again = random_inputs(spec, doc, seed + 1, batch, unknown)
            runs = (actual, dict(zip(references, _as_list(run_keras(probe, again, xla=False)), strict=True)))
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
        outcome.differences += _computed(spec, result, built, tensors, runs) if checked else \
            _numbers(spec, result, built)
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


def _computed(spec: dict, result: CheckResult, built: dict, tensors: dict, runs: tuple) -> list[Difference]:
    """Every layer's outputs against what Keras computed in the two runs; parameter counts as Keras counts them."""
    from keras.src.backend import standardize_dtype

    found = []
    for record in result.records:
        kind = layer_type(spec, record.name, result)
        refs = [record.name, *(output_reference(record.name, n) for n in record.extra_names)]
        for ref, ours in zip(refs, (record.output, *record.extra_outputs), strict=True):
            first, second = (np.shape(run[ref]) for run in runs)
            symbolic = tuple(tensors[ref].shape)
            detail = _shape_detail(tuple(ours.shape), first, second, symbolic)
            if detail:
                found.append(Difference("shape", ref, kind, detail))
            theirs = standardize_dtype(runs[0][ref].dtype)
            if ours.dtype != theirs and _family(result, record.name) in RUNTIME_FAMILIES:  # the dtypes they rule
                found.append(Difference("dtype", ref, kind, f"specbridge {ours.dtype} != keras computes {theirs}"))
        _, params, trainable, frozen = keras_numbers(built[record.name])
        ours, theirs = (record.params, record.trainable_params, record.non_trainable_params), (params, trainable, frozen)
        if ours != theirs:
            found.append(Difference("params", record.name, kind, f"specbridge {ours} != keras {theirs}"))
    return found


def _family(result: CheckResult, name: str) -> str:
    return next((e.layer.FAMILY for e in result.document.entries if e.name == name and e.layer is not None), "")


def _shape_detail(ours: tuple, first: tuple, second: tuple, symbolic: tuple) -> str:
    """'' when specbridge's shape is what Keras computed in both runs, else what differs."""
    batches = (BATCH, SECOND_RUN[0])
    computed = tuple(a if a == b else None for a, b in zip(first[1:], second[1:], strict=False))
    runs = f"(runs with batch {batches[0]} and {batches[1]}: {first} and {second}; symbolic {symbolic})"
    if len(first) != len(second) or (first[0], second[0]) != batches:
        return f"Keras's result does not keep the batch axis first {runs}; specbridge {ours}"
    if len(first) != len(ours) + 1:
        return f"specbridge {ours} != keras computes {computed} {runs}"
    sym = symbolic[1:] if len(symbolic) == len(first) else (None,) * len(ours)
    for d, a, b, k in zip(ours, first[1:], second[1:], sym, strict=True):
        if (d is not None and not a == b == d) or (d is None and a == b and k is not None):
            return f"specbridge {ours} != keras computes {computed} {runs}"
    return ""


def _torch_shapes(spec: dict, result: CheckResult, inputs: list, actual: dict, outcome: Outcome) -> None:
    """The emitted PyTorch model's layer outputs, moved to Keras's layout, have Keras's actual output shapes."""
    from specbridge import to_torch
    from specbridge.crosscheck.capture import torch_layer_outputs
    from specbridge.crosscheck.compare import keras_to_torch_layout, torch_to_keras_layout
    from specbridge.emit import NotExpressible
    from specbridge.layouts import KERAS as KERAS_LAYOUT

    try:
        module = to_torch(result)
        names = [i.name for i in result.document.header.named_inputs()]
        xs = [keras_to_torch_layout(x, module.INPUT_LAYOUT[n]) for x, n in zip(inputs, names, strict=True)]
        extra = {r.name: tuple(output_reference(r.name, n) for n in r.extra_names) for r in result.records
                 if r.extra_names}  # a layer's extra outputs (`mha.scores`, `parts.1`), after its output
        outputs = torch_layer_outputs(module, xs, extra=extra)
    except NotExpressible as exc:
        outcome.not_expressible = str(exc)
        return
    except Exception as exc:
        outcome.differences.append(Difference("torch", None, _first_type(spec), f"{type(exc).__name__}: {exc}"))
        return
    outcome.torch_checked = True
    for name, array in outputs.items():
        # an extra output (attention scores) keeps Keras's layout in the emitted model
        got = tuple(torch_to_keras_layout(array, module.OUTPUT_LAYOUT.get(name, KERAS_LAYOUT)).shape)
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
