"""`specbridge import MODEL [-o SPEC]`: a saved Keras model (.keras, .h5, model JSON) as a spec."""

from __future__ import annotations

from .options import add_format


def add_arguments(parser) -> None:
    parser.add_argument("model", metavar="MODEL", help="a Keras model file: .keras, .h5 (whole model) or "
                        "model.to_json()'s .json; or Keras/PyTorch model code (.py), read statically")
    parser.add_argument("-o", "--output", metavar="SPEC",
                        help="write the spec to SPEC (YAML; JSON when SPEC ends in .json) instead of stdout")
    add_format(parser, ("text", "json"))
    from .python import add_model_options

    add_model_options(parser)


def run(args) -> None:
    """Write the spec of a saved Keras model (.keras, .h5, JSON), read without TensorFlow.

    Layer names, the functional graph and trainable: false are kept; nested models are inlined with their
    names. Training-only settings (initializers, regularizers, constraints) are listed as info diagnostics
    (SB502). A layer a spec cannot represent (a custom class, Lambda, a shared layer) is an error naming it and
    its place in the model (SB500, SB501): every such layer is reported, no spec is written, exit 1. The spec is
    then checked as `check` would; its problems are reported too. Exit status: 0 spec written, 1 the model has
    layers a spec cannot represent (or the spec does not check), 2 unreadable or not a Keras model.

    MODEL may be Keras or PyTorch model code (.py), read without running it (--model NAME when it defines
    several): the spec of the model it builds. PyTorch code gives a channels_first spec with PyTorch's
    semantics; an operation no spec layer computes exactly (ceil_mode, a transposed convolution's padding...) is
    an SB400 error at its line.
    """
    from ..importer import ModelFileError, import_keras
    from .exit_codes import FAILED, Exit, fail

    json_output = args.format == "json"
    from .python import is_python

    if is_python(args.model):
        return _import_code(args, json_output)
    from ..importer.failures import InternalFailure
    from .exit_codes import InternalError

    try:
        imported = import_keras(args.model)
    except ModelFileError as exc:
        fail(str(exc))
    except InternalFailure as exc:  # reported by app.main, the one place for internal errors
        raise InternalError(str(exc)) from exc.__cause__
    diagnostics = [_in_file(d, args.model) for d in imported.diagnostics]
    if not imported.ok:
        _report(diagnostics, json_output, to_stderr=False)
        raise Exit(FAILED)
    syntax = _syntax(args)
    _write_checked(args, imported.text(syntax), f"{imported.name}.spec.{syntax}", diagnostics, {}, json_output)


def _syntax(args) -> str:
    return "json" if (args.output or "").lower().endswith(".json") else "yaml"


def _write_checked(args, text: str, default_name: str, diagnostics: list, sources: dict, json_output: bool) -> None:
    """Check the spec text, write it (to -o, else stdout), report the import's and the check's diagnostics, exit."""
    from ..check import check_text
    from . import files
    from .exit_codes import FAILED, OK, Exit, fail

    spec_name = args.output or default_name
    result = check_text(text, spec_name)
    if args.output is None:
        from . import output

        output.write(text)
    else:
        try:
            files.write_atomic(args.output, text)
        except OSError as exc:
            fail(f"cannot write {args.output}: {exc.strerror or exc}")
    _report(diagnostics + list(result.diagnostics), json_output, to_stderr=args.output is None,
            sources={**sources, spec_name: text})
    raise Exit(OK if result.ok else FAILED)


def _import_code(args, json_output: bool) -> None:
    from ..importer.write import spec_text
    from .python import spec_of

    syntax = _syntax(args)
    _, spec, code, code_text = spec_of(args.model, args.model_name, args.input_shape, json_output)
    _write_checked(args, spec_text(spec, syntax), f"{spec['name']}.spec.{syntax}", code.diagnostics,
                   {code.file: code_text}, json_output)


def _in_file(diagnostic, path: str):
    from dataclasses import replace

    return replace(diagnostic, file=str(path))


def _report(diagnostics: list, json_output: bool, *, to_stderr: bool, sources=None) -> None:
    """Diagnostics on stdout, or on stderr when stdout carries the spec."""
    import sys

    from .reporting import write_diagnostics

    if not diagnostics and not json_output:
        return
    if not to_stderr:
        write_diagnostics(diagnostics, sources, "json" if json_output else "text")
        return
    from contextlib import redirect_stdout

    with redirect_stdout(sys.stderr):
        write_diagnostics(diagnostics, sources, "json" if json_output else "text")
