"""Inputs for the fuzz tests: raw bytes, and valid fixtures mutated at the text and at the data level."""

from __future__ import annotations

import json
import os
from pathlib import Path

from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = sorted((ROOT / "fixtures").glob("*/*.spec.*"))
TEXTS = [(p.name, p.read_text(encoding="utf-8")) for p in FIXTURES]

# How many examples: SPECBRIDGE_FUZZ_SCALE multiplies every test's CI count (the long run, see README.md).
SCALE = max(1, int(os.environ.get("SPECBRIDGE_FUZZ_SCALE", "1")))

# Fragments that exercise the parser's corners: anchors and aliases, nesting, tags, special scalars, huge numbers.
TOKENS = [
    "&a ", "*a", "&b [*a, *a, *a]", "[", "]", "{", "}", ": ", "- ", ",", "\n", "\n  ", "\t", '"', "'", "#", "!!str ",
    "!!python/object:os.system ", "? ", "|\n  x", ">", "%YAML 1.2\n", "---\n", "...\n", "\x00", "\ufeff", "\x85",
    "null", "~", "true", "yes", ".nan", "-.inf", "NaN", "Infinity", "1e999", "-1", "0", "0x7fffffff", "0o777",
    "99999999999999999999999999", str(2**31), str(2**63), "1.5", "-0.0", "\\u0000", "\udcff", "layers", "type",
    "Dense", "Conv2D", "inputs", "expect", "shape", "units", "null", "[null]", "[[1, [2, [3]]]]",
]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12) | st.sampled_from(["Dense", "Conv2D", "relu", "same", "valid", "layer", "input_layer"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8) | st.sampled_from(
        ["type", "units", "filters", "kernel_size", "shape", "inputs", "name", "layer", "expect"]), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def mutated_text(draw) -> tuple[str, str]:
    """(file name, text): a fixture with a few slices deleted, duplicated or replaced by tokens."""
    name, text = draw(st.sampled_from(TEXTS))
    for _ in range(draw(st.integers(1, 4))):
        i = draw(st.integers(0, len(text)))
        j = draw(st.integers(i, min(len(text), i + 40)))
        kind = draw(st.sampled_from(["delete", "insert", "duplicate", "replace"]))
        if kind == "delete":
            text = text[:i] + text[j:]
        elif kind == "duplicate":
            text = text[:j] + text[i:j] + text[j:]
        else:
            token = draw(st.sampled_from(TOKENS) | st.text(max_size=6))
            text = text[:i] + token + (text[i:] if kind == "insert" else text[j:])
    return name, text


def _paths(data, path=()):
    yield path
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _paths(v, path + (k,))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _paths(v, path + (i,))


def _loadable() -> list[str]:
    """The fixtures whose plain data is small (not the alias bomb) and parses (not the syntax error), as JSON text."""
    import itertools

    import yaml

    out = []
    for _, text in TEXTS:
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError:
            continue
        if sum(1 for _ in itertools.islice(_paths(data), 5001)) <= 5000:
            out.append(json.dumps(data))
    return out


@st.composite
def mutated_data(draw) -> tuple[str, str]:
    """(file name, text): a fixture's data with values replaced, written back as JSON or YAML-flow text."""
    import yaml

    data = json.loads(draw(st.sampled_from(DATA)))
    for _ in range(draw(st.integers(1, 3))):
        paths = list(_paths(data))
        path = draw(st.sampled_from(paths))
        value = json.loads(json.dumps(draw(json_values)))  # a fresh copy: a shared object could make a cycle
        if not path:
            data = value
            continue
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = value
    as_json = draw(st.booleans())
    if as_json:
        return "fuzz.spec.json", json.dumps(data, indent=draw(st.sampled_from([None, 1])))
    return "fuzz.spec.yaml", yaml.safe_dump(data, default_flow_style=draw(st.sampled_from([None, True])))


DATA = _loadable()


def raw_text(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")
