"""Every stage (shape rule, Keras emitter, PyTorch emitter, weight mapping) has an entry, or a declared reason, for
every layer type in the catalog; the check itself fails when any one entry is removed."""

from __future__ import annotations

import pytest

from specbridge import stages
from specbridge.spec.catalog import Stage, StageGap, all_classes


def test_every_stage_covers_every_layer_type():
    missing = stages.gaps()
    assert not missing, "\n".join(f"{stage} has no entry for {kind}" for stage, kind in missing)


def test_every_registered_entry_is_a_catalog_class():
    classes = set(all_classes())
    for stage in stages.stages():
        extra = [c for c in list(stage.entries) + list(stage.reasons) if c not in classes]
        assert not extra, f"{stage.name} registers types outside the catalog: {extra}"


def _entries():
    return [(stage.name, cls) for stage in stages.stages() for cls in list(stage.entries)]


@pytest.mark.parametrize(("stage_name", "cls"), _entries(), ids=lambda v: v if isinstance(v, str) else v.type_names()[0])
def test_removing_any_one_entry_is_caught(monkeypatch, stage_name, cls):
    stage = next(s for s in stages.stages() if s.name == stage_name)
    monkeypatch.delitem(stage.entries, cls)
    assert (stage_name, cls.type_names()[0]) in stages.gaps()
    with pytest.raises(StageGap, match=cls.type_names()[0]):
        stage.entry(cls)


def test_a_declared_reason_is_what_a_missing_entry_reports():
    (cls, *_) = all_classes()
    stage: Stage = Stage("example")
    stage.unsupported(cls, reason="not expressible here, because of X")
    assert stage.gaps([cls]) == []
    with pytest.raises(StageGap, match="because of X"):
        stage.entry(cls)


def test_weight_mapping_is_needed_exactly_for_types_with_weights():
    weights = next(s for s in stages.stages() if s.name == "weight mapping")
    for cls in all_classes():
        assert weights.needed(cls) == (bool(cls.WEIGHTS) or cls.WRAPS)
        if not weights.needed(cls):
            assert cls not in weights.entries, f"{cls.type_names()[0]} has no weights but a weight mapping"


def test_coverage_table_has_a_row_per_type():
    table = stages.coverage()
    assert set(table) == {c.type_names()[0] for c in all_classes()}
    assert all(v != "MISSING" for row in table.values() for v in row.values())


def test_layer_types_page_is_current(project_root, update_golden):
    page = project_root / "docs" / "layers.md"
    text = stages.layers_markdown()
    if update_golden:
        page.write_text(text, encoding="utf-8")
    assert page.exists() and page.read_text(encoding="utf-8") == text, (
        "docs/layers.md is stale: run `pytest tests/test_stages.py --update-golden`"
    )


def test_weight_transfer_refuses_a_layer_with_weights_and_no_mapping(monkeypatch):
    """Silently skipping it would leave the target's random weights in place."""
    from types import SimpleNamespace

    from specbridge.check import check_text
    from specbridge.emit import NotExpressible, weights
    from specbridge.spec.layers.core import Dense

    result = check_text("specbridge: 1\nname: t\ninput: {shape: [4]}\nlayers:\n  - {type: Dense, units: 2, name: head}\n")
    keras_model = SimpleNamespace(layers=[SimpleNamespace(name="head")], get_layer=lambda name: None)
    torch_model = type("M", (), {"SPEC_LAYERS": {"head": "head"}, "get_submodule": lambda self, name: None})()
    monkeypatch.delitem(weights.WEIGHT_CONVERTERS.entries, Dense)
    with pytest.raises(NotExpressible, match="head.*weights cannot be transferred"):
        weights.torch_to_keras(torch_model, keras_model, result)
