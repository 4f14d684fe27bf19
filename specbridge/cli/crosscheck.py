"""`specbridge crosscheck SPEC`: build both emitted models and compare every layer's output."""

from __future__ import annotations

from enum import Enum
from typing import Annotated, NoReturn, Optional

import typer

from .options import ReportFormat


class Dtype(str, Enum):
    float32 = "float32"
    float64 = "float64"


def command(
    spec: Annotated[str, typer.Argument(metavar="SPEC", help="A spec file ('-' reads stdin).", show_default=False)],
    dtype: Annotated[
        Dtype, typer.Option("--dtype", help="Run both frameworks in this precision.", case_sensitive=False)
    ] = Dtype.float32,
    samples: Annotated[int, typer.Option("--samples", min=1, help="Batch size of the random inputs.")] = 4,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random weights and inputs.")] = 0,
    atol: Annotated[
        Optional[float],
        typer.Option("--atol", min=0.0, help="Absolute tolerance [default: 1e-5 in float32, 1e-9 in float64]."),
    ] = None,
    rtol: Annotated[
        Optional[float],
        typer.Option("--rtol", min=0.0, help="Tolerance relative to a layer's max |output| "
                     "[default: 1e-4 in float32, 1e-9 in float64]."),
    ] = None,
    format: Annotated[
        ReportFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
    ] = ReportFormat.text,
) -> None:
    """Prove that the emitted Keras and PyTorch models compute the same function.

    Builds both models, gives every Keras weight (biases and BatchNorm statistics included) a random value,
    copies the weights to PyTorch, runs the same random inputs through both in inference mode and compares
    every layer's output. A layer agrees when max|keras - torch| <= atol + rtol * max|keras output|.

    Exit status: 0 every layer agrees, 1 a layer differs or the spec has errors, 2 usage error or
    TensorFlow/PyTorch not installed.
    """
    from .. import extras
    from . import exit_codes, files
    from .check import check_spec
    from .reporting import stop_on_errors

    text = files.read_or_fail(spec)
    result = check_spec(text, files.display_name(spec))
    json_output = format is ReportFormat.json
    stop_on_errors(result, text, json_output=json_output)
    missing = extras.missing_modules("keras", "torch")
    if missing:
        exit_codes.fail(f"crosscheck needs TensorFlow/Keras and PyTorch; not installed: {', '.join(missing)}. "
                        f"Install them with: {extras.install_hint('keras', 'torch')}")

    from ..crosscheck import run_crosscheck
    from ..emit.errors import MissingExtra, NotExpressible

    try:
        report = run_crosscheck(result, dtype=dtype.value, samples=samples, seed=seed, atol=atol, rtol=rtol)
    except MissingExtra as exc:
        exit_codes.fail(f"crosscheck needs TensorFlow/Keras and PyTorch: {exc}")
    except NotExpressible as exc:
        _not_expressible(result, text, exc, json_output)

    _write_report(report, json_output)
    raise typer.Exit(exit_codes.OK if report.ok else exit_codes.FAILED)


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
    from ..diagnostics import codes
    from ..diagnostics.model import Location
    from .reporting import fail_with

    entry = next((e for e in result.document.entries if e.name == exc.layer), None)
    location = result.document.locate(("layers", entry.index)) if entry is not None else Location()
    diagnostic = codes.NOT_EXPRESSIBLE(
        f"layer '{exc.layer}' cannot be cross-checked: {exc.reason}" if exc.layer else exc.reason,
        layer=exc.layer, location=location, file=result.file,
        hint="the emitters refuse this layer rather than translate it approximately; see `specbridge emit`",
    )
    fail_with([diagnostic], text, result.file, json_output=json_output)
