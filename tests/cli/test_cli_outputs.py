"""Output files under adversity: created meanwhile by another program, a full disk, a closed pipe."""

import errno
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

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
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    df["y"] = np.where(df["a"] + rng.normal(size=40) > 0, "pos", "neg")
    df.to_csv(root / "t.csv", index=False)
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
