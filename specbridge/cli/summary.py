"""`specbridge summary SPEC`: the Keras model.summary() table, without building the model."""

from __future__ import annotations

from .options import add_format, add_spec


def add_arguments(parser) -> None:
    add_spec(parser)
    add_format(parser)
    from .python import add_model_options

    add_model_options(parser)


def run(args) -> None:
    """Show the Keras model.summary() table of a spec.

    Each layer's output shape and parameter count, with totals, computed without building the model.

    A spec with errors prints its diagnostics instead and exits 1. SPEC may be Keras or PyTorch model code (.py):
    the table of the model it defines (--model NAME when it defines several).
    """
    spec, json_output = args.spec, args.format == "json"
    from . import files, output
    from .check import check_spec
    from .python import is_python, spec_of
    from .reporting import stop_on_errors, write_warnings

    counts = None  # PyTorch code: PyTorch's own parameter counts, not the spec's (Keras's)
    if is_python(spec):
        text, _, code, _ = spec_of(spec, args.model_name, args.input_shape, json_output)
        chosen = code.model(args.model_name)
        name = f"{files.display_name(spec)}:{chosen.name}"
        counts = chosen.torch_counts
    else:
        text = files.read_or_fail(spec)
        name = files.display_name(spec)
    result = check_spec(text, name)
    stop_on_errors(result, text, json_output=json_output)
    if json_output:
        import json

        from ..report.summary import document

        output.write(json.dumps(document(result, counts), indent=2) + "\n")
        return
    from ..report.summary import render_text

    output.write_lines(render_text(result, counts))
    write_warnings(result, text)
