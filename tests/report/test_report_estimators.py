"""``Report.from_estimator`` on each kind of model: its numbers equal scikit-learn's, computed here."""

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from sklearn.datasets import load_breast_cancer, load_iris
from sklearn.dummy import DummyClassifier
from sklearn.metrics import accuracy_score, brier_score_loss, f1_score, log_loss, precision_recall_fscore_support
from sklearn.pipeline import make_pipeline

from crossentropy.report import Report

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    rng = np.random.default_rng(0)
    order = rng.permutation(y.size)
    train, test = order[:100], order[100:]
    return X[train], y[train], X[test], y[test]


@pytest.fixture(scope="module")
def cancer():
    data = load_breast_cancer(as_frame=True)
    frame = data.frame.sample(n=300, random_state=1)
    frame["size"] = np.where(frame["mean radius"] > frame["mean radius"].median(), "large", "small")
    X, y = frame.drop(columns=["target", "mean radius"])[["mean texture", "mean smoothness", "size"]], frame["target"]
    return X.iloc[:200], y.iloc[:200].to_numpy(), X.iloc[200:], y.iloc[200:].to_numpy()


def _models():
    from crossentropy import LogisticRegression, LogisticRegressionCV, MLPClassifier, OrdinalRegression
    from crossentropy.calibration import CalibratedClassifier

    return {"logistic": LogisticRegression(), "cv": LogisticRegressionCV(Cs=3, cv=3),
            "mlp": MLPClassifier(hidden_layer_sizes=(8,), max_iter=60, random_state=0),
            "ordinal": OrdinalRegression(), "calibrated": CalibratedClassifier(LogisticRegression(), cv=3)}


def _check_split(report, split, y, proba, y_train):
    """The report's row of ``split`` against scikit-learn on the model's own probabilities."""
    m = report.metrics.loc[(split, "model")]
    labels = np.unique(np.concatenate([y, y_train]))
    assert m["n"] == y.size
    assert m["log_loss"] == pytest.approx(log_loss(y, proba, labels=labels), rel=1e-12)
    assert m["log_loss_bits"] == pytest.approx(log_loss(y, proba, labels=labels) / np.log(2), rel=1e-12)
    assert m["accuracy"] == accuracy_score(y, labels[np.argmax(proba, axis=1)])
    if labels.size == 2:
        assert m["brier"] == pytest.approx(brier_score_loss(y == labels[1], proba[:, 1]), rel=1e-12)
    prior = DummyClassifier(strategy="prior").fit(np.zeros((y_train.size, 1)), y_train)
    majority = DummyClassifier(strategy="most_frequent").fit(np.zeros((y_train.size, 1)), y_train)
    b = report.metrics.loc[(split, "baseline")]
    assert b["log_loss"] == pytest.approx(log_loss(y, prior.predict_proba(np.zeros((y.size, 1))), labels=labels),
                                          rel=1e-12)
    assert b["accuracy"] == accuracy_score(y, majority.predict(np.zeros((y.size, 1))))
    dummy_pred = prior.predict(np.zeros((y.size, 1)))
    assert b["macro_f1"] == pytest.approx(f1_score(y, dummy_pred, labels=labels, average="macro", zero_division=0.0),
                                          rel=1e-12)
    if labels.size == 2:
        p_pos = prior.predict_proba(np.zeros((y.size, 1)))[:, list(prior.classes_).index(labels[1])]
        assert b["brier"] == pytest.approx(brier_score_loss(y == labels[1], p_pos), rel=1e-12)
    else:
        assert np.isnan(b["brier"])
    p, r, f, s = precision_recall_fscore_support(y, labels[np.argmax(proba, axis=1)], labels=labels, zero_division=0.0)
    rows = report.per_class[report.per_class["split"] == split]
    np.testing.assert_allclose(rows[["precision", "recall", "f1"]].to_numpy(float), np.column_stack([p, r, f]),
                               rtol=1e-12)
    assert rows["support"].tolist() == s.tolist()


@pytest.mark.parametrize("name", ["logistic", "cv", "mlp", "ordinal", "calibrated"])
def test_metrics_equal_scikit_learn_for_every_model(name, iris):
    X, y, X_test, y_test = iris
    model = _models()[name].fit(X, y)
    report = Report.from_estimator(model, X_test, y_test, X_train=X, y_train=y, plots=name in ("logistic", "mlp"))
    _check_split(report, "test", y_test, model.predict_proba(X_test), y)
    _check_split(report, "train", y, model.predict_proba(X), y)
    assert report.metrics.index.tolist() == [("train", "model"), ("train", "baseline"), ("test", "model"),
                                             ("test", "baseline")]
    if name in ("logistic", "mlp"):
        assert {"training_curve.png", "reliability.png", "confusion_matrix.png", "roc_pr.png"} <= set(report.figures)
        assert all(isinstance(fig, Figure) for fig in report.figures.values())
        assert all(report.png(k)[:8] == b"\x89PNG\r\n\x1a\n" for k in report.figures)
    assert (report.coefficients is None) == (name not in ("logistic", "cv"))


def test_pipeline_coefficients_are_the_summary_of_the_data_columns(cancer):
    """A TabularTransformer + LogisticRegression pipeline: metrics on the raw frames, the coefficient table in the
    data's units (a string column against its reference level) with the unpenalised estimates of statsmodels."""
    sm = pytest.importorskip("statsmodels.api")
    from crossentropy import LogisticRegression
    from crossentropy.preprocessing import TabularTransformer

    X, y, X_test, y_test = cancer
    pipe = make_pipeline(TabularTransformer(), LogisticRegression(penalty=None, tol=1e-10)).fit(X, y)
    report = Report.from_estimator(pipe, X_test, y_test, X_train=X, y_train=y, plots=False)
    _check_split(report, "test", y_test, pipe.predict_proba(X_test), y)
    _check_split(report, "train", y, pipe.predict_proba(X), y)
    design = sm.add_constant(np.column_stack([X["mean texture"], X["mean smoothness"],
                                              (X["size"] == "small").astype(float)]))
    ref = sm.Logit(y, design).fit(disp=0, tol=1e-12)
    coef = report.coefficients
    assert coef.index.tolist() == ["const", "mean texture", "mean smoothness", "size[T.small]"]
    np.testing.assert_allclose(coef["estimate"].to_numpy(float), ref.params, rtol=1e-6)
    np.testing.assert_allclose(coef["std_err"].to_numpy(float), ref.bse, rtol=1e-5)
    page = report.html()
    assert "size[T.small]" in page and "<table id='coefficients'>" in page


def test_without_training_rows_there_is_no_baseline(iris):
    from crossentropy import LogisticRegression

    X, y, X_test, y_test = iris
    model = LogisticRegression().fit(X, y)
    report = Report.from_estimator(model, X_test, y_test, plots=False)
    assert report.metrics.index.tolist() == [("test", "model")] and report.coefficients is None
    assert report.metrics.loc[("test", "model"), "log_loss"] == pytest.approx(
        log_loss(y_test, model.predict_proba(X_test)), rel=1e-12)


def test_bad_input_names_the_parameter(iris):
    from crossentropy import LogisticRegression

    X, y, X_test, y_test = iris
    with pytest.raises(TypeError, match="estimator must be a fitted classifier"):
        Report.from_estimator(object(), X_test, y_test)
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="y_test must hold one label per row of X_test"):
        Report.from_estimator(model, X_test, y_test[:-1])
    with pytest.raises(ValueError, match="X_train and y_train go together"):
        Report.from_estimator(model, X_test, y_test, X_train=X)
    assert isinstance(Report.from_estimator(model, pd.DataFrame(X_test), y_test, plots=False).metrics, pd.DataFrame)
