"""Every input path of the CLI under hostile input: the exit codes of issue 6 (2 for refused or unreadable input)."""

from __future__ import annotations

import time

import pytest

from specbridge.cli.app import main

BOMB = "specbridge: 1\nname: bomb\ninput: {shape: [4]}\n" + 'description: &l0 ["lol", "lol", "lol", "lol", "lol"]\n' + \
    "".join(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]\n" for i in range(1, 9)) + \
    "layers:\n  - {type: Dense, units: 2}\n"
HUGE_MODEL = "specbridge: 1\nname: huge\ninput: {shape: [1000000]}\nlayers:\n  - {type: Dense, units: 1000000}\n"
SMALL = "specbridge: 1\nname: small\ninput: {shape: [8]}\nlayers:\n  - {type: Dense, units: 4}\n"


def run(argv, capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return exc.value.code or 0, out, err


@pytest.mark.parametrize("command", [["check"], ["summary"], ["explain"], ["emit", "--to", "keras"],
                                     ["check", "--format", "json"]])
def test_an_alias_bomb_exits_2_at_once(tmp_path, capsys, command):
    spec = tmp_path / "bomb.spec.yaml"
    spec.write_text(BOMB)
    start = time.perf_counter()
    code, out, err = run([*command[:1], str(spec), *command[1:]], capsys)
    assert time.perf_counter() - start < 1.0
    assert code == 2 and "SB004" in out + err and "Traceback" not in err


def test_a_trailing_comma_in_json_exits_1(tmp_path, capsys):
    spec = tmp_path / "m.spec.json"
    spec.write_text('{"specbridge": 1, "name": "m", "input": {"shape": [4]}, "layers": [{"type": "Flatten"},]}')
    code, out, _ = run(["check", str(spec)], capsys)
    assert code == 1 and ":1:" in out and "trailing comma" in out


def test_binary_junk_and_oversized_files_exit_2(tmp_path, capsys, monkeypatch):
    junk = tmp_path / "junk.spec.yaml"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    code, _, err = run(["check", str(junk)], capsys)
    assert code == 2 and "not UTF-8" in err
    big = tmp_path / "big.spec.yaml"
    big.write_text(SMALL)
    monkeypatch.setenv("SPECBRIDGE_MAX_BYTES", "20")
    code, _, err = run(["summary", str(big)], capsys)
    assert code == 2 and "limit of 20 bytes" in err and "SPECBRIDGE_MAX_BYTES" in err


def test_a_bad_limit_setting_exits_2(tmp_path, capsys, monkeypatch):
    spec = tmp_path / "m.spec.yaml"
    spec.write_text(SMALL)
    monkeypatch.setenv("SPECBRIDGE_MAX_NODES", "many")
    code, out, err = run(["check", str(spec)], capsys)
    assert code == 2 and "SPECBRIDGE_MAX_NODES" in out + err


@pytest.mark.parametrize("target", ["keras", "pytorch"])
def test_emit_refuses_a_model_over_the_memory_limit(tmp_path, capsys, target):
    spec = tmp_path / "huge.spec.yaml"
    spec.write_text(HUGE_MODEL)
    out_file = tmp_path / "model.py"
    out_file.write_text("previous\n")
    code, out, err = run(["emit", str(spec), "--to", target, "-o", str(out_file)], capsys)
    assert code == 2 and "SB403" in out and "SPECBRIDGE_MAX_MODEL_BYTES" in out
    assert out_file.read_text() == "previous\n"


def test_emit_and_schema_write_through_write_atomic(tmp_path, capsys, monkeypatch):
    from specbridge.cli import files

    written = []
    real = files.write_atomic
    monkeypatch.setattr(files, "write_atomic", lambda path, text: written.append(path) or real(path, text))
    spec = tmp_path / "m.spec.yaml"
    spec.write_text(SMALL)
    assert run(["emit", str(spec), "--to", "keras", "-o", str(tmp_path / "m.py")], capsys)[0] == 0
    assert run(["schema", "-o", str(tmp_path / "s.json")], capsys)[0] == 0
    assert written == [str(tmp_path / "m.py"), str(tmp_path / "s.json")]
    assert "def build_model" in (tmp_path / "m.py").read_text()
