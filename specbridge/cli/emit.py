"""`specbridge emit SPEC --to keras|pytorch [-o FILE]`: write the model as a standalone Python module."""

from __future__ import annotations

from typing import NoReturn

from .options import add_spec

TARGETS = ("keras", "pytorch")
# The extra (specbridge.extras) running the emitted module needs; writing it needs neither.
EXTRA = {"keras": "keras", "pytorch": "torch"}


def add_arguments(parser) -> None:
    add_spec(parser)
    parser.add_argument("-t", "--to", required=True, type=str.lower, choices=TARGETS, help="target framework")
    parser.add_argument("-o", "--output", metavar="FILE", help="write the module to FILE instead of stdout")


def run(args) -> None:
    """Write a spec as a Keras or PyTorch module defining build_model().

    The module imports only its framework (and numpy); writing it needs neither. A spec with errors
    prints its diagnostics and exits 1; so does a layer the target cannot compute exactly (SB400).
    """
    spec, to, output_file = args.spec, args.to, args.output
    from . import files, output
    from .check import check_spec
    from .reporting import stop_on_errors

    text = files.read_or_fail(spec)
    name = files.display_name(spec)
    result = check_spec(text, name)
    stop_on_errors(result, text, json_output=False)

    from ..emit import ModelTooLarge, NotExpressible, keras_source, torch_source
    from .reporting import fail_with

    try:
        code = keras_source(result) if to == "keras" else torch_source(result)
    except NotExpressible as exc:
        _not_expressible(result, text, exc, to)
    except ModelTooLarge as exc:  # SB403, exit 2
        fail_with([exc.diagnostic(result)], text, result.file, json_output=False)
    if output_file is None:
        output.write(code)
    else:
        from .exit_codes import fail

        try:
            files.write_atomic(output_file, code)
        except OSError as exc:
            fail(f"cannot write {output_file}: {exc.strerror or exc}")
    _note_missing_framework(to)


def _not_expressible(result, text: str, exc, to: str) -> NoReturn:
    from .reporting import fail_not_expressible

    target = "Keras" if to == "keras" else "PyTorch"
    fail_not_expressible(
        result, text, exc, f"{target} cannot compute {exc.layer!r} exactly as the spec says: {exc.reason}",
        "change this layer's arguments as the message suggests, or emit for the other framework", json_output=False,
    )


def _note_missing_framework(to: str) -> None:
    import sys

    from .. import extras

    for extra in extras.missing(EXTRA[to]):
        print(
            f"specbridge: note: running this module needs {extra.framework}, which is not installed: "
            f"{extras.install_hint(extra.name)}",
            file=sys.stderr,
        )
