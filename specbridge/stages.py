"""Every stage table, checked against the layer catalog.

A stage is a table keyed by layer class (specbridge.spec.catalog.Stage): the shape rules, the Keras, PyTorch and
ONNX emitters, the weight mapping. Each stage module exposes `load_stage()`, which imports every module that adds
entries and returns the table. `gaps()` names every (stage, type) pair with neither an entry nor a declared
reason; tests/test_stages.py fails on any. `coverage()` is the table docs/layers.md shows.

Loading the emitter stages imports no framework: emitters write source code or ONNX nodes (onnx itself is
imported only when a graph is built), and weight mappings import numpy only.
"""

from __future__ import annotations

import importlib

from .spec.catalog import Stage, all_classes

# Stage name -> the module whose load_stage() returns it. A new stage is one more line here.
STAGE_MODULES: dict[str, str] = {
    "shape rule": "specbridge.shapes.infer",
    "Keras emitter": "specbridge.emit.keras",
    "PyTorch emitter": "specbridge.emit.torch",
    "ONNX emitter": "specbridge.emit.onnx.stage",
    "weight mapping": "specbridge.emit.weights",
}


def stages() -> list[Stage]:
    return [importlib.import_module(module).load_stage() for module in STAGE_MODULES.values()]


def gaps() -> list[tuple[str, str]]:
    """(stage, layer type) for every type a stage needs and lacks, with no declared reason."""
    classes = all_classes()
    return [(stage.name, kind) for stage in stages() for kind in stage.gaps(classes)]


def coverage() -> dict[str, dict[str, str]]:
    """For each layer type, each stage's status: 'yes', 'n/a' (not needed) or the declared reason it is not."""
    table: dict[str, dict[str, str]] = {}
    loaded = stages()
    for cls in all_classes():
        row = table.setdefault(cls.type_names()[0], {})
        for stage in loaded:
            if not stage.needed(cls):
                row[stage.name] = "n/a"
            elif cls in stage.entries:
                row[stage.name] = "yes"
            else:
                row[stage.name] = stage.reasons.get(cls, "MISSING")
    return table


def layers_markdown() -> str:
    """docs/layers.md: every layer type with its traits and each stage's status (generated; a test keeps it current)."""
    names = list(STAGE_MODULES)
    lines = [
        "# Layer types",
        "",
        "Generated from the layer catalog (`specbridge/spec/layers/`) and the stage tables by",
        "`specbridge.stages.layers_markdown()`; `pytest tests/test_stages.py --update-golden` rewrites it.",
        "A stage that cannot express a type says why; `n/a`: the type has no weights to map.",
        "",
        "| type | aliases | family | rank | data_format | weights | inputs | " + " | ".join(names) + " |",
        "|" + "---|" * (7 + len(names)),
    ]
    table = coverage()
    for cls in all_classes():
        kind, *aliases = cls.type_names()
        low, high = cls.CALL.count
        inputs = str(low) if low == high else f"{low}+" if high is None else f"{low}-{high}"
        weights = ", ".join(cls.WEIGHTS) or ("the wrapped layer's" if cls.WRAPS else "")
        cells = [kind, ", ".join(aliases), cls.FAMILY, str(cls.RANK or ""), "yes" if cls.DATA_FORMAT else "",
                 weights, inputs] + [table[kind][n].replace("|", "\\|") for n in names]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"
