"""crossentropy.plotting: the figures' data against independent formulas, and the PNGs they make."""

import numpy as np
import pytest
from helpers import assert_png

from crossentropy import plotting
from crossentropy.plotting import curves
from crossentropy.cli import main


def _legend(ax):
    return [t.get_text() for t in ax.get_legend().get_texts()]


def test_log_loss_figure_matches_the_formula_and_the_seed_labels(tmp_path):
    fig = plotting.plot_log_loss()
    (ax,) = fig.axes
    assert ax.get_xlabel() == "φ(z)" and ax.get_ylabel() == "J(w)"
    assert _legend(ax) == ["J(w) if y=1", "J(w) if y=0"]
    z = np.arange(-10, 10, 0.1)
    phi = 1.0 / (1.0 + np.exp(-z))  # textbook formulas, not the package's
    line1, line0 = ax.get_lines()
    np.testing.assert_allclose(line1.get_xdata(), phi, rtol=1e-13)
    np.testing.assert_allclose(line1.get_ydata(), np.log1p(np.exp(-z)), rtol=1e-13)  # -log phi = log(1 + e^-z)
    np.testing.assert_allclose(line0.get_ydata(), np.log1p(np.exp(z)), rtol=1e-13)  # -log(1 - phi) = log(1 + e^z)
    assert z[0] == -10 and len(line1.get_xdata()) == z.size
    plotting.save_figure(fig, tmp_path / "ll.png")
    assert_png(tmp_path / "ll.png", min_size=100)


def test_figures_do_not_touch_pyplot_state():
    import matplotlib.pyplot as plt

    before = plt.get_fignums()
    plotting.plot_log_loss()
    plotting.plot_confusion_matrix([0, 1], [1, 1])
    assert plt.get_fignums() == before


def test_cli_plot_log_loss_and_ce_vs_mse_write_pngs(tmp_path, capsys):
    assert main(["plot", "log-loss", "--out", str(tmp_path / "a.png")]) == 0
    assert main(["plot", "ce-vs-mse", "--out", str(tmp_path / "b.png")]) == 0
    assert_png(tmp_path / "a.png", min_size=100)
    assert_png(tmp_path / "b.png", min_size=100)
    assert "wrote" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.png", "b.png"]  # no temporary files left


def _num_grad(f, z, h=1e-5):
    return (f(z + h) - f(z - h)) / (2 * h)


def test_ce_vs_mse_gradient_panels_equal_finite_differences():
    fig = plotting.plot_ce_vs_mse(n_iter=5)
    ax_loss, ax_grad, ax_train = fig.axes
    ce_line, mse_line = ax_loss.get_lines()
    ce_grad, mse_grad = ax_grad.get_lines()
    phi = ce_line.get_xdata()
    keep = (phi > 1e-6) & (phi < 1 - 1e-6)
    z = np.log(phi[keep]) - np.log1p(-phi[keep])
    sig = lambda t: 1.0 / (1.0 + np.exp(-t))  # noqa: E731
    np.testing.assert_allclose(ce_line.get_ydata()[keep], -np.log(sig(z)), rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(mse_line.get_ydata()[keep], (1 - sig(z)) ** 2, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ce_grad.get_ydata()[keep], np.abs(_num_grad(lambda t: -np.log(sig(t)), z)), rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(mse_grad.get_ydata()[keep], np.abs(_num_grad(lambda t: (1 - sig(t)) ** 2, z)), rtol=1e-6, atol=1e-9)
    assert [ax.get_xlabel() for ax in fig.axes] == ["φ(z)", "φ(z)", "iteration"]


def test_mse_gradient_of_the_weights_equals_finite_differences(rng):
    X1 = np.hstack([rng.normal(size=(40, 3)), np.ones((40, 1))])
    y = (rng.random(40) < 0.5).astype(float)
    w = rng.normal(size=4)
    _, grad = curves._mse_sigmoid_loss_grad(w, X1, y)
    f = lambda v: np.mean((1 / (1 + np.exp(-(X1 @ v))) - y) ** 2)  # noqa: E731
    num = np.array([(f(w + 1e-6 * e) - f(w - 1e-6 * e)) / 2e-6 for e in np.eye(4)])
    np.testing.assert_allclose(grad, num, rtol=1e-6, atol=1e-10)


def test_ce_training_curve_reaches_sklearns_unpenalised_optimum(rng):
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    X = rng.normal(size=(200, 2))
    y = (X @ [1.0, -2.0] + 0.3 + rng.logistic(size=200) > 0).astype(int)
    fig = plotting.plot_ce_vs_mse(X, y, n_iter=1500, learning_rate=1.0)
    ce, mse = (line.get_ydata() for line in fig.axes[2].get_lines())
    ref = LogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(X, y)  # unpenalised; loss is scale-invariant
    best = log_loss(y, ref.predict_proba(X))
    assert ce[-1] == pytest.approx(best, rel=1e-6)
    assert ce[0] == mse[0]  # the same start
    assert np.all(np.diff(ce) <= 1e-12)  # gradient descent on a convex loss with a small step
    assert mse[100] > ce[100] + 2.0  # after 100 steps MSE is still stuck near the saturated start


def test_training_curve_plots_both_curves(tmp_path):
    from types import SimpleNamespace

    est = SimpleNamespace(loss_curve_=np.array([0.7, 0.5, 0.4, 0.35]), validation_loss_curve_=[0.72, 0.55, 0.5, 0.49])
    fig = plotting.plot_training_curve(est)
    train, val = fig.axes[0].get_lines()
    assert train.get_ydata().tolist() == [0.7, 0.5, 0.4, 0.35]
    assert val.get_ydata().tolist() == [0.72, 0.55, 0.5, 0.49]
    plotting.save_figure(fig, tmp_path / "curve.png")
    assert_png(tmp_path / "curve.png", min_size=100)
    with pytest.raises(ValueError, match="loss_curve_"):
        plotting.plot_training_curve(SimpleNamespace())


def test_reliability_diagram_binary_quantile_bins_wilson_intervals_and_ece(rng, tmp_path):
    from statsmodels.stats.proportion import proportion_confint

    p = rng.random(503)
    y = np.where(rng.random(503) < p**1.5, "yes", "no")
    fig = plotting.plot_reliability_diagram(y, p, classes=["no", "yes"], n_bins=5, split="test")
    ax, ax_hist = fig.axes
    model = ax.get_lines()[1]
    order = np.sort(p)  # equal-count bins by rank, written out here: 101, 101, 101, 100, 100 rows
    sizes = [101, 101, 101, 100, 100]
    edges = np.cumsum([0] + sizes)
    conf = np.array([order[a:b].mean() for a, b in zip(edges[:-1], edges[1:])])
    rank = np.argsort(np.argsort(p, kind="stable"), kind="stable")
    hits = np.array([np.sum((y == "yes") & (rank >= a) & (rank < b)) for a, b in zip(edges[:-1], edges[1:])])
    frac = hits / np.array(sizes)
    np.testing.assert_allclose(model.get_xdata(), conf, rtol=1e-12)
    np.testing.assert_allclose(model.get_ydata(), frac, rtol=1e-12)
    lo, hi = proportion_confint(hits, sizes, alpha=0.05, method="wilson")  # statsmodels' Wilson interval
    bins = plotting.diagnostics.reliability_bins(y == "yes", p, 5)
    np.testing.assert_allclose(bins["lower"], lo, rtol=1e-9)
    np.testing.assert_allclose(bins["upper"], hi, rtol=1e-9)
    (bars,) = [c for c in ax.containers if hasattr(c, "has_yerr")]  # the drawn error bars span the interval
    segs = np.array([seg[:, 1] for seg in bars.lines[2][0].get_segments()])
    np.testing.assert_allclose(np.sort(segs, axis=1), np.column_stack([lo, hi]), rtol=1e-9)
    ece = np.sum(np.array(sizes) / p.size * np.abs(frac - conf))
    assert f"ECE = {ece:.3f}" in [t.get_text() for t in ax.texts]
    assert ax.get_title() == "Reliability on test (n = 503): P(y = yes)"
    assert ax_hist.get_yscale() == "log"
    assert sum(patch.get_height() for patch in ax_hist.patches) == p.size
    plotting.save_figure(fig, tmp_path / "rel.png")
    assert_png(tmp_path / "rel.png", min_size=100)


def test_reliability_diagram_multiclass_is_top_label(rng):
    proba = rng.dirichlet([1, 1, 1], size=300)
    y = np.array([rng.choice(3, p=row) for row in proba])
    fig = plotting.plot_reliability_diagram(y, proba, n_bins=4)
    assert fig.axes[0].get_ylabel() == "accuracy"
    conf = fig.axes[0].get_lines()[1].get_xdata()
    assert conf.min() >= 1 / 3 - 1e-12  # the top label's probability is at least 1/K
    with pytest.raises(ValueError, match="classes"):
        plotting.plot_reliability_diagram(y, proba, classes=[0, 1])


def test_confusion_matrix_counts_equal_a_crosstab(rng, tmp_path):
    import pandas as pd

    y = rng.choice(["a", "b", "c"], size=60)
    pred = np.where(rng.random(60) < 0.7, y, rng.choice(["a", "b", "c"], size=60))
    fig = plotting.plot_confusion_matrix(y, pred)
    ax = fig.axes[0]
    table = pd.crosstab(pd.Series(y, name="t"), pd.Series(pred, name="p")).reindex(index=list("abc"), columns=list("abc"), fill_value=0)
    counts = table.to_numpy()
    rates = counts / counts.sum(axis=1, keepdims=True)
    shown = np.array([int(t.get_text().split("\n")[0]) for t in ax.texts]).reshape(3, 3)
    percent = np.array([float(t.get_text().split("\n")[1].rstrip("%")) for t in ax.texts]).reshape(3, 3)
    np.testing.assert_array_equal(shown, counts)
    np.testing.assert_allclose(percent, np.round(100 * rates, 1), atol=1e-9)
    np.testing.assert_allclose(ax.images[0].get_array().data, rates)
    assert ax.get_title() == f"Confusion matrix (n = 60), accuracy {np.trace(counts) / 60:.3f}"
    titled = plotting.plot_confusion_matrix(y, pred, split="holdout.csv")
    assert titled.axes[0].get_title().startswith("Confusion matrix on holdout.csv (n = 60)")
    plotting.save_figure(fig, tmp_path / "cm.png")
    assert_png(tmp_path / "cm.png", min_size=100)


def test_decision_boundary_binary_contour_is_the_line_wx_plus_b(rng, tmp_path):
    from sklearn.linear_model import LogisticRegression

    X = rng.normal(size=(120, 2))
    y = (X @ [1.5, -1.0] + rng.normal(scale=0.5, size=120) > 0).astype(int)
    clf = LogisticRegression().fit(X, y)
    fig = plotting.plot_decision_boundary(clf, X, y, feature_names=["u", "v"], grid_resolution=150)
    ax = fig.axes[0]
    boundary = [c for c in ax.collections if hasattr(c, "levels") and list(c.levels) == [0.5]][0]
    verts = np.vstack([p.vertices for p in boundary.get_paths() if len(p.vertices)])
    w, b = clf.coef_[0], clf.intercept_[0]
    step = np.ptp(X, axis=0).max() / 100
    assert np.abs(verts @ w + b).max() / np.linalg.norm(w) < step
    plotting.save_figure(fig, tmp_path / "db.png")
    assert_png(tmp_path / "db.png", min_size=100)


def test_decision_boundary_multiclass_and_bad_input(rng, tmp_path):
    from sklearn.linear_model import LogisticRegression

    X = rng.normal(size=(90, 2)) + np.repeat([[0, 0], [3, 0], [0, 3]], 30, axis=0)
    y = np.repeat(["p", "q", "r"], 30)
    clf = LogisticRegression().fit(X, y)
    fig = plotting.plot_decision_boundary(clf, X, y)
    assert _legend(fig.axes[0]) == ["p", "q", "r"]
    plotting.save_figure(fig, tmp_path / "db3.png")
    assert_png(tmp_path / "db3.png", min_size=100)
    with pytest.raises(ValueError, match="two feature columns"):
        plotting.plot_decision_boundary(clf, np.hstack([X, X]), y)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: plotting.plot_log_loss(z_min=1, z_max=0), "z_min"),
        (lambda: plotting.plot_log_loss(step=0), "step"),
        (lambda: plotting.plot_ce_vs_mse(n_iter=0), "n_iter"),
        (lambda: plotting.plot_ce_vs_mse(np.zeros((4, 2)), [0, 1, 2, 1]), "0/1"),
        (lambda: plotting.plot_ce_vs_mse(np.zeros((4, 2))), "without y"),
        (lambda: plotting.plot_confusion_matrix([0, 1], [0]), "same length"),
    ],
)
def test_bad_arguments_raise_value_error_naming_them(call, match):
    with pytest.raises(ValueError, match=match):
        call()
