"""Unknown (null) input axes: sizes from the spec's own shape rules, --dims, JSON on every failure, quiet stderr.

The two specs are real models that pass `check` but crashed `crosscheck` when every unknown axis was given 8 steps:
TensorFlow refused the convolutions, and the user got "internal error" with raw ANSI escapes.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from crosscheck_helpers import checked, spec_text

from specbridge.crosscheck.dims import DEFAULT_SIZE, ChosenDim, DimsError, choose_dims, parse_dims, unknown_axes

# Conv1D k5 -> MaxPooling1D 3 -> Conv1D k5 -> GRU -> Dense on 14 features per step.
SENSOR = spec_text([None, 14], [
    {"type": "Conv1D", "filters": 16, "kernel_size": 5, "activation": "relu"},
    {"type": "MaxPooling1D", "pool_size": 3},
    {"type": "Conv1D", "filters": 16, "kernel_size": 5, "activation": "relu"},
    {"type": "GRU", "units": 8},
    {"type": "Dense", "units": 2},
], name="sensor_conv_gru")
# A speech model: 161 spectrogram bins per frame, Conv1D k11 stride 2, then a GRU.
SPEECH = spec_text([None, 161], [
    {"type": "Conv1D", "filters": 32, "kernel_size": 11, "strides": 2, "activation": "relu"},
    {"type": "GRU", "units": 16, "return_sequences": True},
], name="speech_conv_gru")
ANSI = re.compile(r"\x1b[\[\]]")


@pytest.fixture
def spec_file(tmp_path):
    def write(text: str, name: str = "model.spec.json") -> str:
        path = tmp_path / name
        path.write_text(text)
        return str(path)

    return write


def _smallest_accepted(length_ok) -> int:
    return next(n for n in range(DEFAULT_SIZE, 1000) if length_ok(n))


def test_the_sizes_are_the_smallest_the_shape_rules_accept():
    # SENSOR: L-4 after conv1d, floor((L-4-3)/3)+1 after pooling, which conv1d_1 (k5) needs >= 5: L >= 19.
    sensor = _smallest_accepted(lambda n: (n - 4 - 3) // 3 + 1 >= 5)
    # SPEECH: floor((L-11)/2)+1 >= 1: L >= 11.
    speech = _smallest_accepted(lambda n: (n - 11) // 2 + 1 >= 1)
    assert choose_dims(checked(SENSOR)) == [ChosenDim("input_layer", 1, sensor, False)]
    assert choose_dims(checked(SPEECH)) == [ChosenDim("input_layer", 1, speech, False)]
    assert (sensor, speech) == (19, 11)


def test_several_unknown_axes_each_get_their_smallest_size():
    # Rows need a 9-wide kernel, columns a 3-wide one: each axis is lowered on its own.
    result = checked(spec_text([None, None, 1], [{"type": "Conv2D", "filters": 2, "kernel_size": [20, 3]}]))
    assert unknown_axes(result) == [("input_layer", 1), ("input_layer", 2)]
    assert [(d.axis, d.size) for d in choose_dims(result)] == [(1, 20), (2, DEFAULT_SIZE)]


def test_a_size_below_the_default_when_only_that_fits():
    """Found by the differential campaign: an unknown axis merged with an axis of size 6 must be 6."""
    import json

    result = checked(json.dumps({
        "specbridge": 1, "name": "r", "inputs": [{"name": "a", "shape": [None, 1]}, {"name": "b", "shape": [6, 1]}],
        "layers": [{"type": "Subtract", "name": "merge", "inputs": ["a", "b"]}],
    }))
    assert choose_dims(result) == [ChosenDim("a", 1, 6, False)]


def test_a_size_beyond_the_linear_scan_is_found_and_is_the_smallest():
    result = checked(spec_text([None, 1], [{"type": "Conv1D", "filters": 1, "kernel_size": 300}]))
    assert [d.size for d in choose_dims(result)] == [300]


def test_dims_syntax_and_its_errors():
    result = checked(spec_text([None, None, 1], [{"type": "Conv2D", "filters": 2, "kernel_size": 3}]))
    assert parse_dims(["12"], result) == {("input_layer", 1): 12, ("input_layer", 2): 12}
    assert parse_dims(["1=12,2=30"], result) == {("input_layer", 1): 12, ("input_layer", 2): 30}
    assert parse_dims(["input_layer:2=30"], result) == {("input_layer", 2): 30}
    chosen = choose_dims(result, parse_dims(["2=30"], result))
    assert [(d.axis, d.size, d.given) for d in chosen] == [(1, DEFAULT_SIZE, False), (2, 30, True)]
    for bad, words in (("3=5", "not unknown"), ("x:1=5", "no input named 'x'"), ("1=a", "whole numbers"),
                       ("0", "at least 1")):
        with pytest.raises(DimsError, match=words):
            parse_dims([bad], result)
    with pytest.raises(DimsError, match="does not check with the sizes --dims gives"):
        choose_dims(result, parse_dims(["2"], result))


def test_dims_names_the_input_of_a_graph():
    text = json.dumps({"specbridge": 1, "name": "two", "inputs": [{"name": "a", "shape": [None, 4]},
                                                                   {"name": "b", "shape": [None, 4]}],
                       "layers": [{"type": "Concatenate", "axis": 1, "inputs": ["a", "b"]}]})
    result = checked(text)
    with pytest.raises(DimsError, match="several inputs"):
        parse_dims(["1=5"], result)
    assert parse_dims(["b:1=5"], result) == {("b", 1): 5}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("text", [SENSOR, SPEECH], ids=["sensor", "speech"])
def test_the_real_models_cross_check(run, spec_file, keras, torch, text, dtype):
    path = spec_file(text)
    assert run("check", path).exit_code == 0
    result = run("crosscheck", path, "--dtype", dtype, "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ok"] is True and data["dtype"] == dtype
    assert data["dims"] == [{"input": "input_layer", "axis": 1, "size": 19 if text is SENSOR else 11, "given": False}]


def test_the_text_report_prints_the_sizes_and_dims_overrides_them(run, spec_file, keras, torch):
    path = spec_file(SPEECH)
    searched = run("crosscheck", path, "--samples", "2")
    assert searched.exit_code == 0, searched.output
    assert "unknown axes: input_layer axis 1 = 11; searched: the smallest size from 8 up" in searched.stdout
    given = run("crosscheck", path, "--samples", "2", "--dims", "1=40")
    assert given.exit_code == 0, given.output
    assert "unknown axes: input_layer axis 1 = 40 (--dims)\n" in given.stdout


def test_dims_the_spec_rejects_is_a_usage_error_in_text_and_json(run, spec_file):
    path = spec_file(SPEECH)
    text = run("crosscheck", path, "--dims", "1=5")
    assert text.exit_code == 2 and text.stdout == ""
    assert text.stderr.startswith("specbridge: error: the spec does not check with the sizes --dims gives")
    assert "SB201" in text.stderr
    data = json.loads(run("crosscheck", path, "--dims", "1=5", "--format", "json").stdout)
    assert data["ok"] is False and data["exit_code"] == 2 and "SB201" in data["error"]


def test_every_failure_is_json_under_format_json(run, spec_file):
    bad_option = run("crosscheck", spec_file(SPEECH), "--dtype", "float16", "--format", "json")
    assert bad_option.exit_code == 2
    assert json.loads(bad_option.stdout)["exit_code"] == 2
    missing = run("crosscheck", "no-such.spec.yaml", "-f", "json")
    assert missing.exit_code == 2 and "no such file" in json.loads(missing.stdout)["error"]


def test_an_internal_error_is_json_exit_3_and_has_no_ansi(run, spec_file, monkeypatch):
    import specbridge.crosscheck

    def explode(*args, **kwargs):
        raise ValueError("Exception encountered when calling Conv1D.call().\n\n\x1b[1mempty output\x1b[0m")

    monkeypatch.setattr(specbridge.crosscheck, "run_crosscheck", explode)
    path = spec_file(SPEECH)
    text = run("crosscheck", path)
    assert text.exit_code == 3 and text.stderr.startswith("specbridge: internal error ValueError")
    assert "empty output" in text.stderr and not ANSI.search(text.stderr)
    as_json = run("crosscheck", path, "--format", "json")
    data = json.loads(as_json.stdout)
    assert as_json.exit_code == 3 and data["exit_code"] == 3 and data["ok"] is False
    assert data["error"].startswith("internal error ValueError") and not ANSI.search(data["error"])


def test_stderr_has_no_tensorflow_log_lines_and_no_ansi(spec_file, keras, torch):
    """The console script as a user runs it, stderr piped, even with TensorFlow's INFO logging asked for."""
    path = spec_file(SENSOR)
    env = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "SPECBRIDGE_DEBUG")}
    env["TF_CPP_MIN_LOG_LEVEL"] = "0"  # a user's shell setting: crosscheck's report must stay clean anyway
    for args in ([path, "--samples", "2"], [path, "--dims", "1=3"]):
        proc = subprocess.run([sys.executable, "-m", "specbridge", "crosscheck", *args], env=env,
                              capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)
        assert proc.returncode in (0, 2), proc.stderr
        for marker in ("absl", "oneDNN", "cpu_feature_guard", "I0000", "W0000", "E0000", "TF_ENABLE_ONEDNN_OPTS"):
            assert marker not in proc.stderr, proc.stderr
        assert not ANSI.search(proc.stderr + proc.stdout), proc.stderr
    assert proc.stderr.startswith("specbridge: error: the spec does not check"), proc.stderr


def test_expect_written_for_the_unknown_size_does_not_reject_a_size():
    # `expect: {shape: [null, ...]}` describes the spec as written; a concrete size is not an SB208.
    text = spec_text([None, 4], [{"type": "Dense", "units": 3, "expect": {"shape": [None, 3], "params": 15}}])
    assert [d.size for d in choose_dims(checked(text))] == [DEFAULT_SIZE]
