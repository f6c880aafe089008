"""Run directories replaced in one step: rename-exchange, the two-rename fallback and its repair, stale
temporaries of dead runs, and two writers racing for one path.

The oracle is the file system itself: the directory at the path is inspected (its inode and its
files) at the moments the protocol cares about, from inside the block and after it.
"""

import os
import subprocess
import sys

import pytest

from crossentropy.io import atomic
from crossentropy.io.atomic import OutputChanged, atomic_directory, clean_stale


def _write_run(path, tag, *, overwrite=False):
    with atomic_directory(path, overwrite=overwrite) as tmp:
        for name in ("a.txt", "b.txt"):
            (tmp / name).write_text(tag)
    return path


def _tags(path):
    return sorted({p.read_text() for p in path.iterdir()}), sorted(p.name for p in path.iterdir())


def _dead_pid():
    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(proc.stdout)


def test_force_replaces_in_one_exchange_and_the_path_always_holds_a_complete_run(tmp_path, monkeypatch):
    run = _write_run(tmp_path / "run", "old")
    seen = []
    real = atomic._rename2

    def spy(src, dst, flags):
        seen.append(_tags(run))  # just before the swap: the old complete run
        done = real(src, dst, flags)
        seen.append(_tags(run) if run.exists() else None)  # just after: the new complete run
        return done

    monkeypatch.setattr(atomic, "_rename2", spy)
    _write_run(run, "new", overwrite=True)
    if atomic._renameat2() is None:
        pytest.skip("this system has no renameat2 (the fallback is tested below)")
    assert seen == [(["old"], ["a.txt", "b.txt"]), (["new"], ["a.txt", "b.txt"])]
    assert _tags(run) == (["new"], ["a.txt", "b.txt"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_without_exchange_a_kill_between_the_two_renames_is_repaired_by_the_next_run(tmp_path, monkeypatch):
    run = _write_run(tmp_path / "run", "old")
    monkeypatch.setattr(atomic, "_rename2", lambda src, dst, flags: False)  # as on a system without renameat2
    real_rename = os.rename

    class Killed(BaseException):
        pass

    def die_after_first(src, dst):
        real_rename(src, dst)
        if str(dst).endswith("/old"):
            raise Killed  # the process dies here: the old run moved aside, the new one not yet in place

    monkeypatch.setattr(atomic.os, "rename", die_after_first)
    with pytest.raises(Killed):
        _write_run(run, "new", overwrite=True)
    monkeypatch.setattr(atomic.os, "rename", real_rename)
    assert not run.exists()
    (leftover,) = [p for p in tmp_path.iterdir() if ".old-" in p.name]
    dead = _dead_pid()
    leftover = leftover.rename(tmp_path / leftover.name.replace(f"-{os.getpid()}-", f"-{dead}-"))  # its owner died
    assert clean_stale(tmp_path) == [leftover.name]
    assert _tags(run) == (["old"], ["a.txt", "b.txt"])  # the previous complete run is back
    _write_run(run, "newer", overwrite=True)
    assert _tags(run) == (["newer"], ["a.txt", "b.txt"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_stale_temporaries_of_dead_runs_go_and_those_of_live_runs_stay(tmp_path):
    dead, live = _dead_pid(), os.getppid()
    names = [f".run.tmp-{dead}-0123456789ab", f".other.old-{dead}-0123456789ab", f".run.tmp-{live}-0123456789ab",
             f".p.csv.tmp-{dead}-0123456789ab.csv", ".run.tmp-notapid-0123456789ab", "run.tmp-1-0123456789ab"]
    for name in names:
        (tmp_path / name).mkdir() if not name.endswith(".csv") else (tmp_path / name).write_text("half")
    (tmp_path / names[0] / "model.json").write_text("{")
    _write_run(tmp_path / "run", "x")
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["run", names[2], names[4], names[5]])


def test_the_loser_of_two_concurrent_replacements_gets_a_clear_error(tmp_path):
    run = _write_run(tmp_path / "run", "old")
    first = atomic_directory(run, overwrite=True)
    second = atomic_directory(run, overwrite=True)
    a, b = first.__enter__(), second.__enter__()  # both began while the old run was at the path
    (a / "a.txt").write_text("A")
    (b / "b.txt").write_text("B")
    first.__exit__(None, None, None)
    with pytest.raises(OutputChanged, match="replaced by another run while this one was writing"):
        second.__exit__(None, None, None)
    assert _tags(run) == (["A"], ["a.txt"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_two_new_runs_racing_for_a_fresh_path(tmp_path):
    first = atomic_directory(tmp_path / "run")
    second = atomic_directory(tmp_path / "run")
    a, b = first.__enter__(), second.__enter__()
    (a / "a.txt").write_text("A")
    (b / "b.txt").write_text("B")
    first.__exit__(None, None, None)
    with pytest.raises(OutputChanged, match="created by another run"):
        second.__exit__(None, None, None)
    assert _tags(tmp_path / "run") == (["A"], ["a.txt"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_an_existing_run_without_overwrite_is_refused_before_the_block(tmp_path):
    run = _write_run(tmp_path / "run", "old")
    with pytest.raises(FileExistsError, match="already exists"):
        with atomic_directory(run):
            raise AssertionError("the block must not run")
    assert _tags(run) == (["old"], ["a.txt", "b.txt"])
