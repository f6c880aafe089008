"""``crossentropy train 'data/*.parquet' --dask local`` (issue 12 item 9): a clean stderr, a reproducible split.

The command runs as a user runs it (``python -m crossentropy``, a subprocess that starts its own
LocalCluster of worker processes), twice on the same files. Oracles: NumPy's generator redraws the
split from what ``split.json`` records, pandas reads the files, and scikit-learn's ``log_loss`` and
``accuracy_score`` of the saved model on the redrawn test rows must equal the test metrics the run
reported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")

from crossentropy.model_io import load_model_bundle  # noqa: E402

SRC = str(Path(__file__).resolve().parents[2] / "src")
#: what an ordinary run must not print (scheduler key collisions, data embedded in graphs, any warning)
FORBIDDEN = ("run_spec", "large graph", "UserWarning", "Warning:", "crossentropy: warning", "Traceback")


def _table(n=480, seed=3):
    rng = np.random.default_rng(seed)
    x1 = rng.normal(5.0, 2.0, n)
    x2 = rng.normal(-1.0, 0.5, n)
    color = rng.choice(["red", "green", "blue"], n)
    z = 0.8 * (x1 - 5) - 1.5 * (x2 + 1) + (color == "red") * 0.7 + rng.logistic(size=n)
    frame = pd.DataFrame({"x1": x1, "x2": x2, "color": color, "label": np.where(z > 0.3, "yes", "no")})
    frame.loc[rng.random(n) < 0.05, "x2"] = np.nan  # --dropna: the split acts on the rows kept
    return frame


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("dask_clean")
    frame = _table()
    (root / "data").mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[rows].to_parquet(root / "data" / f"part-{i}.parquet", index=False)
    env = os.environ.copy()
    env["PYTHONPATH"] = SRC + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    out = []
    for name in ("run1", "run2"):
        proc = subprocess.run([sys.executable, "-m", "crossentropy", "train", "data/*.parquet", "--target", "label",
                               "--dask", "local", "--dropna", "--no-plots", "--out", name],
                              cwd=root, env=env, capture_output=True, text=True, timeout=300)
        out.append(proc)
    return root, out


def _problems(stderr: str) -> list[str]:
    """Lines of stderr that are warnings or errors.

    One line is let through: ``distributed.nanny - WARNING - Worker process still alive after 4.0
    seconds, killing``, which the nanny prints while the cluster shuts down, after the run's results
    are written, when a worker process takes longer than Dask's fixed 4 s to exit (a loaded machine).
    """
    bad = []
    for line in stderr.splitlines():
        if "Worker process still alive after" in line:
            continue
        if any(word in line for word in FORBIDDEN) or " - WARNING - " in line or " - ERROR - " in line:
            bad.append(line)
    return bad


def test_dask_run_prints_no_warning(runs):
    _, procs = runs
    for proc in procs:
        assert proc.returncode == 0, proc.stderr[-3000:]
        assert "Dask, " in proc.stdout and "partitions" in proc.stdout
        assert _problems(proc.stderr) == [], proc.stderr[-3000:]


def _assert_same(a, b, where):
    """Numbers equal to 1e-12 relative, everything else (class names, per-class tables) equal."""
    if isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for key in a:
            _assert_same(a[key], b[key], (*where, key))
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _assert_same(x, y, (*where, i))
    elif isinstance(a, (int, float)) and not isinstance(a, bool):
        assert a == pytest.approx(b, rel=1e-12, abs=1e-15), where
    else:
        assert a == b, where


def test_rerun_gives_the_same_split_and_metrics(runs):
    root, procs = runs
    assert all(p.returncode == 0 for p in procs), procs[0].stderr[-2000:] + procs[1].stderr[-2000:]
    split1, split2 = (json.loads((root / r / "split.json").read_text()) for r in ("run1", "run2"))
    assert split1 == split2
    m1, m2 = (json.loads((root / r / "metrics.json").read_text()) for r in ("run1", "run2"))
    for part in ("train", "test"):
        assert m1[part].keys() == m2[part].keys() and m1[part]["n"] == m2[part]["n"]
        # the same rows, the same graph; the last bits may differ: fits on worker processes were seen
        # 1-2 ulp apart from run to run (never with Dask's threaded scheduler), so not bit for bit
        for key in m1[part]:
            _assert_same(m1[part][key], m2[part][key], (part, key))
    assert (m1["n_rows"], m1["n_dropped"]) == (m2["n_rows"], m2["n_dropped"])


def test_split_json_redraws_the_test_rows_and_their_metrics(runs):
    """From split.json alone (files, layout, seed, the rule): the same test rows, the same test metrics."""
    from sklearn.metrics import accuracy_score, log_loss

    root, procs = runs
    assert procs[0].returncode == 0, procs[0].stderr[-2000:]
    split = json.loads((root / "run1" / "split.json").read_text())
    metrics = json.loads((root / "run1" / "metrics.json").read_text())
    files = [Path(f) for f in split["files"]]
    assert [f.name for f in files] == ["part-0.parquet", "part-1.parquet", "part-2.parquet"]
    assert split["n_partitions"] == len(files)  # small files: one partition each
    read = [pd.read_parquet(f) for f in files]
    assert split["rows_per_partition_read"] == [len(p) for p in read]
    kept = [p.dropna().reset_index(drop=True) for p in read]
    assert split["rows_per_partition"] == [len(p) for p in kept]
    test_parts = []
    for i, part in enumerate(kept):
        n = len(part)
        m = int(np.floor(split["test_size"] * n + 0.5))
        rows = np.sort(np.random.default_rng([split["seed"], i]).permutation(n)[:m])
        assert split["test_rows_per_partition"][i] == m and split["train_rows_per_partition"][i] == n - m
        test_parts.append(part.iloc[rows])
    test = pd.concat(test_parts, ignore_index=True)
    assert split["n_test"] == len(test) == metrics["test"]["n"]
    bundle = load_model_bundle(root / "run1")
    proba = bundle.estimator.predict_proba(bundle.preprocessing.transform(test))
    y = bundle.preprocessing.target_values(test)
    assert log_loss(y, proba, labels=bundle.estimator.classes_) == pytest.approx(metrics["test"]["log_loss"], rel=1e-9)
    pred = bundle.estimator.classes_[np.argmax(proba, axis=1)]
    assert accuracy_score(y, pred) == pytest.approx(metrics["test"]["accuracy"], rel=1e-12)
