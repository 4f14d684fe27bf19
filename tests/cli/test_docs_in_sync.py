"""Generated files stay in sync with their source of truth: the JSON Schema, the code and format references."""

from __future__ import annotations

import json

from specbridge.diagnostics.codes import REGISTRY
from specbridge.report.codes import markdown
from specbridge.spec.catalog import BY_TYPE_NAME
from specbridge.spec.reference import refresh
from specbridge.spec.schema import SCHEMA_DIALECT, SCHEMA_ID, schema_text


def test_committed_schema_is_current(project_root, update_golden):
    path = project_root / "schemas" / "specbridge.schema.json"
    if update_golden:
        path.write_text(schema_text(), encoding="utf-8")
    assert path.read_text(encoding="utf-8") == schema_text(), (
        "schemas/specbridge.schema.json is stale: run `specbridge schema -o schemas/specbridge.schema.json`"
    )


def test_schema_is_stable_and_labelled():
    assert schema_text() == schema_text()
    schema = json.loads(schema_text())
    assert schema["$schema"] == SCHEMA_DIALECT and schema["$id"] == SCHEMA_ID and schema["title"]
    assert list(schema) == sorted(schema)
    assert set(schema["required"]) >= {"specbridge", "name", "layers"}


def test_schema_lets_editors_complete_every_layer_type():
    mapping = json.loads(schema_text())["properties"]["layers"]["items"]["discriminator"]["mapping"]
    assert set(mapping) == set(BY_TYPE_NAME)  # canonical names and aliases


def test_schema_command_prints_and_writes_the_schema(run, tmp_path):
    printed = run("schema")
    assert printed.exit_code == 0 and printed.stdout == schema_text()
    target = tmp_path / "out.json"
    written = run("schema", "-o", str(target))
    assert written.exit_code == 0 and written.stdout == ""
    assert target.read_text(encoding="utf-8") == schema_text()
    unwritable = run("schema", "-o", str(tmp_path / "missing-dir" / "x.json"))
    assert unwritable.exit_code == 2 and unwritable.stderr.startswith("specbridge: error: cannot write")


def test_codes_reference_is_current(project_root, update_golden):
    path = project_root / "docs" / "codes.md"
    if update_golden:
        path.write_text(markdown(), encoding="utf-8")
    assert path.read_text(encoding="utf-8") == markdown(), (
        "docs/codes.md is stale: run `specbridge codes --format markdown > docs/codes.md`"
    )


def test_format_reference_is_current(project_root, update_golden):
    """docs/format.md's generated blocks (keys, layer types, arguments) match the classes and the schema."""
    path = project_root / "docs" / "format.md"
    text = refresh(path.read_text(encoding="utf-8"))
    if update_golden:
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text, (
        "docs/format.md is stale: run `pytest tests/cli/test_docs_in_sync.py --update-golden`"
    )


def test_codes_reference_lists_every_code(project_root):
    text = markdown()
    for code in REGISTRY.values():
        assert f"| `{code.code}` | `{code.name}` | {code.severity.value} |" in text


def test_codes_command(run):
    listing = run("codes")
    assert listing.exit_code == 0
    assert len(listing.stdout.splitlines()) == len(REGISTRY)
    one = run("codes", "SB201")
    assert one.stdout == f"SB201 nonpositive-size (error): {REGISTRY['SB201'].summary}\n"
    by_name = run("codes", "-f", "json", "unused-layer")
    assert json.loads(by_name.stdout)["code"] == "SB103"
    unknown = run("codes", "nonpositive-sise")
    assert unknown.exit_code == 2 and "did you mean 'nonpositive-size'" in unknown.stderr
    assert run("codes", "-f", "markdown").stdout == markdown()
