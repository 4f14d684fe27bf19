"""`specbridge emit SPEC --to keras|pytorch|onnx [-o FILE]`: write the model as a standalone Python module, or
as an ONNX file."""

from __future__ import annotations

from typing import NoReturn, Optional

from .options import add_layout, add_spec, chosen_layout

TARGETS = ("keras", "pytorch", "onnx")
# The extra (specbridge.extras) running the emitted model needs; writing a module needs neither, an ONNX file onnx.
EXTRA = {"keras": "keras", "pytorch": "torch", "onnx": "onnx"}
NAMES = {"keras": "Keras", "pytorch": "PyTorch", "onnx": "ONNX"}


def add_arguments(parser) -> None:
    add_spec(parser)
    parser.add_argument("-t", "--to", required=True, type=str.lower, choices=TARGETS, help="target framework")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="write the module to FILE instead of stdout (required for onnx, a binary file)")
    parser.add_argument("--seed", type=int, default=0,
                        help="onnx: seed of the random weights stored in the file (default: 0)")
    add_layout(parser)


def run(args) -> None:
    """Write a spec as a Keras or PyTorch module defining build_model(), or as an ONNX file.

    The module imports only its framework (and numpy); writing it needs neither. The ONNX file holds seeded
    random weights (use specbridge.to_onnx(spec, weights=model) for trained ones); writing it needs the onnx
    package only. --layout torch (the pytorch default) gives the model PyTorch's input and output layout, keras
    (the onnx default) Keras's: specbridge/layouts.py. A spec with errors prints its diagnostics and exits 1; so does a
    layer the target cannot compute exactly (SB400).
    """
    spec, to, output_file = args.spec, args.to, args.output
    from . import files, output
    from .check import check_spec
    from .exit_codes import fail
    from .reporting import stop_on_errors

    if to == "onnx" and output_file is None:
        fail("ONNX is a binary format: give the file to write with -o, e.g. -o model.onnx")
    layout = chosen_layout(to, args.layout)

    text = files.read_or_fail(spec)
    name = files.display_name(spec)
    result = check_spec(text, name)
    stop_on_errors(result, text, json_output=False)

    from ..emit import MissingExtra, ModelTooLarge, NotExpressible
    from .reporting import fail_with

    if to == "onnx":
        # numpy only draws and copies arrays here: OpenBLAS's thread pool, started when numpy loads, costs a cold
        # emit ~0.05 s for nothing (bench/bench_onnx_emit.py). A user's own setting wins.
        import os

        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        code = _emit(result, to, args.seed, layout)
    except MissingExtra as exc:
        fail(f"emitting ONNX needs the onnx package: {exc}")
    except NotExpressible as exc:
        _not_expressible(result, text, exc, to)
    except ModelTooLarge as exc:  # SB403, exit 2
        fail_with([exc.diagnostic(result)], text, result.file, json_output=False)
    try:
        if output_file is None:
            output.write(code)
        elif to == "onnx":
            _write_onnx(code, output_file)
        else:
            files.write_atomic(output_file, code)
    except OSError as exc:
        fail(f"cannot write {output_file}: {exc.strerror or exc}")
    _note_missing_framework(to)


# protobuf cannot serialize a message of 2 GiB or more: a larger model keeps its weights in a side file.
PROTOBUF_LIMIT = 2**31 - 1


def _write_onnx(model, path: str) -> None:
    """One file; or, past protobuf's limit, the graph in `path` and the weights in `path`.data (ONNX external
    data, which onnxruntime and Netron read from beside the model)."""
    import os
    import sys

    from . import files

    data = _serialized(model)
    if data is not None:
        files.write_atomic(path, data)
        return
    import onnx

    location = os.path.basename(path) + ".data"
    onnx.save_model(model, path, save_as_external_data=True, all_tensors_to_one_file=True, location=location)
    print(f"specbridge: note: the weights are over 2 GiB, protobuf's limit: they are in {location} beside "
          f"{os.path.basename(path)}; keep the two files together", file=sys.stderr)


def _serialized(model) -> Optional[bytes]:
    """The model's bytes, or None past protobuf's 2 GiB limit. The weights' own bytes bound the size from below,
    so a model far below the limit is serialized once, without ByteSize()'s extra pass (a full serialization)."""
    weights = sum(len(t.raw_data) for t in model.graph.initializer)
    if weights < PROTOBUF_LIMIT // 2 or model.ByteSize() < PROTOBUF_LIMIT:
        return model.SerializeToString()
    return None


def _emit(result, to: str, seed: int, layout: str):
    """The module's source, or the ONNX model, with its inputs and outputs in `layout`."""
    from ..emit import keras_source, to_onnx, torch_source

    if to == "onnx":
        return to_onnx(result, seed=seed, layout=layout)
    return keras_source(result) if to == "keras" else torch_source(result, layout)


def _not_expressible(result, text: str, exc, to: str) -> NoReturn:
    from .reporting import fail_not_expressible

    fail_not_expressible(
        result, text, exc, f"{NAMES[to]} cannot compute {exc.layer!r} exactly as the spec says: {exc.reason}",
        "change this layer's arguments as the message suggests, or emit for another target", json_output=False,
    )


def _note_missing_framework(to: str) -> None:
    import sys

    from .. import extras

    written = "file" if to == "onnx" else "module"
    for extra in extras.missing(EXTRA[to]):
        print(
            f"specbridge: note: running this {written} needs {extra.framework}, which is not installed: "
            f"{extras.install_hint(extra.name)}",
            file=sys.stderr,
        )
