"""Checking a spec must import none of the frameworks: that is what keeps `specbridge check` and the pre-commit
hook fast and installable without them. Each probe runs in a fresh interpreter, so what other tests imported
cannot hide (or fake) an import."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

FRAMEWORKS = ("tensorflow", "keras", "tf_keras", "torch", "onnx", "onnxruntime", "onnxscript", "jax")
ROOT = Path(__file__).resolve().parent.parent

# One spec touching every layer family (conv, pooling, recurrent, wrappers, merging, normalization, reshaping),
# with a lint warning and an error in it, so the diagnostics and lint paths run too.
SPEC = textwrap.dedent(
    """\
    specbridge: 1
    name: import_probe
    inputs:
      - {name: image, shape: [32, 32, 3]}
      - {name: tokens, shape: [12], dtype: int32}
    layers:
      - {type: Conv2D, filters: 8, kernel_size: 3, padding: same, activation: relu, inputs: [image]}
      - {type: BatchNormalization}
      - {type: MaxPooling2D, pool_size: 2}
      - {type: Reshape, target_shape: [16, 128]}
      - {type: Bidirectional, layer: {type: LSTM, units: 4, return_sequences: true}, name: bilstm}
      - {type: Embedding, input_dim: 100, output_dim: 8, inputs: [tokens], name: embed}
      - {type: TimeDistributed, layer: {type: Dense, units: 8}, name: td}
      - {type: GlobalAveragePooling1D, name: pooled_text}
      - {type: GlobalMaxPooling1D, inputs: [bilstm], name: pooled_image}
      - {type: Concatenate, inputs: [pooled_text, pooled_image]}
      - {type: Dense, units: 10, activation: softmax, in_features: 99}
    """
)

PROBE = textwrap.dedent(
    """\
    import json, sys
    frameworks = {frameworks!r}
    {action}
    loaded = sorted(m for m in sys.modules if m.split(".")[0] in frameworks)
    print("LOADED=" + json.dumps(loaded))
    """
)


def _loaded_frameworks(action: str) -> list[str]:
    code = PROBE.format(frameworks=FRAMEWORKS, action=textwrap.indent(textwrap.dedent(action), "").strip())
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    marker = [line for line in proc.stdout.splitlines() if line.startswith("LOADED=")]
    assert marker, f"probe failed (exit {proc.returncode}):\nstdout:\n{proc.stdout}\nstderr:\n{proc.stderr}"
    return json.loads(marker[-1][len("LOADED="):])


def _spec_files(tmp_path: Path) -> list[Path]:
    probe = tmp_path / "probe.spec.yaml"
    probe.write_text(SPEC, encoding="utf-8")
    fixtures = sorted((ROOT / "fixtures").rglob("*.spec.*")) if (ROOT / "fixtures").is_dir() else []
    return [probe, *fixtures]


def test_the_probe_sees_a_framework_import():
    # Control: without it, a broken probe (wrong module names, a swallowed error) would pass every test below.
    assert "onnx" in _loaded_frameworks("import onnx")


def test_check_file_imports_no_framework(tmp_path):
    files = [str(p) for p in _spec_files(tmp_path)]
    action = f"""
from specbridge.check import check_file
results = [check_file(f) for f in {files!r}]
assert results[0].records, "the probe spec produced no shape records"
assert any(d.severity.value == "error" for d in results[0].diagnostics), "the probe spec's error was not found"
"""
    assert _loaded_frameworks(action) == []


def test_library_entry_points_import_no_framework(tmp_path):
    good = tmp_path / "good.spec.yaml"
    good.write_text(SPEC.replace(", in_features: 99", ""), encoding="utf-8")
    action = f"""
import specbridge
spec = specbridge.load_spec({str(good)!r})
assert specbridge.check_file({str(good)!r}).ok
"""
    assert _loaded_frameworks(action) == []


@pytest.mark.parametrize(
    "command",
    [["check"], ["check", "--format", "json"], ["summary"], ["explain"], ["schema"]],
    ids=lambda c: "-".join(c),
)
def test_cli_imports_no_framework(tmp_path, command):
    files = [str(p) for p in _spec_files(tmp_path)]
    if command[0] == "check":
        argv = [*command, *files]
    elif command[0] == "schema":
        argv = ["schema", "-o", str(tmp_path / "schema.json")]
    else:
        good = tmp_path / "good.spec.yaml"
        good.write_text(SPEC.replace(", in_features: 99", ""), encoding="utf-8")
        argv = [*command, str(good)]
    action = f"""
import sys
from specbridge.cli.app import main
sys.argv = ["specbridge", *{argv!r}]
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
    # 2: the fixtures include deliberately refused input (fixtures/invalid/alias_bomb), which check reports too
    assert code in (0, 1, 2), f"specbridge {{sys.argv[1:]}} exited {{code}}"
"""
    assert _loaded_frameworks(action) == []
