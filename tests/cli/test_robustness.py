"""No traceback ever reaches the user; the CLI starts without frameworks or rich; colours only on request."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap

import pytest

from specbridge.cli.app import main
from specbridge.cli.exit_codes import INTERNAL


def test_internal_error_becomes_one_message_and_its_own_exit_code(monkeypatch, capsys, in_specs):
    import specbridge.check

    def explode(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(specbridge.check, "check_text", explode)
    with pytest.raises(SystemExit) as exc:
        main(["check", "seed.spec.yaml"])
    assert exc.value.code == INTERNAL == 3  # not 2: a bug in specbridge is not a usage error
    err = capsys.readouterr().err
    assert err.startswith("specbridge: internal error while checking seed.spec.yaml (ZeroDivisionError: boom)")
    assert "please report" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("argv", [["summary", "seed.spec.yaml"], ["explain", "seed.spec.yaml"]])
def test_internal_error_in_reports_is_caught_too(monkeypatch, capsys, in_specs, argv):
    import specbridge.check

    monkeypatch.setattr(specbridge.check, "check_text", lambda *a, **k: 1 / 0)
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == INTERNAL
    assert "Traceback" not in capsys.readouterr().err


def test_specbridge_debug_shows_the_traceback(monkeypatch, in_specs):
    import specbridge.check

    monkeypatch.setattr(specbridge.check, "check_text", lambda *a, **k: 1 / 0)
    monkeypatch.setenv("SPECBRIDGE_DEBUG", "1")
    from specbridge.cli.exit_codes import InternalError

    with pytest.raises(InternalError) as exc:
        main(["check", "seed.spec.yaml"])
    assert isinstance(exc.value.__cause__, ZeroDivisionError)


def test_main_exit_codes(capsys, in_specs):
    for argv, code in ((["check", "seed.spec.yaml"], 0), (["check", "broken.spec.yaml"], 1), (["check", "nope"], 2)):
        with pytest.raises(SystemExit) as exc:
            main(argv)
        assert (exc.value.code or 0) == code, argv
    capsys.readouterr()


def test_version(run):
    from specbridge import __version__

    result = run("--version")
    assert result.exit_code == 0 and result.stdout == f"specbridge {__version__}\n"


def test_every_command_module_is_registered(monkeypatch):
    """Each cli/<name>.py with a run() is a command, and each command module has its arguments and its help."""
    monkeypatch.setenv("COLUMNS", "100")  # pytest-xdist workers get COLUMNS=80; help is laid out for <= 100
    import importlib
    import pkgutil

    import specbridge.cli
    from specbridge.cli.app import COMMANDS, build_parser

    modules = {m.name for m in pkgutil.iter_modules(specbridge.cli.__path__)}
    with_run = {m for m in modules if hasattr(importlib.import_module(f"specbridge.cli.{m}"), "run")}
    assert with_run == set(COMMANDS)
    help_text = build_parser().format_help()
    for name in COMMANDS:
        module = importlib.import_module(f"specbridge.cli.{name}")
        summary = module.run.__doc__.strip().splitlines()[0]
        assert summary in help_text, f"{name}: the top-level help must show its whole summary line"


def test_forced_colour_output_has_the_same_text(run, in_specs, monkeypatch):
    plain = run("check", "broken.spec.yaml").stdout
    monkeypatch.setenv("FORCE_COLOR", "1")
    coloured = run("check", "broken.spec.yaml").stdout
    assert "\x1b[" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == plain
    monkeypatch.setenv("NO_COLOR", "1")
    assert run("check", "broken.spec.yaml").stdout == plain


PROBE = textwrap.dedent(
    """\
    import json, sys
    from specbridge.cli.app import main
    try:
        main({argv!r})
    except SystemExit as exc:
        code = exc.code or 0
    heavy = ("tensorflow", "keras", "torch", "onnx", "onnxruntime", "jax", "rich", "numpy")
    print("LOADED=" + json.dumps([code, sorted({{m.split(".")[0] for m in sys.modules}} & set(heavy))]))
    """
)


@pytest.mark.parametrize(
    "argv",
    [["check", "seed.spec.yaml", "broken.spec.yaml", "graph.spec.yaml"], ["summary", "seed.spec.yaml"],
     ["explain", "seed.spec.yaml"], ["check", "-f", "sarif", "tree"]],
    ids=lambda a: "-".join(a[:2]),
)
def test_piped_commands_import_no_framework_and_not_even_rich(in_specs, argv):
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=argv)], capture_output=True, text=True, timeout=120,
        env={k: v for k, v in __import__("os").environ.items() if k not in ("FORCE_COLOR",)},
    )
    marker = [ln for ln in proc.stdout.splitlines() if ln.startswith("LOADED=")]
    assert marker, proc.stderr
    code, loaded = json.loads(marker[-1][len("LOADED="):])
    assert code in (0, 1)
    assert loaded == []


def test_probe_control_sees_rich_when_colours_are_forced(in_specs):
    # Without this control, a probe that never records modules would pass the test above.
    import os

    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(argv=["check", "seed.spec.yaml"])], capture_output=True, text=True,
        timeout=120, env={**os.environ, "FORCE_COLOR": "1"},
    )
    assert '"rich"' in proc.stdout


def test_python_dash_m_specbridge(in_specs):
    proc = subprocess.run(
        [sys.executable, "-m", "specbridge", "check", "broken.spec.yaml"], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 1
    assert "broken.spec.yaml:7:5: SB200 error" in proc.stdout
    missing = subprocess.run(
        [sys.executable, "-m", "specbridge", "summary", "nope.yaml"], capture_output=True, text=True, timeout=120
    )
    assert missing.returncode == 2
    assert missing.stderr == "specbridge: error: no such file or directory: 'nope.yaml'\n"
