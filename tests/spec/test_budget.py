"""emit and crosscheck refuse a model over the memory limit before any framework allocates (issue 6).

No framework is imported here: the refusal happens in the library, before the emitted code exists.
"""

from __future__ import annotations

import sys

import pytest

from specbridge.check import check_text
from specbridge.emit import ModelTooLarge, keras_source, torch_source
from specbridge.emit.budget import (
    DEFAULT_MAX_MODEL_BYTES,
    UNKNOWN_DIM_SIZE,
    activation_bytes,
    check_budget,
    max_model_bytes,
)

HUGE = "specbridge: 1\nname: huge\ninput: {shape: [1000000]}\nlayers:\n  - {type: Dense, units: 1000000}\n"
SMALL = "specbridge: 1\nname: small\ninput: {shape: [null, 8]}\nlayers:\n  - {type: Dense, units: 4}\n"


@pytest.mark.parametrize("emit", [keras_source, torch_source])
def test_emit_refuses_a_dense_with_10_to_the_12_weights(emit):
    result = check_text(HUGE)
    assert result.ok
    with pytest.raises(ModelTooLarge) as exc:
        emit(result)
    assert exc.value.needed == 4 * result.total_params and exc.value.limit == DEFAULT_MAX_MODEL_BYTES
    d = exc.value.diagnostic(result)
    assert d.code == "SB403" and d.layer == "dense" and d.line == 5
    assert "SPECBRIDGE_MAX_MODEL_BYTES" in d.hint and "TiB" in d.message


def test_refusing_imports_no_framework():
    """A fresh process: other tests in this worker may have imported torch or tensorflow already."""
    import subprocess

    code = (
        "import sys\n"
        "from specbridge.check import check_text\n"
        "from specbridge.emit import torch_source\n"
        "from specbridge.emit.budget import ModelTooLarge\n"
        f"result = check_text({HUGE!r})\n"
        "try:\n    torch_source(result)\nexcept ModelTooLarge:\n    pass\nelse:\n    raise SystemExit('not refused')\n"
        "print(sorted(m for m in ('torch', 'tensorflow', 'keras') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_limit_is_configurable(monkeypatch):
    result = check_text(SMALL)
    assert "def build_model" in keras_source(result)
    monkeypatch.setenv("SPECBRIDGE_MAX_MODEL_BYTES", "100")
    assert max_model_bytes() == 100
    with pytest.raises(ModelTooLarge):
        keras_source(result)  # 36 params * 4 bytes = 144 > 100
    assert check_budget(result, limit=144) == 144


@pytest.mark.parametrize("value", ["big", "0", "-1"])
def test_a_bad_setting_is_reported(monkeypatch, value):
    monkeypatch.setenv("SPECBRIDGE_MAX_MODEL_BYTES", value)
    with pytest.raises(ModelTooLarge, match="SPECBRIDGE_MAX_MODEL_BYTES must be a positive integer") as exc:
        keras_source(check_text(SMALL))
    assert exc.value.diagnostic(check_text(SMALL)).hint is None


def test_crosscheck_counts_activations_of_both_frameworks():
    result = check_text(SMALL)
    per_framework = (UNKNOWN_DIM_SIZE * 8 + UNKNOWN_DIM_SIZE * 4) * 3 * 8  # 3 samples, float64
    assert activation_bytes(result, 3, "float64") == per_framework
    assert check_budget(result, dtype="float64", samples=3) == 2 * (36 * 8 + per_framework)


def test_crosscheck_refuses_before_building(monkeypatch):
    from specbridge.crosscheck import run as run_module

    def never(*args, **kwargs):
        raise AssertionError("a framework was asked to build the model")

    monkeypatch.setattr(run_module, "build_pair", never)
    with pytest.raises(ModelTooLarge):
        run_module.run_crosscheck(check_text(HUGE))


def test_the_unknown_size_matches_the_crosscheck_inputs():
    pytest.importorskip("numpy")
    from specbridge.crosscheck.inputs import UNKNOWN_DIM_SIZE as USED

    assert UNKNOWN_DIM_SIZE == USED
