r"""``LogisticRegressionCV``: C (and the elastic-net mixing) chosen by cross-validation along the path.

For each fold :math:`f` and mixing :math:`\rho`, :func:`~crossentropy.linear_model._path.fold_path`
fits the training part along the grid of C (warm-started, strongest penalty first) and the scorer
rates each point on the held-out part, with the held-out rows' sample weights. The mean score over
the folds :math:`\bar s(C, \rho)` and its standard error
:math:`\mathrm{SE} = \mathrm{sd}_f(s_f) / \sqrt{F}` choose the model: the best mean (``"best"``, as
scikit-learn) or the smallest C whose mean is within one standard error of the best (``"1se"``).
"""

from __future__ import annotations

import inspect

import numpy as np
from joblib import Parallel, delayed
from sklearn.metrics import get_scorer, make_scorer
from sklearn.model_selection import check_cv
from sklearn.utils.metaestimators import available_if

from .. import distributed, special
from .._validation import check_bool, check_offset, check_option, check_real
from ..metrics import check_log_loss_weights, true_class_log_loss
from ..objective import CoefLayout
from . import _setup
from ._logistic import LogisticRegression
from ._path import check_Cs, fold_path

__all__ = ["LogisticRegressionCV", "select_index", "SELECTIONS"]

SELECTIONS = ("best", "1se")


def select_index(scores, Cs, selection="best"):
    r"""The chosen (C index, l1-ratio index) of a table of fold scores (greater is better).

    ``"best"``: the largest sum over the folds (scikit-learn's rule; ties go to the first in C-major
    order). ``"1se"``: with :math:`\bar s` the mean over the :math:`F` folds and
    :math:`\mathrm{SE} = \mathrm{sd}(s)/\sqrt F` (``ddof=1``), the smallest C (strongest penalty) with
    :math:`\bar s \ge \bar s_{best} - \mathrm{SE}_{best}`, and among its l1 ratios the best mean.

    Parameters
    ----------
    scores : ndarray of shape (n_folds, n_cs, n_l1_ratios)
    Cs : ndarray of shape (n_cs,)
    selection : {"best", "1se"}

    Returns
    -------
    (int, int)

    Examples
    --------
    >>> import numpy as np
    >>> s = np.array([[0.6, 0.9, 1.1], [0.6, 0.92, 0.9]])[:, :, None]  # 2 folds, 3 Cs, 1 l1 ratio
    >>> select_index(s, [0.1, 1.0, 10.0]), select_index(s, [0.1, 1.0, 10.0], "1se")  # means .6 .91 1, SE .1
    ((2, 0), (1, 0))

    References
    ----------
    Hastie, Tibshirani & Friedman, *The Elements of Statistical Learning* (2009), §7.10 (the
    one-standard-error rule); Friedman, Hastie & Tibshirani, J. Stat. Softw. 33 (2010) (glmnet's ``lambda.1se``).
    """
    check_option(selection, "selection", SELECTIONS)
    scores = np.asarray(scores, dtype=np.float64)
    total = scores.sum(axis=0)
    best = np.unravel_index(np.argmax(total), total.shape)
    if selection == "best":
        return int(best[0]), int(best[1])
    n_folds = scores.shape[0]
    mean = scores.mean(axis=0)
    se = scores.std(axis=0, ddof=1) / np.sqrt(n_folds) if n_folds > 1 else np.zeros_like(mean)
    within = mean >= mean[best] - se[best]
    Cs = np.asarray(Cs, dtype=np.float64)
    i = min(np.flatnonzero(within.any(axis=1)), key=lambda k: Cs[k])
    j = int(np.argmax(np.where(within[i], mean[i], -np.inf)))
    return int(i), j


def _scorer(scoring, classes):
    """scikit-learn's scorer for ``scoring``, told every label (a held-out part may lack some), or None.

    ``"neg_log_loss"`` stays a name: :func:`path_scores` computes it with :func:`crossentropy.log_loss`
    (scikit-learn's log loss, clipping included) on ``predict_proba``, without the scorer's checks.
    """
    if scoring is None or (isinstance(scoring, str) and scoring == "neg_log_loss"):
        return scoring
    scorer = get_scorer(scoring)
    sig = inspect.signature(scorer._score_func).parameters if hasattr(scorer, "_score_func") else {}
    if "labels" not in sig:
        return scorer
    extra = {"pos_label": classes[-1]} if len(classes) <= 2 and "pos_label" in sig else {}
    return make_scorer(scorer._score_func, greater_is_better=scorer._sign == 1,
                       response_method=scorer._response_method, labels=classes, **extra,
                       **getattr(scorer, "_kwargs", {}))


class _WithOffset(LogisticRegression):
    """A fitted model whose prediction methods add the held-out rows' offsets, ``offset_``, when
    they are not given (so that a scikit-learn scorer, which passes X alone, scores the offset model)."""

    def decision_function(self, X, *, offset=None):
        return super().decision_function(X, offset=self.offset_ if offset is None else offset)

    def predict_proba(self, X, *, offset=None):
        return super().predict_proba(X, offset=self.offset_ if offset is None else offset)

    def predict_log_proba(self, X, *, offset=None):
        return super().predict_log_proba(X, offset=self.offset_ if offset is None else offset)

    def predict(self, X, *, offset=None):
        return super().predict(X, offset=self.offset_ if offset is None else offset)


def _model(classes, coef, intercept, n_features, offset=None):
    """A fitted LogisticRegression holding the given coefficients (for scoring one point of a path),
    with the held-out rows' offsets built in when there are any."""
    est = LogisticRegression() if offset is None else _WithOffset()
    est.classes_, est.n_features_in_ = classes, n_features
    est.coef_, est.intercept_ = coef, intercept
    if offset is not None:
        est.offset_ = offset
    return est


#: Logits held at once when scoring a path: points are taken in groups of at most this many
#: (row, class, point) entries (at least one point), so memory follows the budget, not the grid.
SCORE_ELEMENTS = 1 << 23


def _true_class_proba(X, coefs, intercepts, y_pos, offset=None):
    """``(n_cs, n)``: the probability each point of a path gives each row's own label, as
    ``LogisticRegression.predict_proba`` computes it (logits in X's dtype plus the rows' ``offset``,
    probabilities in float64)."""
    n_cs, rows, d = coefs.shape
    n = X.shape[0]
    out = np.empty((n_cs, n))
    step = max(1, SCORE_ELEMENTS // max(n * rows, 1))
    for a in range(0, n_cs, step):
        c, b = coefs[a:a + step], intercepts[a:a + step]
        m = len(c)
        Z = np.asarray(X @ c.reshape(m * rows, d).T.astype(X.dtype)) + b.reshape(-1).astype(X.dtype)
        if offset is not None:  # (n,) or (n, K): the same for every point
            Z = (Z.reshape(n, m, rows) + offset.reshape(n, 1, rows).astype(X.dtype)).reshape(n, m * rows)
        if rows == 1:
            p = special.sigmoid(Z.T.astype(np.float64))              # (m, n): P(classes[1])
            out[a:a + m] = np.where(y_pos == 1, p, 1 - p)
        else:
            P = special.softmax(Z.reshape(n, m, rows).astype(np.float64), axis=2)
            out[a:a + m] = P[np.arange(n), :, y_pos].T
    return out


def path_scores(scorer, classes, coefs, intercepts, X, y, sample_weight=None, offset=None):
    """The score of every point of a path on (X, y), the sample weights passed to the scorer and the
    rows' logit offsets added to every model's logits.

    ``scorer`` None: accuracy (``LogisticRegression.score``). Returns ndarray of shape (n_cs,).
    """
    kw = {} if sample_weight is None else {"sample_weight": sample_weight}
    if isinstance(scorer, str):  # "neg_log_loss": every point at once
        y_pos = np.argmax(np.asarray(y)[:, None] == classes[None, :], axis=1)
        weight = check_log_loss_weights(sample_weight, len(y))
        return -true_class_log_loss(_true_class_proba(X, coefs, intercepts, y_pos, offset), weight)
    out = np.empty(len(coefs))
    for j, (c, b) in enumerate(zip(coefs, intercepts)):
        est = _model(classes, c, b, X.shape[1], offset)
        if scorer is None:
            out[j] = est.score(X, y, **kw)
        else:
            out[j] = scorer(est, X, y, **kw)
    return out


def _take_rows(X, rows):
    """``X[rows]`` (a copy); a dense array by ``np.take``, a fifth faster than fancy indexing."""
    return np.take(X, rows, axis=0) if isinstance(X, np.ndarray) else X[rows]


def _fold_job(template, X, y_enc, sw, train, test, Cs, rho, scorer, weighted, start=(None, None), keep=False,
              offset=None):
    """One fold's path from ``start`` = (coefficients, Newton state) and its scores (each part with its
    rows' ``offset``):
    ``(coefs, intercepts, n_iter, scores, state)``, ``state`` Newton's at the smallest C when
    ``keep`` (where the other folds start), else None."""
    est = LogisticRegression(**template.get_params())
    est.classes_ = template.classes_
    coef0, state = start
    part = (lambda rows: None) if offset is None else (lambda rows: offset[rows])
    coefs, intercepts, n_iter, _, first_state = fold_path(est, _take_rows(X, train), y_enc[train], sw[train], Cs, rho,
                                                          coef0=coef0, state=state, offset=part(train))
    scores = path_scores(scorer, est.classes_, coefs, intercepts, _take_rows(X, test), est.classes_[y_enc[test]],
                         sw[test] if weighted else None, part(test))
    return coefs, intercepts, n_iter, scores, first_state if keep else None


def _first_point(result, Cs, fit_intercept):
    """Where the other folds' paths start: the flat coefficients of a fold's fit at the smallest C and
    Newton's state there (its data Hessian).

    The training sets share most of their rows, so their minimisers at one C lie within sampling
    noise of each other, far closer than the zeros they would start from, and so do their mean data
    Hessians there (a step with another fold's Hessian contracts the error by about that noise, which
    is why the refit, whose coefficients are compared to 1e-5, forms its own); (None, None) when the
    fit has infinite intercepts (a class missing from that fold)."""
    coefs, intercepts = result[0], result[1]
    j = int(np.argmin(Cs))
    c, b = coefs[j], intercepts[j]
    if not (np.all(np.isfinite(c)) and np.all(np.isfinite(b))):
        return None, None
    rows, d = c.shape
    coef = CoefLayout(d, 2 if rows == 1 else rows, fit_intercept).pack(c, b if fit_intercept else np.zeros(rows))
    return coef, result[4]


class LogisticRegressionCV(LogisticRegression):
    r"""Logistic/softmax regression with C (and the l1 ratio) chosen by cross-validation.

    scikit-learn's ``LogisticRegressionCV`` (its parameters, its legacy attributes, the same folds
    giving the same ``C_`` and refit coefficients), on the objective of
    :class:`~crossentropy.LogisticRegression`; each fold's path is warm-started from the strongest
    penalty. Beyond scikit-learn: the sample weights of the held-out rows reach the scorer; a fold
    whose training part lacks a class keeps that class (its coefficients at the penalty's limit, 0,
    its intercept at :math:`-\infty`; the log loss clips the probability, so the score stays finite);
    ``selection="1se"``; ``cv_results_``; Dask input.

    Parameters
    ----------
    Cs : int or list of float, default 10
        An int gives ``np.logspace(-4, 4, Cs)``.
    l1_ratios : list of float, optional
        The mixings tried with ``penalty="elasticnet"`` (required there).
    fit_intercept : bool, default True
    cv : int, cross-validation generator or iterable, optional
        Default 5-fold ``StratifiedKFold`` (``sklearn.model_selection.check_cv``). Dask input: an
        int (default 5), folds from a seeded split of each partition (``random_state``, default 0).
    penalty : {"l2", "l1", "elasticnet"}, default "l2"
    scoring : str, callable or None, default "neg_log_loss"
        A scikit-learn scorer (None: accuracy). Dask input: "neg_log_loss", "accuracy" or None.
    solver : str, default "auto"
        As in :class:`~crossentropy.LogisticRegression` (not "sgd").
    tol, max_iter, class_weight
        As in :class:`~crossentropy.LogisticRegression`; "balanced" weights come from the whole data.
    n_jobs : int, optional
        Folds fitted in parallel (joblib threads).
    verbose : int, default 0
    refit : bool, default True
        Refit on all the data at the chosen C (warm-started from the folds' mean); otherwise average
        the folds' coefficients at each fold's best point (scikit-learn's rule; with ``"1se"``, at the
        chosen point).
    random_state : int, optional
        Seed of the Dask fold split.
    selection : {"best", "1se"}, default "best"
        :func:`select_index`.

    Attributes
    ----------
    Cs_ : ndarray of shape (n_cs,)
    l1_ratios_ : ndarray of shape (n_l1,)
        ``[None]`` without elastic net.
    C_, l1_ratio_ : ndarray of shape (1,) or (K,)
    coefs_paths_ : dict class -> ndarray of shape (n_folds, n_cs[, n_l1], d + fit_intercept)
        Binary: one key, ``classes_[1]``.
    scores_ : dict class -> ndarray of shape (n_folds, n_cs[, n_l1])
    n_iter_ : ndarray of shape (1, n_folds, n_cs[, n_l1])
    cv_results_ : dict of ndarray
        One row per (l1 ratio, C): ``C``, ``l1_ratio``, ``mean_score``, ``std_score``, ``std_error``,
        ``split{f}_score``.
    best_index_, index_1se_ : int
        Rows of ``cv_results_`` of the best mean and of the one-standard-error choice.
    coef_, intercept_, classes_, n_features_in_

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_breast_cancer
    >>> from sklearn.preprocessing import scale
    >>> from crossentropy import LogisticRegressionCV
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> clf = LogisticRegressionCV(Cs=5, cv=3).fit(scale(X), y)
    >>> clf.C_, clf.Cs_.round(4).tolist()
    (array([1.]), [0.0001, 0.01, 1.0, 100.0, 10000.0])

    References
    ----------
    scikit-learn, ``sklearn.linear_model.LogisticRegressionCV``; Hastie, Tibshirani & Friedman,
    *The Elements of Statistical Learning* (2009), §7.10.
    """

    def __init__(self, *, Cs=10, l1_ratios=None, fit_intercept=True, cv=None, penalty="l2", scoring="neg_log_loss",
                 solver="auto", tol=1e-4, max_iter=100, class_weight=None, n_jobs=None, verbose=0, refit=True,
                 random_state=None, selection="best"):
        self.Cs = Cs
        self.l1_ratios = l1_ratios
        self.fit_intercept = fit_intercept
        self.cv = cv
        self.penalty = penalty
        self.scoring = scoring
        self.solver = solver
        self.tol = tol
        self.max_iter = max_iter
        self.class_weight = class_weight
        self.n_jobs = n_jobs
        self.verbose = verbose
        self.refit = refit
        self.random_state = random_state
        self.selection = selection

    # A cross-validated path has no incremental fit (solver="sgd" cannot follow a path, and
    # scikit-learn's LogisticRegressionCV has no partial_fit): the inherited method is hidden, so
    # hasattr(search, "partial_fit") is False, as scikit-learn's meta-estimators report it.
    partial_fit = available_if(lambda self: False)(LogisticRegression.__dict__["partial_fit"].fn)

    def _template(self):
        """The checked LogisticRegression that every fit of this search runs, the grids and rho of each l1 ratio."""
        Cs = check_Cs(self.Cs)
        check_option(self.selection, "selection", SELECTIONS)
        check_bool(self.refit, "refit")
        check_option(self.penalty, "penalty", ("l2", "l1", "elasticnet"))
        if self.penalty == "elasticnet":
            if self.l1_ratios is None or isinstance(self.l1_ratios, str) or len(self.l1_ratios) == 0:
                raise ValueError(f"l1_ratios must be a non-empty list of numbers in [0, 1] for "
                                 f"penalty='elasticnet', got {self.l1_ratios!r}")
            ratios = [check_real(r, "l1_ratios", low=0, high=1) for r in self.l1_ratios]
        else:
            ratios = [None]
        template = LogisticRegression(penalty=self.penalty, C=1.0, l1_ratio=ratios[0], fit_intercept=self.fit_intercept,
                                      solver=self.solver, max_iter=self.max_iter, tol=self.tol,
                                      class_weight=self.class_weight, verbose=self.verbose)
        _setup.check_params(template, stacklevel=4, path=True)
        rhos = [1.0 if self.penalty == "l1" else 0.0] if ratios == [None] else ratios
        return template, Cs, ratios, rhos

    def fit(self, X, y, sample_weight=None, *, offset=None, callback=None):
        """Cross-validate along the path, choose C (and the l1 ratio), refit.

        Parameters
        ----------
        X : array-like, CSR matrix, or Dask array of shape (n, d)
        y : array-like of shape (n,)
        sample_weight : array-like of shape (n,), optional
            Weights of the fits and of the held-out scores.
        offset : array-like of shape (n,) or (n, 1) for two classes, (n, K) for K classes, optional
            Fixed logit offsets (:meth:`crossentropy.LogisticRegression.fit`): each fold's fits take
            their training rows' offsets, its scores the held-out rows', the refit all. In-memory X only.
        callback : callable ``callback(state)``, optional
            Called after every solver iteration of the refit, as in
            :meth:`crossentropy.LogisticRegression.fit` (a true return value stops the refit).

        Returns
        -------
        self
        """
        template, Cs, ratios, rhos = self._template()
        if distributed.is_dask(X):
            if offset is not None:
                raise ValueError("offset is not supported with Dask input in LogisticRegressionCV; "
                                 "fit LogisticRegression on Dask input with offset, or pass in-memory X")
            from ._cv_dask import fit_cv_dask

            return fit_cv_dask(self, template, Cs, ratios, rhos, X, y, sample_weight, callback=callback)
        weighted = sample_weight is not None
        X, y_enc, sw = self._validate_fit_data(X, y, sample_weight)
        offset = check_offset(offset, X.shape[0], len(self.classes_))
        classes = self.classes_
        template.class_weight = self._class_weight_dict(classes, np.bincount(y_enc, weights=sw, minlength=len(classes)))
        template.classes_ = classes
        y_lab = classes[y_enc]
        folds = list(check_cv(self.cv, y_lab, classifier=True).split(X, y_lab))
        scorer = _scorer(self.scoring, classes)
        templates = []
        for ratio in ratios:
            t = LogisticRegression(**{**template.get_params(), "l1_ratio": ratio})
            t.classes_ = classes
            templates.append(t)
        # the first fold's paths first: the others start from its fit at the smallest C
        (train, test), firsts = folds[0], []
        for t, rho in zip(templates, rhos):
            firsts.append(_fold_job(t, X, y_enc, sw, train, test, Cs, rho, scorer, weighted, keep=True, offset=offset))
        starts = [_first_point(r, Cs, self.fit_intercept) for r in firsts]
        jobs = [delayed(_fold_job)(t, X, y_enc, sw, train, test, Cs, rho, scorer, weighted, start, offset=offset)
                for train, test in folds[1:] for t, rho, start in zip(templates, rhos, starts)]
        results = firsts + Parallel(n_jobs=self.n_jobs, prefer="threads")(jobs)
        self._store(results, len(folds), Cs, ratios, X.shape[1])
        self._choose(template, Cs, ratios, rhos, X, y_enc, sw, callback=callback, offset=offset)
        return self

    def _class_weight_dict(self, classes, weighted_counts):
        """``class_weight`` as a dict fixed on the whole data ("balanced" from the weighted counts), or None."""
        if self.class_weight is None:
            return None
        cw, _ = _setup.class_weights(self.class_weight, classes, weighted_counts)
        return dict(zip(classes.tolist(), cw.tolist()))

    def _store(self, results, n_folds, Cs, ratios, d):
        """The fold results (fold-major, l1 ratio inner) as scikit-learn's legacy attributes and ``cv_results_``."""
        n_l1, n_cs = len(ratios), len(Cs)
        coefs = np.array([r[0] for r in results])            # (F * L, n_cs, rows, d)
        intercepts = np.array([r[1] for r in results])       # (F * L, n_cs, rows)
        rows = coefs.shape[2]
        w = np.concatenate([coefs, intercepts[..., None]], axis=3) if self.fit_intercept else coefs
        w = w.reshape(n_folds, n_l1, n_cs, rows, -1).transpose(3, 0, 2, 1, 4)  # (rows, F, n_cs, L, dof)
        scores = np.array([r[3] for r in results]).reshape(n_folds, n_l1, n_cs).transpose(0, 2, 1)  # (F, n_cs, L)
        n_iter = np.array([r[2] for r in results]).reshape(n_folds, n_l1, n_cs).transpose(0, 2, 1)[None]
        keys = self.classes_[1:] if len(self.classes_) == 2 else self.classes_
        squeeze = ratios == [None]
        self.Cs_, self.l1_ratios_ = Cs, np.asarray(ratios)
        self._paths, self._scores = w, scores  # (rows, F, n_cs, L, dof), (F, n_cs, L)
        self.coefs_paths_ = {k: (w[i][:, :, 0] if squeeze else w[i]) for i, k in enumerate(keys)}
        self.scores_ = {k: (scores[:, :, 0] if squeeze else scores).copy() for k in keys}
        self.n_iter_ = n_iter[..., 0] if squeeze else n_iter
        self.cv_results_ = _results_table(scores, Cs, ratios)

    def _choose(self, template, Cs, ratios, rhos, X, y_enc, sw, *, callback=None, refit=None, offset=None):
        """Select the point, then refit there or average the folds; sets coef_, intercept_, C_, l1_ratio_."""
        w, scores, n_cs = self._paths, self._scores, len(Cs)
        i, j = select_index(scores, Cs, self.selection)
        best = select_index(scores, Cs, "best")
        self.best_index_ = best[1] * n_cs + best[0]
        self.index_1se_ = (lambda ij: ij[1] * n_cs + ij[0])(select_index(scores, Cs, "1se"))
        K, d = len(self.classes_), self.n_features_in_
        if self.refit:
            C, ratio = float(Cs[i]), ratios[j]
            est = LogisticRegression(**{**template.get_params(), "C": C, "l1_ratio": ratio})
            est.classes_ = self.classes_
            start = w[:, :, i, j].mean(axis=1)  # (rows, dof): the folds' mean, as scikit-learn starts
            coef0 = None
            if np.all(np.isfinite(start)):
                b = start[:, d] if self.fit_intercept else np.zeros(start.shape[0])
                coef0 = CoefLayout(d, K, self.fit_intercept).pack(start[:, :d], b)
            if refit is None:
                _setup.fit_in_memory(est, X, y_enc, sw, rhos[j], callback, coef0=coef0, offset=offset)
            else:  # Dask: the refit on the cluster
                refit(est, rhos[j], coef0)
            coef, intercept = est.coef_, est.intercept_
            self.converged_, self.solver_, self.loss_curve_ = est.converged_, est.solver_, est.loss_curve_
            C_, ratio_ = C, ratio
        else:
            picks = ([np.unravel_index(np.argmax(s), s.shape) for s in scores] if self.selection == "best"
                     else [(i, j)] * scores.shape[0])
            mean = np.mean([w[:, f, a, b] for f, (a, b) in enumerate(picks)], axis=0)
            coef = mean[:, :d]
            intercept = mean[:, d] if self.fit_intercept else np.zeros(mean.shape[0])
            C_ = float(np.mean([Cs[a] for a, _ in picks]))
            ratio_ = float(np.mean([ratios[b] for _, b in picks])) if ratios != [None] else 0.0
        self.coef_, self.intercept_ = np.ascontiguousarray(coef), np.ascontiguousarray(intercept)
        n = 1 if K == 2 else K
        self.C_ = np.full(n, C_)
        self.l1_ratio_ = np.asarray([ratio_] * n)


def _results_table(scores, Cs, ratios):
    """``cv_results_``: one row per (l1 ratio, C) from the (n_folds, n_cs, n_l1) fold scores."""
    n_folds, n_cs, n_l1 = scores.shape
    flat = scores.transpose(0, 2, 1).reshape(n_folds, n_l1 * n_cs)  # row r = j * n_cs + i
    table = {
        "C": np.tile(Cs, n_l1),
        "l1_ratio": np.repeat([np.nan if r is None else r for r in ratios], n_cs).astype(np.float64),
        "mean_score": flat.mean(axis=0),
        "std_score": flat.std(axis=0, ddof=1) if n_folds > 1 else np.zeros(n_l1 * n_cs),
    }
    table["std_error"] = table["std_score"] / np.sqrt(n_folds)
    for f in range(n_folds):
        table[f"split{f}_score"] = flat[f].copy()
    return table
