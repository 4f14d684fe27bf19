"""`emit -o` and `schema -o` write atomically: an interrupted run leaves the old file and no temporary file."""

from __future__ import annotations

import os
import stat

import pytest

from specbridge.cli.files import write_atomic


class Interrupted(BaseException):
    pass


def test_writes_and_replaces(tmp_path):
    target = tmp_path / "model.py"
    write_atomic(target, "one\n")
    write_atomic(str(target), "two\n")
    assert target.read_text() == "two\n"
    assert os.listdir(tmp_path) == ["model.py"]


@pytest.mark.parametrize("error", [OSError(28, "No space left on device"), Interrupted(), KeyboardInterrupt()])
def test_an_interruption_in_the_middle_leaves_the_old_file_intact(tmp_path, monkeypatch, error):
    target = tmp_path / "model.py"
    target.write_text("old content\n")
    real_fsync = os.fsync

    def fail_midway(fd):
        # the new text is already in the temporary file when the run is interrupted
        (tmp,) = [p for p in tmp_path.iterdir() if p.name != "model.py"]
        assert tmp.read_text() == "new content\n" * 1000
        raise error

    monkeypatch.setattr(os, "fsync", fail_midway)
    with pytest.raises(type(error)):
        write_atomic(target, "new content\n" * 1000)
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert target.read_text() == "old content\n"
    assert os.listdir(tmp_path) == ["model.py"]


def test_a_failing_write_leaves_no_temporary_file(tmp_path):
    target = tmp_path / "new.py"
    with pytest.raises(UnicodeEncodeError):
        write_atomic(target, "\udcff", encoding="utf-8")
    assert os.listdir(tmp_path) == []


def test_keeps_permissions_and_follows_symlinks(tmp_path):
    target = tmp_path / "model.py"
    target.write_text("old")
    target.chmod(0o640)
    link = tmp_path / "link.py"
    link.symlink_to(target)
    write_atomic(link, "new")
    assert link.is_symlink() and target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_new_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "fresh.py", "x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "fresh.py").stat().st_mode) == 0o644


def test_an_unwritable_directory_raises_oserror(tmp_path):
    with pytest.raises(OSError):
        write_atomic(tmp_path / "missing" / "model.py", "x")
