"""How much input the loader accepts: bytes, values after alias expansion, nesting depth, integer size.

A spec is small (a 10,000-layer spec is about 0.5 MB and 100,000 values), so the defaults are generous; what they
stop is hostile or broken input: a YAML alias bomb ("billion laughs") that expands to 10**9 values, a file
nested thousands of levels deep, a multi-gigabyte file. Input over a limit is refused before it is converted
(diagnostic SB004 input-refused; the CLI exits 2).

Each limit is a library parameter (`Limits(...)`, passed to `load_text`, `check_text`, `parse`) and an
environment variable read when no Limits object is given (docs/cli.md, "Limits").
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Optional

# Integers in a spec (sizes, counts, axes, padding) are at most int32's maximum, as framework shape arguments
# are; `expect` parameter counts and inferred sizes may reach int64's.
MAX_INT = 2**31 - 1
MAX_INT64 = 2**63 - 1
# Keys under which an integer may exceed MAX_INT (still at most MAX_INT64): parameter-count assertions.
LARGE_INT_KEYS = ("params", "trainable_params", "non_trainable_params")

ENV_VARS = {
    "max_bytes": "SPECBRIDGE_MAX_BYTES",
    "max_nodes": "SPECBRIDGE_MAX_NODES",
    "max_depth": "SPECBRIDGE_MAX_DEPTH",
}
# _convert recurses once per level (two frames with a comprehension): a hard ceiling far below Python's limit.
DEPTH_CEILING = 300


@dataclass(frozen=True)
class Limits:
    """Input limits. max_nodes counts every value (keys, scalars, lists, mappings) after alias expansion."""

    max_bytes: int = 16 * 1024 * 1024
    max_nodes: int = 1_000_000
    max_depth: int = 100

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Limits.{f.name} must be a positive integer, got {value!r}")
        if self.max_depth > DEPTH_CEILING:
            raise ValueError(f"Limits.max_depth must be at most {DEPTH_CEILING}, got {self.max_depth}")

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> Limits:
        """The defaults, overridden by SPECBRIDGE_MAX_BYTES / _NODES / _DEPTH. Raises InputRefused on a bad value."""
        environ = os.environ if environ is None else environ
        values = {}
        for name, var in ENV_VARS.items():
            raw = environ.get(var)
            if raw is None or raw.strip() == "":
                continue
            try:
                values[name] = int(raw.strip().replace("_", ""))
                cls(**{name: values[name]})
            except ValueError:
                ceiling = f" (at most {DEPTH_CEILING})" if name == "max_depth" else ""
                raise InputRefused(f"{var} must be a positive integer{ceiling}, got {raw!r}", 1, 1, var) from None
        return cls(**values)


def resolve(limits: Optional[Limits]) -> Limits:
    return Limits.from_env() if limits is None else limits


class InputRefused(Exception):
    """The input is over a limit (or a limit is misconfigured): it is refused, not parsed.

    `setting` names the environment variable that raises the limit, when there is one.
    """

    def __init__(self, message: str, line: int = 1, column: int = 1, setting: Optional[str] = None):
        super().__init__(message)
        self.message, self.line, self.column, self.setting = message, line, column, setting


def byte_size(text: str) -> int:
    """UTF-8 size of `text` without encoding it when that cannot matter (pure ASCII fast path)."""
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def check_bytes(size: int, limits: Limits) -> None:
    if size > limits.max_bytes:
        raise InputRefused(
            f"the input is {size:,} bytes, over the limit of {limits.max_bytes:,} bytes", 1, 1, ENV_VARS["max_bytes"],
        )
