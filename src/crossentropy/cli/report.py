"""What a training run reports and writes: the metrics, the printed table, the run directory.

Shared by ``crossentropy train`` (whatever its data source) and ``evaluate``, so that every route
prints the same table and writes the same files: ``model.json`` + ``model.safetensors``, ``metrics.json`` and the PNG plots, all built in a
temporary directory that is renamed into place only when complete.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

__all__ = ["compute_metrics", "format_metrics_table", "run_figures", "write_run"]

_ROWS = (("log_loss", "log loss"), ("accuracy", "accuracy"), ("roc_auc", "ROC AUC"), ("brier", "Brier score"))


def compute_metrics(y_true, proba, classes, y_pred=None) -> dict:
    r"""Log loss, accuracy and, for two classes, ROC AUC and Brier score of predicted probabilities.

    .. math::
        \text{log loss} = -\frac1n\sum_i \log \hat p_{i, y_i}, \qquad
        \text{Brier} = \frac1n \sum_i (\hat p_{i,1} - [y_i = c_1])^2

    Log loss is :func:`crossentropy.log_loss` (equal to scikit-learn's); accuracy, ROC AUC and the
    Brier score are ``sklearn.metrics``. ROC AUC is None when ``y_true`` holds a single class.

    Parameters
    ----------
    y_true : array_like of shape (n,)
    proba : ndarray of shape (n, n_classes), columns in the order of ``classes``
    classes : array_like of shape (n_classes,)
    y_pred : array_like of shape (n,), optional
        Predicted labels (default: the most probable class).

    Returns
    -------
    dict with keys ``n``, ``log_loss``, ``accuracy`` and, for two classes, ``roc_auc``, ``brier``.
    """
    from sklearn.metrics import accuracy_score, brier_score_loss, roc_auc_score

    from ..metrics import log_loss

    classes = np.asarray(classes)
    proba = np.asarray(proba, dtype=np.float64)
    y_true = np.asarray(y_true)
    if y_pred is None:
        y_pred = classes[np.argmax(proba, axis=1)]
    out = {
        "n": int(y_true.shape[0]),
        "log_loss": float(log_loss(y_true, proba, labels=classes)),
        "accuracy": float(accuracy_score(y_true, y_pred)),
    }
    if classes.size == 2:
        positive = y_true == classes[1]
        out["roc_auc"] = float(roc_auc_score(positive, proba[:, 1])) if 0 < positive.sum() < positive.size else None
        out["brier"] = float(brier_score_loss(positive.astype(int), proba[:, 1]))
    return out


def format_metrics_table(columns: dict) -> str:
    """A plain-text table with one column per split, e.g. ``{"train": {...}, "test": {...}}``.

    Metrics absent from every column are left out; a missing value prints as ``n/a``.

    Examples
    --------
    >>> from crossentropy.cli.report import format_metrics_table
    >>> print(format_metrics_table({"train": {"n": 4, "log_loss": 0.25, "accuracy": 1.0}}))
                    train
    rows                4
    log loss       0.2500
    accuracy       1.0000
    """
    names = [k for k, v in columns.items() if v is not None]
    width = max(9, *(len(n) + 1 for n in names))
    lines = [" " * 12 + "".join(f"{n:>{width}}" for n in names), "rows" + " " * 8 + "".join(f"{columns[n]['n']:>{width}d}" for n in names)]
    for key, label in _ROWS:
        if not any(key in columns[n] for n in names):
            continue
        cells = []
        for n in names:
            v = columns[n].get(key)
            cells.append(f"{'n/a':>{width}}" if v is None else f"{v:>{width}.4f}")
        lines.append(f"{label:<12}" + "".join(cells))
    return "\n".join(lines)


def run_figures(estimator, *, y_eval, proba_eval, pred_eval, two_features=None) -> dict:
    """The run's figures by file name: training curve, reliability diagram, confusion matrix and,
    when ``two_features=(X_raw, y, names, transform)`` is given, the decision boundary."""
    from .. import plotting

    classes = np.asarray(estimator.classes_)
    figures = {}
    if getattr(estimator, "loss_curve_", None) is not None and np.size(estimator.loss_curve_):
        figures["training_curve.png"] = plotting.plot_training_curve(estimator)
    figures["reliability.png"] = plotting.plot_reliability_diagram(y_eval, proba_eval, classes=classes)
    figures["confusion_matrix.png"] = plotting.plot_confusion_matrix(y_eval, pred_eval, labels=classes)
    if two_features is not None:
        X2, y2, names, transform = two_features
        figures["decision_boundary.png"] = plotting.plot_decision_boundary(
            estimator, X2, y2, feature_names=names, transform=transform
        )
    return figures


def write_run(out_dir, *, estimator, metrics: dict, figures: dict, preprocessing=None, files=None,
              overwrite: bool = False) -> Path:
    """Write a complete run directory atomically and return its path.

    Contents: ``model.json`` + ``model.safetensors`` (:func:`crossentropy.model_io.save_model`, with
    ``metrics`` kept as ``extra``), ``metrics.json``, one PNG per entry of ``figures`` and any
    ``files`` (name -> JSON-able object, written as JSON, or a str written as is). Everything is built in a temporary
    directory beside ``out_dir`` that is renamed to ``out_dir`` only when complete.
    """
    from ..io.atomic import atomic_directory
    from ..io.model_files import save_model
    from ..plotting import save_figure

    out_dir = Path(out_dir)
    with atomic_directory(out_dir, overwrite=overwrite) as tmp:
        save_model(estimator, tmp, preprocessing=preprocessing, extra={"metrics": metrics})
        (tmp / "metrics.json").write_text(json.dumps(metrics, indent=1, allow_nan=False) + "\n", encoding="utf-8")
        for name, obj in (files or {}).items():
            text = obj if isinstance(obj, str) else json.dumps(obj, allow_nan=False) + "\n"  # str: written as is (CSV)
            (tmp / name).write_text(text, encoding="utf-8")
        for name, fig in figures.items():
            save_figure(fig, tmp / name)
    return out_dir
