"""CheckResult keeps what inference built; later stages read it instead of ordering or checking again."""

from __future__ import annotations

import pytest

from specbridge.check import check_spec, check_text
from specbridge.emit.plan import as_result, make_plan

GRAPH = """\
specbridge: 1
name: g
input: {shape: [8]}
outputs: [head]
layers:
  - {type: Dense, units: 3, name: head, inputs: [mid]}
  - {type: Dense, units: 4, name: mid, inputs: [input_layer]}
"""


def test_the_result_keeps_the_graph_and_its_order():
    result = check_text(GRAPH)
    assert result.ok
    assert [e.name for e in result.ordered_entries()] == ["mid", "head"]
    assert result.graph.outputs == ["head"]
    assert result.graph.edges[0] == ["mid"]


def test_planning_reads_the_order_and_does_not_sort_again(monkeypatch):
    result = check_text(GRAPH)
    from specbridge.shapes import graph

    def no_second_sort(*args, **kwargs):
        raise AssertionError("the graph was sorted a second time")

    monkeypatch.setattr(graph, "_topological_order", no_second_sort)
    monkeypatch.setattr("specbridge.check.check_text", no_second_sort)
    plan = make_plan(as_result(result))
    assert [s.name for s in plan.steps] == ["mid", "head"]


def test_a_spec_object_is_checked_directly_without_a_json_round_trip(monkeypatch):
    spec = check_text(GRAPH).document.spec()
    monkeypatch.setattr("specbridge.check.check_text", lambda *a, **k: pytest.fail("went through text"))
    result = as_result(spec)
    assert result.ok
    assert [(r.name, r.output_shape, r.params) for r in result.records] == [("head", (3,), 15), ("mid", (4,), 36)]


def test_a_spec_object_built_in_python_gets_keras_default_names():
    from specbridge.spec import Spec

    spec = Spec.model_validate({
        "specbridge": 1, "name": "s", "input": {"shape": [4, 6]},
        "layers": [{"type": "TimeDistributed", "layer": {"type": "Dense", "units": 2}}, {"type": "Dense", "units": 1}],
    })
    result = check_spec(spec)
    assert result.ok, result.diagnostics
    # Keras names the wrapped Dense first: dense, then time_distributed, then dense_1.
    assert [r.name for r in result.records] == ["time_distributed", "dense_1"]
    assert result.records[-1].output_shape == (4, 1)


def test_a_spec_object_with_a_shape_error_reports_it():
    from specbridge.spec import Spec

    spec = Spec.model_validate({"specbridge": 1, "name": "s", "input": {"shape": [28, 28]},
                                "layers": [{"type": "Conv2D", "filters": 2, "kernel_size": 3}]})
    result = check_spec(spec)
    assert not result.ok and result.errors[0].code == "SB200"
