"""Every diagnostic code's example in docs/codes.md is real: it triggers exactly its code, and its fix works.

The examples live in specbridge/report/code_examples.py (keyed by code). A spec example is checked as a file named
model.spec.yaml; a command example runs the CLI in-process, with its VAR=value prefix as environment variables.
"""

from __future__ import annotations

import shlex

import pytest

from specbridge.check import check_text
from specbridge.diagnostics.codes import REGISTRY
from specbridge.report.code_examples import EXAMPLES

SPEC_EXAMPLES = sorted(code for code, example in EXAMPLES.items() if example.command is None)
COMMAND_EXAMPLES = sorted(code for code, example in EXAMPLES.items() if example.command and example.spec)
# Situations the CLI reports without the diagnostic itself: a missing framework (exit 2, a one-line error) and
# models that differ (the crosscheck report, exit 1, names the layer); tests/crosscheck covers both behaviours.
# SB500-SB502 need a model file, not a spec: tests/importer writes the models and checks each code.
NOT_RUNNABLE = {"SB401", "SB402", "SB500", "SB501", "SB502", "SB600", "SB601", "SB602", "SB603", "SB604"}


def test_every_registered_code_has_an_example():
    assert set(REGISTRY) <= set(EXAMPLES), f"add an example to report/code_examples.py: {set(REGISTRY) - set(EXAMPLES)}"
    assert set(EXAMPLES) <= set(REGISTRY)
    untested = {c for c, e in EXAMPLES.items() if e.command and not e.spec}
    assert untested == NOT_RUNNABLE


@pytest.mark.parametrize("code", SPEC_EXAMPLES)
def test_the_spec_triggers_exactly_its_code_and_the_fix_clears_it(code):
    example = EXAMPLES[code]
    found = {d.code for d in check_text(example.text(), "model.spec.yaml").diagnostics}
    assert found == {code}, found
    assert example.before is not None and "\n" not in example.before + (example.after or "")
    fixed = check_text(example.fixed(), "model.spec.yaml").diagnostics
    assert not fixed, [(d.code, d.message) for d in fixed]


@pytest.mark.parametrize("code", COMMAND_EXAMPLES)
def test_the_command_reports_its_code(code, run, tmp_path, monkeypatch):
    example = EXAMPLES[code]
    words = shlex.split(example.command.split("#")[0])
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        monkeypatch.setenv(name, value)
    assert words[0] == "specbridge" and "model.spec.yaml" in words
    monkeypatch.chdir(tmp_path)
    (tmp_path / "model.spec.yaml").write_text(example.text())
    result = run(*words[1:])
    assert code in result.output and result.exit_code in (1, 2), result.output
    assert "Traceback" not in result.output
    if example.before is not None:
        (tmp_path / "model.spec.yaml").write_text(example.fixed())
        fixed = run(*words[1:])
        assert code not in fixed.output and fixed.exit_code == 0, fixed.output


def test_the_reference_page_shows_every_example():
    from specbridge.report.codes import markdown

    page = markdown()
    for code, example in EXAMPLES.items():
        assert f"### `{code}` {REGISTRY[code].name}" in page
        if example.spec:
            assert example.text() in page
        if example.command:
            assert example.command in page
