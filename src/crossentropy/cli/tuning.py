"""``--tune-threshold``: its options checked before any work, and the threshold chosen by cross-validation."""

from __future__ import annotations

import numpy as np

from .errors import UsageError

__all__ = ["check_tune_options", "tuned_threshold"]


def check_tune_options(model, *, cv=None, threshold=None, offset=None, dask=None) -> None:
    """``--tune-threshold``'s options checked before any work: ``--model logistic`` in memory, no ``--cv``,
    ``--threshold``, ``--offset`` or ``--dask``."""
    if model != "logistic" or cv:
        raise UsageError("--tune-threshold applies to --model logistic without --cv")
    if threshold is not None:
        raise UsageError("--tune-threshold chooses the threshold: leave --threshold out")
    if offset is not None or dask:
        raise UsageError("--tune-threshold needs the training rows in memory, without --offset or --dask")


def tuned_threshold(objective, seed, estimator, X, y, pos_label) -> dict:
    """``--tune-threshold OBJECTIVE``: the threshold of :func:`crossentropy.calibration.tune_threshold` (5 folds,
    seeded by ``seed``) for a two-class logistic model in memory, as the record ``metrics.json`` keeps."""
    from ..calibration import tune_threshold

    classes = np.asarray(estimator.classes_)
    if classes.size != 2:
        raise UsageError(f"--tune-threshold needs a two-class target; it has {classes.size} classes")
    if pos_label is not None and pos_label != classes[1]:
        raise UsageError(f"--tune-threshold tunes the threshold of the second class {classes[1]!r}; leave --pos-label "
                         "out")
    if not isinstance(X, np.ndarray):
        raise UsageError("--tune-threshold needs the training rows in memory")
    try:
        t = tune_threshold(estimator, X, y, objective=objective, cv=5, random_state=seed)
    except ValueError as exc:
        raise UsageError(f"cannot tune the threshold: {exc}") from None
    name = objective if isinstance(objective, str) else f"-(mean cost), FP {objective[1]:g}, FN {objective[2]:g}"
    return {"objective": name, "threshold": t.threshold, "best_score": t.best_score, "cv": 5, "seed": seed,
            "thresholds": t.thresholds.tolist(), "scores": t.scores.tolist()}
