r"""The training curve the run directory draws: the unpenalised log loss after each iteration or epoch.

The number is the one the metrics table prints (:func:`~crossentropy.cli.evaluation.log_loss_over`),

.. math:: L^{(t)}_S = -\frac{1}{|S|} \sum_{i \in S} \log \hat p^{(t)}_{i, y_i}

on the training rows and on the held-out rows :math:`S`, for the model after step :math:`t`:

- ``MLPClassifier``: :class:`EpochRecorder` is the fit's callback; after each epoch the network's
  weights (updated in place) predict both splits. With early stopping the epoch whose weights were
  restored (the first minimum of ``validation_loss_curve_``) is marked.
- ``LogisticRegression``: the solvers' callback gives only the penalised objective, so
  :func:`logistic_curves` refits the same estimator with ``max_iter = t`` for a set of ``t`` (every
  iteration up to 25, else about 25 spread geometrically; within a time budget) and keeps a point only
  when the refit's objective curve equals the first ``t`` values of the run's own (the solvers are
  deterministic for a given ``random_state``): each point is the run's own iterate.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from .evaluation import log_loss_over

__all__ = ["EpochRecorder", "logistic_curves", "refit_steps", "curves_to_json", "curves_from_json"]


def _predict_proba(estimator, X):
    from .sources import predictions

    return predictions(estimator, X)[0]


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

    def __call__(self, epoch, loss, *args):
        for name, (X, y) in self.parts.items():
            proba = _predict_proba(self.estimator, X)
            self.curves[name].append(log_loss_over(y, proba, self.estimator.classes_))
        if self.then is not None:
            self.then(epoch, loss, *args)

    def close(self):
        if self.then is not None:
            self.then.close()


def refit_steps(n_iter: int, n_points: int = 25) -> list[int]:
    """The iterations below ``n_iter`` at which :func:`logistic_curves` refits: all up to ``n_points``,
    else about ``n_points`` spread geometrically (1, 2, 3, ... denser at the start).

    Examples
    --------
    >>> refit_steps(4)
    [1, 2, 3]
    >>> steps = refit_steps(1000); steps[:4], len(steps) <= 25, steps[-1] < 1000
    ([1, 2, 3, 4], True, True)
    """
    if n_iter <= n_points + 1:
        return list(range(1, n_iter))
    grid = np.unique(np.round(np.geomspace(1, n_iter - 1, n_points)).astype(int))
    return [int(t) for t in grid if t < n_iter]


def logistic_curves(estimator, X, y, parts, *, budget_s: float) -> dict:
    """``{name: (steps, log losses)}`` of a fitted ``LogisticRegression`` on ``parts``, per iteration.

    ``estimator`` was fitted on ``(X, y)``; refits run for :func:`refit_steps` (in increasing order,
    stopping once ``budget_s`` seconds are spent) and the fitted model gives the last step. A refit
    whose objective curve differs from the run's (rtol 1e-9) is left out.

    Parameters
    ----------
    estimator : LogisticRegression, fitted on ``(X, y)``
    X : ndarray of shape (n, d)
    y : ndarray of shape (n,)
    parts : dict of str to (X, y)
    budget_s : float
        Seconds the refits may take.

    Returns
    -------
    dict of str to (ndarray of int, ndarray of float)

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [1.5]]); y = np.array([0, 0, 1, 1, 0])
    >>> est = LogisticRegression(solver="newton").fit(X, y)
    >>> steps, values = logistic_curves(est, X, y, {"train": (X, y)}, budget_s=5.0)["train"]
    >>> int(steps[-1]) == est.n_iter_, bool(values[0] > values[-1])
    (True, True)

    References
    ----------
    Nocedal & Wright, *Numerical Optimization* (2006): the iterates of a deterministic method.
    """
    from sklearn.base import clone
    from sklearn.exceptions import ConvergenceWarning

    n_iter = int(np.max(estimator.n_iter_))
    curve = np.asarray(estimator.loss_curve_, dtype=np.float64)
    steps, values = [], {name: [] for name in parts}
    start = time.perf_counter()
    for t in refit_steps(n_iter):
        if time.perf_counter() - start > budget_s:
            break
        model = clone(estimator).set_params(max_iter=t, verbose=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
        own = np.asarray(model.loss_curve_, dtype=np.float64)
        if own.size != t or curve.size < t or not np.allclose(own, curve[:t], rtol=1e-9, atol=0.0):
            continue
        steps.append(t)
        for name, (Xp, yp) in parts.items():
            values[name].append(log_loss_over(yp, _predict_proba(model, Xp), model.classes_))
    steps.append(n_iter)
    for name, (Xp, yp) in parts.items():
        values[name].append(log_loss_over(yp, _predict_proba(estimator, Xp), estimator.classes_))
    return {name: (np.array(steps), np.array(v)) for name, v in values.items()}


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
