"""run_crosscheck: build both emitted models, share random weights, compare every layer."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import replace
from typing import Optional

import numpy as np

from ..check import CheckResult
from ..emit.errors import SpecHasErrors
from .capture import keras_layer_outputs, torch_layer_outputs
from .compare import compare_outputs, keras_to_torch_layout, torch_to_keras_layout
from .dims import choose_dims, concrete_shapes
from .inputs import random_inputs
from .randomize import poison_keras_weights, poison_torch_weights, randomize_keras_weights, randomize_torch_weights
from .reference import judge
from .report import DIRECTIONS, KERAS_TO_TORCH, TORCH_TO_KERAS, CrosscheckReport, LayerComparison

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
) -> CrosscheckReport:
    """Cross-check the Keras and PyTorch models emitted for a valid spec.

    `direction` says which model gets the random weights and which one a copy: keras_to_torch (the default)
    tests specbridge.emit.weights.keras_to_torch, torch_to_keras tests torch_to_keras. A layer is ok when
    max|keras - torch| <= atol + rtol * max|reference output|, the reference being the model the weights come
    from; atol/rtol default per dtype (DEFAULT_TOLERANCES). Raises SpecHasErrors for a spec with errors,
    specbridge.emit.NotExpressible for a layer a framework cannot express, specbridge.emit.MissingExtra when
    Keras or torch is not installed, specbridge.emit.budget.ModelTooLarge over SPECBRIDGE_MAX_MODEL_BYTES.
    `dims` (ChosenDim list) sizes unknown input axes; default: crosscheck.dims.choose_dims (DimsError: none fit).
    """
    if dtype not in DTYPES:
        raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be one of {', '.join(DIRECTIONS)}, got {direction!r}")
    if not result.ok or not result.document.valid:
        raise SpecHasErrors(result)
    atol, rtol = tolerances(dtype, atol, rtol)
    dims = choose_dims(result) if dims is None else dims  # DimsError before either framework loads
    from ..emit.budget import check_budget

    check_budget(result, dtype=dtype, samples=samples)  # ModelTooLarge before either framework allocates
    keras_model, torch_model = build_pair(result, dtype, seed, direction)
    # A layer whose output reaches no model output (warning SB103) is not part of the functional Keras model.
    built = {layer.name for layer in keras_model.layers}
    spec_layers = [(e.name, e.layer.kind) for e in result.document.entries if e.name in built]
    skipped = [e.name for e in result.document.entries if e.name not in built]

    inputs = random_inputs(result, samples, seed, dtype, concrete_shapes(result, dims))
    keras_outputs = keras_layer_outputs(keras_model, [name for name, _ in spec_layers], inputs)
    torch_inputs = [keras_to_torch_layout(x, torch_model.INPUT_LAYOUT[spec_input.name])
                    for x, spec_input in zip(inputs, result.document.spec().named_inputs(), strict=True)]
    returned: list = []
    torch_outputs = torch_layer_outputs(torch_model, torch_inputs, returned)
    not_returned = unreturned_outputs(result, torch_outputs, returned)

    layers = []
    for name, kind in spec_layers:
        if name not in torch_outputs or name in not_returned:
            note = not_returned.get(name, "the PyTorch model has no module observed for this layer")
            layers.append(LayerComparison(name, kind, float("inf"), float("inf"), 0.0, ok=False, note=note))
            continue
        torch_out = torch_to_keras_layout(torch_outputs[name], torch_model.OUTPUT_LAYOUT[name])
        compared = compare_outputs(name, kind, keras_outputs[name], torch_out, atol, rtol, direction)
        if not compared.ok and compared.note is None:
            known = dict(zip([i.name for i in result.document.spec().named_inputs()], inputs, strict=True))
            verdict = judge(result, keras_model, name, {**known, **keras_outputs}, keras_outputs[name], torch_out,
                            atol, rtol)
            compared = replace(compared, reference=verdict)
        layers.append(compared)
    return CrosscheckReport(result.document.spec().name, dtype, samples, seed, atol, rtol, layers, skipped, direction, list(dims))


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


def build_pair(result: CheckResult, dtype: str, seed: int, direction: str = KERAS_TO_TORCH):
    """Both emitted models in `dtype`, one with seeded random weights and the other with a copy of them.

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
    torch_model = to_torch(result).to(getattr(torch, dtype))
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
