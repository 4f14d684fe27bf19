"""A Hypothesis strategy for spec documents over every layer type and argument of the catalog.

Arguments are derived from each class's pydantic fields (their annotations and constraints: Literal, bool, int
and float bounds, per-axis lists of RANK entries, Optional); per-family knowledge (`special`) is only used where the type
alone cannot give realistic values (small sizes, Reshape targets, Permute dims, axes). A spec is either a chain
(an input shaped for a first layer, then up to two layers of a fitting rank) or a graph (`inputs:` with two
branches merged, their shapes equal or deliberately mismatched). Edge cases come from the same draws: strides
larger than the kernel, dilation, 'causal'/'same' padding, channels_first, null dims, Reshape with -1, wrappers.
"""

from __future__ import annotations

import typing
from typing import Annotated, Literal, Optional, Union

from hypothesis import strategies as st

from specbridge.spec.catalog import all_classes
from specbridge.spec.layers.conv import ConvTranspose
from specbridge.spec.layers.merging import Merge
from specbridge.spec.layers.recurrent import RNN

CLASSES = all_classes()
MERGES = tuple(c for c in CLASSES if issubclass(c, Merge))
RECURRENT = tuple(c for c in CLASSES if issubclass(c, RNN))
# Attention (several tensors per call) and ops (function calls, batch-counted axes) have strategies of their own
# (attention_graphs.py, op_graphs.py); chains and merged graphs draw the other types.
OWN_STRATEGY = tuple(c for c in CLASSES if c.FAMILY in ("attention", "ops"))
SINGLE = tuple(c for c in CLASSES if c not in MERGES and c not in OWN_STRATEGY)
WRAPPABLE = tuple(c for c in SINGLE if not c.WRAPS)  # TimeDistributed may wrap any single-input layer
SKIPPED_FIELDS = ("trainable",)  # drawn separately, rarely set

# Per-field value ranges where the type alone (a positive int) would give unrealistic sizes.
SMALL: dict[str, tuple[int, int]] = {
    "filters": (1, 6), "units": (1, 6), "output_dim": (1, 6), "input_dim": (1, 20), "n": (1, 4),
    "depth_multiplier": (1, 3), "kernel_size": (1, 4), "strides": (1, 4), "pool_size": (1, 4),
    "dilation_rate": (1, 3), "size": (1, 3), "groups": (1, 4), "in_channels": (1, 6), "in_features": (1, 6),
    "input_size": (1, 6), "output_padding": (0, 2), "padding": (0, 2), "cropping": (0, 2), "seed": (0, 3),
}
FLOATS: dict[str, tuple] = {
    "rate": (0.0, 0.1, 0.5, 0.99, 1.0), "dropout": (0.0, 0.25), "recurrent_dropout": (0.0, 0.25),
    "momentum": (0.0, 0.5, 0.99, 1.0), "epsilon": (1e-3, 1e-5), "alpha": (1.0, 0.5, -1.0),
    "negative_slope": (0.0, 0.3, 1.0), "max_value": (0.0, 1.0, 6.0), "threshold": (0.0, 0.5, -1.0),
}


def _bounds(metadata) -> tuple[Optional[float], Optional[float]]:
    lo = hi = None
    for m in metadata:
        for attr, shift in (("gt", 1), ("ge", 0)):
            if getattr(m, attr, None) is not None:
                lo = getattr(m, attr) + shift
        for attr, shift in (("lt", -1), ("le", 0)):
            if getattr(m, attr, None) is not None:
                hi = getattr(m, attr) + shift
    return lo, hi


def from_type(tp, metadata: list, name: str, rank: int) -> st.SearchStrategy:
    """Values of annotation `tp` (with its constraints), lists of `rank` entries (one per spatial axis)."""
    origin = typing.get_origin(tp)
    if origin is Annotated:
        base, *meta = typing.get_args(tp)
        return from_type(base, [*metadata, *meta], name, rank)
    if origin is Union:
        return st.one_of([from_type(a, [], name, rank) for a in typing.get_args(tp)])
    if tp is type(None):
        return st.none()
    if origin is Literal:
        return st.sampled_from(typing.get_args(tp))
    if origin is list:
        (item,) = typing.get_args(tp)
        return st.lists(from_type(item, [], name, rank), min_size=rank, max_size=rank)
    if tp is bool:
        return st.booleans()
    if tp is int:
        lo, hi = SMALL.get(name, (None, None))
        blo, bhi = _bounds(metadata)
        lo = lo if lo is not None else (blo if blo is not None else -3)
        return st.integers(lo, hi if hi is not None else (bhi if bhi is not None else lo + 6))
    if tp is float:
        return st.sampled_from(FLOATS.get(name, (0.0, 1.0)))
    raise TypeError(f"no strategy for {name}: {tp!r} (add it to tests/differential/strategy.py)")


def special(cls, name: str, shape: Optional[list]) -> Optional[st.SearchStrategy]:
    """Per-family knowledge: the fields whose useful values depend on the input or on each other."""
    rank = len(shape) if shape is not None else 2
    if name == "layer":
        inner = RECURRENT if cls.__name__ == "Bidirectional" else WRAPPABLE
        inner_shape = shape[1:] if shape else None
        return st.sampled_from(inner).flatmap(lambda c: layer_args(c, inner_shape))
    if name == "target_shape":
        return reshape_targets(shape)
    if name == "dims":
        return st.permutations(list(range(1, rank + 1)))
    if name == "noise_shape":
        return st.lists(st.sampled_from([None, 1, *(d for d in shape or [] if d)]), min_size=rank, max_size=rank)
    if name in ("axis", "shared_axes") and cls.__name__ != "LayerNormalization":
        return st.integers(-rank - 1, rank) if name == "axis" else st.one_of(
            st.integers(1, rank), st.lists(st.integers(1, rank), min_size=1, max_size=2, unique=True))
    if name == "groups" and cls.__name__ == "GroupNormalization":
        return st.sampled_from([-1, 1, 2, 3, 4, 32])
    if name in ("padding", "cropping") and cls.FAMILY == "reshaping":
        pair = st.lists(st.integers(0, 2), min_size=2, max_size=2)
        return st.one_of(st.integers(0, 2), pair) if cls.RANK == 1 else st.one_of(
            st.integers(0, 2), st.lists(st.one_of(st.integers(0, 2), pair), min_size=cls.RANK, max_size=cls.RANK))
    if name == "padding" and issubclass(cls, ConvTranspose):  # the Keras builder has no explicit-padding form
        return st.sampled_from(["valid", "same", "causal"])
    if name == "axes" and cls.__name__ == "Dot":  # one axis for both inputs, or one each (batch axis 0 included)
        axis = st.integers(-rank - 1, rank)
        return st.one_of(axis, st.lists(axis, min_size=2, max_size=2))
    if cls.__name__ == "EinsumDense" and name in EINSUM_DENSE:
        return EINSUM_DENSE[name](rank + 1)
    return None


# EinsumDense's equation, output_shape and bias_axes are drawn apart: an equation of Keras's forms for the input's
# rank (batch included) or another rank's, output_shape entries (null, a size, or too few / many), bias letters in
# the output or not; some draws fit together, the others are refusals to compare with Keras's.
EINSUM_EQUATIONS = {
    2: ["ab,bc->ac", "ab,bcd->acd", "ab,b->a", "ab,bc->ca"],
    3: ["abc,cd->abd", "abc,cde->abde", "abc,bd->acd", "abc,dc->abd", "ab...,bc->ac...", "abc,bc->a"],
    4: ["abcd,cde->abe", "abcd,de->abce", "abc...,bcd->ad..."],
}
EINSUM_DENSE = {
    "equation": lambda rank: st.sampled_from(EINSUM_EQUATIONS.get(rank, []) * 3 + ["...b,bc->...c", "...bc,cd->...bd"]
                                             + EINSUM_EQUATIONS[2] + ["ab,bc", "a...,bc->ac..."]),
    "output_shape": lambda rank: st.one_of(st.integers(1, 6), st.lists(st.one_of(st.none(), st.integers(1, 6)),
                                                                      max_size=3)),
    "bias_axes": lambda rank: st.sampled_from([None, None, "c", "d", "e", "cd", "de", "b", "x"]),
}


def reshape_targets(shape: Optional[list]) -> st.SearchStrategy:
    """Targets of the right size (with or without -1) when the input size is known, and arbitrary ones."""
    anything = st.lists(st.sampled_from([-1, 1, 2, 3, 4, 6, 8, 12]), min_size=1, max_size=3)
    if not shape or None in shape:
        return anything
    total = 1
    for d in shape:
        total *= d
    factors = [d for d in range(1, total + 1) if total % d == 0]
    fitting = st.sampled_from(factors).flatmap(
        lambda f: st.sampled_from([[f, total // f], [-1, f], [total], [-1], [f, -1], [total // f, f, 1]]))
    return st.one_of(fitting, fitting, anything)


def layer_args(cls, shape: Optional[list]) -> st.SearchStrategy:
    """A layer mapping of class `cls` for an input of `shape` (batch excluded; None when not known here)."""
    required, optional = {"type": st.just(cls.type_names()[0])}, {}
    for name, field in cls.model_fields.items():
        if name in cls.SPEC_ONLY or name in SKIPPED_FIELDS:
            continue
        drawn = special(cls, name, shape)
        if drawn is None:
            drawn = from_type(field.annotation, list(field.metadata), name, cls.RANK or 1)
        if field.is_required():
            required[name] = drawn
        elif name not in cls.ASSERTIONS:
            optional[name] = drawn
        else:
            optional[name] = st.none() | drawn  # assertions: mostly unset
    optional["trainable"] = st.sampled_from([True, False, True])
    defaults_none = {n for n, f in cls.model_fields.items() if f.default is None}
    # A None equal to the default is left out, as a user would (merge_mode: null is kept: its default is concat).
    return st.fixed_dictionaries(required, optional=optional).map(
        lambda d: {k: v for k, v in d.items() if v is not None or k not in defaults_none})
