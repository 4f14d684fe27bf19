"""Which files a command reads, and reading them with one-line errors instead of tracebacks.

A directory is searched recursively for specs: files named *.spec.yaml, *.spec.yml or *.spec.json,
and any other .yaml/.yml/.json file whose top level has a `specbridge:` key. Other files are skipped
silently, and so are hidden directories (.git, .venv, ...), __pycache__ and node_modules. A file
named explicitly on the command line is always checked, whatever its name.
"""

from __future__ import annotations

import json
import os
import re
import sys
from pathlib import Path

from .exit_codes import fail

SPEC_SUFFIXES = (".spec.yaml", ".spec.yml", ".spec.json")
DATA_SUFFIXES = (".yaml", ".yml", ".json")
SKIPPED_DIRS = ("__pycache__", "node_modules")
STDIN = "-"
STDIN_NAME = "<stdin>"

# A top-level `specbridge:` key in block-style YAML starts a line (optionally quoted).
_YAML_MARKER = re.compile(r"""^(?:specbridge|"specbridge"|'specbridge')[ \t]*:""", re.MULTILINE)


def looks_like_spec(path: Path) -> bool:
    """Decide whether a file found in a directory is a spec (never raises)."""
    name = path.name.lower()
    if name.endswith(SPEC_SUFFIXES):
        return True
    if not name.endswith(DATA_SUFFIXES):
        return False
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if name.endswith(".json"):
        try:
            data = json.loads(text)
        except ValueError:
            return False
        return isinstance(data, dict) and "specbridge" in data
    return _YAML_MARKER.search(text) is not None


def walk(directory: Path) -> list[Path]:
    found = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        found.extend(p for p in (Path(root) / n for n in sorted(names)) if looks_like_spec(p))
    return found


def collect(paths: list[str]) -> list[str]:
    """Expand directories; a path that does not exist is a usage error (exit 2)."""
    out: list[str] = []
    for raw in paths:
        if raw == STDIN:
            out.append(STDIN)
            continue
        path = Path(raw)
        if path.is_dir():
            specs = walk(path)
            if not specs:
                fail(
                    f"no spec files found in directory '{raw}' (looked for *.spec.yaml, *.spec.yml, "
                    "*.spec.json and YAML/JSON files with a top-level `specbridge:` key)"
                )
            out.extend(str(p) for p in specs)
        elif path.exists():
            out.append(raw)
        else:
            fail(f"no such file or directory: '{raw}'")
    return list(dict.fromkeys(out))  # a file named twice is checked once


def read(path: str) -> str:
    """The text of a spec (or of stdin for '-'). Raises ReadProblem with a one-line reason."""
    try:
        if path == STDIN:
            return sys.stdin.read()
        return Path(path).read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ReadProblem(f"cannot read '{path}': not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except IsADirectoryError:
        raise ReadProblem(f"cannot read '{path}': it is a directory") from None
    except OSError as exc:
        raise ReadProblem(f"cannot read '{path}': {exc.strerror or exc}") from None


def display_name(path: str) -> str:
    return STDIN_NAME if path == STDIN else path


def read_or_fail(path: str) -> str:
    """For commands that take one spec: an unreadable file stops with exit 2."""
    if path != STDIN and not Path(path).exists():
        fail(f"no such file or directory: '{path}'")
    try:
        return read(path)
    except ReadProblem as exc:
        fail(str(exc))


class ReadProblem(Exception):
    pass
