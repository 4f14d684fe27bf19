"""The generated parts of docs/format.md: the spec's keys and every layer type's arguments.

docs/format.md is hand-written prose with generated blocks between markers:

    <!-- BEGIN GENERATED name: ... -->
    ...
    <!-- END GENERATED name -->

`refresh(text)` rewrites every block from the classes and returns the page; a test fails when the committed page
differs (`pytest tests/cli/test_docs_in_sync.py --update-golden` rewrites it). Types, defaults, choices, bounds and
descriptions are read from the published JSON Schema (spec/schema.py), so the page and the schema editors use say
the same thing; the traits (aliases, rank, data_format, weights) and the load-time checks (validator docstrings)
come from the classes themselves. A new argument, type or key appears here without anyone typing it.
"""

from __future__ import annotations

import importlib
import re
import typing
from collections.abc import Callable
from functools import cache
from typing import Annotated, Any, Literal

from pydantic import BeforeValidator

from .base import (
    ACTIVATIONS,
    FUNCTION_ACTIVATIONS,
    KERAS_ACTIVATIONS,
    NEEDS_ARGUMENTS,
    ActivationName,
    Expect,
    Layer,
    _activation_name,
    _lower,
)
from .catalog import FAMILY_ORDER, all_classes, family_classes
from .model import INTEGER_DTYPES, DType, InputSpec, NamedInput
from .schema import json_schema
from .schema_words import anchor, value_text, words

# The validators that lowercase a string before its Literal is checked: those choices are case-insensitive.
LOWERCASING = (_lower, _activation_name)
# Nested models the tables link to instead of spelling out: (singular, plural).
REFS = {
    "Expect": ("[`expect` mapping](#expect-assertions)",) * 2,
    "InputSpec": ("[input mapping](#inputs)",) * 2,
    "NamedInput": ("[named input mapping](#inputs)", "[named input mappings](#inputs)"),
}
# (BEGIN line, name, body, END line): the body is what refresh() rewrites.
_BLOCK = re.compile(r"(<!-- BEGIN GENERATED ([\w-]+)[^>]*-->\n)(.*?)(<!-- END GENERATED \2 -->)", re.DOTALL)
_BEGIN = re.compile(r"<!-- BEGIN GENERATED ([\w-]+)")


class StalePage(ValueError):
    """The page's markers do not match the blocks this module generates (missing, unknown or repeated)."""


def refresh(text: str) -> str:
    """`text` with every generated block rewritten from the current classes."""
    names = _BEGIN.findall(text)
    found = [m.group(2) for m in _BLOCK.finditer(text)]
    problems = [f"block {n!r} has no END marker" for n in names if n not in found]
    problems += [f"unknown block {n!r}" for n in found if n not in BLOCKS]
    problems += [f"block {n!r} appears {found.count(n)} times" for n in dict.fromkeys(found) if found.count(n) > 1]
    problems += [f"missing block {n!r}" for n in BLOCKS if n not in found]
    if problems:
        raise StalePage("docs/format.md: " + "; ".join(problems))
    return _BLOCK.sub(lambda m: m.group(1) + BLOCKS[m.group(2)]() + m.group(4), text)


@cache
def _schema() -> dict:
    return json_schema()


def _defs_by_type() -> dict[str, dict]:
    """Canonical type name -> its definition in the published schema (found through the discriminator)."""
    schema = _schema()
    mapping = schema["properties"]["layers"]["items"]["discriminator"]["mapping"]
    return {name: schema["$defs"][ref.rsplit("/", 1)[-1]] for name, ref in mapping.items()}


def lowercased_choices(annotation: Any) -> frozenset:
    """The Literal choices in an annotation that a lowercasing validator guards (padding, data_format, ...)."""
    found: set = set()
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is Annotated:
        base, *meta = args
        if typing.get_origin(base) is Literal and any(
            isinstance(m, BeforeValidator) and m.func in LOWERCASING for m in meta
        ):
            found.add(typing.get_args(base))
        return frozenset(found | lowercased_choices(base))
    for arg in args:
        found |= lowercased_choices(arg)
    return frozenset(found)


def _field_case(model: type, name: str) -> frozenset:
    field = model.model_fields[name]
    annotation = Annotated[(field.annotation, *field.metadata)] if field.metadata else field.annotation
    return lowercased_choices(annotation)


def _type_text(model: type, name: str, node: dict) -> str:
    return words(node, REFS, any_case=_field_case(model, name))


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _default(node: dict, required: bool) -> str:
    if required:
        return "required"
    return f"`{value_text(node['default'])}`" if "default" in node else ""


def key_table(model: type, schema: dict, *, header: str = "key", notes: dict[str, str] | None = None,
              skip: tuple[str, ...] = ()) -> str:
    """A table of a model's keys: type, default and description, each from the schema `schema` of `model`."""
    notes = notes or {}
    rows = [f"| {header} | type | default | description |", "|---|---|---|---|"]
    required = set(schema.get("required", ()))
    for name, node in schema["properties"].items():
        if name in skip:
            continue
        description = " ".join(t for t in (notes.get(name, ""), node.get("description", "")) if t)
        cells = [f"`{name}`", _type_text(model, name, node), _default(node, name in required), description]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(rows) + "\n"


def _described(schema: dict, what: str) -> dict:
    """The format's own keys must each say what they are: a key added without a description fails here."""
    bare = [k for k, v in schema["properties"].items() if "description" not in v]
    if bare:
        raise ValueError(f"{what}: give {', '.join(bare)} a Field(description=...) (docs/format.md prints it)")
    return schema


def top_level_block() -> str:
    schema = dict(_schema())
    return key_table(_top_level_model(), _described(schema, "the spec's top-level keys"))


def _top_level_model() -> type:
    from .full import Spec

    return Spec


def input_block() -> str:
    schema = _described(_schema()["$defs"]["NamedInput"], "an input's keys")
    only_named = {n: "Only in `inputs:`." for n in NamedInput.model_fields if n not in InputSpec.model_fields}
    return key_table(NamedInput, schema, notes=only_named)


def expect_block() -> str:
    return key_table(Expect, _described(_schema()["$defs"]["Expect"], "expect's keys"))


def layer_fields_block() -> str:
    return key_table(Layer, _described(Layer.model_json_schema(), "the keys every layer accepts"), header="field")


def dtypes_block() -> str:
    rows = ["| dtype | kind |", "|---|---|"]
    for dtype in typing.get_args(DType):
        kind = "integer" if dtype in INTEGER_DTYPES else "boolean" if dtype == "bool" else "floating point"
        rows.append(f"| `{dtype}` | {kind} |")
    return "\n".join(rows) + "\n"


def activations_block() -> str:
    names = ", ".join(f"`{a}`" for a in KERAS_ACTIVATIONS)
    case = " Any case: `ReLU` reads as `relu`." if ACTIVATIONS in lowercased_choices(ActivationName) else ""
    functions = "; ".join(f"`{name}`: `{call}`" for name, call in FUNCTION_ACTIVATIONS.items())
    refused = "; ".join(f"`{name}`: {why}" for name, why in NEEDS_ARGUMENTS.items())
    return (f"{names}.{case}\n\nNames for a Keras function call that Keras has no name for: {functions}.\n\n"
            f"Refused although Keras resolves the name (the function needs arguments): {refused}.\n")


def aliases_block() -> str:
    rows = ["| alias | type |", "|---|---|"]
    pairs = sorted((alias, cls.type_names()[0]) for cls in all_classes() for alias in cls.type_names()[1:])
    rows += [f"| `{alias}` | [{kind}](#{anchor(kind)}) |" for alias, kind in pairs]
    return "\n".join(rows) + "\n"


def layer_types_block() -> str:
    defs = _defs_by_type()
    out = []
    for family in FAMILY_ORDER:
        classes = family_classes(family)
        intro = _first_paragraph(importlib.import_module(f".layers.{family}", __package__).__doc__)
        links = ", ".join(f"[{c.type_names()[0]}](#{anchor(c.type_names()[0])})" for c in classes)
        out.append(f"### Family `{family}`\n\n{intro}\n\n{links}.\n")
        out.extend(layer_section(cls, defs[cls.type_names()[0]]) for cls in classes)
    return "\n".join(out)


def _first_paragraph(doc: str | None) -> str:
    return " ".join((doc or "").strip().split("\n\n")[0].split())


# ---------------------------------------------------------------- one layer type


def layer_section(cls: type[Layer], schema: dict) -> str:
    """A type's heading, its traits, its own arguments (a table) and what the loader checks beyond the schema."""
    kind, *aliases = cls.type_names()
    lines = [f"#### {kind}", "", " · ".join(_traits(cls, aliases)) + "."]
    if schema.get("description"):
        lines += ["", _first_paragraph(schema["description"])]
    own = tuple(n for n in schema["properties"] if n not in Layer.model_fields)
    if own:
        notes = {n: _argument_note(cls, n) for n in own}
        skip = tuple(Layer.model_fields)
        lines += ["", key_table(cls, _required_first(schema), header="argument", notes=notes, skip=skip).rstrip()]
    else:
        lines += ["", "No arguments of its own."]
    checks = load_checks(cls)
    if checks:
        lines += ["", "Checked when the spec is loaded:", ""] + [f"- {c}" for c in checks]
    return "\n".join(lines) + "\n"


def _required_first(schema: dict) -> dict:
    required = set(schema.get("required", ()))
    ordered = sorted(schema["properties"].items(), key=lambda kv: kv[0] not in required)
    return {**schema, "properties": dict(ordered)}


def _traits(cls: type[Layer], aliases: list[str]) -> list[str]:
    traits = [("aliases " if len(aliases) > 1 else "alias ") + ", ".join(f"`{a}`" for a in aliases)] if aliases \
        else []
    if cls.RANK:
        traits.append(f"{cls.RANK} spatial ax{'is' if cls.RANK == 1 else 'es'}")
    if cls.DATA_FORMAT:
        traits.append("reads the spec's `data_format`")
    traits.append(cls.CALL.describe_count() + _call_words(cls))
    weights = ", ".join(f"`{w}`" for w in cls.WEIGHTS) or ("the wrapped layer's" if cls.WRAPS else "none")
    traits.append(f"weights: {weights}")
    if cls.FLOAT_INPUT:
        traits.append("needs a floating-point input")
    traits += [f"takes no `{name}` (Keras's constructor refuses it)" for name in cls.KERAS_REFUSES]
    traits[0] = traits[0][0].upper() + traits[0][1:]
    return traits


def _call_words(cls: type[Layer]) -> str:
    """' (query, value, key), keyword tensor `attention_mask`, outputs `output`, `scores`' for a call beyond one tensor."""
    call = cls.CALL
    if call.variadic or call.count == (1, 1):
        return ""
    words = [", ".join(call.tensors[:call.required]) + "".join(f"[, {t}]" for t in call.tensors[call.required:])]
    words += [f"keyword tensor `{t}`" for t in call.keyword_tensors]
    if len(call.outputs) > 1:
        words.append("outputs " + ", ".join(f"`{o}`" for o in call.outputs))
    return " (" + "; ".join(words) + ")"


def _argument_note(cls: type[Layer], name: str) -> str:
    if name in cls.ASSERTIONS:
        return "Not passed to Keras."
    if name == "data_format":
        return ("null: the spec's `data_format`." if cls.DATA_FORMAT else
                "null: `channels_last` (the spec's `data_format` does not apply to this type).")
    return ""


def load_checks(cls: type[Layer]) -> list[str]:
    """What the class's validators check beyond the schema, each in its docstring's first paragraph."""
    checks = []
    decorators = cls.__pydantic_decorators__
    for name, dec in {**decorators.field_validators, **decorators.model_validators}.items():
        fields = [f for f in getattr(dec.info, "fields", ()) if f in cls.model_fields]
        if fields and set(fields) <= set(cls.KERAS_REFUSES):
            continue  # the traits line says it
        doc = _first_paragraph(getattr(dec.func, "__func__", dec.func).__doc__)
        if not doc:
            raise ValueError(f"{cls.__name__}.{name}: give the validator a docstring (docs/format.md prints it)")
        where = ", ".join(f"`{f}`" for f in fields) if fields else "the layer"
        checks.append(f"{where}: {doc}")
    return checks


BLOCKS: dict[str, Callable[[], str]] = {
    "top-level": top_level_block,
    "input": input_block,
    "dtypes": dtypes_block,
    "layer-fields": layer_fields_block,
    "expect": expect_block,
    "activations": activations_block,
    "aliases": aliases_block,
    "layer-types": layer_types_block,
}
