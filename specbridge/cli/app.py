"""The `specbridge` command: one Typer app, one module per command, one registration line each.

A command module exposes `command`, a Typer command function (its docstring is the help). Command
modules import only typer at module level and load the library inside the function, so starting
the CLI stays cheap: `specbridge check` costs the spec models, not TensorFlow or even rich.

`main()` is the console-script entry point. It is the last line of defence: an unexpected
exception becomes a one-line "internal error" on stderr and exit status 2, never a traceback
(set SPECBRIDGE_DEBUG=1 to see the traceback).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Annotated, Optional

import typer

from . import exit_codes
from .output import use_color

app = typer.Typer(
    name="specbridge",
    help="Check model specs statically (shapes, parameter counts, precise errors) and translate them "
    "to Keras and PyTorch.",
    add_completion=False,
    no_args_is_help=True,
    # Rich help only on a terminal; piped and tested output stays plain (and rich unimported).
    rich_markup_mode="rich" if use_color(sys.stdout) else None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _add(name: str, module: str, *, hidden: bool = False) -> None:
    """Register `module.command` as `specbridge NAME`; a module that does not exist yet is skipped."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name == module:
            return
        raise
    app.command(name, hidden=hidden)(mod.command)


def _version(value: bool) -> None:
    if value:
        from .. import __version__

        print(f"specbridge {__version__}")
        raise typer.Exit(exit_codes.OK)


@app.callback()
def _root(
    version: Annotated[
        Optional[bool],
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit."),
    ] = None,
) -> None:
    """Check model specs statically and translate them to Keras and PyTorch."""


_add("check", "specbridge.cli.check")
_add("summary", "specbridge.cli.summary")
_add("explain", "specbridge.cli.explain")
_add("schema", "specbridge.cli.schema")
_add("codes", "specbridge.cli.codes")
_add("emit", "specbridge.cli.emit")  # owned by the emitters (issue 3)
_add("crosscheck", "specbridge.cli.crosscheck")  # owned by the cross-check (issue 3)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, exit_codes.InternalError) and exc.__cause__ is not None:
        cause = exc.__cause__
        return f"{exc} ({type(cause).__name__}: {cause})"
    return f"{type(exc).__name__}: {exc}"


def main(argv: Optional[list[str]] = None) -> None:
    """Run the CLI; always ends with SystemExit carrying the exit status."""
    try:
        app(args=argv, prog_name="specbridge")
    except SystemExit:
        raise
    except KeyboardInterrupt:
        print(exit_codes.error_line("interrupted"), file=sys.stderr)
        sys.exit(130)
    except Exception as exc:
        if os.environ.get("SPECBRIDGE_DEBUG"):
            raise
        print(
            f"specbridge: internal error {_describe(exc)}\n"
            "This is a bug in specbridge, please report it with the spec that triggered it "
            "(SPECBRIDGE_DEBUG=1 shows the traceback).",
            file=sys.stderr,
        )
        sys.exit(exit_codes.INTERNAL)
