"""`specbridge explain SPEC [--layer NAME]`: the arithmetic behind every shape and parameter count."""

from __future__ import annotations

from .options import add_format, add_spec


def add_arguments(parser) -> None:
    add_spec(parser)
    parser.add_argument("-l", "--layer", metavar="NAME", help="explain only this layer (its name in the spec)")
    add_format(parser)
    from .python import add_model_options

    add_model_options(parser)


def run(args) -> None:
    """Explain the arithmetic behind every shape and param count.

    For each layer: its input shape, the computation, its output shape and parameters.

    Layers that cannot be computed show the problem in place; the exit status is then 1. SPEC may be Keras or
    PyTorch model code (.py): the model it defines (--model NAME when it defines several).
    """
    spec, layer = args.spec, args.layer
    from . import exit_codes, files, output
    from .check import check_spec
    from .python import is_python, spec_of

    if is_python(spec):
        text, _, code, _ = spec_of(spec, args.model_name, args.input_shape, args.format == "json")
        result = check_spec(text, f"{files.display_name(spec)}:{code.model(args.model_name).name}")
    else:
        text = files.read_or_fail(spec)
        result = check_spec(text, files.display_name(spec))
    names = [e.name for e in result.document.entries]
    if layer is not None and layer not in names:
        from ..diagnostics.suggest import suggest

        guess = suggest(layer, names)
        did_you_mean = f"did you mean '{guess[0]}'? " if guess else ""
        known = ", ".join(names) if names else "none (the spec did not load)"
        exit_codes.fail(f"no layer named '{layer}' in {files.display_name(spec)}; {did_you_mean}layers: {known}")

    if args.format == "json":
        import json

        from ..report.explain import document

        doc = document(result)
        if layer is not None:
            doc["layers"] = [entry for entry in doc["layers"] if entry["name"] == layer]
            doc["diagnostics"] = [d for d in doc["diagnostics"] if d["layer"] == layer]
        output.write(json.dumps(doc, indent=2) + "\n")
    else:
        from ..report.explain import render_text

        output.write_lines(render_text(result, layer, text))
    if not result.ok:
        from ..diagnostics.codes import refused

        raise exit_codes.Exit(exit_codes.USAGE if refused(result.diagnostics) else exit_codes.FAILED)
