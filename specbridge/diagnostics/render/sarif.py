"""SARIF 2.1.0, the format code-scanning tools (GitHub code scanning, IDEs) read.

Every registered code is published as a rule, so a result's ruleIndex is stable across runs.
"""

from __future__ import annotations

import json

from ..codes import REGISTRY
from ..model import Diagnostic, Severity

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def rules() -> list[dict]:
    return [
        {
            "id": code.code,
            "name": code.name,
            "shortDescription": {"text": code.summary},
            "defaultConfiguration": {"level": LEVEL[code.severity]},
        }
        for code in sorted(REGISTRY.values(), key=lambda c: c.code)
    ]


def result(d: Diagnostic, rule_index: dict[str, int]) -> dict:
    text = d.message + (f"\nhint: {d.hint}" if d.hint else "")
    out: dict = {"ruleId": d.code}
    if d.code in rule_index:
        out["ruleIndex"] = rule_index[d.code]
    out["level"] = LEVEL[d.severity]
    out["message"] = {"text": text}
    physical: dict = {"artifactLocation": {"uri": (d.file or "").replace("\\", "/")}}
    if d.line:
        physical["region"] = {"startLine": d.line, **({"startColumn": d.column} if d.column else {})}
    out["locations"] = [{"physicalLocation": physical}]
    if d.layer:
        out["properties"] = {"layer": d.layer}
    return out


def document(diagnostics: list[Diagnostic], version: str) -> dict:
    rule_list = rules()
    rule_index = {r["id"]: i for i, r in enumerate(rule_list)}
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "specbridge", "version": version, "rules": rule_list}},
                "results": [result(d, rule_index) for d in diagnostics],
            }
        ],
    }


def render(diagnostics: list[Diagnostic], version: str) -> str:
    return json.dumps(document(diagnostics, version), indent=2) + "\n"
