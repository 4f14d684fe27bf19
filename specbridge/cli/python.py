"""Model code in .py files, for check, summary, explain and import: options, reading, choosing a model."""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Optional

PY_SUFFIX = ".py"
# A .py file found in a directory is read when it imports a framework (cheap to test, before parsing).
_FRAMEWORK_IMPORT = re.compile(r"^\s*(?:import|from)\s+(?:tensorflow|keras|tf_keras|torch)\b", re.MULTILINE)


def is_python(path: str) -> bool:
    return path.lower().endswith(PY_SUFFIX)


def looks_like_model_code(path: Path) -> bool:
    try:
        with open(path, encoding="utf-8") as f:
            head = f.read(200_000)
    except (OSError, UnicodeDecodeError):
        return False
    return _FRAMEWORK_IMPORT.search(head) is not None


def shape_argument(text: str) -> tuple:
    """--input-shape 1,28,28 or "(1, 28, 28)": the input without the batch axis."""
    parts = [p for p in re.split(r"[,\sx()\[\]]+", text.strip()) if p]
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes like 1,28,28 (no batch axis), got {text!r}") from None
    if not shape or any(d <= 0 for d in shape):
        raise argparse.ArgumentTypeError(f"expected positive sizes like 1,28,28 (no batch axis), got {text!r}")
    return shape


def add_input_shape(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input-shape", type=shape_argument, metavar="SHAPE",
                        help="for PyTorch code that states no input shape: the input without the batch axis, "
                             "e.g. 1,28,28")


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", dest="model_name", metavar="NAME", help="for a .py file that defines several models: which one")
    add_input_shape(parser)


def read(path: str, input_shape: Optional[tuple] = None):
    """(CodeCheck, text) of one .py file; an unreadable file stops with exit 2."""
    from ..pycode import read_python
    from . import files

    text = files.read_or_fail(path)
    return read_python(text, files.display_name(path), input_shape), text


def spec_of(path: str, model: Optional[str], input_shape: Optional[tuple], json_output: bool):
    """(spec text, spec dict, CodeCheck, code text) of the chosen model; exits 1 with diagnostics when it has
    none, 2 when the model name is not in the file."""
    from ..importer.write import spec_text
    from .exit_codes import FAILED, Exit, fail
    from .reporting import write_diagnostics

    result, text = read(path, input_shape)
    sources = {result.file: text}
    chosen = result.model(model)
    if chosen is None and not result.ok:
        write_diagnostics(result.diagnostics, sources, "json" if json_output else "text")
        raise Exit(FAILED)
    if chosen is None:
        names = ", ".join(m.name for m in result.models) or "none found"
        if model is None and result.models:
            fail(f"{result.file} defines several models ({names}): choose one with --model NAME")
        if model is not None:
            fail(f"no model named '{model}' in {result.file}; models: {names}")
        fail(f"no Keras or PyTorch model found in {result.file} (specbridge reads Sequential models, functional "
             "keras.Model graphs and nn.Module classes)")
    spec, problems = chosen.spec(result.file)
    if spec is None or (not result.ok and len(result.models) == 1):
        write_diagnostics(result.diagnostics + problems, sources, "json" if json_output else "text")
        raise Exit(FAILED)
    return spec_text(spec), spec, result, text
