"""A JSON Schema fragment in words ("integer > 0 or list of integers > 0"), for docs/format.md.

The format reference reads each argument's type from the published schema (spec/schema.py) rather than from the
annotations, so that the page and the schema editors use cannot disagree: whatever pydantic publishes (types,
Literal choices, bounds, list lengths, defaults) is what the page says.
"""

from __future__ import annotations

import json
import re
from typing import Any

from .base import ACTIVATIONS

_NOUNS = {"integer": ("integer", "integers"), "number": ("number", "numbers"), "string": ("string", "strings"),
          "boolean": ("true or false", "booleans"), "null": ("null", "nulls")}


class UnknownSchema(ValueError):
    """A schema construct the words do not cover yet: extend schema_words rather than print it wrongly."""


def words(node: dict, refs: dict[str, tuple[str, str]], *, any_case: frozenset = frozenset(),
          plural: bool = False) -> str:
    """The type a schema node accepts. `refs` names the linked nested models (a $ref's last part -> (singular,
    plural) words);
    `any_case` holds the Literal choices the loader lowercases first (their enum reads "(any case)")."""
    if "anyOf" in node:
        parts = [words(p, refs, any_case=any_case, plural=plural) for p in node["anyOf"]]
        return " or ".join(dict.fromkeys(parts))
    if "discriminator" in node:
        return _layer_union(node, plural)
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name not in refs:
            raise UnknownSchema(f"no words for a reference to {name!r}: add it to the reference's links")
        return refs[name][1 if plural else 0]
    if "enum" in node:
        return _choices(node["enum"], any_case)
    if "const" in node:
        return f"`{value_text(node['const'])}`"
    kind = node.get("type")
    if kind == "array":
        return _array(node, refs, any_case, plural)
    if kind in _NOUNS:
        return _bounded(node, _NOUNS[kind][1 if plural else 0])
    raise UnknownSchema(f"no words for the schema {json.dumps(node, sort_keys=True)}")


def _choices(values: list, any_case: frozenset) -> str:
    if tuple(values) == ACTIVATIONS:
        return "[activation name](#activations)"
    text = "one of " + ", ".join(f"`{value_text(v)}`" for v in values)
    return text + " (any case)" if tuple(values) in any_case else text


def _layer_union(node: dict, plural: bool) -> str:
    """A discriminated union of layer types: TimeDistributed's `layer` (any type), Bidirectional's (three)."""
    names = sorted({ref.rsplit("/", 1)[-1] for ref in node["discriminator"]["mapping"].values()})
    if len(node.get("oneOf", ())) != len(names):
        raise UnknownSchema("a discriminated union whose mapping does not list every member")
    what = "layer mappings" if plural else "layer mapping"
    if len(names) > 12:
        return f"{what} (any [layer type](#layer-types))"
    types = sorted(node["discriminator"]["mapping"])
    return f"{what} ({', '.join(f'[{t}](#{anchor(t)})' for t in types)})"


def anchor(heading: str) -> str:
    """The link anchor of a heading, as GitHub makes it: lowercased, punctuation dropped (ops.add -> opsadd)."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def _array(node: dict, refs: dict[str, tuple[str, str]], any_case: frozenset, plural: bool) -> str:
    items = node.get("items")
    inner = words(items, refs, any_case=any_case, plural=True) if items is not None else "values"
    if items is not None and ("anyOf" in items or "enum" in items):
        inner = f"({inner})"
    low, high = node.get("minItems"), node.get("maxItems")
    if low == 1 and high is None:
        return f"{'non-empty lists' if plural else 'non-empty list'} of {inner}"
    if low is not None and low == high:
        count = f"{low} "
    elif low is not None or high is not None:
        count = " and ".join(t for t in (f"at least {low}" if low else "", f"at most {high}" if high else "") if t)
        count += " "
    else:
        count = ""
    return f"{'lists' if plural else 'list'} of {count}{inner}"


def _bounded(node: dict, noun: str) -> str:
    """'integer > 0', 'number in [0.0, 1.0]': the bounds pydantic publishes (PositiveInt, confloat, ...)."""
    low = _bound(node, "minimum", "[", "exclusiveMinimum", "(")
    high = _bound(node, "maximum", "]", "exclusiveMaximum", ")")
    if low and high:
        return f"{noun} in {low[0]}{low[1]}, {high[1]}{high[0]}"
    if low:
        return f"{noun} {'>=' if low[0] == '[' else '>'} {low[1]}"
    if high:
        return f"{noun} {'<=' if high[0] == ']' else '<'} {high[1]}"
    return noun


def _bound(node: dict, inclusive: str, closed: str, exclusive: str, opened: str):
    if inclusive in node:
        return closed, value_text(node[inclusive])
    if exclusive in node:
        return opened, value_text(node[exclusive])
    return None


def value_text(value: Any) -> str:
    """A value as a spec writes it: null, true, 0.001, [1, 1], a string unquoted."""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return repr(value)
    return json.dumps(value, separators=(", ", ": "))
