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
