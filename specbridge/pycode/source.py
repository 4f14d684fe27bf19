"""A Python file as specbridge reads it: the syntax tree, its comments, and what each imported name stands for.

Names are resolved to one canonical spelling per framework object, whatever the import: `tf.keras.layers.Conv2D`,
`from tensorflow.keras.layers import Conv2D`, `from keras import layers as L; L.Conv2D` all become
"keras.layers.Conv2D"; `nn.Conv2d` with `import torch.nn as nn` or `from torch import nn` becomes
"torch.nn.Conv2d". The code is parsed, never imported or executed.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from dataclasses import dataclass, field
from typing import Optional

# Module prefixes that are one and the same Keras (longest first): Keras 3, tf.keras, Keras 2's submodules.
_KERAS_PREFIXES = (
    "tensorflow.python.keras", "tensorflow.keras", "tf.keras", "keras.src", "tf_keras", "keras",
)
# Keras modules whose members are layers, whatever the submodule (keras.layers.convolutional.Conv2D).
_KERAS_LAYER_MODULES = ("keras.layers",)
_KERAS_MODEL_MODULES = ("keras.models", "keras.engine.sequential", "keras.engine.training", "keras.engine.functional",
                        "keras.engine.input_layer", "keras.models.sequential", "keras.models.model")
_TORCH_MODULES = ("torch.nn.modules", "torch.nn.functional", "torch.nn")


def canonical(name: str) -> str:
    """One spelling per framework object: 'tensorflow.keras.layers.convolutional.Conv2D' -> 'keras.layers.Conv2D'."""
    for prefix in _KERAS_PREFIXES:
        if name == prefix or name.startswith(prefix + "."):
            name = "keras" + name[len(prefix):]
            break
    for module in _KERAS_LAYER_MODULES:
        if name.startswith(module + "."):
            return module + "." + name.rsplit(".", 1)[-1]
    for module in _KERAS_MODEL_MODULES:
        if name.startswith(module + "."):
            return "keras." + name.rsplit(".", 1)[-1]
    if name.startswith("torch.nn.modules."):
        return "torch.nn." + name.rsplit(".", 1)[-1]
    if name.startswith("torch.nn.functional."):
        return "torch.nn.functional." + name.rsplit(".", 1)[-1]
    return name


@dataclass
class Source:
    text: str
    file: Optional[str]
    tree: ast.Module
    lines: list[str]
    comments: dict[int, str] = field(default_factory=dict)  # line -> the comment's text, '#' stripped
    imports: dict[str, str] = field(default_factory=dict)  # local name -> dotted module path or object
    stars: list[str] = field(default_factory=list)  # modules imported with `from M import *`
    _segments: dict = field(default_factory=dict, repr=False)

    def segment(self, node: ast.AST, limit: int = 60) -> str:
        """The expression's source, on one line, shortened to `limit` characters (for messages)."""
        if node is None:
            return ""
        key = (id(node), limit)
        text = self._segments.get(key)
        if text is None:
            text = " ".join(self._source_of(node).split())
            text = text if len(text) <= limit else text[: limit - 3] + "..."
            self._segments[key] = text
        return text

    def _source_of(self, node: ast.AST) -> str:
        """ast.get_source_segment without re-splitting the whole file on every call (offsets are UTF-8 bytes)."""
        start, end = getattr(node, "lineno", None), getattr(node, "end_lineno", None)
        if start is None or end is None or end - start > 20 or end > len(self.lines):
            return ast.unparse(node) if start is None or end is None or end - start <= 20 else "..."
        rows = [row.encode("utf-8") for row in self.lines[start - 1:end]]
        if len(rows) == 1:
            return rows[0][node.col_offset:node.end_col_offset].decode("utf-8", "replace")
        rows[0], rows[-1] = rows[0][node.col_offset:], rows[-1][:node.end_col_offset]
        return b"\n".join(rows).decode("utf-8", "replace")

    def qualname(self, node: ast.AST) -> Optional[str]:
        """The canonical dotted name an expression refers to through the file's imports, or None."""
        parts: list[str] = []
        while isinstance(node, ast.Attribute):
            parts.append(node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in self.imports:
            return None
        parts.append(self.imports[node.id])
        return canonical(".".join(reversed(parts)))


SPECBRIDGE_COMMENT = re.compile(r"^\s*specbridge\s*:\s*input\s*(.*)$", re.IGNORECASE)


def parse(text: str, file: Optional[str] = None) -> Source:
    """Raises SyntaxError (with lineno) for a file that is not Python."""
    tree = ast.parse(text, filename=file or "<string>")
    source = Source(text, file, tree, text.splitlines(), _comments(text))
    source.imports = _imports(tree)
    source.stars = [canonical(n.module) for n in ast.walk(tree)
                    if isinstance(n, ast.ImportFrom) and n.module and not n.level and any(a.name == "*" for a in n.names)]
    return source


def _comments(text: str) -> dict[int, str]:
    out: dict[int, str] = {}
    try:
        for tok in tokenize.generate_tokens(io.StringIO(text).readline):
            if tok.type == tokenize.COMMENT:
                out[tok.start[0]] = tok.string.lstrip("#").strip()
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass
    return out


def _imports(tree: ast.Module) -> dict[str, str]:
    """Every import in the file (module level or inside functions): local name -> what it names."""
    table: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    table[alias.asname] = alias.name
                else:
                    top = alias.name.split(".")[0]
                    table[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for alias in node.names:
                if alias.name != "*":
                    table[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return table


def star_name(source: Source, name: str) -> Optional[str]:
    """The framework object a bare name stands for through `from keras.layers import *` / `from torch.nn import *`,
    when it is one the reader knows (a star import of another module says nothing certain)."""
    from .signatures import KERAS_FUNCTIONS, KERAS_POSITIONAL, TORCH_POSITIONAL

    if any(not module.startswith(("keras", "torch")) for module in source.stars):
        return None  # `from mylib import *` may define the name too: nothing certain
    for module in reversed(source.stars):  # the last star import that has the name wins, as in Python
        qualname = canonical(f"{module}.{name}")
        if qualname.startswith("keras.layers.") and (name in KERAS_POSITIONAL or name in KERAS_FUNCTIONS
                                                     or name in ("Input", "InputLayer")):
            return qualname
        if qualname in ("keras.Sequential", "keras.Model", "keras.Input"):
            return qualname
        if module == "torch.nn" and (name in TORCH_POSITIONAL or name == "Module"):
            return qualname
    return None


def input_comment(source: Source, line: int) -> Optional[str]:
    """The text after `specbridge: input` in a comment on `line` or on the line just above it."""
    for candidate in (line, line - 1):
        match = SPECBRIDGE_COMMENT.match(source.comments.get(candidate, ""))
        if match:
            return match.group(1).strip()
    return None
