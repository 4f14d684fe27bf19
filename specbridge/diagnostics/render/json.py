"""Machine-readable diagnostics: the `check --format json` document."""

from __future__ import annotations

import json

from ..model import Diagnostic


def document(diagnostics: list[Diagnostic], files_checked: int, errors: int, warnings: int) -> dict:
    return {
        "diagnostics": [d.to_dict() for d in diagnostics],
        "files_checked": files_checked,
        "errors": errors,
        "warnings": warnings,
    }


def render(diagnostics: list[Diagnostic], files_checked: int, errors: int, warnings: int) -> str:
    return json.dumps(document(diagnostics, files_checked, errors, warnings), indent=2) + "\n"
