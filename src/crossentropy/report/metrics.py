r"""The numbers a run reports on one split: the model's metrics, the baseline and per-class metrics.

Everything is computed by scikit-learn (``sklearn.metrics``) or :func:`crossentropy.log_loss`; this
module only chooses the inputs: the labels (every class of the model and of the data, so that a
class missing from the training split still counts), the positive class and the decision threshold
of a binary model, and the baseline, the model that knows only the training split's class
frequencies :math:`\pi_k`:

.. math::
    \text{prior log loss} = -\frac1n \sum_i \log \pi_{y_i}, \qquad
    \text{majority accuracy} = \frac1n \sum_i [y_i = \arg\max_k \pi_k]

(``sklearn.dummy.DummyClassifier(strategy="prior")`` and ``strategy="most_frequent"``).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["all_labels", "display_labels", "class_prior", "log_loss_over", "one_hot_over", "log_loss_encoded", "decide", "split_metrics", "beats_baseline",
           "missing_counts"]

_LN2 = math.log(2.0)


def _json(value):
    return value.item() if hasattr(value, "item") else value


def all_labels(classes, y_true):
    """The sorted union of the model's ``classes`` and the labels in ``y_true``.

    Examples
    --------
    >>> all_labels(["a", "b"], ["b", "c"]).tolist()
    ['a', 'b', 'c']
    """
    return np.union1d(np.asarray(classes), np.asarray(y_true))


def display_labels(classes, y_true):
    """The labels of :func:`all_labels` in the order tables and figures show them: sorted, or, for a
    model whose ``classes`` are in an order of their own (an ordinal model's levels), that order
    followed by the sorted labels the model does not know.

    Examples
    --------
    >>> display_labels(["low", "mid", "high"], ["mid", "top"]).tolist()
    ['low', 'mid', 'high', 'top']
    """
    classes, labels = np.asarray(classes), all_labels(classes, y_true)
    if np.array_equal(np.sort(classes), classes):
        return labels
    return np.concatenate([classes, np.setdiff1d(labels, classes)])


def class_prior(y_train, classes) -> dict:
    r"""The training split's class frequencies :math:`\pi_k = n_k / n`, in the order of ``classes``.

    Parameters
    ----------
    y_train : array_like of shape (n,)
    classes : array_like of shape (K,)

    Returns
    -------
    dict
        ``{"classes": [...], "frequency": [...]}`` (JSON-able; the frequencies sum to 1).

    Examples
    --------
    >>> class_prior(["a", "b", "b", "b"], ["a", "b"])
    {'classes': ['a', 'b'], 'frequency': [0.25, 0.75]}

    References
    ----------
    scikit-learn, ``sklearn.dummy.DummyClassifier(strategy="prior")``.
    """
    classes = np.asarray(classes)
    y = np.asarray(y_train)
    counts = np.array([np.count_nonzero(y == c) for c in classes], dtype=np.float64)
    return {"classes": [_json(c) for c in classes], "frequency": (counts / counts.sum()).tolist()}


def decide(proba, classes, *, pos_label=None, threshold=None):
    r"""Predicted labels: the most probable class, or for two classes :math:`\hat p_{pos} \ge t`.

    Parameters
    ----------
    proba : ndarray of shape (n, K)
    classes : array_like of shape (K,)
    pos_label : object, optional
        The positive class of a binary model (default ``classes[1]``).
    threshold : float in (0, 1), optional
        Binary only: predict ``pos_label`` when its probability is at least ``threshold``
        (default: the most probable class).

    Examples
    --------
    >>> import numpy as np
    >>> decide(np.array([[0.7, 0.3], [0.2, 0.8]]), ["no", "yes"], threshold=0.25).tolist()
    ['yes', 'yes']
    """
    classes = np.asarray(classes)
    proba = np.asarray(proba, dtype=np.float64)
    if threshold is None:
        return classes[np.argmax(proba, axis=1)]
    pos = 1 if pos_label is None else int(np.flatnonzero(classes == pos_label)[0])
    return np.where(proba[:, pos] >= threshold, classes[pos], classes[1 - pos])


def _expand(proba, classes, labels):
    """``proba`` with one column per entry of the sorted ``labels`` (0 for a class the model does not know);
    ``classes`` (the columns of ``proba``) may be in any order, e.g. the levels of an ordinal model."""
    full = np.zeros((proba.shape[0], labels.size), dtype=np.float64)
    full[:, np.searchsorted(labels, classes)] = proba
    return full


def log_loss_over(y_true, proba, classes) -> float:
    """:func:`crossentropy.log_loss` of ``proba`` (columns: ``classes``) over every label of ``classes`` and ``y_true``.

    A label the model does not know gets probability 0 (clipped to machine epsilon, as scikit-learn does).

    Examples
    --------
    >>> import numpy as np
    >>> round(log_loss_over(["a", "b"], np.array([[0.5, 0.5], [0.25, 0.75]]), ["a", "b"]), 4)
    0.4904
    """
    from ..metrics import log_loss

    classes = np.asarray(classes)
    labels = all_labels(classes, y_true)
    proba = np.asarray(proba, dtype=np.float64)
    full = proba if np.array_equal(labels, classes) else _expand(proba, classes, labels)
    return float(log_loss(np.asarray(y_true), full, labels=labels))


def one_hot_over(y_true, classes):
    """``(labels, Y)``: the labels of :func:`log_loss_over` and the one-hot rows of ``y_true`` over them (int64,
    columns in sorted label order, as ``sklearn.preprocessing.LabelBinarizer`` encodes them), so that many
    predictions of the same rows are scored without encoding the labels again (:func:`log_loss_encoded`).

    Examples
    --------
    >>> labels, Y = one_hot_over(["b", "a"], ["a", "b"])
    >>> labels.tolist(), Y.tolist()
    (['a', 'b'], [[0, 1], [1, 0]])
    """
    labels = all_labels(classes, y_true)
    return labels, (np.asarray(y_true)[:, None] == labels[None, :]).astype(np.int64)


def log_loss_encoded(encoding, proba, classes) -> float:
    """:func:`log_loss_over` of ``proba`` (columns: ``classes``) for the rows encoded by :func:`one_hot_over`.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([[0.5, 0.5], [0.25, 0.75]])
    >>> log_loss_encoded(one_hot_over(["a", "b"], ["a", "b"]), p, ["a", "b"]) == log_loss_over(["a", "b"], p, ["a", "b"])
    True
    """
    from ..metrics import encoded_log_loss

    labels, Y = encoding
    classes = np.asarray(classes)
    proba = np.asarray(proba, dtype=np.float64)
    full = proba if np.array_equal(labels, classes) else _expand(proba, classes, labels)
    return float(encoded_log_loss(Y, full))


def _roc_auc(y, proba, labels):
    """Binary ROC AUC per present class, averaged (one-vs-rest, macro); None when no class has both sides."""
    from sklearn.metrics import roc_auc_score

    present = np.isin(labels, y)
    if present.all() and labels.size > 2:
        return float(roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=labels))
    scores = [roc_auc_score(y == c, proba[:, j]) for j, c in enumerate(labels) if 0 < np.count_nonzero(y == c) < y.size]
    return float(np.mean(scores)) if scores else None


def split_metrics(y_true, proba, classes, *, prior=None, pos_label=None, threshold=None, y_pred=None) -> dict:
    r"""Metrics of predicted probabilities on one split, with the baseline and per-class metrics.

    .. math::
        \text{log loss} = -\frac1n\sum_i \log \hat p_{i, y_i}\ \text{nats}
        = \frac{-\frac1n\sum_i \log \hat p_{i, y_i}}{\ln 2}\ \text{bits}

    Log loss is :func:`crossentropy.log_loss` over every label (the model's classes and those of
    ``y_true``; a class the model does not know has probability 0, clipped as scikit-learn does);
    accuracy, ROC AUC (two classes: of ``pos_label``; more: one-vs-rest, macro over the classes
    present), Brier score, precision, recall, F1 and support are ``sklearn.metrics``.

    Parameters
    ----------
    y_true : array_like of shape (n,)
    proba : ndarray of shape (n, K), columns in the order of ``classes``
    classes : array_like of shape (K,)
        The labels of the columns of ``proba``, in any order (an ordinal model's are its levels).
    prior : dict, optional
        :func:`class_prior` of the training split; gives the ``baseline`` entry.
    pos_label, threshold : optional
        As in :func:`decide` (two classes only).
    y_pred : array_like of shape (n,), optional
        Predicted labels (default :func:`decide`).

    Returns
    -------
    dict
        ``n``, ``log_loss``, ``log_loss_bits``, ``accuracy``, ``roc_auc`` (None when undefined),
        for two classes ``brier``, ``pos_label`` and ``threshold``; ``baseline`` (``log_loss``,
        ``log_loss_bits``, ``accuracy``, ``majority_class``) when ``prior`` is given; ``per_class``
        (one dict per label of :func:`display_labels`: ``class``, ``precision``, ``recall``, ``f1``,
        ``support``); ``macro_f1``.

    Examples
    --------
    >>> import numpy as np
    >>> m = split_metrics(["a", "b", "b"], np.array([[0.8, 0.2], [0.3, 0.7], [0.6, 0.4]]), ["a", "b"],
    ...                   prior=class_prior(["a", "b", "b", "b"], ["a", "b"]))
    >>> round(m["log_loss"], 4), round(m["accuracy"], 4), round(m["baseline"]["accuracy"], 4)
    (0.4987, 0.6667, 0.6667)
    >>> [(c["class"], c["recall"]) for c in m["per_class"]]
    [('a', 1.0), ('b', 0.5)]

    References
    ----------
    scikit-learn, ``sklearn.metrics.precision_recall_fscore_support``, ``roc_auc_score``,
    ``sklearn.dummy.DummyClassifier``; Shannon, "A mathematical theory of communication" (1948), bits.
    """
    from sklearn.metrics import accuracy_score, brier_score_loss, precision_recall_fscore_support, roc_auc_score

    classes = np.asarray(classes)
    y = np.asarray(y_true)
    proba = np.asarray(proba, dtype=np.float64)
    labels = all_labels(classes, y)
    full = proba if np.array_equal(labels, classes) else _expand(proba, classes, labels)
    if y_pred is None:
        y_pred = decide(proba, classes, pos_label=pos_label, threshold=threshold)
    ll = log_loss_over(y, proba, classes)
    out = {"n": int(y.shape[0]), "log_loss": ll, "log_loss_bits": ll / _LN2,
           "accuracy": float(accuracy_score(y, y_pred))}
    if classes.size == 2:
        pos = classes[1] if pos_label is None else pos_label
        j = int(np.flatnonzero(classes == pos)[0])
        positive = y == pos
        out["roc_auc"] = float(roc_auc_score(positive, proba[:, j])) if 0 < positive.sum() < y.size else None
        out["brier"] = float(brier_score_loss(positive.astype(int), proba[:, j]))
        out["pos_label"], out["threshold"] = _json(pos), threshold
    else:
        out["roc_auc"] = _roc_auc(y, full, labels)
    shown = display_labels(classes, y)
    if prior is not None:
        out["baseline"] = _baseline(y, prior, labels, shown, pos if classes.size == 2 else None)
    p, r, f, s = precision_recall_fscore_support(y, y_pred, labels=shown, zero_division=0.0)
    out["per_class"] = [{"class": _json(c), "precision": float(p[i]), "recall": float(r[i]), "f1": float(f[i]),
                         "support": int(s[i])} for i, c in enumerate(shown)]
    out["macro_f1"] = float(np.mean(f))
    return out


def _baseline(y, prior, labels, shown, pos) -> dict:
    """The metrics of ``DummyClassifier(strategy="prior")``: the prior as probabilities, the majority as label."""
    from sklearn.metrics import accuracy_score, brier_score_loss, f1_score

    from ..metrics import log_loss

    known = np.asarray(prior["classes"])
    freq = np.asarray(prior["frequency"], dtype=np.float64)
    majority = known[int(np.argmax(freq))]  # the first of the most frequent, as DummyClassifier
    pi = np.zeros(labels.size)
    pi[np.searchsorted(labels, known)] = freq
    ll = float(log_loss(y, np.broadcast_to(pi, (y.size, labels.size)), labels=labels))
    y_pred = np.full(y.size, majority)
    out = {"log_loss": ll, "log_loss_bits": ll / _LN2, "accuracy": float(accuracy_score(y, y_pred)),
           "macro_f1": float(f1_score(y, y_pred, labels=shown, average="macro", zero_division=0.0)),
           "majority_class": _json(majority)}
    if pos is not None:  # two classes: the Brier score of the prior probability of pos
        p_pos = pi[int(np.flatnonzero(labels == pos)[0])]
        out["brier"] = float(brier_score_loss((y == pos).astype(int), np.full(y.size, p_pos)))
    return out


def beats_baseline(m: dict) -> list[str]:
    """The ways the model of metrics ``m`` does not beat its baseline (empty when it does).

    Examples
    --------
    >>> beats_baseline({"log_loss": 0.3, "accuracy": 0.9, "baseline": {"log_loss": 0.2, "accuracy": 0.95,
    ...                                                                 "majority_class": "no"}})
    ['log loss 0.3000 is not below the prior log loss 0.2000', "accuracy 0.9000 is not above the majority-class rate 0.9500 (always 'no')"]
    """
    b = m.get("baseline")
    if not b:
        return []
    out = []
    if not m["log_loss"] < b["log_loss"]:
        out.append(f"log loss {m['log_loss']:.4f} is not below the prior log loss {b['log_loss']:.4f}")
    if not m["accuracy"] > b["accuracy"]:
        out.append(f"accuracy {m['accuracy']:.4f} is not above the majority-class rate {b['accuracy']:.4f} "
                   f"(always {b['majority_class']!r})")
    return out


def missing_counts(*frames) -> dict:
    """Column -> number of missing values over the DataFrames among ``frames`` (others are skipped).

    Examples
    --------
    >>> import pandas as pd
    >>> missing_counts(pd.DataFrame({"a": [1.0, None], "b": [1, 2]}), None, pd.DataFrame({"a": [None]}))
    {'a': 2}
    """
    out = {}
    for frame in frames:
        if hasattr(frame, "isna") and hasattr(frame, "columns"):
            for column, count in frame.isna().sum().items():
                if count:
                    out[str(column)] = out.get(str(column), 0) + int(count)
    return out
