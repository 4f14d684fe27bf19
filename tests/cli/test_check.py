"""`specbridge check`: exit codes, formats, --strict, directories, unreadable input."""

from __future__ import annotations

import json

import pytest

from specbridge.diagnostics.codes import REGISTRY

DIAGNOSTIC_KEYS = ["file", "code", "name", "severity", "message", "layer", "line", "column", "hint"]


def test_good_spec_exits_0_with_summary_line(run, in_specs):
    result = run("check", "seed.spec.yaml")
    assert result.exit_code == 0, result.output
    assert result.stdout == "1 spec OK\n"


def test_errors_exit_1_with_located_messages_and_hints(run, in_specs):
    result = run("check", "broken.spec.yaml")
    assert result.exit_code == 1
    out = result.stdout
    assert "broken.spec.yaml:7:5: SB200 error: Conv2D expects ndim=4" in out
    assert "broken.spec.yaml:8:19: SB011 error: Dense does not accept the argument `unit`" in out
    assert "  hint: did you mean `units`?" in out
    assert out.rstrip().endswith("Checked 1 file: 2 errors, 0 warnings")
    assert "requires the argument `units`" not in out  # the follow-up of the misspelling


def test_text_output_shows_the_source_line_and_a_caret(run, in_specs):
    out = run("check", "broken.spec.yaml").stdout.splitlines()
    i = out.index(next(ln for ln in out if ":8:19: SB011" in ln))
    assert out[i + 1] == "  8 |   - {type: Dense, unit: 10}"
    caret_line = out[i + 2]
    assert caret_line.index("^") == out[i + 1].index("unit:")


def test_multiple_files_summary_line_counts_files_errors_and_warnings(run, in_specs):
    result = run("check", "seed.spec.yaml", "broken.spec.yaml", "graph.spec.yaml")
    assert result.exit_code == 1
    assert result.stdout.splitlines()[-1] == "Checked 3 files: 2 errors, 1 warning"


def test_warnings_pass_unless_strict(run, in_specs):
    relaxed = run("check", "graph.spec.yaml")
    assert relaxed.exit_code == 0
    assert "SB103 warning: layer 'side' does not lead to any model output" in relaxed.stdout
    assert relaxed.stdout.splitlines()[-1] == "1 spec OK (1 warning)"
    strict = run("check", "--strict", "graph.spec.yaml")
    assert strict.exit_code == 1
    assert strict.stdout.splitlines()[-1] == "Checked 1 file: 0 errors, 1 warning (--strict: warnings fail)"
    # --strict does not turn a clean spec into a failure
    assert run("check", "--strict", "seed.spec.yaml").exit_code == 0


def test_json_format_has_the_normative_structure(run, in_specs):
    result = run("check", "--format", "json", "broken.spec.yaml", "graph.spec.yaml", "seed.spec.yaml")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert list(doc) == ["diagnostics", "files_checked", "errors", "warnings"]
    assert (doc["files_checked"], doc["errors"], doc["warnings"]) == (3, 2, 1)
    for d in doc["diagnostics"]:
        assert list(d) == DIAGNOSTIC_KEYS
        assert REGISTRY[d["code"]].name == d["name"]
        assert d["severity"] in ("error", "warning", "info")
        assert d["line"] >= 1 and d["column"] >= 1
    first = doc["diagnostics"][0]
    assert first["file"] == "broken.spec.yaml" and first["code"] == "SB200" and first["layer"] == "conv2d"
    assert (first["line"], first["column"]) == (7, 5)


def test_json_format_of_a_clean_spec(run, in_specs):
    result = run("check", "-f", "json", "seed.spec.yaml")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"diagnostics": [], "files_checked": 1, "errors": 0, "warnings": 0}


def test_github_format_emits_workflow_commands(run, in_specs):
    result = run("check", "--format", "github", "broken.spec.yaml", "graph.spec.yaml")
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(
        "::error file=broken.spec.yaml,line=7,col=5,title=SB200 ndim-mismatch::Conv2D expects ndim=4"
    )
    assert "%0Ahint: the input has no channel axis" in lines[0]
    assert any(ln.startswith("::warning file=graph.spec.yaml,line=12,col=5,title=SB103 unused-layer::") for ln in lines)
    assert len(lines) == 3  # one line per diagnostic, no summary line to confuse the runner


def test_sarif_format_is_sarif_2_1_0_with_rules_from_the_registry(run, in_specs):
    result = run("check", "--format", "sarif", "broken.spec.yaml", "graph.spec.yaml")
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["version"] == "2.1.0" and "sarif-2.1.0" in doc["$schema"]
    (sarif_run,) = doc["runs"]
    rules = sarif_run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(REGISTRY)
    results = sarif_run["results"]
    assert len(results) == 3
    for r in results:
        assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
        assert r["level"] in ("error", "warning")
        region = r["locations"][0]["physicalLocation"]["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
    first = results[0]
    assert first["ruleId"] == "SB200" and first["level"] == "error"
    assert first["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "broken.spec.yaml"
    assert first["locations"][0]["physicalLocation"]["region"] == {"startLine": 7, "startColumn": 5}
    assert {r["ruleId"]: r["level"] for r in results}["SB103"] == "warning"


def test_format_is_case_insensitive_and_validated(run, in_specs):
    assert run("check", "--format", "JSON", "seed.spec.yaml").exit_code == 0
    bad = run("check", "--format", "xml", "seed.spec.yaml")
    assert bad.exit_code == 2
    assert "xml" in bad.stderr


def test_directory_is_searched_recursively_for_specs_only(run, in_specs):
    result = run("check", "--format", "json", "tree")
    doc = json.loads(result.stdout)
    # a.spec.yaml, model.json (top-level specbridge key), plain_name.yaml (idem), sub/b.spec.json;
    # not settings.yaml / package.json / README.md (no specbridge key), not .hidden/.
    assert doc["files_checked"] == 4
    assert result.exit_code == 1  # plain_name.yaml has `units: 0`
    assert {d["file"].replace("\\", "/") for d in doc["diagnostics"]} == {"tree/plain_name.yaml"}


def test_directory_files_are_reported_in_a_stable_order(run, in_specs):
    first = run("check", "--format", "sarif", "tree", ".").stdout
    second = run("check", "--format", "sarif", "tree", ".").stdout
    assert first == second


def test_explicit_file_is_checked_whatever_its_name(run, in_specs):
    result = run("check", "tree/settings.yaml")
    assert result.exit_code == 1
    assert "tree/settings.yaml:" in result.stdout.replace("\\", "/")
    assert "SB001 error" in result.stdout


def test_directory_without_specs_is_a_usage_error(run, tmp_path):
    (tmp_path / "notes.yaml").write_text("a: 1\n")
    result = run("check", str(tmp_path))
    assert result.exit_code == 2
    assert "no spec files found" in result.stderr


def test_missing_path_exits_2_with_one_line_and_no_traceback(run, in_specs):
    result = run("check", "seed.spec.yaml", "does-not-exist.yaml")
    assert result.exit_code == 2
    assert result.stderr == "specbridge: error: no such file or directory: 'does-not-exist.yaml'\n"
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_unreadable_file_exits_2_but_other_files_are_still_checked(run, tmp_path):
    binary = tmp_path / "binary.spec.yaml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    good = tmp_path / "good.spec.yaml"
    good.write_text("specbridge: 1\nname: g\ninput: {shape: [3]}\nlayers:\n  - {type: Dense, units: 1}\n")
    result = run("check", str(binary), str(good))
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"specbridge: error: cannot read '{binary}': not UTF-8 text")
    assert result.stdout == "1 spec OK\n"


def test_stdin_is_read_for_dash(run, in_specs):
    text = (in_specs / "broken.spec.yaml").read_text()
    result = run("check", "-", input=text)
    assert result.exit_code == 1
    assert "<stdin>:7:5: SB200 error" in result.stdout


def test_no_arguments_is_a_usage_error(run):
    result = run("check")
    assert result.exit_code == 2


@pytest.mark.parametrize("fmt", ["text", "json", "github", "sarif"])
def test_every_format_agrees_on_the_exit_code(run, in_specs, fmt):
    assert run("check", "-f", fmt, "seed.spec.yaml").exit_code == 0
    assert run("check", "-f", fmt, "broken.spec.yaml").exit_code == 1
    assert run("check", "-f", fmt, "graph.spec.yaml").exit_code == 0
    assert run("check", "-f", fmt, "--strict", "graph.spec.yaml").exit_code == 1
