"""Static reading of Keras and PyTorch model code (.py files): find the models, check them, make specs of them.

read_python() parses a file (never imports or runs it), walks its statements with static values (interpret.py),
builds every Keras and PyTorch model it defines with specbridge's shape rules, and returns the models with the
diagnostics, located at the Python line and column. No framework is imported.
"""

from __future__ import annotations

import gc
from dataclasses import dataclass, field
from typing import Any, Optional

from ..diagnostics import codes
from ..diagnostics.model import Diagnostic, Location, Severity
from .models import CodeModel

__all__ = ["CodeCheck", "CodeModel", "read_python"]


@dataclass
class CodeCheck:
    file: Optional[str]
    models: list[CodeModel] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    matched_inputs: set = field(default_factory=set)  # the names of input_shape's models that this file has

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors

    def model(self, name: Optional[str]) -> Optional[CodeModel]:
        if name is None:
            return self.models[0] if len(self.models) == 1 else None
        return next((m for m in self.models if m.name == name), None) or next(
            (m for m in self.models if name in m.aliases), None)


def read_python(text: str, file: Optional[str] = None, input_shape: Any = None) -> CodeCheck:
    """Every model the code defines, checked. `input_shape` is for PyTorch models: a shape without the batch axis
    (for every model whose code states none), a list of inputs.Input, or an inputs.InputShapes (by model name too).
    Never raises for bad input: a syntax error is the diagnostic SB600."""
    from .inputs import InputShapes
    from .source import parse

    input_shape = InputShapes.of(input_shape)

    if text.startswith("\ufeff"):  # a byte order mark: Python reads such a file
        text = text[1:]
    try:
        source = parse(text, file)
    except RecursionError:
        return CodeCheck(file, [], [codes.PY_SYNTAX("too deeply nested for Python's parser", file=file)])
    except (SyntaxError, ValueError) as exc:
        line = getattr(exc, "lineno", 0) or 0
        return CodeCheck(file, [], [codes.PY_SYNTAX(f"not valid Python: {getattr(exc, 'msg', exc)}", file=file,
                                                    location=Location(line, getattr(exc, "offset", 0) or 0))])
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _read(source, input_shape)
    finally:
        if was_enabled:
            gc.enable()


def _read(source, input_shape) -> CodeCheck:
    from .discover import collect_models, run_unexecuted
    from .dispatch import Frameworks
    from .interpret import Budget, Interpreter
    from .trace import Tracer

    tracer = Tracer(source.file)
    frameworks = Frameworks()
    interp = Interpreter(source, tracer, frameworks)
    interp.keras, interp.torch = frameworks.keras, frameworks.torch
    interp.run_module()
    try:
        run_unexecuted(interp, input_shape)
    except Budget:
        pass
    models = collect_models(interp)
    diagnostics = sorted(tracer.diagnostics, key=lambda d: (d.line, d.column, d.code))
    return CodeCheck(source.file, models, diagnostics, set(frameworks.torch.matched_inputs))
