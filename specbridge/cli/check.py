"""`specbridge check PATH...`: validate specs, infer every shape, report problems."""

from __future__ import annotations

from .options import CHECK_FORMATS, add_format


def check_spec(text: str, name: str):
    """check_text, with an unexpected failure tagged with the file it happened on."""
    from ..check import check_text
    from .exit_codes import InternalError

    try:
        return check_text(text, name)
    except Exception as exc:
        raise InternalError(f"while checking {name}") from exc


def check_code(text: str, name: str, input_shape):
    """read_python, with an unexpected failure tagged with the file it happened on."""
    from ..pycode import read_python
    from .exit_codes import InternalError

    try:
        return read_python(text, name, input_shape)
    except Exception as exc:
        raise InternalError(f"while reading {name}") from exc


def add_arguments(parser) -> None:
    parser.add_argument(
        "paths", nargs="+", metavar="PATH",
        help="spec files, Keras/PyTorch model code (.py), or directories (searched recursively for specs; with "
             "--python for .py model code too); '-' reads stdin",
    )
    add_format(parser, CHECK_FORMATS)
    parser.add_argument("--python", action="store_true",
                        help="in directories, also check .py files that import Keras, TensorFlow or PyTorch")
    from .python import add_input_shape

    add_input_shape(parser)
    parser.add_argument("--strict", action="store_true", help="warnings fail the check too (exit 1)")


def run(args) -> None:
    """Check specs for shape, parameter and schema errors.

    Every problem is reported with its file, line and column, and a hint. A .py file is read as Keras or PyTorch
    model code, statically (never imported or run): the same checks, reported at the Python line.

    Exit status: 0 no errors, 1 errors (or warnings with --strict), 2 usage error or unreadable file.
    """
    paths, format, strict = args.paths, args.format, args.strict
    import sys

    from ..diagnostics.model import Severity
    from . import exit_codes, files
    from .python import is_python
    from .reporting import write_diagnostics

    targets = files.collect(paths, python=args.python)
    diagnostics, sources, unreadable, code = [], {}, [], []
    for path in targets:
        name = files.display_name(path)
        try:
            text = files.read(path)
        except files.ReadProblem as exc:
            unreadable.append(str(exc))
            continue
        sources[name] = text
        if is_python(path):
            code.append(check_code(text, name, args.input_shape))
            diagnostics.extend(code[-1].diagnostics)
        else:
            diagnostics.extend(check_spec(text, name).diagnostics)
    if code:
        from .python import check_input_names

        check_input_names(args.input_shape, code)  # --input-shape NAME=... for a model no file has: exit 2

    noun = "file" if any(is_python(path) for path in targets) else "spec"
    write_diagnostics(diagnostics, sources, format, files_checked=len(sources), strict=strict, noun=noun)

    for problem in unreadable:
        print(exit_codes.error_line(problem), file=sys.stderr)
    from ..diagnostics.codes import refused

    if unreadable or refused(diagnostics):  # unreadable, or over a limit (SB004): not a verdict on the spec
        raise exit_codes.Exit(exit_codes.USAGE)
    failing = (Severity.ERROR, Severity.WARNING) if strict else (Severity.ERROR,)
    if any(d.severity in failing for d in diagnostics):
        raise exit_codes.Exit(exit_codes.FAILED)
