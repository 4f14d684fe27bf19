"""run_crosscheck: build both emitted models, share random weights, compare every layer."""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from dataclasses import replace
from typing import Optional

import numpy as np

from ..check import CheckResult
from ..emit.errors import SpecHasErrors
from ..emit.plan import reaching_outputs
from ..layouts import DEFAULT_LAYOUT
from ..spec.call import output_reference
from .backends import (
    EXTRA_OF,
    BackendError,
    OnnxUnavailable,
    Run,
    build_models,
    choose_backends,
    keras_outputs,
    onnx_outputs,
    reference_backend,
    torch_outputs,
)
from .compare import compare_pair
from .dims import choose_dims, concrete_shapes
from .inputs import random_inputs
from .merge import merge_layer
from .randomize import poison_keras_weights, poison_torch_weights, randomize_keras_weights, randomize_torch_weights
from .reference import judge
from .report import (
    DIRECTIONS,
    KERAS,
    KERAS_TO_TORCH,
    LABELS,
    ONNX,
    PYTORCH,
    TORCH_TO_KERAS,
    CrosscheckReport,
    LayerComparison,
    PairReport,
)

DTYPES = ("float32", "float64")
# Correctly translated models differ by float rounding only: ~1e-6 absolute in float32 (REFERENCE.md 6), ~1e-12
# in float64. Real translation bugs give 1e-3 and far above, so these leave a wide margin on both sides.
DEFAULT_TOLERANCES: dict[str, tuple[float, float]] = {"float32": (1e-5, 1e-4), "float64": (1e-9, 1e-9)}


def tolerances(dtype: str, atol: Optional[float] = None, rtol: Optional[float] = None) -> tuple[float, float]:
    default_atol, default_rtol = DEFAULT_TOLERANCES[dtype]
    return (default_atol if atol is None else atol, default_rtol if rtol is None else rtol)


def run_crosscheck(
    result: CheckResult,
    dtype: str = "float32",
    samples: int = 4,
    seed: int = 0,
    atol: Optional[float] = None,
    rtol: Optional[float] = None,
    direction: str = KERAS_TO_TORCH,
    dims: Optional[list] = None,
    backends: Optional[list[str]] = None,
    layout: Optional[str] = None,
    inputs: Optional[list[np.ndarray]] = None,
) -> CrosscheckReport:
    """Cross-check the models emitted for a valid spec: Keras, PyTorch and ONNX (onnxruntime), every pair.

    `backends` (default: every installed one) names at least two of keras, pytorch, onnx. `direction` says which
    framework model gets the random weights: keras_to_torch (the default) draws them for Keras and copies them
    with specbridge.emit.weights.keras_to_torch, torch_to_keras the other way round; ONNX builds its initializers
    from that same model. A layer is ok when, for every pair, max|a - b| <= atol + rtol * max|a output|, `a` being
    the pair's reference (the weights' source when it is in the pair); atol/rtol default per dtype
    (DEFAULT_TOLERANCES). Raises SpecHasErrors for a spec with errors, specbridge.emit.NotExpressible for a layer a
    backend cannot express (a default ONNX backend is left out instead, with the reason in `unavailable`),
    specbridge.emit.MissingExtra when a framework is not installed, specbridge.emit.budget.ModelTooLarge over
    SPECBRIDGE_MAX_MODEL_BYTES, crosscheck.backends.BackendError for a bad `backends` list. `dims` (ChosenDim
    list) sizes unknown input axes; default: crosscheck.dims.choose_dims (DimsError: none fit). `layout` ("torch"
    or "keras") is the PyTorch and ONNX models' input and output layout (specbridge/layouts.py; default: each target's
    own), the comparison is the same in both. `inputs` (one Keras-layout array per spec input, batch axis first,
    the batch being `samples`) replaces the random inputs: values chosen to reach an op's edges (thresholds, large
    magnitudes) that a normal sample seldom does.
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    if not result.ok or not result.document.valid:
        raise SpecHasErrors(result)
    chosen = choose_backends(backends)
    _require(chosen, explicit=backends is not None)
    atol, rtol = tolerances(dtype, atol, rtol)
    dims = choose_dims(result) if dims is None else dims  # DimsError before any framework loads
    from ..emit.budget import check_budget

    check_budget(result, dtype=dtype, samples=samples)  # ModelTooLarge before any framework allocates
    run = Run(models=build_models(result, dtype, seed, direction, chosen, layout))
    reference = reference_backend(chosen, direction)
    reached = reaching_outputs(result)
    spec_layers = compared_tensors(result, reached)
    skipped = [e.name for e in result.document.entries if e.name not in reached]
    if inputs is None:
        inputs = random_inputs(result, samples, seed, dtype, concrete_shapes(result, dims))
    _collect(run, result, chosen, reference, [name for name, _ in spec_layers], inputs, dtype, backends is not None,
             layout)
    compared = [reference] + [b for b in chosen if b != reference and b not in run.unavailable]
    if len(compared) < 2:
        raise BackendError(f"only {compared[0]} could run: {'; '.join(run.unavailable.values())}")
    pairs = [PairReport(a, b, [_compare(run, result, name, kind, a, b, inputs, atol, rtol) for name, kind in spec_layers])
             for a, b in itertools.combinations(compared, 2)]
    layers = [merge_layer(pairs, i, compared) for i in range(len(spec_layers))]
    return CrosscheckReport(result.document.spec().name, dtype, samples, seed, atol, rtol, layers, skipped, direction,
                            list(dims), compared, pairs, dict(run.unavailable))


def compared_tensors(result: CheckResult, reached: set[str]) -> list[tuple[str, str]]:
    """(tensor reference, layer type) of everything compared: each reached layer's output, then its extra outputs
    (`mha.scores`), in spec order."""
    records = {r.name: r for r in result.records}
    out = []
    for entry in result.document.entries:
        if entry.name in reached:
            out.append((entry.name, entry.layer.kind))
            out += [(output_reference(entry.name, n), entry.layer.kind) for n in records[entry.name].extra_names]
    return out


def _require(chosen: list[str], explicit: bool) -> None:
    from .. import extras
    from ..emit import MissingExtra

    if not explicit and len(chosen) < 2:
        raise MissingExtra("TensorFlow/Keras and PyTorch", "keras,torch")
    for backend in chosen:
        for absent in extras.missing(EXTRA_OF[backend]):
            raise MissingExtra(absent.framework, absent.name)


def _collect(run: Run, result, chosen, reference, names, inputs, dtype, explicit: bool, layout=None) -> None:
    """Each backend's outputs of the compared layers into `run`."""
    from ..emit import NotExpressible

    if KERAS in chosen:
        run.outputs[KERAS] = keras_outputs(result, run.models[KERAS], names, inputs)
    if PYTORCH in chosen:
        run.outputs[PYTORCH], run.notes[PYTORCH] = torch_outputs(result, run.models[PYTORCH], inputs)
    if ONNX in chosen:
        try:
            run.outputs[ONNX] = onnx_outputs(result, run.models[reference], names, inputs, dtype, layout)
        except NotExpressible as exc:
            if explicit:
                raise
            run.unavailable[ONNX] = f"layer {exc.layer!r}: {exc.reason}"
        except OnnxUnavailable as exc:
            run.unavailable[ONNX] = str(exc)


def _compare(run: Run, result, name: str, kind: str, a: str, b: str, inputs, atol, rtol) -> LayerComparison:
    for backend in (a, b):
        note = run.notes.get(backend, {}).get(name)
        if note is None and name not in run.outputs[backend]:
            note = f"the {LABELS[backend]} model has no output observed for this layer"
        if note is not None:
            return LayerComparison(name, kind, float("inf"), float("inf"), 0.0, ok=False, note=note)
    compared = compare_pair(name, kind, (LABELS[a], run.outputs[a][name]), (LABELS[b], run.outputs[b][name]), atol, rtol)
    if not compared.ok and compared.note is None and {a, b} == {KERAS, PYTORCH} and name in result.graph.by_name:
        keras_out, torch_out = run.outputs[KERAS][name], run.outputs[PYTORCH][name]
        names = [i.name for i in result.document.spec().named_inputs()]
        known = {**dict(zip(names, inputs, strict=True)), **run.outputs[KERAS]}
        verdict = judge(result, run.models[KERAS], name, known, keras_out, torch_out, atol, rtol)
        compared = replace(compared, reference=verdict)
    return compared


def output_names(result: CheckResult) -> list[str]:
    """The spec's model outputs, in order: `outputs`, or else the last layer."""
    spec = result.document.spec()
    return list(spec.outputs) if spec.outputs else [result.document.entries[-1].name]


def unreturned_outputs(result: CheckResult, captured: dict, returned: list) -> dict[str, str]:
    """{output layer: why} for each model output that forward() does not return as its module computed it.

    The layer comparison watches the modules; this checks that forward() hands those very tensors back.
    """
    names = output_names(result)
    if len(returned) != len(names):
        why = f"forward() returns {len(returned)} tensors for {len(names)} model outputs"
        return dict.fromkeys(names, why)
    return {name: "forward() returns a different tensor than this layer's module computed"
            for name, value in zip(names, returned, strict=True)
            if name in captured and not np.array_equal(value, captured[name], equal_nan=True)}


def build_pair(result: CheckResult, dtype: str, seed: int, direction: str = KERAS_TO_TORCH, layout: Optional[str] = None):
    """Both emitted models in `dtype`, one with seeded random weights and the other with a copy of them; the
    PyTorch one in `layout` (None: its default, specbridge/layouts.py).

    keras_to_torch randomizes the Keras model and copies into torch; torch_to_keras the other way round. The
    receiving model's weights are set to NaN before the transfer, so a weight that the transfer forgets poisons
    its layer's output instead of silently keeping the framework's initialization.
    """
    from .. import extras
    from ..emit import MissingExtra, to_keras, to_torch

    for absent in extras.missing("keras", "torch"):
        raise MissingExtra(absent.framework, absent.name)
    # Before TensorFlow loads: quiet its logging, and use the backend the emitted Keras code is checked on.
    extras.quiet_tensorflow()
    import keras
    import torch

    from ..emit.weights import keras_to_torch, torch_to_keras

    keras.utils.set_random_seed(seed)
    with keras_dtype(dtype):
        keras_model = to_keras(result)
    torch_model = to_torch(result, layout or DEFAULT_LAYOUT["pytorch"]).to(getattr(torch, dtype))
    torch_model.eval()
    if direction == TORCH_TO_KERAS:
        randomize_torch_weights(torch_model, seed)
        poison_keras_weights(keras_model)
        torch_to_keras(torch_model, keras_model, result)
    else:
        randomize_keras_weights(keras_model, seed)
        poison_torch_weights(torch_model)
        keras_to_torch(keras_model, torch_model, result)
    return keras_model, torch_model


def build_single(result: CheckResult, dtype: str, seed: int, backend: str, layout: Optional[str] = None):
    """One framework's emitted model in `dtype` with seeded random weights (the other framework not compared)."""
    from .. import extras
    from ..emit import to_keras, to_torch

    if backend == KERAS:
        extras.quiet_tensorflow()
        import keras

        keras.utils.set_random_seed(seed)
        with keras_dtype(dtype):
            model = to_keras(result)
        randomize_keras_weights(model, seed)
        return model
    import torch

    model = to_torch(result, layout or DEFAULT_LAYOUT["pytorch"]).to(getattr(torch, dtype))
    model.eval()
    randomize_torch_weights(model, seed)
    return model


@contextmanager
def keras_dtype(dtype: str):
    """Build Keras layers (weights and computations) and Inputs in `dtype`; restores the global policy."""
    import keras

    floatx, policy = keras.config.floatx(), keras.config.dtype_policy()
    keras.config.set_floatx(dtype)
    keras.config.set_dtype_policy(dtype)
    try:
        yield
    finally:
        keras.config.set_floatx(floatx)
        keras.config.set_dtype_policy(policy)
