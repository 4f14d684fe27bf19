"""Random model inputs that respect each spec input's dtype and its consumers.

Integer inputs that feed an Embedding get ids in [0, input_dim) (the smallest vocabulary among the Embeddings
reading that input): out-of-range ids would index outside the table, which Keras clips and torch refuses.

An input that an Embedding(mask_zero=True) or a Masking layer reads is padded, so that the masks matter: each sample
keeps a random number of real steps, padded at the end, at the start, or with holes (id 0, or every feature equal
to mask_value, at the padded steps; never a sample without a real step, where pooling divides 0 by 0).
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..check import CheckResult
from ..spec.layers.core import Embedding, Masking
from ..spec.model import INTEGER_DTYPES

# The size given to an unknown (null) input dimension when no size is passed: a small sequence length or image side.
# run_crosscheck passes the sizes crosscheck.dims.choose_dims finds (the smallest >= this that the spec accepts).
UNKNOWN_DIM_SIZE = 8
# Integer inputs not read by an Embedding get small non-negative values.
DEFAULT_INTEGER_HIGH = 10


def embedding_vocabulary(result: CheckResult, input_name: str) -> Optional[int]:
    """The smallest input_dim of the Embeddings (bare or inside TimeDistributed) reading `input_name`."""
    spec = result.document.spec()
    vocabularies = []
    for record in result.records:
        if input_name not in record.inputs:
            continue
        layer = spec.layers[record.index]
        inner = getattr(layer, "layer", None) if record.kind == "TimeDistributed" else layer
        if inner is not None and inner.kind == "Embedding":
            vocabularies.append(inner.input_dim)
    return min(vocabularies) if vocabularies else None


def padding_value(result: CheckResult, input_name: str) -> Optional[float]:
    """The value that marks a padded step of `input_name` (0 for the ids of an Embedding(mask_zero=True), a Masking
    layer's mask_value), or None when no layer reading it makes a mask."""
    spec = result.document.spec()
    for record in result.records:
        if input_name not in record.inputs:
            continue
        layer = spec.layers[record.index]
        if isinstance(layer, Embedding) and layer.mask_zero:
            return 0.0
        if isinstance(layer, Masking):
            return float(layer.mask_value)
    return None


def padding_steps(rng: np.random.Generator, samples: int, steps: int) -> np.ndarray:
    """(samples, steps) bool, True at the padded steps: sample i is padded at the end, at the start, or with holes
    (i % 3); every sample keeps at least one real step."""
    padded = np.zeros((samples, steps), bool)
    for i in range(samples):
        real = int(rng.integers(1, steps + 1))
        if i % 3 == 0:
            padded[i, real:] = True
        elif i % 3 == 1:
            padded[i, :steps - real] = True
        else:
            holes = rng.random(steps) < 0.3
            holes[int(rng.integers(0, steps))] = False
            padded[i] = holes
    return padded


def _pad(array: np.ndarray, value: float, rng: np.random.Generator) -> np.ndarray:
    """`array` with its padded steps (axis 1) set to `value` (every feature of the step)."""
    if array.ndim < 2 or array.shape[1] == 0:
        return array
    padded = padding_steps(rng, array.shape[0], array.shape[1])
    where = padded.reshape(padded.shape + (1,) * (array.ndim - 2))
    return np.where(where, np.asarray(value, array.dtype), array)


def random_inputs(result: CheckResult, samples: int, seed: int, float_dtype: str,
                  shapes: Optional[dict[str, tuple[int, ...]]] = None) -> list[np.ndarray]:
    """One array per spec input, in named_inputs() order, with the batch axis first (Keras layout).

    `shapes` gives an input's concrete shape (crosscheck.dims.concrete_shapes); else unknown axes get UNKNOWN_DIM_SIZE.
    """
    rng = np.random.default_rng([seed, 1])  # a stream apart from the weights'
    arrays = []
    for spec_input in result.document.spec().named_inputs():
        concrete = (shapes or {}).get(spec_input.name)
        if concrete is None:
            concrete = tuple(UNKNOWN_DIM_SIZE if d is None else d for d in spec_input.shape)
        shape = (samples, *concrete)
        if spec_input.dtype in INTEGER_DTYPES:
            high = embedding_vocabulary(result, spec_input.name) or DEFAULT_INTEGER_HIGH
            arrays.append(rng.integers(0, high, shape).astype(spec_input.dtype))
            if padding_value(result, spec_input.name) == 0.0 and high > 1:
                arrays[-1] = _pad(rng.integers(1, high, shape).astype(spec_input.dtype), 0, rng)
        elif spec_input.dtype == "bool":
            arrays.append(rng.random(shape) < 0.5)
        else:
            # The cross-check's float dtype wins over the spec's: float64 mode runs everything in float64.
            arrays.append(rng.normal(0.0, 1.0, shape).astype(float_dtype))
            value = padding_value(result, spec_input.name)
            if value is not None:
                arrays[-1] = _pad(arrays[-1], value, rng)
    return arrays
