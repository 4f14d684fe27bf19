"""Random model inputs that respect each spec input's dtype and its consumers.

Integer inputs that feed an Embedding get ids in [0, input_dim) (the smallest vocabulary among the Embeddings
reading that input): out-of-range ids would index outside the table, which Keras clips and torch refuses.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

from ..check import CheckResult
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
        elif spec_input.dtype == "bool":
            arrays.append(rng.random(shape) < 0.5)
        else:
            # The cross-check's float dtype wins over the spec's: float64 mode runs everything in float64.
            arrays.append(rng.normal(0.0, 1.0, shape).astype(float_dtype))
    return arrays
