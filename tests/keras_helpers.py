"""Small helpers shared by the test suites that compare specbridge with real Keras (tests/ is on sys.path via its
root conftest)."""

from __future__ import annotations


def count_weights(weights) -> int:
    """Number of scalars in a list of Keras variables (count_params() of a subset, e.g. trainable_weights)."""
    total = 0
    for w in weights:
        n = 1
        for d in w.shape:
            n *= int(d)
        total += n
    return total


def param_id(value) -> str:
    """Readable pytest ids for (layer type, args dict, shape) cases: 'kernel_size=3,strides=2', '28x28xN'."""
    if isinstance(value, dict):
        return ",".join(f"{k}={v}" for k, v in value.items()).replace(" ", "") or "defaults"
    if isinstance(value, (list, tuple)):
        return "x".join("N" if d is None else str(d) for d in value)
    return str(value)
