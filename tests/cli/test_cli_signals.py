"""Ctrl-C and SIGTERM: one line on stderr, exit 130 / 143, no temporary file or directory left behind.

Each case runs the console script's entry point in a fresh process that sends itself the signal at a
chosen moment (while the arguments are parsed, while an output file is written, once a local Dask
cluster runs), so the moment is the same on every run.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from helpers import write_labelled_csv

SRC = str(Path(__file__).resolve().parents[2] / "src")


def run_entry(setup, argv, cwd, timeout=240):
    """Run ``crossentropy.cli.entry()`` with ``argv`` after the Python statements ``setup``."""
    code = "import os, signal, sys\nimport crossentropy.cli as cli\n" + setup + \
        f"\nsys.argv = ['crossentropy'] + {list(map(str, argv))!r}\ncli.entry()\n"
    proc = subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONPATH": SRC}, start_new_session=True)
    return proc.returncode, proc.stderr


def hidden(folder):
    return [p.name for p in Path(folder).iterdir() if p.name.startswith(".")]


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    root = tmp_path_factory.mktemp("signals")
    write_labelled_csv(root / "t.csv", 60, seed=4)
    return root


def test_ctrl_c_while_parsing_is_one_line(table):
    setup = ("real = cli.build_parser\n"
             "def parser():\n    os.kill(os.getpid(), signal.SIGINT)\n    return real()\n"
             "cli.build_parser = parser")
    rc, err = run_entry(setup, ["train", "t.csv", "--target", "y"], table)
    assert rc == 130 and err == "crossentropy: error: interrupted\n", err


@pytest.mark.parametrize("sig, code, word", [(signal.SIGTERM, 143, "terminated"), (signal.SIGINT, 130, "interrupted")])
def test_a_signal_while_the_run_directory_is_written_leaves_nothing(table, tmp_path, sig, code, word):
    setup = ("import crossentropy.io.atomic as mf\nreal = mf.atomic_write_bytes\n"
             "def write(path, data, **kw):\n    real(path, data, **kw)\n"
             f"    os.kill(os.getpid(), {int(sig)})\n"
             "mf.atomic_write_bytes = write")
    rc, err = run_entry(setup, ["train", table / "t.csv", "--target", "y", "--no-plots", "--out", tmp_path / "run"],
                        tmp_path)
    assert rc == code and err == f"crossentropy: error: {word}\n", err
    assert not (tmp_path / "run").exists() and hidden(tmp_path) == []


def test_sigterm_while_a_prediction_file_is_written_leaves_nothing(table, tmp_path):
    from crossentropy.cli import main

    assert main(["train", str(table / "t.csv"), "--target", "y", "--no-plots", "--out", str(tmp_path / "run")]) == 0
    setup = ("import pandas as pd\nreal = pd.DataFrame.to_csv\n"
             "def to_csv(self, path, *a, **kw):\n    real(self.head(5), path, *a, **kw)\n"
             "    os.kill(os.getpid(), signal.SIGTERM)\n    real(self, path, *a, **kw)\n"
             "pd.DataFrame.to_csv = to_csv")
    rc, err = run_entry(setup, ["predict", tmp_path / "run", table / "t.csv", "--out", tmp_path / "p.csv"], tmp_path)
    assert rc == 143 and err == "crossentropy: error: terminated\n", err
    assert not (tmp_path / "p.csv").exists() and hidden(tmp_path) == []


@pytest.mark.slow
def test_ctrl_c_under_dask_local_is_one_line(table, tmp_path):
    pytest.importorskip("distributed")
    pd.read_csv(table / "t.csv").to_parquet(tmp_path / "t.parquet")
    # a terminal's Ctrl-C reaches the whole process group: the command and the local cluster's workers
    setup = ("import crossentropy.distributed as d\nreal = d.read_table\n"
             "def read_table(*a, **kw):\n    os.killpg(0, signal.SIGINT)\n    return real(*a, **kw)\n"
             "d.read_table = read_table")
    rc, err = run_entry(setup, ["train", tmp_path / "t.parquet", "--target", "y", "--dask", "local", "--no-plots",
                                "--out", tmp_path / "run"], tmp_path)
    assert rc == 130 and err == "crossentropy: error: interrupted\n", err
    assert not (tmp_path / "run").exists()
