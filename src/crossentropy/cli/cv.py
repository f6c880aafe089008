"""``train --cv K``: C (and the l1 ratio) chosen by cross-validation on the training split.

:func:`cv_estimator` turns the LogisticRegression that the model options built into a
:class:`~crossentropy.LogisticRegressionCV`; after the fit :func:`cv_outputs` gives the model to save
(a LogisticRegression refit at the chosen C, so ``evaluate`` and ``predict`` read it as any other),
the record of the choice for the model file, the two figures and ``cv_results.csv``.
"""

from __future__ import annotations

from .errors import UsageError

__all__ = ["cv_estimator", "cv_outputs", "parse_Cs", "parse_ratios", "rule_folds"]


def parse_Cs(text):
    """``--Cs``: an int (a grid of that many values, ``np.logspace(-4, 4, n)``) or comma-separated values.

    Examples
    --------
    >>> parse_Cs("20"), parse_Cs("0.01,0.1,1")
    (20, (0.01, 0.1, 1.0))
    """
    from .._validation import check_int, check_real

    text = text.strip()
    if "," not in text and text.isdigit():
        return check_int(int(text), "--Cs", low=1)
    return tuple(check_real(float(t), "--Cs", low=0, low_open=True) for t in text.split(",") if t.strip())


def parse_ratios(text):
    """``--l1-ratios``: comma-separated values in [0, 1].

    Examples
    --------
    >>> parse_ratios("0.2,0.8")
    (0.2, 0.8)
    """
    from .._validation import check_real

    values = tuple(check_real(float(t), "--l1-ratios", low=0, high=1) for t in text.split(",") if t.strip())
    if not values:
        raise ValueError("no values")
    return values


def cv_estimator(args, base):
    """The LogisticRegressionCV of ``--cv K [--Cs ...] [--l1-ratios ...] [--selection ...]`` around ``base``.

    ``base`` is the LogisticRegression of the other model options; its parameters that have no
    meaning for a search over C (``C``, ``l1_ratio``, ``learning_rate``, ...) must be left at their
    defaults (UsageError naming the option otherwise).
    """
    from ..linear_model import LogisticRegression, LogisticRegressionCV
    from ..report.coefficients import SHARED as _SHARED

    if args.model != "logistic":
        raise UsageError(f"--cv applies to --model logistic only, got --model {args.model}")
    params, defaults = base.get_params(), LogisticRegression().get_params()
    for key in params:
        if key not in _SHARED and params[key] != defaults[key]:
            flag = {"C": "--C", "l1_ratio": "--l1-ratio"}.get(key, f"--param {key}")
            raise UsageError(f"{flag} conflicts with --cv (cross-validation chooses C; give --Cs and --l1-ratios)")
    if params["penalty"] not in ("l2", "l1", "elasticnet"):
        raise UsageError(f"--cv needs --penalty l2, l1 or elasticnet, got {params['penalty'] or 'none'}")
    if (params["penalty"] == "elasticnet") != (args.l1_ratios is not None):
        raise UsageError("--l1-ratios goes with --penalty elasticnet (and elasticnet with --cv needs --l1-ratios)")
    try:
        search = LogisticRegressionCV(Cs=10 if args.Cs is None else args.Cs, cv=args.cv,
                                      l1_ratios=None if args.l1_ratios is None else list(args.l1_ratios),
                                      selection=args.selection, **{k: params[k] for k in _SHARED})
        search._template()  # every parameter checked now, before the data are read
        return search
    except (TypeError, ValueError) as exc:
        raise UsageError(f"bad --cv option: {exc}") from None


#: the scikit-learn splitter of each ``--split`` rule, as split.json names it
_SPLITTERS = {"stratified": "StratifiedKFold", "random": "KFold(shuffle=True)", "time": "TimeSeriesSplit",
              "group": "GroupKFold"}


def rule_folds(args, source, search, y_train):
    """``--cv K`` with ``--split random|time:COL|group:COL``: the folds of the training rows by the matching
    splitter (:func:`crossentropy.preprocessing.splits.cv_folds`) become ``search.cv``; returns what
    ``split.json`` records of them (None for the default rule, whose folds are the search's own
    ``StratifiedKFold(K)``).
    """
    import numpy as np

    from ..preprocessing.splits import cv_folds
    from .sources import MemorySource, split_rule

    rule = split_rule(args)
    if rule.kind == "stratified":
        return None
    if not isinstance(source, MemorySource):
        raise UsageError(f"--cv with --split {rule.kind} is not available with --dask (its folds are drawn in each "
                         "partition); train in memory")
    folds = cv_folds(rule, source.parts["train"], np.asarray(y_train).astype(str), n_splits=args.cv, seed=args.seed)
    search.set_params(cv=folds)
    rows = source.rows[source.train_pos]
    return {"splitter": f"{_SPLITTERS[rule.kind]}({args.cv})",
            "cv_test_rows": [rows[test].tolist() for _, test in folds]}


def refit_start(cv):
    """The LogisticRegression at the point the refit started from, the folds' mean coefficients at the
    chosen C (and l1 ratio), or None when the refit started elsewhere (a non-finite mean)."""
    import copy

    import numpy as np

    from ..report.coefficients import refit_model

    i = int(np.flatnonzero(np.asarray(cv.Cs_) == cv.C_[0])[0])
    j = 0 if cv.penalty != "elasticnet" else int(np.flatnonzero(np.asarray(cv.l1_ratios_) == cv.l1_ratio_[0])[0])
    start = cv._paths[:, :, i, j].mean(axis=1)  # (rows, dof): as LogisticRegressionCV._choose starts the refit
    if not np.all(np.isfinite(start)):
        return None
    d = int(cv.n_features_in_)
    model = copy.copy(refit_model(cv))
    model.coef_ = np.ascontiguousarray(start[:, :d])
    model.intercept_ = np.ascontiguousarray(start[:, d] if cv.fit_intercept else np.zeros(start.shape[0]))
    return model


def _csv(table) -> str:
    import numpy as np

    names = list(table)
    rows = [",".join(names)]
    for i in range(len(table[names[0]])):
        rows.append(",".join("" if np.isnan(table[n][i]) else repr(float(table[n][i])) for n in names))
    return "\n".join(rows) + "\n"


def cv_outputs(cv, *, feature_names=None, plots=True):
    """After the fit: (model to save, ``metrics["cv"]`` record, figures, files, the line to print).

    ``files`` holds ``cv_results.csv`` (one row per (l1 ratio, C): mean score, its standard error
    and every fold's score), ``figures`` the CV curve and the coefficient path.
    """
    from .. import plotting

    table = cv.cv_results_
    best, one = int(cv.best_index_), int(cv.index_1se_)
    record = {"folds": sum(k.startswith("split") for k in table),
              "scoring": cv.scoring if isinstance(cv.scoring, str) or cv.scoring is None else "callable",
              "selection": cv.selection, "C": float(cv.C_[0]),
              "l1_ratio": None if cv.penalty != "elasticnet" else float(cv.l1_ratio_[0]),
              "C_best": float(table["C"][best]), "C_1se": float(table["C"][one]),
              "Cs": [float(c) for c in cv.Cs_]}
    figures = {}
    if plots:
        label = "neg. log loss" if cv.scoring == "neg_log_loss" else str(cv.scoring or "accuracy")
        figures["cv_curve.png"] = plotting.plot_cv_curve(cv, score_label=label)
        figures["coef_path.png"] = plotting.plot_coef_path(cv, feature_names=feature_names)
    line = (f"cross-validation ({record['folds']} folds, {len(cv.Cs_)} values of C, {record['scoring']}): "
            f"chose C = {record['C']:.4g} ({cv.selection}; best C = {record['C_best']:.4g}, "
            f"1-SE C = {record['C_1se']:.4g})")
    if record["l1_ratio"] is not None:
        line += f", l1 ratio = {record['l1_ratio']:g}"
    from ..report.coefficients import refit_model

    return refit_model(cv), record, figures, {"cv_results.csv": _csv(table)}, line
