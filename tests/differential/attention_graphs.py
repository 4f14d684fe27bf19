"""Attention graphs: MultiHeadAttention, GroupQueryAttention, Attention and AdditiveAttention, called as Keras calls
them (spec/call.py): `inputs: [query, value(, key)]`, `attention_mask: m` naming a bool input, the call options
use_causal_mask and return_attention_scores, the scores read as `att.scores`.

Self-attention (`inputs: [q, q]`) and cross-attention with ranks 3 to 5 (batch counted; rarely 2), lengths (some
null), widths, heads, key_dim / value_dim, output_shape as an int or a list, attention_axes valid (positive or
negative), over the batch axis, over the heads axis, out of range or repeated, use_bias, masks that fit the scores
(or broadcast to them with 1s and extra axes) or do not, GQA head groupings that divide or not, Attention's dot and
concat scores with or without use_scale, query/key widths that match or not; then a residual Add (with or without
LayerNormalization) or a Dense on the output, and the scores as a model output or feeding a later layer (ops.mean,
Softmax, Flatten, Dense). The shapes below steer the draws towards calls that can work; Keras decides.
"""

from __future__ import annotations

from typing import Optional

from hypothesis import strategies as st

LENGTH = st.one_of(st.integers(2, 7), st.integers(2, 7), st.integers(1, 3), st.none())
WIDTH = st.one_of(st.integers(2, 8), st.integers(1, 8))
KINDS = ("MultiHeadAttention",) * 4 + ("GroupQueryAttention", "GroupQueryAttention", "GroupedQueryAttention") + (
    "Attention", "Attention", "AdditiveAttention", "AdditiveAttention")
PROJECTED = ("MultiHeadAttention", "GroupQueryAttention", "GroupedQueryAttention")


def _chance(draw, percent: int) -> bool:
    """True `percent` times in 100; False for Hypothesis's simplest draw (0), so that the common case is simplest."""
    return draw(st.integers(0, 99)) >= 100 - percent


def _rank(draw, kind: str) -> int:
    """The query's rank, batch counted."""
    if _chance(draw, 5 if kind in PROJECTED else 8):
        return 2 if kind != "GroupQueryAttention" or _chance(draw, 50) else 4  # refused (by Keras or on purpose)
    if kind == "MultiHeadAttention":
        return draw(st.sampled_from([3, 4, 5, 3, 4, 3]))
    return 3 if kind in PROJECTED or not _chance(draw, 30) else 4


def _attention_axes(draw, rank: int):
    """(attention_axes field or None, the axes as Keras normalizes them, for steering the shapes)."""
    positions = list(range(1, rank - 1)) or [1]
    how = draw(st.integers(0, 99))
    if how < 50:
        return None, tuple(positions)
    if how < 76:
        chosen = draw(st.lists(st.sampled_from(positions), min_size=1, max_size=len(positions), unique=True))
        written = [a - rank if _chance(draw, 30) else a for a in chosen]
        if len(written) == 1 and _chance(draw, 50):
            return written[0], tuple(chosen)
        return written, tuple(chosen)
    # the batch axis, the heads axis, out of range, repeated
    odd = draw(st.sampled_from([0, -rank, 0, rank - 1, -1, rank, rank + 1, -rank - 1, "repeat", "both"]))
    if odd == "repeat":
        return [positions[0], positions[0]], (positions[0],)
    if odd == "both":
        return [positions[0], positions[0] - rank], (positions[0],)
    return (odd if _chance(draw, 50) else [odd]), (odd % rank if -rank <= odd < rank else positions[0],)


def _layer_args(draw, kind: str, rank: int) -> tuple[dict, tuple]:
    """The layer's fields (no inputs) and its attention axes (for steering)."""
    args: dict = {}
    axes = (rank - 2,) if kind in ("Attention", "AdditiveAttention") else (1,)
    if kind == "MultiHeadAttention":
        args.update(num_heads=draw(st.integers(1, 4)), key_dim=draw(st.integers(1, 5)))
        if _chance(draw, 40):
            args["value_dim"] = draw(st.integers(1, 5))
        shape = draw(st.integers(0, 9))
        if shape >= 6:
            args["output_shape"] = draw(st.integers(1, 8)) if shape < 8 else draw(
                st.lists(st.integers(1, 5), min_size=1, max_size=2))
        field, axes = _attention_axes(draw, rank)
        if field is not None:
            args["attention_axes"] = field
    elif kind in PROJECTED:
        heads = draw(st.integers(1, 6))
        divisors = [d for d in range(1, heads + 1) if heads % d == 0]
        groups = draw(st.sampled_from(divisors)) if _chance(draw, 60) else draw(st.integers(1, 4))
        args.update(head_dim=draw(st.integers(1, 5)), num_query_heads=heads, num_key_value_heads=groups)
    elif kind == "Attention":
        for name in ("use_scale", "score_mode"):
            if _chance(draw, 50):
                args[name] = draw(st.booleans() if name == "use_scale" else st.sampled_from(["dot", "concat"]))
    elif _chance(draw, 50):
        args["use_scale"] = draw(st.booleans())
    if kind in PROJECTED and _chance(draw, 40):
        args["use_bias"] = draw(st.booleans())
    if _chance(draw, 30):
        args["dropout"] = draw(st.sampled_from([0.0, 0.1, 0.5]))
    if _chance(draw, 20):
        args["use_causal_mask"] = draw(st.booleans() | st.just(True))
    if _chance(draw, 50):
        args["return_attention_scores"] = draw(st.booleans() | st.just(True))
    if _chance(draw, 10):
        args["seed"] = draw(st.integers(0, 3))
    if _chance(draw, 10):
        args["trainable"] = False
    return args, axes


def _cross(draw, kind: str, query: list, axes: tuple, rank: int) -> tuple[list, Optional[list]]:
    """(value, key or None) shapes for cross-attention: new lengths on the attention axes, the query's on the
    others (rarely not), a width of their own where the layer projects it (else mostly the query's)."""
    if _chance(draw, 5):
        other = draw(st.integers(2, 5))
        value = draw(st.lists(LENGTH, min_size=other - 2, max_size=other - 2)) + [draw(WIDTH)]
        return value, None
    positions = []
    for axis in range(1, rank - 1):
        own = axis in axes or _chance(draw, 12)
        positions.append(draw(LENGTH) if own else (1 if _chance(draw, 5) else query[axis - 1]))
    same_width = kind != "MultiHeadAttention" and _chance(draw, 78)
    value = positions + [query[-1] if same_width else draw(WIDTH)]
    if not _chance(draw, 30):
        return value, None
    key_positions = positions if _chance(draw, 90) else [draw(LENGTH) for _ in positions]
    key_width = query[-1] if kind in ("Attention", "AdditiveAttention") and _chance(draw, 78) else draw(WIDTH)
    return value, key_positions + [key_width]


def _mask(draw, kind: str, args: dict, query: list, key: list, axes: tuple) -> list:
    """A mask (batch excluded) for the scores (.., heads, query axes, key axes): fitting, with 1s, with extra
    leading axes, with one size wrong, or with an axis too few (Keras then lines the batch up with a query axis)."""
    rank = len(query) + 1
    valid = [a for a in axes if 1 <= a <= rank - 2]
    q_axes = [query[a - 1] for a in valid] or [query[0]]
    k_axes = [key[a - 1] for a in valid if a - 1 < len(key) - 1] or [key[0]]
    base = q_axes + k_axes
    how = draw(st.integers(0, 99))
    if how < 30:
        return base
    if how < 48:
        return [1 if _chance(draw, 50) else d for d in base]
    if how < 63:
        heads = args.get("num_heads", args.get("num_query_heads", 1))
        return [draw(st.sampled_from([1, heads]))] + base
    if how < 87:
        at = draw(st.integers(0, len(base) - 1))
        return base[:at] + [(base[at] or 3) + draw(st.integers(1, 3))] + base[at + 1:]
    return base[1:]


def _after(draw, kind: str, query_name: str, layer: dict) -> tuple[list[dict], list[str]]:
    """The layers after the attention layer, and the model's outputs."""
    layers, main = [], "att"
    how = draw(st.integers(0, 99))
    if how < 35:
        layers.append({"type": "Add", "name": "residual", "inputs": [query_name, "att"]})
        main = "residual"
        if _chance(draw, 50):
            layers.append({"type": "LayerNormalization", "name": "norm", "inputs": ["residual"]})
            main = "norm"
    elif how < 55:
        layers.append({"type": "Dense", "name": "proj", "inputs": ["att"], "units": draw(st.integers(1, 4))})
        main = "proj"
    outputs = [main]
    if layer.get("return_attention_scores"):
        use = draw(st.integers(0, 99))
        reader = None
        if use < 40:
            outputs.append("att.scores")
        elif use < 65:
            reader = draw(st.sampled_from([{"type": "ops.mean", "axis": -1}, {"type": "ops.sum", "axis": 1},
                                           {"type": "Softmax"}, {"type": "Flatten"}]))
        elif use < 85:
            reader = {"type": "Dense", "units": 2}
        if reader is not None:
            layers.append({**reader, "name": "read_scores", "inputs": ["att.scores"]})
            outputs.append("read_scores")
    return layers, outputs


@st.composite
def attention_graphs(draw) -> dict:
    kind = draw(st.sampled_from(KINDS))
    rank = _rank(draw, kind)
    args, axes = _layer_args(draw, kind, rank)
    query = draw(st.lists(LENGTH, min_size=rank - 2, max_size=rank - 2)) + [
        None if _chance(draw, 4) else draw(WIDTH)]
    dtype = draw(st.sampled_from(["float32"] * 27 + ["float16", "float64", "int32"]))
    inputs = [{"name": "q", "shape": query, **({} if dtype == "float32" else {"dtype": dtype})}]
    layer = {"type": kind, "name": "att", **args}
    if _chance(draw, 40):
        layer["inputs"], key = ["q", "q"], query
    else:
        value, key_shape = _cross(draw, kind, query, axes, rank)
        inputs.append({"name": "v", "shape": value})
        layer["inputs"], key = ["q", "v"], value
        if key_shape is not None:
            inputs.append({"name": "k", "shape": key_shape})
            layer["inputs"].append("k")
            key = key_shape
    if kind in PROJECTED and _chance(draw, 30):
        mask = _mask(draw, kind, args, query, key, axes)
        inputs.append({"name": "m", "shape": mask, "dtype": "bool" if _chance(draw, 90) else "int32"})
        layer["attention_mask"] = "m"
    after, outputs = _after(draw, kind, "q", layer)
    doc = {"specbridge": 1, "name": "generated", "inputs": inputs, "layers": [layer, *after]}
    if outputs != [doc["layers"][-1]["name"]]:
        doc["outputs"] = outputs
    return doc
