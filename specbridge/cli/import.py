"""`specbridge import MODEL [-o SPEC]`: a saved Keras model (.keras, .h5, model JSON) as a spec."""

from __future__ import annotations

from .options import add_format


def add_arguments(parser) -> None:
    parser.add_argument("model", metavar="MODEL", help="a Keras model file: .keras, .h5 (whole model) or model.to_json()'s .json")
    parser.add_argument("-o", "--output", metavar="SPEC",
                        help="write the spec to SPEC (YAML; JSON when SPEC ends in .json) instead of stdout")
    add_format(parser, ("text", "json"))


def run(args) -> None:
    """Write the spec of a saved Keras model (.keras, .h5, JSON), read without TensorFlow.

    Layer names, the functional graph and trainable: false are kept; nested models are inlined with their
    names. Training-only settings (initializers, regularizers, constraints) are listed as info diagnostics
    (SB502). A layer a spec cannot represent (a custom class, Lambda, a shared layer) is an error naming it and
    its place in the model (SB500, SB501): every such layer is reported, no spec is written, exit 1. The spec is
    then checked as `check` would; its problems are reported too. Exit status: 0 spec written, 1 the model has
    layers a spec cannot represent (or the spec does not check), 2 unreadable or not a Keras model.
    """
    from ..importer import ModelFileError, import_keras
    from . import files
    from .exit_codes import FAILED, OK, Exit, fail

    json_output = args.format == "json"
    try:
        imported = import_keras(args.model)
    except ModelFileError as exc:
        fail(str(exc))
    diagnostics = [_in_file(d, args.model) for d in imported.diagnostics]
    if not imported.ok:
        _report(diagnostics, json_output, to_stderr=False)
        raise Exit(FAILED)
    syntax = "json" if (args.output or "").lower().endswith(".json") else "yaml"
    text = imported.text(syntax)
    spec_name = args.output or f"{imported.name}.spec.{syntax}"
    from ..check import check_text

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
            sources={spec_name: text})
    raise Exit(OK if result.ok else FAILED)


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
