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


class InputShapeAction(argparse.Action):
    """--input-shape [MODEL=]SHAPE, repeatable: collects an InputShapes (pycode/inputs.py); a bad value, or a second
    one for the same model, is a usage error (exit 2) that says what is wrong."""

    def __call__(self, parser, namespace, value, option_string=None):
        from ..pycode.inputs import InputError, InputShapes, parse_option

        shapes = getattr(namespace, self.dest, None) or InputShapes()
        try:
            shapes.add(*parse_option(value))
        except InputError as exc:
            parser.error(f"argument {option_string}: {exc}")
        setattr(namespace, self.dest, shapes)


def add_input_shape(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input-shape", action=InputShapeAction, metavar="[MODEL=]SHAPE",
                        help="for PyTorch code: the input without the batch axis, e.g. 1,28,28, for every model whose "
                             "code states none; MODEL=1,28,28 for that model only (repeatable); several inputs and "
                             "dtypes as in the comment: \"(16,) int64, (16,) int64\"")


def check_input_names(input_shapes, checks: list) -> None:
    """Exit 2 when --input-shape names a model that none of the files read (CodeChecks) has."""
    from .exit_codes import fail

    if input_shapes is None or not input_shapes.named:
        return
    matched = set().union(*(c.matched_inputs for c in checks)) if checks else set()
    models = [m for c in checks for m in c.models]
    for name in input_shapes.named:
        if name in matched:
            continue
        if any(name in (m.name, *m.aliases) for m in models if m.framework == "keras"):
            fail(f"--input-shape {name}=...: {name!r} is a Keras model, whose code states its input itself "
                 "(keras.Input, input_shape=)")
        known = ", ".join(m.name + (f" (class {m.class_name})" if m.class_name and m.class_name != m.name else "")
                          for m in models if m.framework == "torch") or "none found"
        fail(f"--input-shape {name}=...: no PyTorch model named {name!r} (PyTorch models: {known})")


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", dest="model_name", metavar="NAME", help="for a .py file that defines several models: which one")
    add_input_shape(parser)


def read(path: str, input_shape=None):
    """(CodeCheck, text) of one .py file (`input_shape`: --input-shape's InputShapes, or None); an unreadable file
    stops with exit 2."""
    from ..pycode import read_python
    from . import files

    text = files.read_or_fail(path)
    return read_python(text, files.display_name(path), input_shape), text


def spec_of(path: str, model: Optional[str], input_shape, json_output: bool):
    """(spec text, spec dict, CodeCheck, code text) of the chosen model; exits 1 with diagnostics when it has
    none, 2 when the model name is not in the file."""
    from ..importer.write import spec_text
    from .exit_codes import FAILED, Exit, fail
    from .reporting import write_diagnostics

    result, text = read(path, input_shape)
    check_input_names(input_shape, [result])
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
