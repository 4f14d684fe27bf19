"""Arguments shared by several commands, and argparse types with one-line messages."""

from __future__ import annotations

import argparse

CHECK_FORMATS = ("text", "json", "github", "sarif")
REPORT_FORMATS = ("text", "json")
SPEC_HELP = "a spec file ('-' reads stdin)"


def add_spec(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("spec", metavar="SPEC", help=SPEC_HELP)


def add_format(parser: argparse.ArgumentParser, choices=REPORT_FORMATS) -> None:
    parser.add_argument(
        "-f", "--format", type=str.lower, choices=choices, default="text", metavar="FORMAT",
        help=f"output format: {', '.join(choices)} (default: text)",
    )


def add_verbose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-v", "--verbose", action="store_true",
        help="let TensorFlow's own log lines through to stderr (hidden by default: they are not part of the report)",
    )


def add_layout(parser: argparse.ArgumentParser) -> None:
    """--layout torch|keras: the emitted model's input and output layout (specbridge/layouts.py)."""
    from ..layouts import DEFAULT_LAYOUT, LAYOUTS

    parser.add_argument(
        "--layout", type=str.lower, choices=LAYOUTS, default=None,
        help="the model's inputs and outputs: torch, PyTorch's (NCHW, NCL signals, (N, steps, features) sequences), "
             f"or keras, as the Keras model has them (default: {DEFAULT_LAYOUT['pytorch']} for pytorch, "
             f"{DEFAULT_LAYOUT['onnx']} for onnx)",
    )


def chosen_layout(to: str, layout) -> str:
    """--layout for the target `to`: its default when not given; exits 2 for torch with a Keras target."""
    from ..layouts import DEFAULT_LAYOUT, KERAS_LAYOUT
    from .exit_codes import fail

    if to == "keras" and layout not in (None, KERAS_LAYOUT):
        fail(f"--layout {layout} applies to --to pytorch and onnx: a Keras model takes Keras's layout")
    return DEFAULT_LAYOUT[to] if layout is None else layout


def at_least(minimum, kind=int):
    """An argparse type: a number of `kind` that is >= minimum."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {'an integer' if kind is int else 'a number'}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {text}")
        return value

    parse.__name__ = kind.__name__
    return parse
