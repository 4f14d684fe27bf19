"""Fuzzing the loader, the checker, the reports and the CLI: never an uncaught exception, never a hang, only the
documented exit codes (issue 6).

CI runs a fixed, derandomized sample (about half a minute). The long run scales every count and draws new
examples each time:

    SPECBRIDGE_FUZZ_SCALE=200 nice .venv/bin/python -m pytest -q -p no:cacheprovider tests/fuzz

(see tests/fuzz/README.md).
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import SCALE, TEXTS, mutated_data, mutated_text, raw_text

from specbridge.check import check_text
from specbridge.cli.app import main
from specbridge.cli.exit_codes import FAILED, OK, USAGE

LONG_RUN = SCALE > 1
# Per-example deadline: generous for a loaded CI machine, far below "a hang" (the alias bomb took over 60 s).
DEADLINE = timedelta(seconds=5)


def fuzz_settings(examples: int):
    return settings(
        max_examples=examples * SCALE, deadline=DEADLINE, derandomize=not LONG_RUN, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
    )


def exercise(name: str, text: str) -> None:
    """The library path: check, and every report over the result. Any exception fails the test."""
    from specbridge.report import explain, summary

    result = check_text(text, name)
    for d in result.diagnostics:
        assert d.message and d.line >= 0 and d.column >= 0, d
    if result.ok:
        summary.render_text(result)
        summary.document(result)
    explain.render_text(result, None, text)
    explain.document(result)


@fuzz_settings(1500)
@given(st.binary(max_size=600))
def test_raw_bytes_never_break_the_library(data):
    exercise("fuzz.spec.yaml", raw_text(data))


@fuzz_settings(600)
@given(st.binary(max_size=400))
def test_raw_bytes_as_json(data):
    exercise("fuzz.spec.json", raw_text(data))


@fuzz_settings(2500)
@given(mutated_text())
def test_mutated_fixtures_never_break_the_library(case):
    exercise(*case)


@fuzz_settings(2000)
@given(mutated_data())
def test_mutated_data_never_breaks_the_library(case):
    exercise(*case)


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(argv)
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 99)
        else:
            code = 0
    return code, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def workdir():
    with tempfile.TemporaryDirectory(prefix="specbridge-fuzz-") as d:
        yield d


def cli_case(workdir: str, name: str, payload: bytes, command: list[str]) -> None:
    path = os.path.join(workdir, name)
    with open(path, "wb") as f:
        f.write(payload)
    code, _, err = run_cli([*command, path])
    assert code in (OK, FAILED, USAGE), (code, err)
    assert "Traceback" not in err and "internal error" not in err, err


COMMANDS = st.sampled_from([["check"], ["check", "--format", "json"], ["summary"], ["explain"], ["check", "--format",
                                                                                                 "sarif"]])


@fuzz_settings(300)
@given(data=st.binary(max_size=400), command=COMMANDS)
def test_cli_on_raw_bytes(workdir, data, command):
    cli_case(workdir, "raw.spec.yaml", data, command)


@fuzz_settings(500)
@given(case=mutated_text() | mutated_data(), command=COMMANDS)
def test_cli_on_mutated_specs(workdir, case, command):
    name, text = case
    cli_case(workdir, name, text.encode("utf-8", "surrogateescape"), command)


def test_the_fixtures_feed_the_fuzzer():
    assert len(TEXTS) >= 40 and any(name.endswith(".json") for name, _ in TEXTS)
