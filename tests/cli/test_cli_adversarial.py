"""The command line against hostile paths and options: every case one line on stderr, exit 2, nothing written.

Each row of the table is one command (issue 13 items 6 and 10, issue 12 item 7): its exit code, a
substring of the first (and only) line of stderr, and afterwards the working directory holds
exactly what it held before (no partial file, no hidden temporary) with the input table and the
model directory byte for byte unchanged. Options that would reach the fit are checked to fail
before it (the estimator's ``fit`` is replaced by one that fails the test).
"""

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crossentropy.cli import main

LONG = "n" * 300


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("adversarial")
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({"a": rng.normal(size=60), "b": rng.normal(size=60), "c": rng.choice(["u", "v"], 60)})
    frame["y"] = np.where(frame["a"] + rng.normal(scale=0.5, size=60) > 0, "pos", "neg")
    frame.to_csv(root / "good.csv", index=False)
    gaps = frame.copy()
    gaps.loc[[2, 5], "b"] = np.nan
    gaps.to_csv(root / "gaps.csv", index=False)
    (root / "dup.csv").write_text("a,b,a,y\n" + "".join(f"{i},{i % 3},{i % 5},{'pq'[i % 2]}\n" for i in range(20)))
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table([pa.array(np.arange(20.0)), pa.array(np.arange(20.0) % 3), pa.array([i % 2 for i in range(20)])],
                            names=["a", "a", "y"]), root / "dup.parquet")
    (root / "taken.csv").write_text("prediction\nold\n")
    (root / "taken.json").write_text("{}\n")
    assert main(["train", str(root / "good.csv"), "--target", "y", "--out", str(root / "model"), "--no-plots"]) == 0
    return root


def _snapshot(root):
    return {str(p.relative_to(root)): (hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir")
            for p in sorted(root.rglob("*"))}


CASES = [
    # ---- train: the run directory
    ("train-out-empty", ["train", "good.csv", "--target", "y", "--out", ""], "--out must not be empty"),
    ("train-out-proc", ["train", "good.csv", "--target", "y", "--out", "/proc/crossentropy/run"], "cannot write --out"),
    ("train-out-long", ["train", "good.csv", "--target", "y", "--out", LONG], "characters; this file system allows"),
    ("train-out-below-file", ["train", "good.csv", "--target", "y", "--out", "good.csv/run"],
     "'good.csv' is a file, not a directory"),
    ("train-out-is-file", ["train", "good.csv", "--target", "y", "--out", "good.csv", "--force"], "is a file, not a directory"),
    ("train-out-taken", ["train", "good.csv", "--target", "y", "--out", "model"], "already exists; pass --force"),
    # ---- train: parameters checked before the fit, in the CLI's spellings
    ("param-C-inf", ["train", "good.csv", "--target", "y", "--param", "C=Infinity", "--out", "r"],
     "C must be a finite number, got inf"),
    ("elasticnet-no-ratio", ["train", "good.csv", "--target", "y", "--penalty", "elasticnet", "--out", "r"],
     "--penalty elasticnet needs --l1-ratio"),
    ("l1-ratio-range", ["train", "good.csv", "--target", "y", "--penalty", "elasticnet", "--l1-ratio", "2", "--out", "r"],
     "--l1-ratio must be a number in [0, 1]"),
    ("penalty-unknown", ["train", "good.csv", "--target", "y", "--penalty", "l3", "--out", "r"], "--penalty must be one of"),
    ("penalty-none-spelled", ["train", "good.csv", "--target", "y", "--penalty", "l3", "--out", "r"], "none"),
    # ---- train: data
    ("glob-without-dask", ["train", "parts/*.csv", "--target", "y", "--out", "r"], "globs need --dask"),
    ("duplicate-csv", ["train", "dup.csv", "--target", "y", "--out", "r"], "duplicate column names: ['a']"),
    ("duplicate-parquet", ["train", "dup.parquet", "--target", "y", "--out", "r"], "duplicate column names: ['a']"),
    # ---- predict
    ("predict-out-empty", ["predict", "model", "good.csv", "--out", ""], "--out must not be empty"),
    ("predict-out-proc", ["predict", "model", "good.csv", "--out", "/proc/crossentropy.csv"], "cannot write --out"),
    ("predict-out-long", ["predict", "model", "good.csv", "--out", LONG + ".csv"], "characters; this file system allows"),
    ("predict-out-below-file", ["predict", "model", "good.csv", "--out", "good.csv/p.csv"], "is a file, not a directory"),
    ("predict-out-input", ["predict", "model", "good.csv", "--out", "good.csv", "--force"], "is the input table"),
    ("predict-out-model", ["predict", "model", "good.csv", "--out", "model/split.json", "--force"],
     "is a file of the model directory"),
    ("predict-out-taken", ["predict", "model", "good.csv", "--out", "taken.csv"], "already exists; pass --force"),
    ("predict-glob", ["predict", "model", "parts/*.csv", "--out", "p.csv"], "globs need --dask"),
    ("predict-gaps", ["predict", "model", "gaps.csv", "--out", "p.csv"], "missing values in 1 column(s): 'b' (2)"),
    # ---- evaluate
    ("evaluate-target", ["evaluate", "model", "good.csv", "--target", "a"], "--target 'a' is not the column the model"),
    ("evaluate-out-empty", ["evaluate", "model", "good.csv", "--out", ""], "--out must not be empty"),
    ("evaluate-out-proc", ["evaluate", "model", "good.csv", "--out", "/proc/crossentropy.json"], "cannot write --out"),
    ("evaluate-out-long", ["evaluate", "model", "good.csv", "--out", LONG + ".json"], "characters; this file system allows"),
    ("evaluate-out-input", ["evaluate", "model", "good.csv", "--out", "good.csv", "--force"], "is the input table"),
    ("evaluate-out-model", ["evaluate", "model", "good.csv", "--out", "model/model.json", "--force"],
     "is a file of the model directory"),
    ("evaluate-out-metrics", ["evaluate", "model", "good.csv", "--out", "model/metrics.json", "--force"],
     "is a file of the model directory"),
    ("evaluate-out-taken", ["evaluate", "model", "good.csv", "--out", "taken.json"], "already exists; pass --force"),
    ("evaluate-gaps", ["evaluate", "model", "gaps.csv"], "missing values in 1 column(s): 'b' (2)"),
    # ---- plot
    ("plot-out-proc", ["plot", "log-loss", "--out", "/proc/crossentropy.png"], "cannot write --out"),
    ("plot-out-long", ["plot", "log-loss", "--out", LONG + ".png"], "characters; this file system allows"),
    ("plot-out-below-file", ["plot", "log-loss", "--out", "good.csv/x.png"], "is a file, not a directory"),
    ("plot-out-dir", ["plot", "log-loss", "--out", "model.png"], None),  # set up below: a directory named model.png
]


@pytest.mark.parametrize("name, argv, needle", CASES, ids=[c[0] for c in CASES])
def test_hostile_command_lines_exit_2_with_one_line_and_write_nothing(workspace, capsys, monkeypatch, name, argv, needle):
    import crossentropy.linear_model as lm

    monkeypatch.chdir(workspace)
    if name == "plot-out-dir":
        (workspace / "model.png").mkdir(exist_ok=True)
        needle = "is a directory, not a file"

    def no_fit(self, *args, **kwargs):
        raise AssertionError("the fit started although the command line was bad")

    monkeypatch.setattr(lm.LogisticRegression, "fit", no_fit)
    before = _snapshot(workspace)
    rc = main(argv)
    out, err = capsys.readouterr()
    assert rc == 2, (rc, err)
    assert err.startswith("crossentropy: error: ") and err.count("\n") == 1, err
    assert needle in err.splitlines()[0], err
    assert "Traceback" not in err and "np." not in err
    if name in ("predict-gaps", "evaluate-gaps"):
        assert "--dropna" not in err and "--impute" not in err  # options only train has
    assert _snapshot(workspace) == before  # nothing written, nothing changed, no hidden temporaries


def test_force_replaces_an_ordinary_file_but_not_inputs(workspace, capsys, monkeypatch, tmp_path):
    monkeypatch.chdir(workspace)
    target = tmp_path / "preds.csv"
    target.write_text("prediction\nold\n")
    assert main(["predict", "model", "good.csv", "--out", str(target)]) == 2
    assert target.read_text() == "prediction\nold\n"
    assert main(["predict", "model", "good.csv", "--out", str(target), "--force"]) == 0
    assert pd.read_csv(target).shape == (60, 1)
    metrics = tmp_path / "m.json"
    metrics.write_text("{}")
    assert main(["evaluate", "model", "good.csv", "--out", str(metrics), "--force"]) == 0
    assert '"log_loss"' in metrics.read_text()
    capsys.readouterr()


def test_predict_into_a_model_directory_never_replaces_its_files_even_through_a_symlink(workspace, capsys,
                                                                                         monkeypatch, tmp_path):
    monkeypatch.chdir(workspace)
    link = tmp_path / "innocent.json"
    link.symlink_to(workspace / "model" / "model.json")
    before = (workspace / "model" / "model.json").read_bytes()
    assert main(["evaluate", "model", "good.csv", "--out", str(link), "--force"]) == 2
    assert "is a file of the model directory" in capsys.readouterr().err
    assert (workspace / "model" / "model.json").read_bytes() == before


def test_a_huge_but_finite_column_trains_with_its_true_scale(tmp_path, capsys):
    rng = np.random.default_rng(2)
    z = rng.normal(size=300)
    frame = pd.DataFrame({"huge": z * 1e200, "max": np.where(z > 0, 1e308, -1e308), "noise": rng.normal(size=300)})
    frame["y"] = np.where(z + rng.normal(scale=0.3, size=300) > 0, "p", "n")
    frame.to_csv(tmp_path / "huge.csv", index=False)
    small = frame.assign(huge=z, max=np.sign(z))
    small.to_csv(tmp_path / "small.csv", index=False)
    assert main(["train", str(tmp_path / "huge.csv"), "--target", "y", "--out", str(tmp_path / "h"), "--no-plots"]) == 0
    assert main(["train", str(tmp_path / "small.csv"), "--target", "y", "--out", str(tmp_path / "s"), "--no-plots"]) == 0
    import json

    huge = json.loads((tmp_path / "h" / "metrics.json").read_text())
    plain = json.loads((tmp_path / "s" / "metrics.json").read_text())
    # standardisation makes the two tables the same problem: the same fit, the same test metrics
    assert huge["test"]["accuracy"] == pytest.approx(plain["test"]["accuracy"], abs=1e-9)
    assert huge["test"]["log_loss"] == pytest.approx(plain["test"]["log_loss"], rel=1e-6)
    assert huge["test"]["accuracy"] > 0.8
    capsys.readouterr()


def _no_write_context(folder):
    """A way to make ``folder`` unwritable for this process: chmod for a user, the immutable flag for root."""
    if os.geteuid() != 0:
        folder.chmod(0o555)
        return lambda: folder.chmod(0o755)
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: no way to make a directory unwritable for root")
    done = subprocess.run(["chattr", "+i", str(folder)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i is not supported here: {done.stderr.decode().strip()}")
    return lambda: subprocess.run(["chattr", "-i", str(folder)], check=True)


@pytest.mark.parametrize("argv", [
    ["train", "good.csv", "--target", "y", "--out", "locked/run"],
    ["predict", "model", "good.csv", "--out", "locked/p.csv"],
    ["evaluate", "model", "good.csv", "--out", "locked/m.json"],
    ["plot", "log-loss", "--out", "locked/x.png"],
], ids=["train", "predict", "evaluate", "plot"])
def test_an_unwritable_directory_is_exit_2_before_any_work(workspace, capsys, monkeypatch, argv):
    monkeypatch.chdir(workspace)
    locked = workspace / "locked"
    locked.mkdir(exist_ok=True)
    undo = _no_write_context(locked)
    try:
        rc = main(argv)
    finally:
        undo()
    err = capsys.readouterr().err
    assert rc == 2 and err.count("\n") == 1, err
    assert "cannot write --out" in err and ("Permission denied" in err or "Operation not permitted" in err), err
    assert list(locked.iterdir()) == []


def test_missing_dask_is_exit_2_with_the_install_hint(workspace, tmp_path):
    stub = tmp_path / "stub" / "dask"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("raise ModuleNotFoundError(\"No module named 'dask'\", name='dask')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path / "stub"), *[p for p in sys.path if p]])}
    proc = subprocess.run([sys.executable, "-m", "crossentropy", "train", "good.csv", "--target", "y", "--dask",
                           "local", "--out", str(tmp_path / "run")], cwd=workspace, env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.count("\n") == 1 and "pip install 'crossentropy[dask]'" in proc.stderr, proc.stderr
    assert not (tmp_path / "run").exists()


def test_two_concurrent_forced_trains_each_end_in_0_or_a_clear_exit_2(workspace, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    out = tmp_path / "run"
    argv = [sys.executable, "-m", "crossentropy", "train", "--dataset", "iris", "--no-plots", "--out", str(out), "--force"]
    procs = [subprocess.Popen(argv + ["--seed", str(seed)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for seed in (1, 2)]
    results = [(p.wait(timeout=300), p.stderr.read()) for p in procs]
    for p in procs:
        p.stdout.close()
        p.stderr.close()
    for rc, err in results:
        assert rc in (0, 2), err
        if rc == 2:
            assert err.count("\n") == 1 and "by another run while this one was writing" in err, err
    assert 0 in [rc for rc, _ in results]
    assert {"metrics.json", "model.json", "model.safetensors", "split.json"} <= {p.name for p in out.iterdir()}
    from crossentropy.model_io import load_model_bundle

    assert load_model_bundle(out).extra["metrics"]["seed"] in (1, 2)
    assert [p.name for p in tmp_path.iterdir()] == ["run"]
