"""Output files under adversity: created meanwhile by another program, a full disk, a closed pipe."""

import errno
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import write_labelled_csv

from crossentropy.cli import main
from crossentropy.io import atomic

SRC = str(Path(__file__).resolve().parents[2] / "src")


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    root = tmp_path_factory.mktemp("outputs")
    write_labelled_csv(root / "t.csv", 40, seed=2)
    assert main(["train", str(root / "t.csv"), "--target", "y", "--no-plots", "--out", str(root / "run")]) == 0
    return root


def leftovers(folder):
    return [p.name for p in Path(folder).iterdir() if ".tmp-" in p.name]


@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_a_file_created_meanwhile_is_kept_without_force(capsys, tmp_path, trained, monkeypatch, command):
    out = tmp_path / ("p.csv" if command == "predict" else "m.json")
    real = atomic._place_new

    def someone_else_writes_first(tmp, target):   # another program creates the file while ours is written
        Path(target).write_text("theirs\n")
        return real(tmp, target)

    monkeypatch.setattr(atomic, "_place_new", someone_else_writes_first)
    rc, _, err = run(capsys, command, trained / "run", trained / "t.csv", "--out", out)
    assert rc == 2 and err.count("\n") == 1 and "was created by another program" in err, err
    assert out.read_text() == "theirs\n" and not leftovers(tmp_path)


def test_force_still_replaces(capsys, tmp_path, trained):
    out = tmp_path / "p.csv"
    out.write_text("old\n")
    assert run(capsys, "predict", trained / "run", trained / "t.csv", "--out", out, "--force")[0] == 0
    assert pd.read_csv(out).shape == (40, 1)


def test_a_full_disk_names_the_output_path(capsys, tmp_path, trained, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))   # what write(2) gives: no file name

    monkeypatch.setattr(pd.DataFrame, "to_csv", full)
    out = tmp_path / "p.csv"
    rc, _, err = run(capsys, "predict", trained / "run", trained / "t.csv", "--out", out)
    assert rc == 2 and err.count("\n") == 1 and repr(str(out)) in err and os.strerror(errno.ENOSPC) in err, err
    assert not out.exists() and not leftovers(tmp_path)


def test_a_full_disk_in_a_run_directory_names_the_run_not_its_temporary(capsys, tmp_path, trained, monkeypatch):
    def full(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", full)
    rc, _, err = run(capsys, "train", trained / "t.csv", "--target", "y", "--no-plots", "--out", tmp_path / "run")
    assert rc == 2 and err.count("\n") == 1 and str(tmp_path / "run") in err and ".tmp-" not in err, err
    assert not (tmp_path / "run").exists() and not leftovers(tmp_path)


def test_a_closed_pipe_after_the_run_is_quiet(trained, tmp_path):
    out = tmp_path / "p.csv"
    env = {**os.environ, "PYTHONPATH": SRC}
    proc = subprocess.Popen([sys.executable, "-m", "crossentropy", "predict", str(trained / "run"),
                             str(trained / "t.csv"), "--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.close()   # the reader went away, as `| true` does
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141 and err == "", err
    assert pd.read_csv(out).shape == (40, 1)


# ------------------------------------------------------------------ --force replaces only a previous output
def _listing(folder):
    return sorted(str(p.relative_to(folder)) for p in Path(folder).rglob("*"))


def test_force_never_replaces_a_directory_holding_the_input_table(capsys, tmp_path, trained):
    folder = tmp_path / "D"
    folder.mkdir()
    (folder / "train.csv").write_bytes((trained / "t.csv").read_bytes())
    (folder / "metrics.json").write_text("{}")   # even one that looks like a run
    before = _listing(folder)
    rc, _, err = run(capsys, "train", folder / "train.csv", "--target", "y", "--no-plots", "--out", folder, "--force")
    assert rc == 2 and err.count("\n") == 1 and "which this command reads" in err, err
    assert _listing(folder) == before


@pytest.mark.parametrize("argv", [
    ["evaluate", "{run}", "{data}", "--report-dir", "{run}", "--force"],
    ["plot", "run", "{run}", "--out", "{run}", "--force"],
])
def test_force_never_replaces_the_model_being_read(capsys, trained, argv):
    before = _listing(trained / "run")
    rc, _, err = run(capsys, *[a.format(run=trained / "run", data=trained / "t.csv") for a in argv])
    assert rc == 2 and err.count("\n") == 1 and "which this command reads" in err, err
    assert _listing(trained / "run") == before


def test_force_replaces_only_a_directory_this_program_wrote(capsys, tmp_path, trained):
    other = tmp_path / "mine"
    other.mkdir()
    (other / "notes.txt").write_text("unrelated\n")
    rc, _, err = run(capsys, "evaluate", trained / "run", trained / "t.csv", "--report-dir", other, "--force")
    assert rc == 2 and "is not a directory this program wrote" in err, err
    assert _listing(other) == ["notes.txt"]
    report = tmp_path / "report"
    for _ in range(2):   # the second run replaces the first one's report
        assert run(capsys, "evaluate", trained / "run", trained / "t.csv", "--report-dir", report, "--force")[0] == 0
    assert "metrics.json" in _listing(report)
