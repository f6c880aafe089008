r"""``LogisticRegressionCV.fit`` on Dask input: every fold's path fitted on the cluster.

The folds come from :func:`crossentropy.distributed.fold_ids` (a seeded split of each partition);
fold :math:`f` is the whole data with weights :math:`s_i [\mathrm{fold}_i \ne f]`, whose Dask
problem (:func:`crossentropy.linear_model._setup.dask_problem`, the objective of the in-memory
fit) is fitted along C by :func:`crossentropy.linear_model._path.path_on_problem`. The held-out
scores are computed on the workers too (:func:`crossentropy.distributed.fold_scores`).
"""

from __future__ import annotations

import numbers

import numpy as np

from .. import distributed
from . import _setup
from ._logistic import LogisticRegression
from ._path import path_on_problem
from ._problem import SolverSettings, run_solver, store_result

__all__ = ["fit_cv_dask"]


def _models(classes, coefs, intercepts, d):
    models = []
    for c, b in zip(coefs, intercepts):
        m = LogisticRegression()
        m.classes_, m.n_features_in_, m.coef_, m.intercept_ = classes, d, c, b
        models.append(m)
    return models


def fit_cv_dask(cv_est, template, Cs, ratios, rhos, X, y, sample_weight=None, *, callback=None):
    """Fit ``cv_est`` (a LogisticRegressionCV) on Dask input; ``cv`` must be an int (default 5).

    The attributes are those of the in-memory fit; with the folds of
    ``distributed.fold_ids(X.chunks[0], cv, random_state or 0)`` given to the in-memory fit as
    ``cv``, the two agree to the solvers' tolerance. A fold whose training part lacks a class raises.
    """
    n_folds = 5 if cv_est.cv is None else cv_est.cv
    if not isinstance(n_folds, numbers.Integral) or isinstance(n_folds, bool) or n_folds < 2:
        raise ValueError(f"cv must be an int >= 2 for Dask input (folds from a seeded split of each "
                         f"partition), got {cv_est.cv!r}")
    if not (cv_est.scoring is None or cv_est.scoring in ("neg_log_loss", "accuracy")):
        raise ValueError(f"scoring must be 'neg_log_loss', 'accuracy' or None for Dask input, got {cv_est.scoring!r}")
    _setup.check_solver_choice(template.solver, template.penalty, max(rhos), dask=True, path=True)
    data = distributed.training_data(X, y, sample_weight)
    classes = data.classes
    cv_est.classes_, cv_est.n_features_in_ = classes, data.n_features
    if data.feature_names is not None:
        cv_est.feature_names_in_ = data.feature_names
    template.class_weight = cv_est._class_weight_dict(classes, data.weighted_counts)
    seed = 0 if cv_est.random_state is None else int(cv_est.random_state)
    ids = distributed.fold_ids(data.X.chunks[0], int(n_folds), seed)
    results = []
    for f in range(int(n_folds)):
        fold = distributed.training_data(data.X, data.y, distributed.train_weights(ids, f, data.sample_weight))
        cw, total = _setup.class_weights(template.class_weight, classes, fold.weighted_counts)
        if np.any(fold.weighted_counts <= 0):
            raise ValueError(f"the training part of fold {f} lacks the classes "
                             f"{classes[fold.weighted_counts <= 0].tolist()}; use fewer folds")
        for rho, ratio in zip(rhos, ratios):
            est = LogisticRegression(**{**template.get_params(), "l1_ratio": ratio, "C": float(Cs[0])})
            est.classes_ = classes
            problem, name = _setup.dask_problem(est, fold, cw, total, rho)
            coefs, intercepts, n_iter, _, _ = path_on_problem(problem, SolverSettings.from_estimator(est), Cs,
                                                              solver=name)
            models = _models(classes, coefs, intercepts, data.n_features)
            scores = distributed.fold_scores(data.X, data.y, ids, f, models, classes,
                                               sample_weight=data.sample_weight, scoring=cv_est.scoring)
            results.append((coefs, intercepts, n_iter, scores))
    cv_est._store(results, int(n_folds), Cs, ratios, data.n_features)

    def refit(est, rho, coef0):
        cw, total = _setup.class_weights(template.class_weight, classes, data.weighted_counts)
        problem, name = _setup.dask_problem(est, data, cw, total, rho)
        store_result(est, run_solver(problem, SolverSettings.from_estimator(est), callback, solver=name,
                                     coef0=coef0))

    cv_est._choose(template, Cs, ratios, rhos, None, None, None, refit=refit)
    return cv_est
