"""``crossentropy train 'data/*.parquet' --target COL --dask ADDRESS`` (issue 7), on a LocalCluster.

Oracles: the in-memory ``crossentropy train`` of the same table (same preprocessing state and, with
``--test-size 0``, the same coefficients), pandas' own statistics of the columns and scikit-learn's
LogisticRegression on the preprocessed matrix.
"""

import json
import time

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
distributed = pytest.importorskip("distributed")
pytest.importorskip("dask.dataframe")

from crossentropy.cli import build_parser, main, parse_config  # noqa: E402
from crossentropy.cli.train import train_dask  # noqa: E402
from crossentropy.model_io import load_model_bundle  # noqa: E402


@pytest.fixture(scope="module")
def address():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                       dashboard_address=None)
    yield cluster.scheduler_address
    cluster.close()


def _table(n=400, seed=0):
    rng = np.random.default_rng(seed)
    x1 = rng.normal(5.0, 2.0, n)
    x2 = rng.normal(-1.0, 0.5, n)
    color = rng.choice(["red", "green", "blue"], n)
    z = 0.8 * (x1 - 5) - 1.5 * (x2 + 1) + (color == "red") * 0.7 + rng.logistic(size=n)
    label = np.where(z > 0.3, "yes", "no")
    return pd.DataFrame({"x1": x1, "x2": x2, "color": color, "label": label})


@pytest.fixture(scope="module")
def parquet_glob(tmp_path_factory):
    root = tmp_path_factory.mktemp("pq")
    frame = _table()
    (root / "data").mkdir()
    for i, part in enumerate(np.array_split(np.arange(len(frame)), 3)):
        frame.iloc[part].to_parquet(root / "data" / f"part-{i}.parquet", index=False)
    frame.to_parquet(root / "all.parquet", index=False)
    return root, str(root / "data" / "*.parquet"), frame


def test_parquet_glob_training_equals_in_memory_command(address, parquet_glob, capsys):
    root, pattern, frame = parquet_glob
    opts = ["--target", "label", "--test-size", "0", "--tol", "1e-10", "--no-plots"]
    assert main(["train", pattern, *opts, "--dask", address, "--out", str(root / "run_dask")]) == 0
    out = capsys.readouterr().out
    assert "Dask, 2 workers, 3 partitions" in out and "log loss" in out and "accuracy" in out
    assert main(["train", str(root / "all.parquet"), *opts, "--out", str(root / "run_mem")]) == 0
    capsys.readouterr()
    dask_run, mem_run = load_model_bundle(root / "run_dask"), load_model_bundle(root / "run_mem")
    # the preprocessing fitted with Dask reductions: pandas' statistics, the same JSON state
    spec = {s["name"]: s for s in dask_run.preprocessing.to_state()["columns"]}
    assert spec["x1"]["mean"] == pytest.approx(frame["x1"].mean(), rel=1e-12)
    assert spec["x1"]["scale"] == pytest.approx(frame["x1"].std(ddof=0), rel=1e-10)
    assert spec["color"]["categories"] == ["blue", "green", "red"]
    state_d, state_m = dask_run.preprocessing.to_state(), mem_run.preprocessing.to_state()
    assert {k: v for k, v in state_d.items() if k != "columns"} == {k: v for k, v in state_m.items() if k != "columns"}
    for sd, sm in zip(state_d["columns"], state_m["columns"], strict=True):
        assert sd.keys() == sm.keys()
        for key in sd:
            if isinstance(sd[key], float):
                assert sd[key] == pytest.approx(sm[key], rel=1e-10), (sd["name"], key)
            else:
                assert sd[key] == sm[key], (sd["name"], key)
    est_d, est_m = dask_run.estimator, mem_run.estimator
    np.testing.assert_array_equal(est_d.classes_, est_m.classes_)
    np.testing.assert_allclose(est_d.coef_, est_m.coef_, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(est_d.intercept_, est_m.intercept_, rtol=1e-6, atol=1e-9)
    # and scikit-learn on the preprocessed matrix
    from sklearn.linear_model import LogisticRegression

    X = mem_run.preprocessing.transform(frame)
    sk = LogisticRegression(tol=1e-12).fit(X, frame["label"])
    np.testing.assert_allclose(est_d.coef_, sk.coef_, rtol=1e-5)
    metrics = json.loads((root / "run_dask" / "metrics.json").read_text())
    assert metrics["n_rows"] == len(frame) and metrics["dask"]["n_workers"] == 2
    assert metrics["train"]["accuracy"] == pytest.approx(sk.score(X, frame["label"]))


def test_split_metrics_and_plots(address, parquet_glob, capsys):
    root, pattern, frame = parquet_glob
    out_dir = root / "run_split"
    assert main(["train", pattern, "--target", "label", "--dask", address, "--out", str(out_dir)]) == 0
    text = capsys.readouterr().out
    assert "train" in text and "test" in text
    split = json.loads((out_dir / "split.json").read_text())
    assert split["n_train"] + split["n_test"] == len(frame) and 0 < split["n_test"] < len(frame)
    files = {p.name for p in out_dir.iterdir()}
    assert {"model.json", "model.safetensors", "metrics.json", "reliability.png", "confusion_matrix.png"} <= files
    metrics = json.loads((out_dir / "metrics.json").read_text())
    assert metrics["test"]["n"] == split["n_test"] and 0.5 < metrics["test"]["accuracy"] <= 1.0


def test_unreachable_scheduler_one_line_exit_2(parquet_glob, tmp_path, capsys):
    _, pattern, _ = parquet_glob
    args = parse_config(["train", pattern, "--target", "label", "--dask", "tcp://127.0.0.1:9",
                         "--dask-timeout", "1", "--out", str(tmp_path / "never")])
    assert args.dask_timeout == 1.0
    start = time.perf_counter()
    assert train_dask(args) == 2
    assert time.perf_counter() - start < 8
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "cannot reach the Dask scheduler at 'tcp://127.0.0.1:9' within 1 s" in err
    assert not (tmp_path / "never").exists()
    from crossentropy.cli import UsageError  # exit 2 with its one line (see the CLI tests)

    with pytest.raises(UsageError, match="argument --dask-timeout: expected a positive number, got '0'"):
        build_parser().parse_args(["train", pattern, "--target", "label", "--dask", "local", "--dask-timeout", "0"])


def test_bad_data_and_options_exit_2(address, parquet_glob, tmp_path, capsys):
    root, pattern, frame = parquet_glob
    assert main(["train", str(root / "nothing-*.parquet"), "--target", "label", "--dask", address]) == 2
    assert "matches no file" in capsys.readouterr().err
    assert main(["train", pattern, "--target", "lable", "--dask", address]) == 2
    assert "did you mean 'label'" in capsys.readouterr().err
    assert main(["train", pattern, "--target", "label", "--dask", address, "--model", "mlp"]) == 2
    assert "--model logistic only" in capsys.readouterr().err
    holes = frame.copy()
    holes.loc[[3, 50], "x2"] = np.nan
    (tmp_path / "h").mkdir()
    holes.to_parquet(tmp_path / "h" / "a.parquet", index=False)
    assert main(["train", str(tmp_path / "h" / "*.parquet"), "--target", "label", "--dask", address]) == 2
    assert "missing values in 1 column(s): 'x2' (2)" in capsys.readouterr().err
    out = tmp_path / "imputed"
    assert main(["train", str(tmp_path / "h" / "*.parquet"), "--target", "label", "--dask", address,
                 "--impute", "mean", "--no-plots", "--out", str(out)]) == 0
    capsys.readouterr()
    spec = {s["name"]: s for s in load_model_bundle(out).preprocessing.to_state()["columns"]}
    train_rows = json.loads((out / "split.json").read_text())["n_train"]
    assert 0 < train_rows < len(frame) and spec["x2"]["fill"] == pytest.approx(spec["x2"]["mean"], rel=1e-9)


def test_local_cluster(parquet_glob, tmp_path, capsys):
    _, pattern, frame = parquet_glob
    out = tmp_path / "local"
    assert main(["train", pattern, "--target", "label", "--dask", "local", "--no-plots", "--out", str(out)]) == 0
    assert "Dask," in capsys.readouterr().out
    assert json.loads((out / "metrics.json").read_text())["dask"]["scheduler"] == "local"
