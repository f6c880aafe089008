r"""The training curve the run directory draws: the unpenalised log loss after each iteration or epoch.

The number is the one the metrics table prints (:func:`~crossentropy.report.metrics.log_loss_over`),

.. math:: L^{(t)}_S = -\frac{1}{|S|} \sum_{i \in S} \log \hat p^{(t)}_{i, y_i}

on the training rows and on the held-out rows :math:`S`, for the model after step :math:`t`:

- ``MLPClassifier``: :class:`EpochRecorder` is the fit's callback; after each epoch the network's
  weights (updated in place) predict both splits. With early stopping the epoch whose weights were
  restored (the first minimum of ``validation_loss_curve_``) is marked.
- ``LogisticRegression`` (and the refit of ``LogisticRegressionCV``, and ``OrdinalRegression``):
  :class:`IterateRecorder` is the fit's callback; after each solver iteration the model at that
  iterate (the coefficients the solver hands the callback) predicts both splits, so the curve comes
  from the fit itself, in one pass over each split per iteration. A split of more than
  ``MAX_CURVE_ROWS`` rows is scored on a fixed random subset of that many rows, and its curve is
  named so (``"train, 20,000 random"``).
"""

from __future__ import annotations

import copy

import numpy as np

from .metrics import log_loss_encoded, one_hot_over

__all__ = ["EpochRecorder", "IterateRecorder", "MAX_CURVE_ROWS", "curves_to_json", "curves_from_json"]

#: Most rows of a split the per-iteration curve scores (a fixed random subset beyond it).
MAX_CURVE_ROWS = 20_000


def _predict_proba(estimator, X):
    """``estimator.predict_proba`` of the matrix ``X`` (a DataFrame when it was fitted on one)."""
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:
        import pandas as pd

        X = pd.DataFrame(X, columns=list(names))
    return estimator.predict_proba(X)


def _scorer(parts):
    """A function ``(name, proba, classes)`` -> the log loss of part ``name``'s rows, their labels encoded once
    (the classes do not change during a fit)."""
    encodings = {}

    def score(name, proba, classes):
        if name not in encodings:
            encodings[name] = one_hot_over(parts[name][1], classes)
        return log_loss_encoded(encodings[name], proba, classes)

    return score


class EpochRecorder:
    """A fit callback ``(epoch, loss)`` that records the log loss of each part after every epoch.

    Parameters
    ----------
    estimator : MLPClassifier
        Being fitted (its weights are read in place).
    parts : dict of str to (X, y)
        The rows to score, e.g. ``{"train": (X, y), "test": (X_test, y_test)}``.
    then : callable ``(epoch, loss)``, optional
        Called afterwards (the progress bar).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import MLPClassifier
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> net = MLPClassifier(hidden_layer_sizes=(3,), max_iter=200, random_state=0)
    >>> rec = EpochRecorder(net, {"train": (X, y)})
    >>> _ = net.fit(X, y, callback=rec)
    >>> len(rec.curves["train"]) == net.n_iter_
    True

    References
    ----------
    Goodfellow, Bengio & Courville, *Deep Learning* (2016), §7.8 (learning curves).
    """

    def __init__(self, estimator, parts, then=None):
        self.estimator, self.parts, self.then = estimator, parts, then
        self.curves = {name: [] for name in parts}
        self._score = _scorer(parts)

    def __call__(self, epoch, loss, *args):
        for name, (X, _) in self.parts.items():
            proba = _predict_proba(self.estimator, X)
            self.curves[name].append(self._score(name, proba, self.estimator.classes_))
        if self.then is not None:
            self.then(epoch, loss, *args)

    def close(self):
        if self.then is not None:
            self.then.close()


def _model_at(estimator, state):
    """A shallow copy of ``estimator`` (being fitted) whose coefficients are the solver's iterate ``state``."""
    model = copy.copy(estimator)
    if state.coef is not None:  # LogisticRegression: the estimator's view of the iterate
        model.coef_, model.intercept_ = state.coef, state.intercept
    else:  # OrdinalRegression: the coefficients, then the thresholds
        d = int(estimator.n_features_in_)
        model.coef_, model.thresholds_ = state.x[:d], state.x[d:]
    return model


class IterateRecorder:
    """A solver callback ``(state)`` that records the log loss of each part at every iterate.

    ``curves`` is ``{name: (steps, log losses)}``; it ends at the fitted model, since the solvers
    return their last iterate. A part of more than ``max_rows`` rows is scored on a fixed random
    subset of ``max_rows`` of them (seed 0), and its name says so.

    Parameters
    ----------
    estimator : LogisticRegression, LogisticRegressionCV or OrdinalRegression
        Being fitted (copied at each iterate with the iterate's coefficients).
    parts : dict of str to (X, y)
        The rows to score, e.g. ``{"train": (X, y), "test": (X_test, y_test)}``.
    then : callable ``(state)``, optional
        Called afterwards (the progress bar); what it returns is ignored.
    max_rows : int, default ``MAX_CURVE_ROWS``

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.metrics import log_loss
    >>> from crossentropy import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [1.5]]); y = np.array([0, 0, 1, 1, 0])
    >>> est = LogisticRegression(solver="newton")
    >>> rec = IterateRecorder(est, {"train": (X, y)})
    >>> _ = est.fit(X, y, callback=rec)
    >>> steps, values = rec.curves["train"]
    >>> steps.tolist() == list(range(1, est.n_iter_ + 1)), bool(values[-1] == log_loss(y, est.predict_proba(X)))
    (True, True)

    References
    ----------
    Goodfellow, Bengio & Courville, *Deep Learning* (2016), §7.8 (learning curves); SciPy,
    ``scipy.optimize.minimize`` (``callback(intermediate_result)``).
    """

    def __init__(self, estimator, parts, then=None, *, max_rows=MAX_CURVE_ROWS):
        self.estimator, self.then = estimator, then
        self.parts = {}
        for name, (X, y) in parts.items():
            n = int(X.shape[0])
            if n > max_rows:
                rows = np.sort(np.random.default_rng(0).choice(n, size=int(max_rows), replace=False))
                name, X, y = f"{name}, {int(max_rows):,} random", X[rows], np.asarray(y)[rows]
            self.parts[name] = (X, y)
        self.steps, self.values = [], {name: [] for name in self.parts}
        self._score = _scorer(self.parts)

    def __call__(self, state):
        model = _model_at(self.estimator, state)
        self.steps.append(int(state.n_iter))
        for name, (X, _) in self.parts.items():
            self.values[name].append(self._score(name, _predict_proba(model, X), model.classes_))
        if self.then is not None:
            self.then(state)

    def record_start(self, model):
        """Put ``model`` (the point the fit started from) first in every curve, as step 0."""
        self.steps.insert(0, 0)
        for name, (X, _) in self.parts.items():
            self.values[name].insert(0, self._score(name, _predict_proba(model, X), model.classes_))

    @property
    def curves(self) -> dict:
        """``{name: (ndarray of int, ndarray of float)}``: the steps and the log loss at each."""
        return {name: (np.array(self.steps, dtype=int), np.array(v, dtype=np.float64)) for name, v in self.values.items()}

    def close(self):
        if self.then is not None:
            self.then.close()


def curves_to_json(curves) -> dict | None:
    """``{name: {"steps": [...], "log_loss": [...]}}`` of ``{name: values or (steps, values)}`` (for metrics.json).

    Examples
    --------
    >>> curves_to_json({"train": [0.5, 0.25]})
    {'train': {'steps': [1, 2], 'log_loss': [0.5, 0.25]}}
    """
    if not curves:
        return None
    out = {}
    for name, c in curves.items():
        steps, values = c if isinstance(c, tuple) else (np.arange(1, len(c) + 1), c)
        out[name] = {"steps": [int(t) for t in steps], "log_loss": [float(v) for v in values]}
    return out


def curves_from_json(record) -> dict | None:
    """The inverse of :func:`curves_to_json`: ``{name: (steps, values)}`` (None for None)."""
    if not record:
        return None
    return {name: (np.asarray(c["steps"]), np.asarray(c["log_loss"], dtype=np.float64)) for name, c in record.items()}
