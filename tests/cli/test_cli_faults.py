"""Faults of the third adversarial round on the command line: one line on stderr, the right exit code,
nothing left behind, checked before any data is read."""

import numpy as np
import pandas as pd
import pytest
from helpers import write_labelled_csv

from crossentropy.cli import main


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def table(tmp_path):
    return write_labelled_csv(tmp_path / "t.csv", 40, seed=1)


@pytest.mark.parametrize("flag, value, needle", [
    ("--seed", "-5", "an integer in [0, 4294967295]"),
    ("--seed", str(2 ** 32), "an integer in [0, 4294967295]"),
    ("--label-smoothing", "1", "a number in [0, 1)"),
])
def test_flags_are_checked_before_the_data_is_read(capsys, tmp_path, flag, value, needle):
    # the data file does not exist: the flag's error comes first, before any reading
    rc, _, err = run(capsys, "train", tmp_path / "absent.csv", "--target", "y", "--model", "mlp", flag, value,
                     "--out", tmp_path / "run")
    assert rc == 2 and err.count("\n") == 1 and flag in err and needle in err, err
    assert not (tmp_path / "run").exists()


# ------------------------------------------------------------------ predict --proba with many classes
def test_predict_proba_with_many_classes_builds_one_frame(capsys, tmp_path, recwarn):
    from crossentropy.io.pipeline import load_pipeline

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"a": rng.normal(size=260), "b": rng.normal(size=260), "y": [f"c{i % 130}" for i in range(260)]})
    df.to_csv(tmp_path / "many.csv", index=False)
    assert run(capsys, "train", tmp_path / "many.csv", "--target", "y", "--test-size", "0", "--no-plots",
               "--solver", "lbfgs", "--max-iter", "20", "--out", tmp_path / "run")[0] == 0
    recwarn.clear()
    rc, _, err = run(capsys, "predict", tmp_path / "run", tmp_path / "many.csv", "--proba", "--out", tmp_path / "p.csv")
    assert rc == 0 and err == "", err
    assert not [w for w in recwarn if "PerformanceWarning" in type(w.message).__name__]
    got = pd.read_csv(tmp_path / "p.csv")
    pipe = load_pipeline(tmp_path / "run")
    ref = pipe.predict_proba(df.drop(columns="y"))
    assert list(got.columns) == ["prediction"] + [f"proba_{c}" for c in pipe.classes_]
    np.testing.assert_allclose(got.iloc[:, 1:].to_numpy(), ref, rtol=1e-12, atol=1e-15)


# ------------------------------------------------------------------ plot run with a malformed split.json
@pytest.fixture
def trained_run(capsys, tmp_path, table):
    assert run(capsys, "train", table, "--target", "y", "--no-plots", "--out", tmp_path / "run")[0] == 0
    return tmp_path / "run"


@pytest.mark.parametrize("content, needle", [
    ("[1, 2]", "must hold a JSON object"),
    ('{"test_rows": "abc"}', "test_rows must be a list of row numbers"),
    ('{"test_rows": {"a": 1}}', "test_rows must be a list of row numbers"),
    ('{"test_rows": [1.5, 2]}', "test_rows must be a list of row numbers"),
    ('{"test_rows": [true, 2]}', "test_rows must be a list of row numbers"),
    ('{"test_rows": [-1, 2]}', "distinct row numbers from 0, found -1"),
    ('{"test_rows": [3, 3]}', "distinct row numbers from 0, found 3"),
    ("nonsense", "cannot read"),
])
def test_plot_run_validates_split_json(capsys, tmp_path, trained_run, content, needle):
    (trained_run / "split.json").write_text(content)
    rc, _, err = run(capsys, "plot", "run", trained_run, "--out", tmp_path / "figs")
    assert rc == 2 and err.count("\n") == 1 and needle in err and "split.json" in err, err
    assert not (tmp_path / "figs").exists()


# ------------------------------------------------------------------ model metadata beyond the file limit
def test_metadata_too_large_is_refused_before_the_fit(capsys, tmp_path, monkeypatch):
    from crossentropy.io import model_schema
    from crossentropy.linear_model import LogisticRegression

    long_name = "x" * 6000
    rng = np.random.default_rng(3)
    df = pd.DataFrame({long_name + "1": rng.normal(size=30), long_name + "2": rng.normal(size=30),
                       "y": np.arange(30) % 2})
    df.to_csv(tmp_path / "long.csv", index=False)
    monkeypatch.setattr(model_schema, "MAX_JSON_BYTES", 20_000)   # the real bound is 16 MiB: the same rule, smaller

    def never(*args, **kwargs):
        raise AssertionError("fitted although the model could not be saved")

    monkeypatch.setattr(LogisticRegression, "fit", never)
    rc, out, err = run(capsys, "train", tmp_path / "long.csv", "--target", "y", "--no-plots", "--out", tmp_path / "run")
    assert rc == 2 and err.count("\n") == 1 and "more than the 20000 a model file may hold" in err, err
    assert not (tmp_path / "run").exists()


def test_metadata_floor_is_below_the_saved_file(tmp_path):
    from crossentropy.io.model_files import metadata_floor
    from crossentropy.linear_model import LogisticRegression
    from crossentropy.preprocessing import TabularPreprocessor

    df = pd.DataFrame({"a" * 500: np.linspace(0, 1, 20), "c": list("uvw" * 6 + "uv"), "y": np.arange(20) % 2})
    prep = TabularPreprocessor("y").fit(df)
    model = LogisticRegression().fit(prep.transform(df), prep.target_values(df))
    from crossentropy.io.model_files import save_model

    path = save_model(model, tmp_path / "m", preprocessing=prep)
    assert metadata_floor(prep) < path.stat().st_size
