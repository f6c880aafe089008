r"""``TemperatureScaling``: one scalar on the logits, fitted by a safeguarded Newton method on the held-out cross-entropy."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator

from .._validation import _preview, check_bool, check_sample_weight
from ._base import CalibratorMixin, check_scores, label_codes

#: the inverse temperature is kept in [exp(-10), exp(10)], the bounds scikit-learn's temperature method uses
BETA_BOUNDS = (float(np.exp(-10.0)), float(np.exp(10.0)))


def check_logits(logits, name: str = "logits") -> np.ndarray:
    """``logits`` as a C-contiguous float32/float64 array (n,) or (n, K), not copied when it already is one.

    Finiteness is checked by the first pass over them (:func:`fit_inverse_temperature`).
    """
    return np.ascontiguousarray(check_scores(logits, name, keep_float32=True, finite=False))


def two_columns(d: np.ndarray) -> np.ndarray:
    """Binary logits ``d`` (n,) as the two-class logits ``(0, d)`` (softmax gives ``sigmoid(d)``)."""
    return np.column_stack([np.zeros_like(d), d])


def temperature_derivatives(z, codes, w, beta):
    """``(L, L', L'')`` of the weighted cross-entropy of ``beta * z`` in ``beta`` (one compiled pass)."""
    from .._kernels import launch_threads, launching, row_groups
    from .._kernels.temperature import temperature_pass

    threads = launch_threads(z.size)
    has_w = w is not None
    wv = np.ascontiguousarray(w, np.float64) if has_w else np.empty(0)
    with launching(threads):
        out = temperature_pass(z, codes, wv, has_w, float(beta), row_groups(z.shape[0], 8, threads))
    return float(out[0]), float(out[1]), float(out[2])


def fit_inverse_temperature(z, codes, w, *, tol=None, max_iter: int = 100):
    r"""The inverse temperature :math:`\beta^\star = \arg\min_\beta L(\beta)`, in ``BETA_BOUNDS``.

    :math:`L(\beta) = \sum_i w_i[\operatorname{lse}(\beta z_i) - \beta z_{iy_i}]` is convex in β
    (:math:`L'' = \sum_i w_i \mathrm{Var}_{p_i} z \ge 0`), so :math:`L'` is non-decreasing and each
    evaluation shrinks a bracket :math:`[l, h]` around the root of :math:`L'`: :math:`L' > 0` moves
    :math:`h`, :math:`L' < 0` moves :math:`l`. The next point is the Newton step
    :math:`\beta - L'/L''` when it falls strictly inside the bracket, else the geometric midpoint
    :math:`\sqrt{l h}`. Stops when the step is below ``tol`` relative to β (Newton's error is then of
    the order of the step squared) or the bracket is that narrow. ``tol`` defaults to :math:`10^{-12}`
    for float64 logits and :math:`10^{-7}` for float32 ones, whose row sums round at about that level
    (smaller steps are rounding noise). One pass over the logits per iteration.
    """
    if tol is None:
        tol = 1e-12 if z.dtype == np.float64 else 1e-7
    lo, hi = BETA_BOUNDS
    beta = 1.0
    for _ in range(max_iter):
        loss, d1, d2 = temperature_derivatives(z, codes, w, beta)
        if not np.isfinite(loss + d1 + d2):
            raise ValueError("logits must be finite: the cross-entropy of the logits is not")
        if d1 > 0:
            hi = beta
        elif d1 < 0:
            lo = beta
        else:
            return beta
        newton = beta - d1 / d2 if d2 > 0 else np.nan
        nxt = newton if lo < newton < hi else float(np.sqrt(lo * hi))
        if (abs(nxt - beta) <= tol * beta and nxt == newton) or hi - lo <= tol * lo:
            return float(nxt)
        beta = float(nxt)
    return beta


def _vector_loss_grad(theta, z, onehot, w, total):
    """Mean weighted cross-entropy of ``a * z + b`` and its gradient; ``theta = (a, b[1:])``, ``b[0] = 0``."""
    from ..special import log_softmax

    k = z.shape[1]
    a, b = theta[:k], np.r_[0.0, theta[k:]]
    logp = log_softmax(z * a + b, axis=1)
    r = (np.exp(logp) - onehot) * w[:, None]
    loss = -np.sum(w * np.sum(onehot * logp, axis=1))
    return loss / total, np.r_[np.sum(r * z, axis=0), np.sum(r, axis=0)[1:]] / total


class TemperatureScaling(CalibratorMixin, BaseEstimator):
    r"""Temperature scaling: :math:`\hat p = \operatorname{softmax}(z / T)` on held-out logits.

    The temperature minimises the weighted held-out cross-entropy
    :math:`\sum_i w_i[\operatorname{lse}(z_i/T) - z_{iy_i}/T]`. It is fitted in the inverse
    temperature :math:`\beta = 1/T`, in which the loss is convex, by a safeguarded one-dimensional
    Newton method (:func:`fit_inverse_temperature`), each iteration one compiled pass over the logits
    (float32 logits are read as they are, sums in float64). :math:`\beta` is kept in
    :math:`[e^{-10}, e^{10}]`, the bounds of scikit-learn's temperature method; a minimiser at
    :math:`\beta \le 0` (scores that rank the classes backwards) stops at the lower bound.

    Logits of shape (n_samples,) are binary (:math:`\hat p_1 = \sigma(d/T)`, the two-class logits
    :math:`(0, d)`); shape (n_samples, K) holds one column per class. scikit-learn writes a binary
    decision value as the logits :math:`(-d, d)` with inverse temperature :math:`\beta_{sk}`:
    the same probabilities, with :math:`T = 1/(2\beta_{sk})`.

    ``vector=True``: vector scaling (Guo et al. 2017), :math:`\operatorname{softmax}(a \odot z + b)`
    with one scale and one bias per class (:math:`b_1 = 0`: the softmax ignores a common shift), fitted
    by L-BFGS (SciPy, to a gradient of :math:`10^{-10}`) from :math:`a = 1/T, b = 0`.

    Labels: integers in ``0..K-1`` name the columns; other labels are sorted and must number K.

    Parameters
    ----------
    vector : bool, default=False

    Attributes
    ----------
    temperature_ : float
        :math:`T = 1/\beta` (the scale of the scalar fit; with ``vector=True``, that of its start).
    coef_, intercept_ : ndarray of shape (K,)
        With ``vector=True``: :math:`a` and :math:`b`.
    classes_ : ndarray of shape (K,)

    Examples
    --------
    >>> import numpy as np
    >>> z = np.array([[4.0, 0.0], [0.0, 4.0], [3.0, 0.0], [0.0, 3.0], [4.0, 0.0], [0.0, 4.0]])
    >>> y = np.array([0, 1, 1, 0, 0, 1])
    >>> round(TemperatureScaling().fit(z, y).temperature_, 4)
    3.7882

    References
    ----------
    C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On calibration of modern neural networks",
    ICML 2017.
    """

    def __init__(self, vector=False):
        self.vector = vector

    def fit(self, logits, y, sample_weight=None):
        """Fit on held-out ``logits`` (n,) or (n, K) and labels ``y`` (n,); returns self."""
        check_bool(self.vector, "vector")
        z = check_logits(logits)
        if z.ndim == 1:
            z = two_columns(z)
        classes, codes = label_codes(y, z.shape[0], z.shape[1])
        w = check_sample_weight(sample_weight, z.shape[0])
        w = None if w is None else np.asarray(w, np.float64)
        beta = fit_inverse_temperature(z, codes, w)
        self.temperature_ = 1.0 / beta
        self.classes_ = classes
        if self.vector:
            from scipy.optimize import minimize

            z64 = np.asarray(z, np.float64)
            wv = np.ones(z.shape[0]) if w is None else w
            onehot = np.eye(z.shape[1])[codes]
            k = z.shape[1]
            res = minimize(_vector_loss_grad, np.r_[np.full(k, beta), np.zeros(k - 1)], jac=True, method="L-BFGS-B",
                           args=(z64, onehot, wv, float(np.sum(wv))),
                           options={"gtol": 1e-10, "ftol": 1e-15, "maxiter": 10000, "maxcor": 30})
            self.coef_, self.intercept_ = res.x[:k], np.r_[0.0, res.x[k:]]
        return self

    def predict_proba(self, logits):
        """Calibrated probabilities, shape (n_samples, K)."""
        from ..special import softmax

        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "classes_")
        z = check_logits(logits)
        if z.ndim == 1:
            z = two_columns(z)
        if z.shape[1] != self.classes_.size:
            raise ValueError(f"logits must have {self.classes_.size} columns, got {z.shape[1]}")
        if not np.all(np.isfinite(z)):
            raise ValueError(f"logits must be finite, got {_preview(z[~np.isfinite(z)])}")
        z = np.asarray(z, np.float64)
        if self.vector:
            return softmax(z * self.coef_ + self.intercept_, axis=1)
        return softmax(z / self.temperature_, axis=1)
