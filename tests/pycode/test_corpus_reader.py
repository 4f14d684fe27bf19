"""The reader against the real frameworks on the corpus (fixtures/python/): what Keras builds and PyTorch runs.

Good files: no error; every Keras layer's output shape and parameter count, and every PyTorch module's output
shape, equal what the framework gives (layers matched by the line that constructs them). Broken files: an error
at the planted line, or at the line of the layer the framework fails in, and nowhere else.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from frameworks import import_framework
from groundtruth import corpus_files, planted_lines, run_files

from specbridge.check import check_text
from specbridge.importer.write import spec_text
from specbridge.pycode import read_python
from specbridge.pycode.signatures import TORCH_POSITIONAL

pytestmark = [pytest.mark.keras, pytest.mark.torch, pytest.mark.slow]

CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")
GOOD = corpus_files("good")
BROKEN = corpus_files("broken")


@pytest.fixture(scope="module")
def truth() -> dict:
    import_framework("keras")
    import_framework("torch")
    return run_files([str(p) for p in GOOD + BROKEN])


def read(path: Path):
    return read_python(path.read_text(encoding="utf-8"), str(path))


def nodes_by_line(model) -> dict:
    """line -> the layers constructed there, in the order they were applied (a helper function's lines make
    several); a PyTorch layer's translation steps (ZeroPadding + Conv) count as its last one."""
    out: dict = {}
    for node in model.graph.nodes if model.graph else []:
        out.setdefault(node.location.line, []).append(node)
    return out


def layers_by_line(real: dict) -> dict:
    """line -> the framework's layers constructed there: Keras layers, or PyTorch's leaf modules (containers and
    the file's own classes are not layers of their own)."""
    out: dict = {}
    for layer in real.get("layers", []):
        if layer["class"] != "InputLayer" and layer["class"] not in CONTAINERS and (
                "params" in layer or layer["class"] in TORCH_POSITIONAL):
            out.setdefault(layer["line"], []).append(layer)
    return out


def keras_match(code, real: dict):
    found = [m for m in code.models if m.framework == "keras" and m.name in (real["global"], real["name"])]
    assert found, (real["global"], [m.name for m in code.models])
    return found[0]


def check_keras_model(model, real: dict) -> None:
    spec, problems = model.spec()
    assert spec is not None, [p.message for p in problems]
    checked = check_text(spec_text(spec), "code.spec.yaml")
    assert checked.ok, [d.message for d in checked.errors]
    records = {r.name: r for r in checked.records}
    nodes = nodes_by_line(model)
    for line, layers in layers_by_line(real).items():
        assert len(nodes.get(line, [])) == len(layers), f"line {line}: {len(layers)} layers in Keras"
        for node, layer in zip(nodes[line], layers, strict=False):
            assert [None, *node.output.shape] == layer["output_shape"], (line, layer["class"])
            assert records[node.name].params == layer["params"], (line, layer["class"])
    assert checked.total_params == real["total_params"]
    assert checked.trainable_params == real["trainable_params"]


def check_torch_model(code, real: dict) -> None:
    found = [m for m in code.models if m.framework == "torch" and real["name"] in (m.class_name, m.name)]
    assert found, (real["name"], [m.name for m in code.models])
    model = found[0]
    outputs = real["output_shape"]
    outputs = outputs if outputs and isinstance(outputs[0], list) else [outputs]
    assert [[None, *o.tensor.shape] for o in model.outputs] == [[None, *o[1:]] for o in outputs]
    nodes = nodes_by_line(model)
    for line, layers in layers_by_line(real).items():
        steps = nodes.get(line, [])
        applied = [n for n in steps if not (n.layer or {}).get("type", "").startswith("ZeroPadding")] \
            if len(steps) > len(layers) else steps
        if len(applied) != len(layers):
            continue  # a module called on another path than the one read (the reader stops at what it cannot follow)
        for node, layer in zip(applied, layers, strict=False):
            shape = layer.get("output_shape")
            if shape is not None and not node.assumed and not isinstance(shape[0], list):
                assert list(node.output.shape) == layer["output_shape"][1:], (line, layer["class"])


@pytest.mark.parametrize("path", GOOD, ids=lambda p: p.stem)
def test_good_code_reads_as_the_framework_builds_it(truth, path):
    real = truth[str(path)]
    assert real["error"] is None
    code = read(path)
    assert not code.errors, [f"{d.line}: {d.message}" for d in code.errors]
    for model in real["models"]:
        if real["framework"] == "keras":
            check_keras_model(keras_match(code, model), model)
        else:
            check_torch_model(code, model)


@pytest.mark.parametrize("path", BROKEN, ids=lambda p: p.stem)
def test_planted_mistake_is_caught_where_the_framework_fails(truth, path):
    real = truth[str(path)]["error"]
    assert real is not None
    (planted, _), = planted_lines(path.read_text(encoding="utf-8"))
    framework_lines = {real["line"], (real.get("layer") or {}).get("line")} - {None}
    code = read(path)
    assert code.errors, "missed"
    lines = {d.line for d in code.errors}
    assert lines <= {planted} | framework_lines, (lines, planted, framework_lines)
