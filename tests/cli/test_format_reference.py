"""docs/format.md: its examples are real specs, and its generated part follows the classes and the schema.

The page itself is compared with `refresh()` in test_docs_in_sync.py; these tests show that the comparison has
teeth (a stale block, a new argument, a missing marker) and that the sources it reads agree with each other.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import Field
from pydantic_core import to_jsonable_python

from specbridge.check import check_text
from specbridge.spec.base import Layer
from specbridge.spec.catalog import all_classes
from specbridge.spec.layers.core import Dense
from specbridge.spec.loader import load_text
from specbridge.spec.reference import BLOCKS, StalePage, layer_section, refresh
from specbridge.spec.schema import json_schema

PAGE = Path(__file__).resolve().parents[2] / "docs" / "format.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.DOTALL | re.MULTILINE)


def _examples() -> list[tuple[str, int, str]]:
    text = PAGE.read_text(encoding="utf-8")
    return [(m.group(1), text.count("\n", 0, m.start()) + 1, m.group(2)) for m in FENCE.finditer(text)]


EXAMPLES = _examples()


def test_the_page_has_its_examples_and_nothing_else_in_code_blocks():
    assert sum(1 for lang, _, _ in EXAMPLES if lang == "yaml") >= 10
    assert any(lang == "json" for lang, _, _ in EXAMPLES)
    # Every block is run below: a block in another language (or none) would escape the test.
    assert {lang for lang, _, _ in EXAMPLES} == {"yaml", "json"}


@pytest.mark.parametrize(("lang", "line", "text"), EXAMPLES, ids=[f"{lang}-line{line}" for lang, line, _ in EXAMPLES])
def test_every_example_validates_and_checks_clean(lang, line, text):
    name = f"example.spec.{lang}"
    doc = load_text(text, name)
    assert doc.valid, [(d.code, d.message) for d in doc.diagnostics]
    found = check_text(text, name).diagnostics
    assert not found, f"docs/format.md line {line}: " + "; ".join(f"{d.code} {d.message}" for d in found)


def test_a_stale_block_is_rewritten():
    current = PAGE.read_text(encoding="utf-8")
    row = next(line for line in current.splitlines() if line.startswith("| `units` | integer > 0 | required"))
    stale = current.replace(row + "\n", "", 1).replace("`channels_last` | Where", "`channels_first` | Where", 1)
    assert stale != current and refresh(stale) == refresh(current)


def test_markers_must_match_the_blocks():
    current = PAGE.read_text(encoding="utf-8")
    without = re.sub(r"<!-- BEGIN GENERATED expect.*?<!-- END GENERATED expect -->\n", "", current, flags=re.DOTALL)
    with pytest.raises(StalePage, match="missing block 'expect'"):
        refresh(without)
    with pytest.raises(StalePage, match="unknown block 'nonsense'"):
        refresh(current + "<!-- BEGIN GENERATED nonsense -->\n<!-- END GENERATED nonsense -->\n")
    with pytest.raises(StalePage, match="'dtypes' has no END marker"):
        refresh(current.replace("<!-- END GENERATED dtypes -->", ""))
    assert set(BLOCKS) >= {"top-level", "input", "expect", "layer-fields", "layer-types"}


class Probe(Dense):
    probe_level: int = Field(7, ge=1, le=9, description="A new argument nobody documented by hand.")


def test_a_new_argument_appears_with_its_type_default_and_description():
    section = layer_section(Probe, Probe.model_json_schema())
    assert "| `probe_level` | integer in [1, 9] | `7` | A new argument nobody documented by hand. |" in section
    assert "| `units` | integer > 0 | required |  |" in section


def _section(text: str, kind: str) -> str:
    start = text.index(f"\n#### {kind}\n")
    end = text.find("\n#### ", start + 1)
    return text[start: end if end != -1 else len(text)]


def test_every_argument_of_every_type_is_on_the_page():
    text = PAGE.read_text(encoding="utf-8")
    for cls in all_classes():
        section = _section(text, cls.type_names()[0])
        for alias in cls.type_names()[1:]:
            assert f"`{alias}`" in section
        for name in cls.model_fields:
            if name not in Layer.model_fields:
                assert f"| `{name}` |" in section, f"{cls.type_names()[0]}.{name} is missing from docs/format.md"


def test_the_schema_the_page_reads_agrees_with_the_classes():
    """Same fields, same required ones, same defaults: the page (from the schema) says what the loader does."""
    schema = json_schema()
    mapping = schema["properties"]["layers"]["items"]["discriminator"]["mapping"]
    common = Layer.model_json_schema()["properties"]
    for cls in all_classes():
        definition = schema["$defs"][mapping[cls.type_names()[0]].rsplit("/", 1)[-1]]
        assert list(definition["properties"]) == list(cls.model_fields)
        assert set(definition.get("required", ())) == {n for n, f in cls.model_fields.items() if f.is_required()}
        for name, field in cls.model_fields.items():
            if not field.is_required():
                assert definition["properties"][name]["default"] == to_jsonable_python(field.default), name
        for name in Layer.model_fields:
            if name != "type":
                assert definition["properties"][name] == common[name], (cls.type_names()[0], name)


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lowercased, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_link_within_the_page_has_its_heading():
    text = PAGE.read_text(encoding="utf-8")
    anchors = [_anchor(h) for h in re.findall(r"^#+ (.+)$", FENCE.sub("", text), flags=re.MULTILINE)]
    assert len(anchors) == len(set(anchors)), "two headings share an anchor: links to the second one break"
    missing = sorted({link for link in re.findall(r"\]\(#([^)]+)\)", text)} - set(anchors))
    assert not missing, missing
