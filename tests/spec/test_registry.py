"""The static name table in spec/registry.py (which lets a check import only the layer families it uses)
must say exactly what the layer classes say, and every layer type must have a shape rule."""

import subprocess
import sys
import typing

from specbridge.shapes.infer import load_all_rules
from specbridge.spec import registry


def test_family_table_matches_the_classes():
    from_classes = {}
    for cls in registry.LAYER_CLASSES:
        family = cls.__module__.rsplit(".", 1)[1]
        from_classes.setdefault(family, []).append(typing.get_args(cls.model_fields["type"].annotation))
    assert {f: tuple(groups) for f, groups in from_classes.items()} == registry.FAMILIES


def test_every_layer_type_has_a_shape_rule_in_its_family_module():
    rules = load_all_rules()
    for cls in registry.LAYER_CLASSES:
        kind = cls.type_names()[0]
        assert kind in rules, f"no shape rule for {kind}"
        assert rules[kind].__module__.rsplit(".", 1)[1] == registry.FAMILY_OF[kind], kind


def test_aliases_resolve_to_their_canonical_class():
    assert registry.layer_class("MaxPool2D") is registry.layer_class("MaxPooling2D")
    assert registry.layer_class("MaxPool2D").type_names()[0] == "MaxPooling2D"
    assert registry.layer_class("Conv2d") is None


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
    assert "core" in loaded
    assert loaded == {"core"}, loaded


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
