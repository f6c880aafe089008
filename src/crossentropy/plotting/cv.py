r"""Pictures of a cross-validated regularisation path: the CV curve and the coefficient path.

Both take a fitted :class:`~crossentropy.LogisticRegressionCV` (duck-typed: ``cv_results_``,
``best_index_``, ``index_1se_``, ``coefs_paths_``, ``Cs_``) and put C on a log axis, the strongest
penalty on the left.
"""

from __future__ import annotations

import numpy as np

from ._figure import literal, new_figure

__all__ = ["plot_cv_curve", "plot_coef_path"]


def _check_cv(estimator, *names):
    missing = [n for n in names if not hasattr(estimator, n)]
    if missing:
        raise ValueError(f"estimator must be a fitted LogisticRegressionCV (it lacks {', '.join(missing)}), "
                         f"got {type(estimator).__name__}")


def plot_cv_curve(estimator, *, score_label="score"):
    r"""Mean cross-validation score :math:`\bar s(C)` ± one standard error against C (log axis).

    .. math:: \bar s(C) = \frac1F \sum_f s_f(C), \qquad \mathrm{SE}(C) = \frac{\mathrm{sd}_f\, s_f(C)}{\sqrt F}

    One curve per l1 ratio; the best C (a solid line) and the one-standard-error choice (the
    smallest C within one SE of the best, dashed) are marked.

    Parameters
    ----------
    estimator : fitted LogisticRegressionCV
    score_label : str, default "score"
        The y-axis label (e.g. ``"neg. log loss"``).

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import scale
    >>> from crossentropy import LogisticRegressionCV
    >>> from crossentropy.plotting import plot_cv_curve
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = LogisticRegressionCV(Cs=5, cv=3).fit(scale(X), y)
    >>> line = plot_cv_curve(clf).axes[0].get_lines()[0]
    >>> np.allclose(line.get_ydata(), clf.cv_results_["mean_score"])
    True

    References
    ----------
    Hastie, Tibshirani & Friedman, *The Elements of Statistical Learning* (2009), §7.10, Fig. 7.9.
    """
    _check_cv(estimator, "cv_results_", "best_index_", "index_1se_")
    table = estimator.cv_results_
    fig = new_figure((6.0, 4.0))
    ax = fig.add_subplot()
    ratios = table["l1_ratio"]
    groups = [np.flatnonzero(np.isnan(ratios))] if np.all(np.isnan(ratios)) else \
        [np.flatnonzero(ratios == r) for r in np.unique(ratios)]
    for rows in groups:
        rows = rows[np.argsort(table["C"][rows], kind="stable")]
        C, m, se = table["C"][rows], table["mean_score"][rows], table["std_error"][rows]
        label = None if np.isnan(ratios[rows[0]]) else f"l1 ratio {ratios[rows[0]]:g}"
        line, = ax.plot(C, m, marker="o", ms=3, label=label)
        ax.fill_between(C, m - se, m + se, color=line.get_color(), alpha=0.2, lw=0)
    best, one = int(estimator.best_index_), int(estimator.index_1se_)
    ax.axvline(table["C"][best], color="k", lw=1, label=f"best C = {table['C'][best]:.3g}")
    ax.axvline(table["C"][one], color="tab:red", lw=1.2, ls="--", label=f"1-SE C = {table['C'][one]:.3g}")
    ax.set_xscale("log")
    ax.set_xlabel("C (inverse penalty strength)")
    ax.set_ylabel(f"mean CV {score_label} ± 1 SE")
    ax.set_title("Cross-validation curve")
    ax.legend(loc="best", fontsize="small")
    return fig


def plot_coef_path(estimator, *, feature_names=None, fold="mean", l1_ratio_index=0, max_labels=10):
    r"""Each coefficient :math:`\hat w_j(C)` against C (log axis): glmnet's coefficient path.

    The folds' paths are averaged (``fold="mean"``) or one fold's is drawn. Softmax: one line per
    (class, feature). The largest ``max_labels`` coefficients at the weakest penalty are labelled.

    Parameters
    ----------
    estimator : fitted LogisticRegressionCV
    feature_names : sequence of str, optional
    fold : "mean" or int, default "mean"
    l1_ratio_index : int, default 0
        Which l1 ratio's path (elastic net).
    max_labels : int, default 10

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import scale
    >>> from crossentropy import LogisticRegressionCV
    >>> from crossentropy.plotting import plot_coef_path
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = LogisticRegressionCV(Cs=5, cv=3).fit(scale(X), y)
    >>> len(plot_coef_path(clf).axes[0].get_lines())   # 30 features, the zero line and the chosen C
    32

    References
    ----------
    Friedman, Hastie & Tibshirani, *Regularization paths for generalized linear models via
    coordinate descent*, J. Stat. Softw. 33 (2010), Fig. 1.
    """
    _check_cv(estimator, "coefs_paths_", "Cs_", "n_features_in_")
    d = int(estimator.n_features_in_)
    names = [f"x{j}" for j in range(d)] if feature_names is None else [literal(n) for n in feature_names]
    if len(names) != d:
        raise ValueError(f"feature_names must have {d} entries, got {len(names)}")
    Cs = np.asarray(estimator.Cs_)
    order = np.argsort(Cs, kind="stable")
    fig = new_figure((6.0, 4.0))
    ax = fig.add_subplot()
    keys = list(estimator.coefs_paths_)
    lines = []
    for k in keys:
        p = np.asarray(estimator.coefs_paths_[k])  # (F, n_cs[, L], dof)
        if p.ndim == 4:
            p = p[:, :, int(l1_ratio_index)]
        p = p.mean(axis=0) if fold == "mean" else p[int(fold)]
        p = p[order, :d]
        for j in range(d):
            label = names[j] if len(keys) == 1 else f"{names[j]} ({k})"
            line, = ax.plot(Cs[order], p[:, j], lw=1)
            lines.append((abs(p[-1, j]), line, label))
    for _, line, label in sorted(lines, key=lambda t: -t[0])[:max_labels]:
        line.set_label(label)
    ax.axhline(0.0, color="0.6", lw=0.5)
    if getattr(estimator, "C_", None) is not None:  # the chosen C
        ax.axvline(float(np.ravel(estimator.C_)[0]), color="k", lw=1, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("C (inverse penalty strength)")
    ax.set_ylabel("coefficient")
    ax.set_title("Coefficient path" + (" (mean over folds)" if fold == "mean" else f" (fold {int(fold)})"))
    if max_labels:
        ax.legend(loc="best", fontsize="x-small")
    return fig
