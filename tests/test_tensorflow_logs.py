"""No TensorFlow or absl log line reaches the user's terminal from crosscheck, convert, emit or the library.

TensorFlow prints its start-up notices straight to file descriptor 2; with oneDNN on (the default on CPUs with
AVX-512 or AMX) the "oneDNN custom operations are on" line ignores TF_CPP_MIN_LOG_LEVEL. Every test here forces
both settings of TF_ENABLE_ONEDNN_OPTS, so it means the same thing on every CPU; `--verbose` lets the lines
through, which shows the setting really produces them.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from frameworks import import_framework

from specbridge.extras import TF_STARTUP_NOISE, filtered_stderr

SPEC = textwrap.dedent("""\
    specbridge: 1
    name: tiny
    input: {shape: [6, 6, 2]}
    layers:
      - {type: Conv2D, filters: 3, kernel_size: 3}
      - {type: Flatten}
      - {type: Dense, units: 2}
""")
MARKERS = ("absl", "oneDNN", "cpu_feature_guard", "I0000", "W0000", "TF_ENABLE_ONEDNN_OPTS", "rebuild TensorFlow")
ONEDNN = pytest.mark.parametrize("onednn", ["0", "1"], ids=["onednn-off", "onednn-on"])


def run(args: list[str], onednn: str, cwd, extra_env: dict | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "SPECBRIDGE_DEBUG", "FORCE_COLOR")}
    env.update({"TF_ENABLE_ONEDNN_OPTS": onednn, **(extra_env or {})})
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=600, stdin=subprocess.DEVNULL)


def assert_clean(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    for marker in MARKERS:
        assert marker not in proc.stderr, proc.stderr


@pytest.fixture(scope="module")
def spec_path(tmp_path_factory):
    path = tmp_path_factory.mktemp("logs") / "tiny.spec.yaml"
    path.write_text(SPEC)
    return path


@pytest.fixture(scope="module")
def keras_file(tmp_path_factory):
    keras = import_framework("keras")
    import_framework("torch")
    inputs = keras.Input((6, 6, 2))
    model = keras.Model(inputs, keras.layers.Dense(2)(keras.layers.Flatten()(keras.layers.Conv2D(3, 3)(inputs))))
    path = tmp_path_factory.mktemp("logs") / "tiny.keras"
    model.save(path)
    return path


@ONEDNN
def test_crosscheck_stderr_is_clean_and_verbose_lets_the_lines_through(spec_path, keras_file, onednn):
    quiet = run(["-m", "specbridge", "crosscheck", str(spec_path), "--backends", "keras,pytorch"], onednn,
                spec_path.parent)
    assert_clean(quiet)
    assert "agree" in quiet.stdout.lower() or "ok" in quiet.stdout.lower(), quiet.stdout
    loud = run(["-m", "specbridge", "crosscheck", str(spec_path), "--backends", "keras,pytorch", "--verbose"],
               onednn, spec_path.parent)
    assert loud.returncode == 0, loud.stderr
    assert "absl::InitializeLog" in loud.stderr or "cpu_feature_guard" in loud.stderr, loud.stderr
    if onednn == "1":
        assert "oneDNN custom operations are on" in loud.stderr, loud.stderr


@ONEDNN
def test_convert_stderr_is_clean(keras_file, tmp_path, onednn):
    for target, out in (("pytorch", "m.py"), ("onnx", "m.onnx"), ("keras", "k.py")):
        assert_clean(run(["-m", "specbridge", "convert", str(keras_file), "--to", target, "-o",
                          str(tmp_path / out)], onednn, tmp_path))


@ONEDNN
def test_emit_stderr_is_clean(spec_path, tmp_path, onednn):
    for target, out in (("keras", "k.py"), ("pytorch", "t.py"), ("onnx", "m.onnx")):
        assert_clean(run(["-m", "specbridge", "emit", str(spec_path), "--to", target, "-o", str(tmp_path / out)],
                         onednn, tmp_path))


@ONEDNN
def test_library_stderr_is_clean(spec_path, keras_file, tmp_path, onednn):
    script = textwrap.dedent(f"""\
        import specbridge
        model = specbridge.to_keras({str(spec_path)!r})
        model.predict(__import__("numpy").ones((1, 6, 6, 2), "float32"), verbose=0)
        specbridge.convert({str(keras_file)!r}, to="pytorch", out={str(tmp_path / "lib.py")!r})
    """)
    assert_clean(run(["-c", script], onednn, tmp_path))


def test_a_users_log_level_is_honoured_by_the_library(spec_path, tmp_path):
    script = f"import specbridge; specbridge.to_keras({str(spec_path)!r})"
    proc = run(["-c", script], "1", tmp_path, {"TF_CPP_MIN_LOG_LEVEL": "0"})
    assert proc.returncode == 0, proc.stderr
    assert "oneDNN custom operations are on" in proc.stderr  # asked for: not filtered


def test_the_filter_drops_only_the_start_up_notices(capfd):
    noise = ("WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
             "I0000 00:00:1796652660.706646    2298 port.cc:153] oneDNN custom operations are on. You may see "
             "slightly different numerical results\n")
    real = "E0000 00:00:1.0 1 kernel.cc:12] a real failure\n"
    with filtered_stderr(TF_STARTUP_NOISE):
        os.write(2, (noise + real).encode())
    err = capfd.readouterr().err
    assert err == real
