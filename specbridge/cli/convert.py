"""`specbridge convert MODEL --to pytorch|onnx|keras -o OUT`: a trained Keras model, converted with its weights and
verified against the original."""

from __future__ import annotations

from typing import NoReturn

from .options import add_format, add_layout, add_verbose, at_least, chosen_layout

TARGETS = ("pytorch", "onnx", "keras")
EXTRAS = {"pytorch": ("keras", "torch"), "onnx": ("keras", "onnx"), "keras": ("keras",)}


def add_arguments(parser) -> None:
    parser.add_argument("model", metavar="MODEL", help="a Keras model file: .keras, .h5 (whole model) or a model .json")
    parser.add_argument("-t", "--to", required=True, type=str.lower, choices=TARGETS, help="target")
    parser.add_argument("-o", "--output", required=True, metavar="OUT",
                        help="pytorch/keras: the module to write (.py); onnx: the .onnx file")
    parser.add_argument("--weights", metavar="W", help="the trained weights, for a model .json (or to replace the file's)")
    parser.add_argument("--state-dict", metavar="PT", help="pytorch: where to write the state_dict (default: OUT with .pt)")
    parser.add_argument("--no-verify", action="store_true", help="skip running the original and the converted model")
    parser.add_argument("--samples", type=at_least(1), default=4, metavar="N", help="verification batch size (default 4)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the verification inputs (default 0)")
    add_layout(parser)
    add_format(parser, ("text", "json"))
    add_verbose(parser)


def run(args) -> None:
    """Convert a trained Keras model to PyTorch, ONNX or Keras 3, and verify the result.

    Imports the architecture as `import` does, writes the target (pytorch: module + state_dict .pt; onnx: a model
    with the weights as initializers; keras: standalone Keras 3 source + .weights.h5, e.g. to bring a Keras 2
    model to Keras 3), copies the trained weights, then runs the original model (loaded by Keras with its
    weights; a Keras 2 file by tf_keras when Keras 3 cannot load it) and the converted one on the same random
    inputs and compares every layer (those inside nested models included) with the cross-check's tolerances.
    Nothing in the file runs: a Lambda, a custom class or a non-Keras module in it is refused (SB500) before
    Keras sees the file. Exit status: 0 converted and verified, 1 the outputs differ, the model has layers a spec
    cannot represent (or code), or the target cannot express a layer, 2 unreadable input or a framework not
    installed, 3 a bug in specbridge (the message names the stage and the layer).
    """
    from .. import extras
    from ..emit import MissingExtra, NotExpressible, SpecHasErrors
    from ..importer import ModelFileError
    from ..importer.convert import NotImportable, convert
    from ..importer.failures import InternalFailure
    from ..importer.original import OriginalNotLoadable
    from .exit_codes import FAILED, OK, Exit, InternalError, fail

    json_output = args.format == "json"
    missing = extras.missing_modules(*EXTRAS[args.to])
    if missing:
        fail(f"convert --to {args.to} needs {', '.join(missing)}: {extras.install_hint(*EXTRAS[args.to])}")
    extras.quiet_tensorflow(force=True, verbose=args.verbose)
    try:
        converted = convert(args.model, args.to, args.output, weights=args.weights, verify=not args.no_verify,
                            samples=args.samples, seed=args.seed, state_dict=args.state_dict,
                            layout=chosen_layout(args.to, args.layout))
    except ModelFileError as exc:
        fail(str(exc))
    except (OriginalNotLoadable, MissingExtra) as exc:
        fail(str(exc))
    except NotImportable as exc:
        _not_importable(exc.imported, args.model, json_output)
    except SpecHasErrors as exc:
        _spec_errors(exc.result, json_output)
    except NotExpressible as exc:
        fail_layer(exc, args.to, json_output)
    except OSError as exc:
        fail(f"cannot write {args.output}: {exc.strerror or exc}")
    except InternalFailure as exc:  # reported by app.main, the one place for internal errors
        raise InternalError(str(exc)) from exc.__cause__
    _write(converted, args, json_output)
    raise Exit(OK if converted.report is None or converted.report.ok else FAILED)


def _write(converted, args, json_output: bool) -> None:
    from . import output

    written = [str(path) for path in converted.files]
    if json_output:
        import json

        data = {"ok": converted.report is None or converted.report.ok, "files": written,
                "renamed": converted.renamed, "layout": converted.boundary.to_dict(),
                "verification": converted.report.to_dict() if converted.report else None}
        output.write(json.dumps(data, indent=2) + "\n")
        return
    lines = [f"wrote {path}" for path in written]
    if args.to != "keras":
        lines += converted.boundary.describe()
    if converted.renamed:
        pairs = [f"{old!r} -> {new!r}" for old, new in converted.renamed.items()]
        lines.append(f"renamed {len(pairs)} layer{'s' if len(pairs) != 1 else ''} ('/' is not allowed in Keras 3 "
                     f"names): {', '.join(pairs[:3])}{f' and {len(pairs) - 3} more' if len(pairs) > 3 else ''}")
    if converted.report is not None:
        from ..crosscheck.render import render_verification

        lines.append(render_verification(converted.report, args.model).rstrip())
    else:
        lines.append("not verified (--no-verify)")
    output.write("\n".join(lines) + "\n")


def _not_importable(imported, model: str, json_output: bool) -> NoReturn:
    from dataclasses import replace

    from .exit_codes import FAILED, Exit
    from .reporting import write_diagnostics

    write_diagnostics([replace(d, file=model) for d in imported.diagnostics], None, "json" if json_output else "text")
    raise Exit(FAILED)


def _spec_errors(result, json_output: bool) -> NoReturn:
    from .exit_codes import FAILED, Exit
    from .reporting import write_diagnostics

    write_diagnostics(result.diagnostics, None, "json" if json_output else "text")
    raise Exit(FAILED)


def fail_layer(exc, to: str, json_output: bool) -> NoReturn:
    from ..diagnostics import codes
    from .exit_codes import FAILED, Exit
    from .reporting import write_diagnostics

    diagnostic = codes.NOT_EXPRESSIBLE(f"{to} cannot compute layer {exc.layer!r} exactly as Keras does: {exc.reason}",
                                       layer=exc.layer)
    write_diagnostics([diagnostic], None, "json" if json_output else "text")
    raise Exit(FAILED)
