"""The CV curve and the coefficient path: the plotted data equal the estimator's own tables."""

import numpy as np
import pytest
from helpers import assert_png
from sklearn.datasets import make_classification

from crossentropy import LogisticRegressionCV
from crossentropy.plotting import plot_coef_path, plot_cv_curve, save_figure


@pytest.fixture(scope="module")
def fitted():
    X, y = make_classification(300, 4, n_informative=3, n_redundant=0, random_state=0)
    return LogisticRegressionCV(Cs=[10.0, 0.01, 1.0, 0.1], cv=3).fit(X, y)


def test_cv_curve_plots_mean_and_marks_both_choices(fitted, tmp_path):
    fig = plot_cv_curve(fitted, score_label="neg. log loss")
    ax = fig.axes[0]
    curve = ax.get_lines()[0]
    order = np.argsort(fitted.Cs_)
    np.testing.assert_array_equal(curve.get_xdata(), fitted.Cs_[order])
    scores = fitted.scores_[1]  # (folds, Cs)
    np.testing.assert_allclose(curve.get_ydata(), scores.mean(axis=0)[order])
    band = ax.collections[0].get_paths()[0].vertices[:, 1]  # mean ± sd/sqrt(3), from the fold scores
    se = scores.std(axis=0, ddof=1)[order] / np.sqrt(3)
    assert np.isclose(band.min(), (scores.mean(axis=0)[order] - se).min())
    assert np.isclose(band.max(), (scores.mean(axis=0)[order] + se).max())
    marks = [line.get_xdata()[0] for line in ax.get_lines()[1:]]
    assert marks == [fitted.cv_results_["C"][fitted.best_index_], fitted.cv_results_["C"][fitted.index_1se_]]
    assert ax.get_xscale() == "log"
    save_figure(fig, tmp_path / "cv.png")
    assert_png(tmp_path / "cv.png")


def test_coef_path_draws_every_coefficient_against_C(fitted, tmp_path):
    fig = plot_coef_path(fitted, feature_names=["a", "b", "c", "d"])
    ax = fig.axes[0]
    lines = ax.get_lines()[:4]
    mean_path = fitted.coefs_paths_[1].mean(axis=0)[np.argsort(fitted.Cs_)]
    for j, line in enumerate(lines):
        np.testing.assert_allclose(line.get_ydata(), mean_path[:, j])
    assert ax.get_xscale() == "log"
    save_figure(fig, tmp_path / "path.png")
    assert_png(tmp_path / "path.png")


def test_unfitted_or_wrong_estimator_is_refused():
    with pytest.raises(ValueError, match="LogisticRegressionCV"):
        plot_cv_curve(LogisticRegressionCV())
    with pytest.raises(ValueError, match="feature_names"):
        X, y = make_classification(60, 3, n_informative=2, n_redundant=0, random_state=0)
        plot_coef_path(LogisticRegressionCV(Cs=2, cv=2).fit(X, y), feature_names=["a"])
