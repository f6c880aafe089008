"""``train --split stratified|random|time:COL|group:COL``, the matching ``--cv`` folds, and the small things of
the command line: ``predict`` to standard output with the identifier columns, ``evaluate`` of unlabelled rows,
the ``--cv`` training curve, the MLP's early stopping.

Oracles: scikit-learn's splitters (``train_test_split``, ``GroupShuffleSplit``, ``TimeSeriesSplit``,
``GroupKFold``) called here on the same rows; the input table itself (identifier columns); scikit-learn's
``log_loss`` of the saved model's probabilities.
"""

import io
import json

import numpy as np
import pandas as pd
import pytest
from sklearn import metrics as skm
from sklearn.model_selection import GroupKFold, GroupShuffleSplit, TimeSeriesSplit, train_test_split

from helpers import run_cli as run
from crossentropy.model_io import load_model_bundle
from crossentropy.preprocessing.splits import SplitRule, holdout_rows

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    """Weekly rows of 24 stores, in shuffled order, with R's row names and a date column."""
    rng = np.random.default_rng(5)
    n = 240
    week = rng.permutation(np.repeat(np.arange(60), 4))
    frame = pd.DataFrame({"rownames": [f"obs{i:03d}" for i in range(n)],
                          "date": (pd.Timestamp("2020-01-06") + pd.to_timedelta(week * 7, unit="D")).strftime("%Y-%m-%d"),
                          "store": rng.choice([f"s{i:02d}" for i in range(24)], n),
                          "x1": rng.normal(size=n), "x2": rng.normal(size=n)})
    frame["y"] = np.where(frame.x1 - 0.5 * frame.x2 + rng.logistic(size=n) * 0.5 > 0, "up", "down")
    path = tmp_path_factory.mktemp("rules") / "weekly.csv"
    frame.to_csv(path, index=False)
    return frame, path


def _split(out):
    return json.loads((out / "split.json").read_text())


def test_time_split_puts_every_test_row_after_every_training_row(tmp_path, capsys, table):
    frame, path = table
    out = tmp_path / "time"
    rc, stdout, err = run(capsys, "train", path, "--target", "y", "--split", "time:date", "--out", out, "--no-plots")
    assert rc == 0, err
    split = _split(out)
    dates = pd.to_datetime(frame["date"])
    train, test = np.array(split["train_rows"]), np.array(split["test_rows"])
    assert np.union1d(train, test).tolist() == list(range(len(frame)))
    assert dates.iloc[train].max() < dates.iloc[test].min()  # ties at the boundary: all on one side
    # the oracle: the last quarter of the rows in time order (a stable sort), completed by the rows tied with its first
    order = np.argsort(dates.to_numpy(), kind="stable")
    first = order[len(frame) - int(np.ceil(0.25 * len(frame)))]
    assert set(test) == set(np.flatnonzero(dates.to_numpy() >= dates.to_numpy()[first]))
    assert split["rule"] == "time" and split["column"] == "date"
    assert split["boundary"] == dates.iloc[first].isoformat()
    names = load_model_bundle(out).preprocessing.feature_names_
    assert not any("date" in n for n in names) and not any("rownames" in n for n in names)


def test_time_split_cv_uses_time_series_split_in_time_order(tmp_path, capsys, table):
    frame, path = table
    out = tmp_path / "time_cv"
    rc, _, err = run(capsys, "train", path, "--target", "y", "--split", "time:date", "--cv", "3", "--Cs", "3",
                     "--out", out, "--no-plots")
    assert rc == 0, err
    split = _split(out)
    train = np.array(split["train_rows"])
    dates = pd.to_datetime(frame["date"]).to_numpy()[train]
    order = np.argsort(dates, kind="stable")
    expected = [train[order[b]].tolist() for _, b in TimeSeriesSplit(3).split(order)]
    assert split["cv_folds"]["splitter"] == "TimeSeriesSplit(3)"
    assert split["cv_folds"]["cv_test_rows"] == expected


def test_group_split_and_folds_equal_scikit_learn_on_the_same_rows(tmp_path, capsys, table):
    frame, path = table
    runs = {}
    for name in ("a", "b"):
        out = tmp_path / name
        rc, _, err = run(capsys, "train", path, "--target", "y", "--split", "group:store", "--seed", "3", "--cv", "4",
                         "--Cs", "3", "--out", out, "--no-plots")
        assert rc == 0, err
        runs[name] = _split(out)
    assert runs["a"] == runs["b"]  # same seed, same split
    split = runs["a"]
    rows = np.arange(len(frame))
    train, test = next(GroupShuffleSplit(n_splits=1, test_size=0.25, random_state=3).split(rows, groups=frame["store"]))
    assert split["train_rows"] == np.sort(train).tolist() and split["test_rows"] == np.sort(test).tolist()
    assert not set(frame["store"].iloc[train]) & set(frame["store"].iloc[test])
    train = np.sort(train)
    sub = frame.iloc[train]
    folds = [train[b].tolist() for _, b in GroupKFold(4).split(sub, sub["y"], groups=sub["store"])]
    assert split["cv_folds"] == {"splitter": "GroupKFold(4)", "cv_test_rows": folds}


def test_random_split_is_train_test_split_without_stratification(tmp_path, capsys, table):
    frame, path = table
    out = tmp_path / "random"
    rc, _, err = run(capsys, "train", path, "--target", "y", "--split", "random", "--seed", "7", "--out", out,
                     "--no-plots")
    assert rc == 0, err
    train, test = train_test_split(np.arange(len(frame)), test_size=0.25, random_state=7)
    split = _split(out)
    assert split["test_rows"] == np.sort(test).tolist() and split["rule"] == "random"


@pytest.mark.parametrize(("rule", "words"), [("time:nope", "'nope' is not in the data"),
                                             ("group:", "expected stratified, random, time:COL or group:COL"),
                                             ("time:store", "neither numbers nor dates")])
def test_bad_split_rules_are_one_line_exit_2(tmp_path, capsys, table, rule, words):
    _, path = table
    rc, _, err = run(capsys, "train", path, "--target", "y", "--split", rule, "--out", tmp_path / "r", "--no-plots")
    errors = [line for line in err.splitlines() if line.startswith("crossentropy: error:")]
    assert rc == 2 and len(errors) == 1 and words in errors[0], err
    assert not (tmp_path / "r").exists()


def test_holdout_rows_ties_all_go_to_the_test_side():
    frame = pd.DataFrame({"t": [1, 1, 2, 2, 2, 2, 3, 3]})
    train, test, record = holdout_rows(SplitRule("time", "t"), frame, np.zeros(8), test_size=0.5, seed=0)
    assert train.tolist() == [0, 1] and test.tolist() == [2, 3, 4, 5, 6, 7] and record["boundary"] == 2
    with pytest.raises(ValueError, match="no training row"):
        holdout_rows(SplitRule("time", "t"), frame.assign(t=5), np.zeros(8), test_size=0.25, seed=0)


def test_predict_to_stdout_with_row_names_first_and_kept_columns(tmp_path, capsys, table):
    frame, path = table
    out = tmp_path / "run"
    rc, _, err = run(capsys, "train", path, "--target", "y", "--out", out, "--no-plots")
    assert rc == 0, err
    new = frame.drop(columns="y").iloc[::-1]  # another order: the row names say which row is which
    new.to_csv(tmp_path / "new.csv", index=False)
    rc, stdout, err = run(capsys, "predict", out, tmp_path / "new.csv", "--proba", "--keep-columns", "store,date")
    assert rc == 0 and err == "", err
    pred = pd.read_csv(io.StringIO(stdout))
    assert list(pred.columns) == ["rownames", "store", "date", "prediction", "proba_down", "proba_up"]
    assert pred["rownames"].tolist() == new["rownames"].tolist() and pred["store"].tolist() == new["store"].tolist()
    joined = frame.merge(pred[["rownames", "proba_down", "proba_up"]], on="rownames")
    est = load_model_bundle(out).estimator
    assert skm.log_loss(joined["y"], joined[["proba_down", "proba_up"]].to_numpy(), labels=list(est.classes_)) \
        == pytest.approx(skm.log_loss(frame["y"], pred.iloc[::-1][["proba_down", "proba_up"]].to_numpy()), rel=1e-12)
    new.assign(code=[f"{i:04d}" for i in range(len(new))]).to_csv(tmp_path / "coded.csv", index=False)
    rc, stdout, err = run(capsys, "predict", out, tmp_path / "coded.csv", "--keep-columns", "code")
    assert rc == 0, err
    kept = pd.read_csv(io.StringIO(stdout), dtype=str)
    assert kept["code"].tolist() == [f"{i:04d}" for i in range(len(new))]  # as the file writes them, not 0, 1, ...
    rc, stdout, err = run(capsys, "predict", out, tmp_path / "new.csv", "--keep-columns", "nope")
    assert rc == 2 and stdout == "" and "--keep-columns names column(s) not in" in err and "'nope'" in err


def test_evaluate_on_unlabelled_rows_points_to_predict(tmp_path, capsys, table):
    frame, path = table
    out = tmp_path / "run"
    assert run(capsys, "train", path, "--target", "y", "--out", out, "--no-plots")[0] == 0
    frame.drop(columns="y").to_csv(tmp_path / "x.csv", index=False)
    rc, _, err = run(capsys, "evaluate", out, tmp_path / "x.csv")
    assert rc == 2 and "has no column 'y'" in err and "crossentropy predict" in err


def test_cv_training_curve_starts_at_the_refits_start(tmp_path, capsys, table):
    frame, path = table
    out = tmp_path / "cv"
    rc, _, err = run(capsys, "train", path, "--target", "y", "--cv", "3", "--Cs", "4", "--out", out)
    assert rc == 0, err
    curve = json.loads((out / "metrics.json").read_text())["training_curve"]
    steps = curve["train"]["steps"]
    assert steps[0] == 0 and steps == list(range(len(steps))) and len(steps) >= 2
    split = _split(out)
    est = load_model_bundle(out).estimator
    prep = load_model_bundle(out).preprocessing
    rows = frame.iloc[split["train_rows"]]
    final = skm.log_loss(rows["y"], est.predict_proba(prep.transform(rows)), labels=list(est.classes_))
    assert curve["train"]["log_loss"][-1] == pytest.approx(final, rel=1e-10)


def test_cli_mlp_stops_early_by_default_but_the_library_does_not(tmp_path, capsys, table):
    from crossentropy.neural_network import MLPClassifier

    _, path = table
    out = tmp_path / "mlp"
    rc, _, err = run(capsys, "train", path, "--target", "y", "--model", "mlp", "--hidden-layer-sizes", "4",
                     "--max-iter", "30", "--out", out, "--no-plots")
    assert rc == 0, err
    est = load_model_bundle(out).estimator
    assert est.get_params()["early_stopping"] is True and MLPClassifier().early_stopping is False


def test_mlp_convergence_warning_points_to_a_rising_validation_curve(tmp_path, capsys):
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(rng.normal(size=(80, 6)), columns=[f"x{i}" for i in range(6)])
    frame["y"] = np.where(frame.x0 + rng.normal(size=80) * 1.5 > 0, "a", "b")  # noisy: a wide network overfits
    frame.to_csv(tmp_path / "noisy.csv", index=False)
    out = tmp_path / "mlp"
    rc, _, err = run(capsys, "train", tmp_path / "noisy.csv", "--target", "y", "--model", "mlp", "--hidden-layer-sizes",
                     "64", "--max-iter", "150", "--learning-rate-init", "0.01", "--param", "n_iter_no_change=1000",
                     "--out", out, "--no-plots")
    assert rc == 0, err
    curve = np.asarray(load_model_bundle(out).estimator.validation_loss_curve_)
    best = int(np.argmin(curve))
    assert curve[-1] > curve[best]
    lines = [line for line in err.splitlines() if "--max-iter 150" in line]  # the library's max_iter=150, as a flag
    assert len(lines) == 1 and f"validation log loss has been rising since epoch {best + 1} " in lines[0], err
    assert "raising --max-iter will not help" in lines[0]


def test_cli_mlp_on_a_table_too_small_for_a_validation_set_trains_without_early_stopping(tmp_path, capsys):
    from crossentropy.neural_network import MLPClassifier

    pd.DataFrame({"x": np.arange(8.0), "y": list("aabbabab")}).to_csv(tmp_path / "tiny.csv", index=False)
    with pytest.raises(ValueError, match="validation"):  # what the library does with early stopping on 6 rows
        MLPClassifier(early_stopping=True, max_iter=5).fit(np.arange(6.0)[:, None], list("aabbab"))
    rc, _, err = run(capsys, "train", tmp_path / "tiny.csv", "--target", "y", "--model", "mlp", "--max-iter", "5",
                     "--out", tmp_path / "run", "--no-plots")
    assert rc == 0 and "leave no usable validation set" in err, err
    assert load_model_bundle(tmp_path / "run").estimator.get_params()["early_stopping"] is False
    rc, _, err = run(capsys, "train", tmp_path / "tiny.csv", "--target", "y", "--model", "mlp", "--early-stopping",
                     "--out", tmp_path / "asked", "--no-plots")
    assert rc == 2 and "validation_fraction" in err  # asked for by the user: an error, not a silent change


def test_a_class_seen_only_after_the_boundary_is_named_in_one_warning():
    frame = pd.DataFrame({"t": np.arange(12)})
    y = np.array(list("ababababa") + ["c"] * 3)  # "c" only in the last quarter of the time order
    with pytest.warns(UserWarning, match=r"1 class\(es\) of the test split are not in the training split \('c'\)"):
        train, test, record = holdout_rows(SplitRule("time", "t"), frame, y, test_size=0.25, seed=0)
    assert set(y[test]) == {"c"} and "2 class(es) have no test row" in record["method"]
