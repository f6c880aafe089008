"""A saved run as a scikit-learn Pipeline: the numbers of ``crossentropy predict --proba``, on a DataFrame.

Oracles: the probabilities that the command line writes (an independent path through the CLI's
predict, read back from CSV with 17 significant digits), and for the transformer scikit-learn's own
``ColumnTransformer`` of ``SimpleImputer``, ``StandardScaler`` and ``OneHotEncoder``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crossentropy as ce
from crossentropy.cli import main
from crossentropy.exceptions import ModelFileError
from crossentropy.preprocessing import TabularTransformer

DATA = Path(__file__).resolve().parents[2] / "examples" / "data"


@pytest.fixture(scope="module")
def wine_runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("runs")
    runs = {}
    for model, extra in [("logistic", []), ("mlp", ["--hidden-layer-sizes", "8", "--max-iter", "30"])]:
        runs[model] = root / model
        assert main(["train", str(DATA / "train.csv"), "--target", "cultivar", "--impute", "median", "--model", model,
                     "--out", str(runs[model]), "--no-plots", *extra]) == 0
    return runs


@pytest.mark.parametrize("model", ["logistic", "mlp"])
def test_pipeline_equals_predict_proba(wine_runs, model, tmp_path, capsys):
    run = wine_runs[model]
    for table in ("new.csv", "test.csv"):
        out = tmp_path / f"pred-{table}"
        assert main(["predict", str(run), str(DATA / table), "--proba", "--out", str(out)]) == 0
        cli = pd.read_csv(out)
        pipe = ce.load_pipeline(run)
        frame = pd.read_csv(DATA / table)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no feature-name or fitted-state warning from scikit-learn
            proba = pipe.predict_proba(frame)
            pred = pipe.predict(frame)
        classes = [str(c) for c in pipe.classes_]
        np.testing.assert_allclose(proba, cli[[f"proba_{c}" for c in classes]].to_numpy(), rtol=0, atol=1e-12)
        assert pred.tolist() == cli["prediction"].tolist()
    capsys.readouterr()
    train_columns = [c for c in pd.read_csv(DATA / "train.csv").columns if c != "cultivar"]
    assert pipe.feature_names_in_.tolist() == train_columns
    assert [name for name, _ in pipe.steps] == ["preprocess", "model"]
    assert isinstance(pipe.named_steps["preprocess"], TabularTransformer)
    assert "colour=deep" in pipe.named_steps["preprocess"].get_feature_names_out().tolist()
    # the columns are picked by name: another order, or extra columns, give the same numbers
    shuffled = frame[frame.columns[::-1]].assign(note="x")
    np.testing.assert_array_equal(pipe.predict_proba(shuffled), proba)


def test_clone_refits_the_same_steps(wine_runs):
    """An unfitted copy of the pipeline, fitted on the run's training rows, is the run's model again."""
    import json

    from sklearn.base import clone

    run = wine_runs["logistic"]
    pipe = ce.load_pipeline(run)
    train = pd.read_csv(DATA / "train.csv")
    rows = json.loads((run / "split.json").read_text())["train_rows"]
    part = train.iloc[rows]
    refit = clone(pipe).fit(part.drop(columns="cultivar"), part["cultivar"])
    test = pd.read_csv(DATA / "test.csv")
    np.testing.assert_allclose(refit.predict_proba(test), pipe.predict_proba(test), rtol=0, atol=1e-10)
    assert refit.named_steps["preprocess"].preprocessor_.to_state()["columns"] == \
        pipe.named_steps["preprocess"].preprocessor_.to_state()["columns"]


def test_transformer_equals_scikit_learn_column_transformer():
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    train, test = pd.read_csv(DATA / "train.csv"), pd.read_csv(DATA / "test.csv")
    X, y = train.drop(columns="cultivar"), train["cultivar"]
    ours = TabularTransformer(missing="impute", impute_strategy="median").fit(X, y)
    numeric = [c for c in X.columns if c != "colour"]
    ref = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore",
                                                                                     sparse_output=False)), ["colour"]),
    ]).fit(X)
    names = ours.get_feature_names_out().tolist()
    ref_names = [n.split("__", 1)[1].replace("colour_", "colour=") for n in ref.get_feature_names_out()]
    order = [names.index(n) for n in ref_names]
    for frame in (X, test.drop(columns="cultivar")):
        np.testing.assert_allclose(ours.transform(frame)[:, order], ref.transform(frame), rtol=1e-12, atol=1e-12)
    assert ours.feature_names_in_.tolist() == list(X.columns) and ours.n_features_in_ == X.shape[1]
    # an array with the input columns in order is accepted too
    np.testing.assert_array_equal(ours.transform(X.to_numpy(dtype=object)), ours.transform(X))


def test_transformer_bad_input():
    frame = pd.DataFrame({"x": np.arange(12.0) ** 2, "y": [0, 1] * 6})
    with pytest.raises(TypeError, match="X must be a pandas DataFrame"):
        TabularTransformer().fit(frame.to_numpy(), [0, 1] * 6)
    with pytest.raises(TypeError, match="pass y, or name the class column"):
        TabularTransformer().fit(frame)
    with pytest.raises(ValueError, match="missing='dropna' cannot be used"):
        TabularTransformer(missing="dropna").fit(frame, frame["y"])
    with pytest.raises(ValueError, match=r"y must have shape \(12,\)"):
        TabularTransformer().fit(frame, [0, 1])
    fitted = TabularTransformer(target="y").fit(frame)
    assert fitted.feature_names_in_.tolist() == ["x"]
    with pytest.raises(ValueError, match="the data lack 1 column"):
        fitted.transform(frame[["y"]])
    with pytest.raises(ValueError, match="must be a DataFrame or have 1 columns"):
        fitted.transform(np.zeros((3, 2)))
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        TabularTransformer().transform(frame)


def test_models_saved_from_python(tmp_path):
    """Fitted on a DataFrame: the pipeline passes its columns through; on bare arrays there is none."""
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 3)), columns=["a", "b", "c"])
    y = (X["a"] - X["b"] > 0).astype(int)
    model = ce.LogisticRegression().fit(X, y)
    ce.save_model(model, tmp_path / "named")
    pipe = ce.load_pipeline(tmp_path / "named" / "model.json")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        # the same numbers up to the order BLAS sums in: the pipeline hands the model a C-ordered
        # matrix, a DataFrame converts to a Fortran-ordered one (1-ulp differences seen)
        np.testing.assert_allclose(pipe.predict_proba(X[["c", "b", "a"]]), model.predict_proba(X),
                                   rtol=1e-14, atol=0)
    ce.save_model(ce.LogisticRegression().fit(X.to_numpy(), y), tmp_path / "bare")
    with pytest.raises(ModelFileError, match="without feature names or table preprocessing"):
        ce.load_pipeline(tmp_path / "bare")
    with pytest.raises(ModelFileError, match="model not found"):
        ce.load_pipeline(tmp_path / "nothing")
