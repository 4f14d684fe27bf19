"""Whole spec documents: chains and merged graphs built from strategy.layer_args.

The ranks below (batch axis counted, as Keras's ndim) steer the draws towards inputs a layer can take, so that
about half of the specs are valid; they are a generator's guess, never an expectation: Keras decides.
"""

from __future__ import annotations

from typing import Optional

from hypothesis import strategies as st

from specbridge.spec.layers.recurrent import ConvLSTM

from .attention_graphs import attention_graphs
from .op_graphs import op_graphs
from .strategy import MERGES, SINGLE, layer_args

DIM = st.one_of(st.integers(4, 10), st.integers(4, 10), st.integers(1, 3), st.none())


def needed_rank(cls, inner: Optional[dict] = None) -> Optional[int]:
    """The input rank a layer type wants, or None when any rank >= 2 will do."""
    if cls.__name__ == "TimeDistributed":
        inner_cls = _class(inner["type"])
        wanted = needed_rank(inner_cls, inner.get("layer"))
        return (wanted or 3) + 1
    if issubclass(cls, ConvLSTM):
        return cls.RANK + 3  # (batch, time, *spatial, channels)
    if cls.FAMILY == "recurrent":
        return 3
    if cls.__name__ == "RepeatVector":
        return 2
    if cls.RANK is not None:
        return cls.RANK + 2
    return None


def out_rank(layer: dict, rank: int) -> int:
    """The output rank the generator expects (a guess for steering the next draw)."""
    cls, kind = _class(layer["type"]), layer["type"]
    if kind == "TimeDistributed":
        return out_rank(layer["layer"], rank - 1) + 1
    if kind == "Bidirectional":
        return out_rank(layer["layer"], rank)
    if issubclass(cls, ConvLSTM):
        return cls.RANK + (3 if layer.get("return_sequences") else 2)
    if cls.FAMILY == "recurrent":
        return 3 if layer.get("return_sequences") else 2
    if kind.startswith("Global"):
        return rank if layer.get("keepdims") else 2
    return {"Embedding": rank + 1, "Flatten": 2, "RepeatVector": 3}.get(
        kind, len(layer.get("target_shape", [])) + 1 if kind == "Reshape" else rank)


def _class(kind: str):
    return next(c for c in SINGLE + MERGES if c.type_names()[0] == kind)


def _fits(rank: int):
    return [c for c in SINGLE if not c.WRAPS and needed_rank(c) in (None, rank)]


@st.composite
def first_layer(draw) -> tuple[dict, list, str]:
    """(layer, input shape, input dtype): a layer of any single-input type and an input shaped for it (mostly)."""
    wrappers = [c for c in SINGLE if c.WRAPS]
    cls = draw(st.sampled_from(wrappers) if draw(st.integers(0, 3)) == 0 else st.sampled_from(SINGLE))
    probe = draw(layer_args(cls, None))
    rank = needed_rank(cls, probe.get("layer")) or draw(st.integers(2, 4))
    if draw(st.integers(0, 9)) == 0:
        rank = draw(st.integers(2, 6))  # the wrong rank, on purpose
    shape = draw(st.lists(DIM, min_size=rank - 1, max_size=rank - 1))
    layer = draw(layer_args(cls, shape))
    embeds = "Embedding" in (layer["type"], layer.get("layer", {}).get("type"))
    dtype = "int32" if embeds and draw(st.integers(0, 9)) else draw(st.sampled_from(["float32"] * 19 + ["int32"]))
    return layer, shape, dtype


@st.composite
def tail(draw, rank: int, count: int) -> list[dict]:
    """Up to `count` more layers, each of a type that takes the rank the previous one gives (by the guess)."""
    layers = []
    for _ in range(draw(st.integers(0, count))):
        fitting = _fits(rank)
        if not fitting:
            break
        layer = draw(st.sampled_from(fitting).flatmap(lambda c: layer_args(c, None)))
        layers.append(layer)
        rank = out_rank(layer, rank)
    return layers


@st.composite
def chains(draw) -> dict:
    layer, shape, dtype = draw(first_layer())
    layers = [layer, *draw(tail(out_rank(layer, len(shape) + 1), 2))]
    return _document(draw, {"input": {"shape": shape, "dtype": dtype}}, layers)


@st.composite
def merged(draw) -> dict:
    """Two inputs, an optional Dense branch on each, then a merge of two (rarely one or three) tensors."""
    rank = draw(st.integers(1, 4))
    a = draw(st.lists(DIM, min_size=rank, max_size=rank))
    how = draw(st.sampled_from(["same", "same", "same", "dim", "rank"]))
    b = list(a)
    if how == "dim":
        b[draw(st.integers(0, rank - 1))] = draw(DIM)
    elif how == "rank":
        b = draw(st.lists(DIM, min_size=1, max_size=4))
    layers, heads = [], ["a", "b"]
    for i, head in enumerate(heads):
        if draw(st.integers(0, 3)) == 0:
            layers.append({"type": "Dense", "name": f"branch_{head}", "inputs": [head], "units": draw(st.integers(1, 4))})
            heads[i] = f"branch_{head}"
    merge = draw(st.sampled_from(MERGES).flatmap(lambda c: layer_args(c, a)))
    count = draw(st.sampled_from([2, 2, 2, 2, 2, 2, 3, 1]))
    merge.update(name="merge", inputs=(heads + heads[:1])[:count])
    layers.append(merge)
    layers += draw(tail(len(a) + 1, 1))
    inputs = [{"name": "a", "shape": a}, {"name": "b", "shape": b}]
    return _document(draw, {"inputs": inputs}, layers)


def _document(draw, header: dict, layers: list[dict]) -> dict:
    data_format = draw(st.sampled_from(["channels_last", "channels_last", "channels_last", "channels_first"]))
    doc = {"specbridge": 1, "name": "generated", **header, "layers": layers}
    if data_format != "channels_last":
        doc["data_format"] = data_format
    return doc


def layer_specs() -> st.SearchStrategy[dict]:
    """Chains (3 in 4) and merged graphs of the layer types strategy.layer_args draws."""
    return st.one_of(chains(), chains(), chains(), merged())


def specs() -> st.SearchStrategy[dict]:
    """Spec documents (as mappings): chains (3 in 7), merged graphs, attention graphs and op graphs (2 in 7)."""
    return st.one_of(layer_specs(), attention_graphs(), op_graphs(), op_graphs())
