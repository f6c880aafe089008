"""``crossentropy calibrate RUN DATA --method M --out NEW_RUN``: a new run with calibrated probabilities.

The calibration map is fitted on the labelled rows of DATA, read and preprocessed exactly as
``evaluate`` reads them, on the scores of RUN's model (:class:`crossentropy.calibration.CalibratedClassifier`
on the frozen model, ``cv="prefit"``). The new run holds the same model with the calibrator's state
(:mod:`crossentropy.io.model_calibration`), so that its ``predict`` and ``evaluate`` give the calibrated
probabilities, ``metrics.json`` (the training run's, with a ``calibration`` entry), RUN's
``split.json``, and ``report.html``, whose calibration sections are computed on DATA's rows by
cross-fitting (:func:`cross_fitted`): every row's calibrated probability and conformal set come from the
calibrator fitted on the other folds, so the page shows held-out calibration, not the fit's own.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from .errors import UsageError

__all__ = ["cmd_calibrate", "cross_fitted", "N_FOLDS", "ALPHA"]

#: folds of the report's cross-fitting on the calibration rows
N_FOLDS = 5
#: miscoverage of the report's conformal sets (90 % sets)
ALPHA = 0.1


def _as_input(est, X):
    names = getattr(est, "feature_names_in_", None)
    if names is None:
        return X
    import pandas as pd

    return pd.DataFrame(X, columns=list(names))


def _fit(base, X, y, method):
    from sklearn.frozen import FrozenEstimator

    from ..calibration import CalibratedClassifier

    return CalibratedClassifier(FrozenEstimator(base), method=method).fit(_as_input(base, X), y)


def cross_fitted(base, X, y, method: str, *, seed: int = 0, alpha: float = ALPHA):
    """``(proba, sets)``: each row's calibrated probabilities and LAC conformal set from the other folds.

    Stratified ``N_FOLDS``-fold split of the rows (shuffled with ``seed``; fewer folds when a class
    has fewer rows): for each fold, the calibrator is fitted on the other folds, and the split-conformal
    LAC quantile (:class:`crossentropy.calibration.ConformalClassifier`, level ``1 - alpha``) on the
    calibrated model's probabilities of the other folds too; the fold's rows get the calibrated
    probabilities and the sets. ``sets`` is None when a fold's training part lacks a class.
    """
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import StratifiedKFold

    from ..calibration import ConformalClassifier

    counts = np.unique(y, return_counts=True)[1]
    k = int(min(N_FOLDS, counts.min()))
    if k < 2:
        return None, None
    proba = np.empty((y.shape[0], counts.size))
    sets = np.zeros((y.shape[0], counts.size), dtype=bool)
    for train, test in StratifiedKFold(k, shuffle=True, random_state=seed).split(X, y):
        cc = _fit(base, X[train], y[train], method)
        proba[test] = cc.predict_proba(_as_input(base, X[test]))
        conf = ConformalClassifier(FrozenEstimator(cc), method="lac").fit(_as_input(base, X[train]), y[train])
        sets[test] = conf.predict_set(_as_input(base, X[test]), alpha)
    return proba, sets


def conformal_coverage(sets, y, classes, alpha: float = ALPHA) -> dict:
    """Coverage (share of rows whose set holds the label) and mean set size, per class and over all rows."""
    codes = np.searchsorted(classes, y)
    hit = sets[np.arange(y.size), codes]
    size = sets.sum(axis=1)
    table = [{"class": str(c), "support": int(np.sum(codes == j)), "coverage": float(hit[codes == j].mean()),
              "mean_set_size": float(size[codes == j].mean())} for j, c in enumerate(classes) if np.any(codes == j)]
    table.append({"class": "all", "support": int(y.size), "coverage": float(hit.mean()),
                  "mean_set_size": float(size.mean())})
    return {"alpha": alpha, "table": table,
            "how": f"Split-conformal LAC sets at level {1 - alpha:.0%} for the calibrated model, by "
                   f"{N_FOLDS}-fold cross-fitting on the calibration rows: in each fold the calibrator and the "
                   "conformal quantile are fitted on the other folds and the coverage counted on the fold's rows."}


def cmd_calibrate(args) -> int:
    """``crossentropy calibrate RUN DATA --method M --out NEW_RUN [--force]`` (see the module docstring)."""
    from ..io.model_files import load_model_bundle
    from ..io.tables import read_table
    from .commands import labelled_rows
    from ..report import Report
    from ..report.calibration import calibration_figures, calibration_summary
    from ..report.figures import format_metrics_table
    from ..report.metrics import decide, split_metrics
    from ..report.page import page_context
    from .options import _check_out_dir, decision_options
    from .paths import _inside
    from .report import file_sha256, run_provenance, write_run

    out, run = Path(args.out), Path(args.run)
    _check_out_dir(out, args.force, inputs=[args.data])  # RUN itself: the message below
    run_dir = run if run.is_dir() else run.parent
    if out.exists() and (_inside(run_dir, out) or _inside(out, run_dir)):
        raise UsageError(f"--out {str(out)!r} is RUN's directory (or holds it): write the calibrated run elsewhere")
    bundle = load_model_bundle(args.run)
    if bundle.calibration is not None:
        raise UsageError(f"{args.run!r} is already calibrated ({bundle.calibration['method']}): calibrate the run "
                         "it was made from")
    prep, base = bundle.preprocessing, bundle.estimator
    if prep is None:
        raise UsageError(f"{args.run!r} holds a model saved without table preprocessing: calibrate it in Python "
                         "with crossentropy.calibration.CalibratedClassifier")
    if prep.offset:
        raise UsageError(f"{args.run!r} takes a logit offset (--offset {prep.offset}): calibrating such a model is "
                         "not supported")
    frame = read_table(args.data, na_values=prep.na_values)
    prep.check_columns(frame)
    clean, X, y = labelled_rows(prep, base, frame)
    classes = np.asarray(base.classes_)
    missing = sorted(set(classes.tolist()) - set(np.unique(y).tolist()))
    if missing:
        raise UsageError(f"DATA has no row of the class(es) {missing[:5]}: calibration needs every class of the model")
    try:
        cc = _fit(base, X, y, args.method)
    except ValueError as exc:
        raise UsageError(f"cannot calibrate with --method {args.method}: {exc}") from None
    trained = dict((bundle.extra or {}).get("metrics") or {})
    note = None
    if trained.get("threshold") is not None:  # a threshold on the old probabilities means nothing on the new ones
        note = (f"RUN's decision threshold {trained['threshold']:g} applies to its uncalibrated probabilities: the "
                "calibrated run predicts the most probable class (pass --threshold to evaluate)")
        trained["threshold"] = None
        trained.pop("threshold_tuning", None)
    pos_label, threshold = decision_options(args, classes, trained)
    record = {"method": args.method, "vector": False, "data": str(args.data), "data_sha256": file_sha256(args.data),
              "n_rows": int(y.size)}
    before = base.predict_proba(_as_input(base, X))
    after, sets = cross_fitted(base, X, y, args.method)
    decision = {"prior": trained.get("prior"), "pos_label": pos_label, "threshold": threshold}
    columns = {"before calibration": split_metrics(y, before, classes, **decision)}
    summary = None
    if after is not None:
        columns["after (cross-fitted)"] = split_metrics(y, after, classes, **decision)
        prior_ll = (columns["after (cross-fitted)"].get("baseline") or {}).get("log_loss")
        summary = calibration_summary(
            y, after, classes, decide(after, classes, pos_label=pos_label, threshold=threshold),
            rows=f"the {y.size:,} calibration rows of {Path(args.data).name}, calibrated probabilities cross-fitted",
            prior_log_loss=prior_ll, pos_label=pos_label if classes.size == 2 else None, before=before,
            conformal=None if sets is None else conformal_coverage(sets, y, classes))
    metrics = {**trained, "calibration": {**record, "rows": columns, "report": summary}}
    figures = {} if summary is None else calibration_figures(summary, y, after, classes, before=before,
                                                             pos_label=pos_label if classes.size == 2 else None)
    context = page_context(columns, prep=prep, n_features=int(X.shape[1]),
                           missing={str(c): int(v) for c, v in frame.isna().sum().items() if v})
    context["calibration"] = summary
    prov = run_provenance(f"{type(base).__name__} from {bundle.path.parent} calibrated ({args.method}) on {args.data}",
                          argv=getattr(args, "argv", None), data=args.data, n_rows=int(frame.shape[0]),
                          n_dropped=int(frame.shape[0] - y.size))
    split_file = bundle.path.parent / "split.json"
    files = {"split.json": split_file.read_text(encoding="utf-8")} if split_file.is_file() else {}
    write_run(out, estimator=base, metrics=metrics, report=Report(columns, figures=figures, context=context),
              provenance=prov, preprocessing=prep, files=files, overwrite=args.force,
              calibration=(record, cc.calibrated_classifiers_[0][1]))
    print(f"{type(base).__name__} from {bundle.path.parent}/ calibrated ({args.method}) on {args.data}: "
          f"{y.size} rows" + (f" ({frame.shape[0] - y.size} dropped with missing values)" if y.size < frame.shape[0] else ""))
    print(format_metrics_table(columns))
    if note:
        print(f"note: {note}")
    print(f"wrote {out}/: " + ", ".join(sorted(p.name for p in out.iterdir())))
    return 0
