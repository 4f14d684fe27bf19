"""The layer catalog: every type is declared once by its class, and the generated name index (which lets a check
import only the layer families it uses) says exactly what the classes say."""

import subprocess
import sys

import pytest

from specbridge.spec import catalog
from specbridge.spec.base import Layer


def test_generated_index_is_current(update_golden):
    if update_golden:
        catalog.write_index()
    assert catalog.INDEX_PATH.read_text(encoding="utf-8") == catalog.index_source(), (
        "spec/layers/index.py is stale: run `pytest tests/spec --update-golden`"
    )


def test_every_class_declares_its_family_and_lives_in_that_module():
    for cls in catalog.all_classes():
        assert cls.FAMILY in catalog.FAMILY_ORDER, cls
        assert cls.__module__ == f"specbridge.spec.layers.{cls.FAMILY}", cls
        assert cls in catalog.family_classes(cls.FAMILY)


@pytest.mark.parametrize("cls", catalog.all_classes(), ids=lambda c: c.type_names()[0])
def test_traits_are_consistent_with_the_fields(cls: type[Layer]):
    fields = cls.model_fields
    if cls.DATA_FORMAT:
        assert "data_format" in fields, "DATA_FORMAT needs a data_format argument"
    if cls.WRAPS:
        assert "layer" in fields
    if cls.RANK is not None:
        assert cls.RANK in (1, 2, 3)
    low, high = cls.CALL.count
    assert low >= 1 and (high is None or high >= low)
    for name in cls.CALL.not_constructor_arguments():
        assert name in fields, f"the call argument {name!r} needs a field"
    assert set(cls.CALL.keyword_tensors).isdisjoint(cls.CALL.options)


def test_aliases_resolve_to_their_canonical_class():
    assert catalog.layer_class("MaxPool2D") is catalog.layer_class("MaxPooling2D")
    assert catalog.layer_class("MaxPool2D").type_names()[0] == "MaxPooling2D"
    assert catalog.layer_class("Conv2d") is None


def test_siblings_come_from_declared_rank_and_base_class():
    pooling = catalog.family_classes("pooling")
    by_name = {c.type_names()[0]: c for c in pooling}
    assert catalog.sibling(by_name["MaxPooling2D"], 1) is by_name["MaxPooling1D"]
    assert catalog.sibling(by_name["GlobalAveragePooling3D"], 2) is by_name["GlobalAveragePooling2D"]
    assert catalog.sibling_name(by_name["MaxPooling2D"], 4, "x") == "x"


def test_a_check_imports_only_the_families_its_spec_uses():
    code = (
        "import sys\n"
        "from specbridge.check import check_text\n"
        "r = check_text('specbridge: 1\\nname: t\\ninput: {shape: [8]}\\nlayers:\\n  - {type: Dense, units: 2}\\n')\n"
        "assert r.ok, r.diagnostics\n"
        "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('specbridge.spec.layers.')))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(eval(out))
    assert loaded == {"core", "index"}, loaded


def test_time_distributed_resolves_the_whole_union_on_first_use():
    code = (
        "from specbridge.check import check_text\n"
        "r = check_text('specbridge: 1\\nname: t\\ninput: {shape: [4, 8]}\\nlayers:\\n"
        "  - {type: TimeDistributed, layer: {type: Dense, units: 2}}\\n')\n"
        "assert r.ok, r.diagnostics\n"
        "print(r.records[0].output_shape)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "(4, 2)"


def test_siblings_keep_the_mode_and_the_argument():
    by_name = {c.type_names()[0]: c for c in catalog.all_classes()}
    assert catalog.sibling(by_name["ZeroPadding2D"], 1) is by_name["ZeroPadding1D"]
    assert catalog.sibling(by_name["Cropping3D"], 1) is by_name["Cropping1D"]
    assert catalog.sibling(by_name["Conv2DTranspose"], 3) is by_name["Conv3DTranspose"]
    assert catalog.sibling(by_name["SpatialDropout1D"], 2) is by_name["SpatialDropout2D"]
