"""UnitNormalization, RMSNormalization and Identity against real Keras 3: a sweep of ranks 2-5 (batch counted),
axes (negative, out of range, lists, repeated, mixed signs), float32 / float64 and unknown sizes.

Keras's verdict is what it does with data, not only what it builds: both layers build symbolically for axes that
fail when data runs (a repeated axis, a `scale` that does not broadcast), so each case is built, then called on data
of the same shape (unknown sizes set to 3), and RMSNormalization's output is compared with its formula with
`scale` on the normalized axes. specbridge must accept exactly the cases Keras computes that way, with Keras's
shape and parameter counts, and refuse the others; it refuses three that Keras runs, each asserted with Keras's
own result: axis=[] (no axis normalized), a UnitNormalization norm across the batch, and an RMSNormalization whose
`scale` Keras multiplies into other axes than the ones it normalized.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pytest
from _keras_multi import check_layer, error_codes, keras_layer
from keras_helpers import count_weights

pytestmark = pytest.mark.keras

SHAPES = {  # rank (batch counted) -> input shapes: distinct sizes, a square one (broadcasts wrongly), unknown sizes
    2: [(4,), (None,)],
    3: [(4, 5), (4, 4), (None, 5), (4, None)],
    4: [(3, 4, 5), (4, 4, 4), (None, 4, 5), (3, None, 5)],
    5: [(2, 3, 4, 5), (3, 3, 3, 3), (2, None, 4, 5)],
}


def axes_of(rank: int) -> list:
    """Every single axis (one out of range on each side), every pair in both orders, [], a repeated axis and
    two triples."""
    singles = list(range(-rank - 1, rank + 1))
    pairs = [list(p) for p in itertools.permutations(range(-rank, rank), 2)] if rank > 2 else [[-1, 1], [1, -1]]
    extra = [[], [-1, -1]] + ([[1, 2, 3], [-1, 2, 1]] if rank >= 4 else [])
    return singles + pairs + extra


def sweep() -> list:
    cases = []
    for rank, shapes in SHAPES.items():
        for layer_type in ("UnitNormalization", "RMSNormalization"):
            for shape in shapes:
                for axis in axes_of(rank):
                    cases.append((layer_type, axis, shape, "float32"))
            # float64 on the first shape, single axes and the trailing pair
            for axis in list(range(-rank - 1, rank + 1)) + [[-2, -1]]:
                cases.append((layer_type, axis, shapes[0], "float64"))
    return cases


CASES = sweep()


def case_id(case) -> str:
    layer_type, axis, shape, dtype = case
    return f"{layer_type}-axis={axis}-{'x'.join('N' if d is None else str(d) for d in shape)}-{dtype}".replace(" ", "")


@dataclass
class Verdict:
    outcome: str  # "computes", "refuses" or "misapplies" (runs, but scale lands on other axes than normalized)
    shape: tuple = ()
    params: int = 0
    trainable: int = 0
    why: str = ""


def rms_formula(x: np.ndarray, axis, scale: np.ndarray, epsilon: float) -> np.ndarray:
    """x * rsqrt(mean(x**2) + epsilon) * scale with scale (Keras's shape: the sizes at the axes sorted as written)
    laid on the axes it was sized by."""
    rank = x.ndim
    written = sorted([axis] if isinstance(axis, int) else axis)
    positions = [a % rank for a in written]
    placed = np.transpose(scale, np.argsort(positions))
    shape = [x.shape[p] if p in positions else 1 for p in range(rank)]
    mean_square = np.mean(x * x, axis=tuple(positions), keepdims=True)
    return x / np.sqrt(mean_square + epsilon) * placed.reshape(shape)


def keras_verdict(keras, layer: dict, shape: tuple, dtype: str) -> Verdict:
    try:
        built = keras_layer(keras, {**layer, "dtype": dtype})  # a float64 spec is a float64 Keras model
        out = built(keras.Input(shape=shape, dtype=dtype))
    except (ValueError, TypeError, IndexError) as exc:
        return Verdict("refuses", why=f"build: {exc}")
    symbolic = tuple(out.shape[1:])
    rng = np.random.default_rng(0)
    x = rng.uniform(0.5, 2.0, (2, *(3 if d is None else d for d in shape))).astype(dtype)
    scale = None
    if layer["type"] == "RMSNormalization":
        variable = built.scale
        scale = np.linspace(0.5, 2.0, max(int(np.prod(variable.shape)), 1)).reshape(variable.shape)
        variable.assign(scale.astype(variable.dtype))
    try:
        y = np.asarray(built(x))
    except Exception as exc:  # noqa: BLE001 - TensorFlow's run-time refusal (InvalidArgumentError...) is the verdict
        return Verdict("refuses", why=f"run: {type(exc).__name__}")
    if y.shape != x.shape:
        return Verdict("refuses", why=f"run: output {y.shape} for an input {x.shape}, symbolic {symbolic}")
    expected = None if scale is None else rms_formula(x.astype(np.float64), layer.get("axis", -1), scale,
                                                      layer.get("epsilon", 1e-6))
    if expected is not None and not np.allclose(y, expected, rtol=1e-5, atol=1e-6):
        return Verdict("misapplies", why="scale multiplies other axes than the normalized ones")
    assert out.dtype == dtype and y.dtype == dtype
    return Verdict("computes", symbolic, built.count_params(), count_weights(built.trainable_weights))


def refused_by_specbridge_only(layer: dict, shape: tuple) -> str:
    """Why specbridge refuses a case Keras runs: '' when it does not."""
    axis = layer.get("axis", -1)
    axes = [axis] if isinstance(axis, int) else axis
    if not axes:
        return "no axis"
    if layer["type"] == "UnitNormalization" and 0 in [a % (len(shape) + 1) for a in axes]:
        return "the batch axis"
    return ""


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_sweep_matches_keras(keras, case):
    layer_type, axis, shape, dtype = case
    layer = {"type": layer_type, "axis": axis}
    verdict = keras_verdict(keras, layer, shape, dtype)
    result = check_layer(layer, [shape], dtype)
    if verdict.outcome == "computes" and not refused_by_specbridge_only(layer, shape):
        assert result.ok, [(d.code, d.message) for d in result.errors]
        (record,) = result.records
        assert (record.output_shape, record.params, record.trainable_params) == (
            verdict.shape, verdict.params, verdict.trainable)
        assert record.output.dtype == dtype
        return
    # Keras refuses it (when building or when data runs), computes another function, or is refused on purpose.
    assert len(error_codes(result)) == 1 and error_codes(result)[0] in ("SB205", "SB210"), (verdict, result.errors)
    (error,) = result.errors
    named = [axis] + ([] if isinstance(axis, int) else axis)  # the whole argument, or the one axis at fault
    assert error.message.startswith(layer_type) and error.hint
    assert any(f"axis={a}" in error.message or f"axis {a} " in error.message for a in named), error.message
    if verdict.outcome == "misapplies":
        assert "multiplies it into the last" in error.message


def test_sweep_covers_each_verdict(keras):
    """The sweep holds cases of every kind, so no branch of the comparison above is vacuous."""
    seen = set()
    for layer_type, axis, shape, dtype in CASES[::7]:
        layer = {"type": layer_type, "axis": axis}
        seen.add((layer_type, keras_verdict(keras, layer, shape, dtype).outcome, bool(refused_by_specbridge_only(
            layer, shape))))
    assert {("RMSNormalization", "computes", False), ("RMSNormalization", "refuses", False),
            ("UnitNormalization", "computes", False), ("UnitNormalization", "refuses", False),
            ("UnitNormalization", "computes", True)} <= seen
    assert any(keras_verdict(keras, {"type": "RMSNormalization", "axis": a}, s, "float32").outcome == "misapplies"
               for a, s in ((1, (4, 4)), ([1, -1], (4, 4))))


# ---------------------------------------------------------------- the arguments and what `explain` shows


@pytest.mark.parametrize(("args", "shape"), [
    ({}, (6,)), ({"epsilon": 1e-3}, (5, 6)), ({"axis": [-2, -1]}, (5, 6)), ({"axis": [2, 3], "trainable": False},
                                                                             (4, 5, 6)),
    ({"axis": 3}, (None, None, 7)),
])
def test_rms_params_and_trainable_split(keras, args, shape):
    layer = {"type": "RMSNormalization", **args}
    verdict = keras_verdict(keras, layer, shape, "float32")
    record = check_layer(layer, [shape]).records[0]
    assert verdict.outcome == "computes"
    assert (record.params, record.trainable_params, record.non_trainable_params) == (
        verdict.params, verdict.trainable, verdict.params - verdict.trainable)


def test_rms_steps_show_the_formula_and_count():
    from specbridge.report.steps import render_steps

    record = check_layer({"type": "RMSNormalization", "axis": [-2, -1], "epsilon": 1e-5}, [(3, 5, 4)]).records[0]
    axes, params = record.steps
    assert (axes.result, params.result, params.formula) == (20, 20, "prod(sizes)")
    assert render_steps(record.steps) == [
        "each sample is divided by its root mean square over axis [-2, -1] (5x4 values): "
        "x * rsqrt(mean(x**2) + 1e-05) * scale",
        "params = scale of shape (5, 4) = 20",
    ]


def test_unit_steps_show_the_formula():
    from specbridge.report.steps import render_steps

    record = check_layer({"type": "UnitNormalization", "axis": [1, 2]}, [(None, 4)]).records[0]
    assert record.params == 0
    assert render_steps(record.steps)[0] == (
        "each sample is divided by its L2 norm over axis [1, 2]: x * min(1 / sqrt(sum(x**2)), 1e12); the shape is "
        "unchanged")


@pytest.mark.parametrize(("layer", "shape", "code", "words"), [
    ({"type": "RMSNormalization", "axis": 2}, (4, None), "SB205", "size scale"),
    ({"type": "RMSNormalization", "axis": 0}, (4,), "SB210", "batch axis"),
    ({"type": "RMSNormalization", "axis": 3}, (4, 5), "SB210", "out of range"),
    ({"type": "RMSNormalization", "axis": [1, -1]}, (4, 4), "SB210", "write the axes with one sign, e.g. axis: [-2, -1]"),
    ({"type": "RMSNormalization", "axis": 1}, (4, 5), "SB210", "a Permute can bring"),
    ({"type": "RMSNormalization", "axis": [2, 2]}, (4, 5), "SB210", "names the same axis twice"),
    ({"type": "UnitNormalization", "axis": -3}, (4,), "SB210", "out of range"),
    ({"type": "UnitNormalization", "axis": [1, 0]}, (4,), "SB210", "across the samples of a batch"),
    ({"type": "UnitNormalization", "axis": []}, (4,), "SB210", "normalizes over no axis"),
])
def test_refusals_echo_the_values_and_hint(keras, layer, shape, code, words):
    result = check_layer(layer, [shape])
    assert error_codes(result) == [code]
    (error,) = result.errors
    assert words in error.message + " " + error.hint
    assert "None, " + ", ".join("None" if d is None else str(d) for d in shape) in error.message or code == "SB210" \
        and "axis=[]" in error.message


def test_rms_misapplied_scale_is_what_keras_computes(keras):
    """The refusal's reason, measured: on (batch, 4, 4) with axis=1, Keras multiplies scale along the LAST axis."""
    built = keras.layers.RMSNormalization(axis=1)
    built(keras.Input(shape=(4, 4)))
    built.scale.assign(np.array([1.0, 2.0, 3.0, 4.0], "float32"))
    y = np.asarray(built(np.ones((1, 4, 4), "float32")))
    np.testing.assert_allclose(y[0], np.tile([1.0, 2.0, 3.0, 4.0], (4, 1)), rtol=1e-5)  # rows equal: scale on axis 2


def test_rms_epsilon_must_be_positive():
    result = check_layer({"type": "RMSNormalization", "epsilon": 0}, [(4,)])
    assert error_codes(result) == ["SB012"]


def test_unit_axis_type_refused_like_keras(keras):
    with pytest.raises(TypeError, match="Invalid value for `axis`"):
        keras.layers.UnitNormalization(axis=1.5)
    assert error_codes(check_layer({"type": "UnitNormalization", "axis": 1.5}, [(4,)])) == ["SB012"]


# ---------------------------------------------------------------- Identity


@pytest.mark.parametrize("dtype", ["float32", "float64", "int32", "bool"])
@pytest.mark.parametrize("shape", [(), (4,), (None, 5), (3, None, 5), (2, 3, 4, 5)], ids=lambda s: str(s))
def test_identity_matches_keras(keras, shape, dtype):
    built = keras.layers.Identity(**({"dtype": dtype} if dtype.startswith("float") else {}))  # as the emitter
    out = built(keras.Input(shape=shape, dtype=dtype))
    result = check_layer({"type": "Identity"}, [shape], dtype)
    assert result.ok, [(d.code, d.message) for d in result.errors]
    (record,) = result.records
    assert (record.output_shape, record.params, record.output.dtype) == (tuple(out.shape[1:]), built.count_params(),
                                                                        out.dtype)
