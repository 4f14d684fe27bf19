"""`specbridge crosscheck SPEC`: build both emitted models and compare every layer's output."""

from __future__ import annotations

from typing import NoReturn

from .options import add_format, add_spec, add_verbose, at_least


def add_arguments(parser) -> None:
    add_spec(parser)
    parser.add_argument("--dtype", type=str.lower, choices=("float32", "float64"), default="float32",
                        help="run both frameworks in this precision (default: float32)")
    parser.add_argument("--samples", type=at_least(1), default=4, metavar="N",
                        help="batch size of the random inputs (default: 4)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random weights and inputs (default: 0)")
    parser.add_argument("--atol", type=at_least(0.0, float), metavar="X",
                        help="absolute tolerance (default: 1e-5 in float32, 1e-9 in float64)")
    parser.add_argument("--rtol", type=at_least(0.0, float), metavar="X",
                        help="tolerance relative to a layer's max |output| (default: 1e-4 in float32, 1e-9 in float64)")
    parser.add_argument(
        "--dims", action="append", default=[], metavar="SIZES",
        help="sizes of the inputs' unknown (null) axes: SIZE (every one), AXIS=SIZE (an axis of the only input) "
             "or INPUT:AXIS=SIZE; AXIS counts as in Keras (1 is the first axis after the batch); comma-separated "
             "or repeated. Default: the smallest size from 8 up that every layer accepts (below 8 only when nothing larger fits)",
    )
    parser.add_argument(
        "--backends", type=_backend_list, metavar="LIST",
        help="comma-separated, at least two of keras, pytorch, onnx (default: every installed one; ONNX runs "
             "under onnxruntime)",
    )
    add_format(parser)
    add_verbose(parser)


def _backend_list(value: str) -> list[str]:
    import argparse

    from ..crosscheck.backends import BackendError, choose_backends

    names = [v.strip().lower() for v in value.split(",") if v.strip()]
    try:
        return choose_backends(names)
    except BackendError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args) -> None:
    """Prove that the emitted Keras, PyTorch and ONNX models compute the same function.

    Builds the models, gives every Keras weight (biases and BatchNorm statistics included) a random value,
    copies the weights to PyTorch and ONNX, runs the same random inputs through all of them in inference mode
    and compares every layer's output, for every pair. A layer agrees when max|a - b| <= atol + rtol * max|a output|.
    An unknown (null) input axis gets the smallest size from 8 up that every layer accepts by specbridge's shape
    rules (below 8 only when nothing larger fits), or the size --dims gives; the report prints the sizes used.

    Exit status: 0 every layer agrees, 1 a layer differs or the spec has errors, 2 usage error (bad --dims
    included) or TensorFlow/PyTorch not installed, 3 internal error. With --format json every outcome is JSON on
    stdout: the report, the diagnostics, or {"ok": false, "exit_code": N, "error": "..."}.
    """
    spec, json_output = args.spec, args.format == "json"
    from .. import extras
    from . import exit_codes, files
    from .check import check_spec
    from .reporting import stop_on_errors

    text = files.read_or_fail(spec)
    result = check_spec(text, files.display_name(spec))
    stop_on_errors(result, text, json_output=json_output)
    _require_backends(args.backends)
    dims = _dims(result, args.dims)
    extras.quiet_tensorflow(force=True, verbose=args.verbose)  # before TensorFlow loads: its log lines are not part of the report

    from ..crosscheck import run_crosscheck
    from ..crosscheck.backends import BackendError
    from ..emit.budget import ModelTooLarge
    from ..emit.errors import MissingExtra, NotExpressible
    from .reporting import fail_with

    try:
        report = run_crosscheck(result, dtype=args.dtype, samples=args.samples, seed=args.seed, atol=args.atol,
                                rtol=args.rtol, dims=dims, backends=args.backends)
    except MissingExtra as exc:
        exit_codes.fail(f"crosscheck needs {exc.framework}: {exc}")
    except BackendError as exc:
        exit_codes.fail(str(exc))
    except NotExpressible as exc:
        _not_expressible(result, text, exc, json_output)
    except ModelTooLarge as exc:  # SB403, exit 2, before either framework allocates
        fail_with([exc.diagnostic(result)], text, result.file, json_output=json_output)

    _write_report(report, json_output)
    raise exit_codes.Exit(exit_codes.OK if report.ok else exit_codes.FAILED)


def _require_backends(backends) -> None:
    """Exit 2 naming what to install: the backends asked for, or two frameworks at least by default."""
    from .. import extras
    from ..crosscheck.backends import EXTRA_OF, installed_backends
    from .exit_codes import fail

    if backends is None:
        if len(installed_backends()) >= 2:
            return
        wanted = ["keras", "torch"]
    else:
        wanted = [EXTRA_OF[b] for b in backends]
    missing = extras.missing_modules(*wanted)
    if missing:
        fail(f"crosscheck needs {', '.join(extras.EXTRAS[w].framework for w in wanted)}; not installed: "
             f"{', '.join(missing)}. Install them with: {extras.install_hint(*wanted)}")


def _dims(result, items: list[str]) -> list:
    """The sizes of the unknown input axes: --dims, the rest searched with the shape rules (exit 2 if none fit)."""
    from ..crosscheck.dims import DimsError, choose_dims, parse_dims
    from .exit_codes import fail

    try:
        return choose_dims(result, parse_dims(items, result))
    except DimsError as exc:
        fail(str(exc))


def _write_report(report, json_output: bool) -> None:
    from . import output

    if json_output:
        import json

        output.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        from ..crosscheck.render import render_text

        output.write(render_text(report))


def _not_expressible(result, text: str, exc, json_output: bool) -> NoReturn:
    """A layer one framework cannot compute exactly: diagnostic SB400 at that layer, exit 1."""
    from .reporting import fail_not_expressible

    fail_not_expressible(
        result, text, exc, f"layer '{exc.layer}' cannot be cross-checked: {exc.reason}" if exc.layer else exc.reason,
        "the emitters refuse this layer rather than translate it approximately; see `specbridge emit`",
        json_output=json_output,
    )
