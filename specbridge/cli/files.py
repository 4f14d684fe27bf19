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
import tempfile
from pathlib import Path

from .exit_codes import fail

SPEC_SUFFIXES = (".spec.yaml", ".spec.yml", ".spec.json")
DATA_SUFFIXES = (".yaml", ".yml", ".json")
SKIPPED_DIRS = ("__pycache__", "node_modules", "site-packages")
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
        if path.stat().st_size > _max_bytes():
            return False  # too large to be a spec: not opened (a file named on the command line is refused instead)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if name.endswith(".json"):
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            return False
        return isinstance(data, dict) and "specbridge" in data
    return _YAML_MARKER.search(text) is not None


def walk(directory: Path, python: bool = False) -> list[Path]:
    """Specs under `directory`; with `python`, also .py files that import a framework (cli/python.py)."""
    from .python import is_python, looks_like_model_code

    found = []
    for root, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIPPED_DIRS)
        for path in (Path(root) / n for n in sorted(names)):
            if looks_like_spec(path) or (python and is_python(path.name) and looks_like_model_code(path)):
                found.append(path)
    return found


def collect(paths: list[str], python: bool = False) -> list[str]:
    """Expand directories; a path that does not exist is a usage error (exit 2)."""
    out: list[str] = []
    for raw in paths:
        if raw == STDIN:
            out.append(STDIN)
            continue
        path = Path(raw)
        if path.is_dir():
            specs = walk(path, python)
            if not specs:
                also = " and, with --python, .py files importing Keras, TensorFlow or PyTorch" if python else ""
                fail(
                    f"no spec files found in directory '{raw}' (looked for *.spec.yaml, *.spec.yml, "
                    f"*.spec.json and YAML/JSON files with a top-level `specbridge:` key{also})"
                )
            out.extend(str(p) for p in specs)
        elif path.exists():
            out.append(raw)
        else:
            fail(f"no such file or directory: '{raw}'")
    return list(dict.fromkeys(out))  # a file named twice is checked once


def _max_bytes() -> int:
    from ..spec.limits import InputRefused, Limits

    try:
        return Limits.from_env().max_bytes
    except InputRefused as exc:
        raise ReadProblem(exc.message) from None


def _read_bounded(path: str) -> str:
    """Read at most the byte limit (SPECBRIDGE_MAX_BYTES): a larger input is refused before it fills memory."""
    limit = _max_bytes()
    if path == STDIN:
        stream = sys.stdin.buffer if hasattr(sys.stdin, "buffer") else None
        data = stream.read(limit + 1) if stream is not None else sys.stdin.read(limit + 1)
    else:
        with open(path, "rb") as f:
            data = f.read(limit + 1)
    size = len(data.encode("utf-8") if isinstance(data, str) else data)
    if size > limit:
        raise ReadProblem(f"cannot read '{path}': larger than the limit of {limit:,} bytes (SPECBRIDGE_MAX_BYTES)")
    if isinstance(data, bytes) and path.lower().endswith(".py"):
        return _python_text(data)
    return data if isinstance(data, str) else data.decode("utf-8")


def _python_text(data: bytes) -> str:
    """A .py file decoded as Python decodes it: its coding cookie (PEP 263), else UTF-8, a BOM dropped."""
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:
        encoding = "utf-8"
    try:
        return data.decode(encoding)
    except LookupError:
        return data.decode("utf-8")


def read(path: str) -> str:
    """The text of a spec (or of stdin for '-'). Raises ReadProblem with a one-line reason."""
    try:
        text = _read_bounded(path)
        if "\r" in text:  # universal newlines, as read_text gives them
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text
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


def write_atomic(path: str | os.PathLike, text: str | bytes, encoding: str = "utf-8") -> None:
    """Write `text` to `path` so that a reader (or an interrupted run) sees the old file or the new one, never half.

    The text goes to a temporary file in the same directory (same file system), is flushed to disk, gets the old
    file's permissions (or the usual ones for a new file), and replaces the target with os.replace. On any
    failure, KeyboardInterrupt included, the temporary file is removed and the target is untouched. Bytes are
    written as they are (an ONNX file).
    """
    target = Path(os.path.realpath(path))  # through a symlink, as a plain write would
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        binary = isinstance(text, bytes)
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else encoding) as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _mode_for(target: Path) -> int:
    try:
        return target.stat().st_mode & 0o7777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
