"""*.json specs are parsed as JSON, strictly, with the line and column of the problem (issue 6)."""

from __future__ import annotations

import json

import pytest

from specbridge.check import check_file, check_text
from specbridge.spec.jsonsource import strict_load
from specbridge.spec.loader import syntax_of
from specbridge.spec.source import SyntaxProblem

VALID = {"specbridge": 1, "name": "m", "input": {"shape": [8]}, "layers": [{"type": "Dense", "units": 2}]}


def located(text: str, file: str = "m.spec.json"):
    result = check_text(text, file)
    assert not result.ok
    return [(d.code, d.line, d.column, d.message) for d in result.diagnostics]


def test_a_trailing_comma_fails_in_a_json_file():
    """The defect: the YAML parser accepted this (exit 0) although json.load rejects it."""
    text = '{"specbridge": 1, "name": "m",\n "input": {"shape": [8]},\n "layers": [{"type": "Dense", "units": 2},]}\n'
    with pytest.raises(json.JSONDecodeError):
        json.loads(text)
    ((code, line, column, message),) = located(text)
    assert (code, line, column) == ("SB001", 3, text.splitlines()[2].index("]}") + 1)
    assert "trailing comma" in message


def test_the_same_text_in_a_yaml_file_is_still_yaml():
    text = '{"specbridge": 1, "name": "m", "input": {"shape": [8]}, "layers": [{"type": "Dense", "units": 2},]}'
    assert check_text(text, "m.spec.yaml").ok
    assert syntax_of("M.SPEC.JSON") == "json" and syntax_of("m.yaml") == "yaml" and syntax_of(None) == "yaml"


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_nan_and_infinity_are_refused_where_they_are(constant):
    text = '{"specbridge": 1, "name": "NaN Infinity",\n "input": {"shape": [8]},\n' \
           f' "layers": [{{"type": "Dropout", "rate": {constant}}}]}}\n'
    ((code, line, column, message),) = located(text)
    assert (code, line, column) == ("SB001", 3, 41)
    assert "not a JSON number" in message


def test_duplicate_keys_are_located():
    text = '{"specbridge": 1, "name": "m",\n "input": {"shape": [8]},\n "name": "again", "layers": []}'
    ((code, line, column, message),) = located(text)
    assert (code, line, column) == ("SB001", 3, 2) and "duplicate key 'name'" in message


@pytest.mark.parametrize("text", ['{"a": 1} // comment', "{'a': 1}", '{"a": 01}', "[1, 2", '{"a": 1}\n{"b": 2}'])
def test_json_syntax_errors_have_a_position(text):
    with pytest.raises(SyntaxProblem) as exc:
        strict_load(text)
    assert exc.value.line >= 1 and exc.value.column >= 1 and exc.value.message.startswith("invalid JSON")


def test_valid_json_keeps_positions(tmp_path):
    text = json.dumps({**VALID, "layers": [{"type": "Dense", "units": 2}, {"type": "Conv2D", "filters": 2,
                                                                           "kernel_size": 3}]}, indent=2)
    path = tmp_path / "m.spec.json"
    path.write_text(text)
    result = check_file(path)
    (d,) = result.errors
    conv_line = next(i for i, line in enumerate(text.splitlines(), 1) if "Conv2D" in line)
    assert d.code == "SB200" and (d.line, d.column) == (conv_line - 1, 5)


def test_json_that_yaml_reads_differently_still_loads():
    """A key over 1,024 characters is valid JSON but not a YAML simple key: the JSON data is used, unlocated."""
    text = json.dumps({**VALID, "description": "x", "k" * 1100: 1})
    ((code, line, column, message),) = located(text)
    assert code == "SB011" and (line, column) == (1, 1)


def test_deep_json_is_refused():
    text = "[" * 50_000 + "]" * 50_000
    (d,) = check_text(text, "deep.json").diagnostics
    assert d.code == "SB004"
