"""`specbridge schema [-o FILE]`: the JSON Schema of the spec format (for editors and validators)."""

from __future__ import annotations


def add_arguments(parser) -> None:
    parser.add_argument("-o", "--output", metavar="FILE", help="write the schema to FILE instead of stdout")


def run(args) -> None:
    """Print the JSON Schema of the spec format.

    schemas/specbridge.schema.json is this output; editors use it for completion (docs/editor-setup.md).
    """
    output_file = args.output
    from ..spec.schema import schema_text
    from . import exit_codes, output

    text = schema_text()
    if output_file is None:
        output.write(text)
        return
    from .files import write_atomic

    try:
        write_atomic(output_file, text)
    except OSError as exc:
        exit_codes.fail(f"cannot write '{output_file}': {exc.strerror or exc}")
