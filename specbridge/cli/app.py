"""The `specbridge` command: argparse, one module per command.

A command module (cli/<name>.py) exposes `add_arguments(parser)` and `run(args)`; the first line of run's
docstring is the command's summary in `specbridge --help`, the whole docstring its `--help` description.
Command modules import only the standard library at module level and load the library inside `run`, so
starting the CLI costs the spec models, not TensorFlow, rich or even a CLI framework.

`main()` is the console-script entry point. It is the last line of defence: an unexpected exception becomes
"internal error" on stderr and exit status 3, never a traceback (SPECBRIDGE_DEBUG=1 shows the traceback).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from typing import NoReturn, Optional

from . import exit_codes

COMMANDS = ("check", "summary", "explain", "schema", "codes", "import", "emit", "crosscheck", "convert")
DESCRIPTION = (
    "Check model specs statically (shapes, parameter counts, precise errors) and translate them to Keras and "
    "PyTorch."
)


class Parser(argparse.ArgumentParser):
    """argparse with specbridge's one-line usage errors (exit 2)."""

    def error(self, message: str) -> NoReturn:
        exit_codes.fail(f"{message} (see '{self.prog} --help')")

    def exit(self, status: int = 0, message: Optional[str] = None) -> NoReturn:
        if message:
            print(message, file=sys.stderr, end="")
        raise exit_codes.Exit(status)


def _formatter(prog: str) -> argparse.HelpFormatter:
    """Paragraphs kept as written; lines up to 100 columns (or the terminal's width, when narrower)."""
    import shutil

    width = min(100, shutil.get_terminal_size(fallback=(100, 24)).columns)
    return argparse.RawDescriptionHelpFormatter(prog, width=width, max_help_position=28)


def build_parser(only: Optional[str] = None) -> Parser:
    """The whole command line; with `only`, just that command's parser (a run needs no other command's module)."""
    from .. import __version__

    parser = Parser(prog=exit_codes.PROG, description=DESCRIPTION, formatter_class=_formatter)
    parser.add_argument("--version", action="version", version=f"specbridge {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", dest="command")
    for name in (only,) if only in COMMANDS else COMMANDS:
        module = importlib.import_module(f".{name}", __package__)
        doc = (module.run.__doc__ or "").strip()
        summary = doc.splitlines()[0] if doc else ""
        sub = commands.add_parser(
            name, help=summary, description=_dedent(doc), formatter_class=_formatter,
        )
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def _dedent(doc: str) -> str:
    import textwrap

    first, _, rest = doc.partition("\n")
    return first + ("\n" + textwrap.dedent(rest) if rest else "")


def dispatch(argv: Optional[list[str]] = None) -> int:
    """Parse `argv` and run the command; returns the exit status (exceptions other than Exit propagate)."""
    argv = sys.argv[1:] if argv is None else list(argv)
    exit_codes.use_json_errors(wants_json(argv))  # before parsing: a usage error is JSON too
    parser = build_parser(argv[0] if argv else None)
    try:
        args = parser.parse_args(argv)
        exit_codes.use_json_errors(getattr(args, "format", None) == "json")
        if args.command is None:
            parser.print_help()
            return exit_codes.USAGE
        args.run(args)
    except exit_codes.Exit as stop:
        return stop.code
    return exit_codes.OK


def wants_json(argv: list[str]) -> bool:
    """True when the command line asks for --format json (-f json, --format=json, -fjson)."""
    for i, arg in enumerate(argv):
        if arg == "--":
            break
        value = None
        if arg in ("-f", "--format") and i + 1 < len(argv):
            value = argv[i + 1]
        elif arg.startswith("--format="):
            value = arg.partition("=")[2]
        elif arg.startswith("-f") and not arg.startswith("--") and len(arg) > 2:
            value = arg[2:].lstrip("=")
        if value is not None and value.lower() == "json":
            return True
    return False


def _describe(exc: BaseException) -> str:
    if isinstance(exc, exit_codes.InternalError) and exc.__cause__ is not None:
        cause = exc.__cause__
        return exit_codes.strip_ansi(f"{exc} ({type(cause).__name__}: {cause})")
    return exit_codes.strip_ansi(f"{type(exc).__name__}: {exc}")


def reproduce(argv: Optional[list[str]]) -> str:
    """The command line that was run, quoted for a shell: what a bug report needs to reproduce it."""
    import shlex

    return shlex.join([exit_codes.PROG, *(sys.argv[1:] if argv is None else argv)])


def main(argv: Optional[list[str]] = None) -> NoReturn:
    """Run the CLI; always ends with SystemExit carrying the exit status."""
    # pydantic plugins (observability hooks found by scanning every installed distribution's entry points) have
    # nothing to observe in a CLI run; the scan alone costs a cold `check` about 5 ms. An explicit setting wins.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    try:
        code = dispatch(argv)
    except KeyboardInterrupt:
        print(exit_codes.error_line("interrupted"), file=sys.stderr)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(exit_codes.OK)  # `specbridge codes | head`: the reader left, nothing is wrong
    except Exception as exc:
        if os.environ.get("SPECBRIDGE_DEBUG"):
            raise
        description = _describe(exc)
        print(
            f"specbridge: internal error {description}\n"
            "This is a bug in specbridge, please report it with the command that triggered it and the files it "
            f"reads:\n  {reproduce(argv)}\n(SPECBRIDGE_DEBUG=1 shows the traceback).",
            file=sys.stderr,
        )
        exit_codes.write_json_error(f"internal error {description}", exit_codes.INTERNAL)
        sys.exit(exit_codes.INTERNAL)
    sys.exit(code)
