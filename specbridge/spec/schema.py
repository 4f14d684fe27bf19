"""The published JSON Schema of a spec, generated from the pydantic models (one source of truth).

Editors use it through yaml-language-server (see docs/editor-setup.md) for completion and validation.
The output is stable: keys sorted, two-space indent, so schemas/specbridge.schema.json diffs cleanly
and a test can assert that the committed file is current.
"""

from __future__ import annotations

import json

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
# A name, not a download location: the file ships in schemas/ and editors point at it by path or URL.
SCHEMA_ID = "urn:specbridge:spec:1"
TITLE = "specbridge model spec"


def json_schema() -> dict:
    """The schema as a dict, with $schema, $id and title set."""
    from .model import Spec

    schema = Spec.model_json_schema()
    schema["$schema"] = SCHEMA_DIALECT
    schema["$id"] = SCHEMA_ID
    schema["title"] = TITLE
    return schema


def schema_text() -> str:
    """The schema as the exact text of schemas/specbridge.schema.json."""
    return json.dumps(json_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
