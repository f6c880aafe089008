r"""The ordinal (cumulative-link) cross-entropy: value, gradient and Hessian summed over rows.

The model of :class:`crossentropy.OrdinalRegression`: with levels :math:`0, \dots, J-1`, linear
predictor :math:`\eta_i = x_i^\top\beta` and thresholds :math:`\theta_0 < \dots < \theta_{J-2}`
(:math:`\theta_{-1} = -\infty`, :math:`\theta_{J-1} = +\infty`),

.. math::
    P(y_i \le j \mid x_i) = F(\theta_j - \eta_i), \qquad
    P(y_i = k \mid x_i) = F(a_i) - F(b_i), \quad a_i = \theta_{k} - \eta_i,\; b_i = \theta_{k-1} - \eta_i

with :math:`F` the logistic CDF (``"logit"``), the standard normal CDF (``"probit"``) or
:math:`1 - \exp(-e^t)` (``"cloglog"``). The data term is the weighted ordinal cross-entropy

.. math:: L(\beta, \theta) = -\sum_i s_i \log\big(F(a_i) - F(b_i)\big).

With :math:`P_i = F(a_i) - F(b_i)`, :math:`q^a_i = f(a_i)/P_i`, :math:`q^b_i = f(b_i)/P_i` (zero at an
infinite bound) and :math:`h(t) = f'(t)/f(t)` (logit :math:`-\tanh(t/2)`, probit :math:`-t`, cloglog
:math:`1 - e^t`), one row's derivatives in :math:`(a, b)` are
:math:`\ell_a = -q^a`, :math:`\ell_b = q^b`, :math:`\ell_{aa} = (q^a)^2 - q^a h(a)`,
:math:`\ell_{bb} = (q^b)^2 + q^b h(b)`, :math:`\ell_{ab} = -q^a q^b`, and since
:math:`\partial a/\partial\beta = \partial b/\partial\beta = -x`:

.. math::
    \nabla_\beta L = \sum_i s_i (q^a_i - q^b_i)\, x_i, \qquad
    \frac{\partial L}{\partial\theta_j} = -\sum_{y_i = j} s_i q^a_i + \sum_{y_i = j+1} s_i q^b_i

    \nabla^2_{\beta\beta} L = X^\top \mathrm{diag}(s \odot w) X, \quad
    w_i = (q^a_i - q^b_i)^2 - q^a_i h(a_i) + q^b_i h(b_i)

    \frac{\partial^2 L}{\partial\beta\,\partial\theta_j}
      = -\sum_{y_i = j} s_i (\ell_{aa} + \ell_{ab})_i\, x_i - \sum_{y_i = j+1} s_i (\ell_{bb} + \ell_{ab})_i\, x_i

    \frac{\partial^2 L}{\partial\theta_j^2} = \sum_{y_i = j} s_i \ell_{aa,i} + \sum_{y_i = j+1} s_i \ell_{bb,i},
    \qquad \frac{\partial^2 L}{\partial\theta_j\,\partial\theta_{j+1}} = \sum_{y_i = j+1} s_i \ell_{ab,i}.

The Hessian is the exact (observed) one, not the expected information. For the three links
:math:`F` has a log-concave density, so :math:`L` is convex in :math:`(\beta, \theta)` (Pratt 1981)
on the open set of strictly increasing thresholds; outside it the loss is :math:`+\infty`.

The coefficient vector is ``[beta (d), theta (J-1)]``.

Stability: :math:`\log P` is never formed as the log of a difference of CDFs. Logit:
:math:`\log P = \log\sigma(a) + \log\sigma(-b) + \log(1 - e^{-(\theta_k - \theta_{k-1})})` (exact:
:math:`\sigma(a) - \sigma(b) = \sigma(a)\sigma(-b)(1 - e^{b-a})`), with the width taken from the
thresholds themselves so that a large :math:`|\eta|` cannot round it to zero. Probit: the difference
of ``log_ndtr`` values in the tail the interval lies in (its relative precision degrades as
:math:`\epsilon / (1 - P_b/P_a)` for intervals much narrower than 1). Cloglog:
:math:`\log P = -e^{b} + \log(1 - e^{-e^{a}(1 - e^{-(a-b)})})`; its loss overflows only where the
true value, about :math:`e^{b}`, exceeds the float64 range (:math:`b > 709.78`).

References
----------
McCullagh, *Regression models for ordinal data*, J. R. Stat. Soc. B 42 (1980);
Pratt, *Concavity of the log likelihood*, JASA 76 (1981);
Mächler, *Accurately computing log(1 - exp(-|a|))*, Rmpfr vignette (2012);
Agresti, *Analysis of Ordinal Categorical Data*, 2nd ed. (2010), §3.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import sparse
from scipy import special as sp

from .penalties import L2
from .sums import DataTerms, gram

__all__ = ["LINKS", "log_interval", "log_density", "density_slope", "inverse_cdf", "ordinal_terms",
           "OrdinalObjective"]

#: The links: the CDF F of the latent variable.
LINKS = ("logit", "probit", "cloglog")

_LN2 = math.log(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2.0 * math.pi)


def _log1mexp(x):
    r""":math:`\log(1 - e^{-x})` for :math:`x \ge 0` (Mächler's two branches); 0 at :math:`+\infty`."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x < _LN2, np.log(-np.expm1(-x)), np.log1p(-np.exp(-x)))


def log_interval(link, upper, lower, width):
    r""":math:`\log(F(\text{upper}) - F(\text{lower}))`, stably, elementwise.

    Parameters
    ----------
    link : {"logit", "probit", "cloglog"}
    upper, lower : ndarray of shape (n,)
        :math:`a = \theta_k - \eta` and :math:`b = \theta_{k-1} - \eta`; ``upper`` may be
        :math:`+\infty`, ``lower`` :math:`-\infty`.
    width : ndarray of shape (n,)
        :math:`\theta_k - \theta_{k-1} > 0` (:math:`+\infty` at an infinite bound).

    Returns
    -------
    ndarray of shape (n,)

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective.ordinal import log_interval
    >>> a, b = np.array([1.0, np.inf]), np.array([-np.inf, 0.5])
    >>> np.allclose(log_interval("logit", a, b, a - b), np.log([1 / (1 + np.exp(-1)), 1 / (1 + np.exp(0.5))]))
    True
    """
    a = np.asarray(upper, dtype=np.float64)
    b = np.asarray(lower, dtype=np.float64)
    width = np.asarray(width, dtype=np.float64)
    if link == "logit":
        return sp.log_expit(a) + sp.log_expit(-b) + _log1mexp(width)
    if link == "probit":
        with np.errstate(invalid="ignore"):
            up = (a + b) > 0  # the interval lies mostly in the upper tail: use survival functions
        lo_a, lo_b = sp.log_ndtr(a), sp.log_ndtr(b)
        hi_a, hi_b = sp.log_ndtr(-a), sp.log_ndtr(-b)
        with np.errstate(invalid="ignore"):
            lower_form = lo_a + _log1mexp(lo_a - lo_b)
            upper_form = hi_b + _log1mexp(hi_b - hi_a)
        return np.where(up, upper_form, lower_form)
    if link == "cloglog":
        with np.errstate(over="ignore", invalid="ignore"):
            # e^a - e^b = e^a (1 - e^{-(a-b)}): no cancellation, no 0 * inf at infinite bounds
            spread = np.exp(a) * -np.expm1(-width)
            return -np.exp(b) + _log1mexp(spread)
    raise ValueError(f"link must be one of {LINKS}, got {link!r}")


def log_density(link, t):
    r""":math:`\log f(t)` of the link's density, elementwise (:math:`-\infty` at :math:`\pm\infty`).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective.ordinal import log_density
    >>> float(np.exp(log_density("probit", np.array([0.0]))[0]))  # 1 / sqrt(2 pi)
    0.3989422804014327
    """
    t = np.asarray(t, dtype=np.float64)
    if link == "logit":
        return sp.log_expit(t) + sp.log_expit(-t)
    if link == "probit":
        return -0.5 * t * t - _LOG_SQRT_2PI
    with np.errstate(over="ignore", invalid="ignore"):
        out = t - np.exp(t)
    return np.where(np.isfinite(t), out, -np.inf)


def density_slope(link, t):
    r""":math:`h(t) = f'(t)/f(t)`, elementwise, for finite t (logit :math:`-\tanh(t/2)`, probit
    :math:`-t`, cloglog :math:`1 - e^{t}`, the latter capped at :math:`t = 700` where
    :math:`f(t)` is zero in float64).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective.ordinal import density_slope
    >>> density_slope("cloglog", np.array([0.0, 1.0]))
    array([ 0.        , -1.71828183])
    """
    t = np.asarray(t, dtype=np.float64)
    if link == "logit":
        return -np.tanh(0.5 * t)
    if link == "probit":
        return -t
    return 0.0 - np.expm1(np.minimum(t, 700.0))


def inverse_cdf(link, p):
    r""":math:`F^{-1}(p)`, elementwise, for :math:`p \in (0, 1)` (the start values of the thresholds).

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective.ordinal import inverse_cdf
    >>> inverse_cdf("logit", np.array([0.5, 0.75])).round(6)
    array([0.      , 1.098612])
    """
    p = np.asarray(p, dtype=np.float64)
    if link == "logit":
        return sp.logit(p)
    if link == "probit":
        return sp.ndtri(p)
    return np.log(-np.log1p(-p))


def _rows(X, y, coef, n_levels, link):
    """Per-row quantities at ``coef``: ``(eta, logp, qa, qb, a, b)``; None when the thresholds are
    not strictly increasing (or not finite)."""
    d = X.shape[1]
    beta, theta = coef[:d], coef[d:]
    if theta.shape != (n_levels - 1,) or not (np.all(np.isfinite(theta)) and np.all(np.diff(theta) > 0)):
        return None
    ext = np.concatenate([[-np.inf], theta, [np.inf]])
    eta = np.asarray(X @ beta, dtype=np.float64).ravel()
    up, lo = ext[y + 1], ext[y]
    a, b = up - eta, lo - eta
    logp = log_interval(link, a, b, up - lo)
    with np.errstate(over="ignore", invalid="ignore"):
        qa = np.where(np.isfinite(a), np.exp(log_density(link, a) - logp), 0.0)
        qb = np.where(np.isfinite(b), np.exp(log_density(link, b) - logp), 0.0)
    return eta, logp, qa, qb, a, b


def ordinal_terms(X, y, sample_weight, coef, n_levels, link, need=frozenset(["loss", "grad", "hess"]), rows=None):
    r"""The unscaled, unpenalised sums of the ordinal cross-entropy over the rows (module docstring).

    Parameters
    ----------
    X : ndarray or scipy.sparse CSR matrix of shape (n, d), float64
    y : ndarray of int of shape (n,)
        Levels encoded ``0 .. n_levels - 1``.
    sample_weight : ndarray of shape (n,) or None
    coef : ndarray of shape (d + n_levels - 1,)
        ``[beta, theta]``.
    n_levels : int
        J (at least 2).
    link : {"logit", "probit", "cloglog"}
    need : set of {"loss", "grad", "hess"}
    rows : tuple, optional
        The per-row quantities of an earlier evaluation at the same ``coef`` (internal cache).

    Returns
    -------
    DataTerms
        ``loss`` (float), ``grad`` (d + J - 1,), ``hess`` (d + J - 1, d + J - 1); entries not in
        ``need`` are None. Thresholds that are not strictly increasing give ``loss = inf`` and NaN
        gradient and Hessian.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective.ordinal import ordinal_terms
    >>> X = np.array([[0.0], [1.0], [2.0]]); y = np.array([0, 1, 2])
    >>> t = ordinal_terms(X, y, None, np.array([0.0, -1.0, 1.0]), 3, "logit")
    >>> round(t.loss, 6)   # beta = 0: -log(s(-1)) - log(s(1) - s(-1)) - log(1 - s(1)), s the sigmoid
    3.39846
    """
    d, m = X.shape[1], n_levels - 1
    rows = _rows(X, y, coef, n_levels, link) if rows is None else rows
    if rows is None:
        nan = np.full(d + m, np.nan)
        return DataTerms(np.inf if "loss" in need else None, nan if "grad" in need else None,
                         np.full((d + m, d + m), np.nan) if "hess" in need else None)
    _, logp, qa, qb, a, b = rows
    s = np.ones(len(y)) if sample_weight is None else sample_weight
    loss = grad = hess = None
    if "loss" in need:
        loss = -float(s @ logp)
    if "grad" in need:
        grad = np.empty(d + m)
        grad[:d] = np.asarray(X.T @ (s * (qa - qb))).ravel()
        grad[d:] = (-np.bincount(y, s * qa, minlength=n_levels)[:m]
                    + np.bincount(y, s * qb, minlength=n_levels)[1:])
    if "hess" in need:
        hess = _hessian(X, y, s, qa, qb, a, b, n_levels, link)
    return DataTerms(loss, grad, hess)


def _hessian(X, y, s, qa, qb, a, b, n_levels, link):
    d, m = X.shape[1], n_levels - 1
    qha = qa * density_slope(link, np.where(np.isfinite(a), a, 0.0))
    qhb = qb * density_slope(link, np.where(np.isfinite(b), b, 0.0))
    lab = -qa * qb
    laa = qa * qa - qha
    lbb = qb * qb + qhb
    H = np.empty((d + m, d + m))
    H[:d, :d] = gram(X, s * ((qa - qb) ** 2 - qha + qhb), False)
    # beta-theta block: row i adds -(l_aa + l_ab) x_i to theta_{y_i}, -(l_bb + l_ab) x_i to theta_{y_i - 1}
    n = len(y)
    M = np.zeros((n, n_levels + 1))
    idx = np.arange(n)
    M[idx, y + 1] = s * (laa + lab)
    M[idx, y] += s * (lbb + lab)
    cross = -np.asarray(X.T @ M[:, 1:m + 1])
    H[:d, d:] = cross
    H[d:, :d] = cross.T
    diag = np.bincount(y, s * laa, minlength=n_levels)[:m] + np.bincount(y, s * lbb, minlength=n_levels)[1:]
    off = np.bincount(y, s * lab, minlength=n_levels)[1:m]
    T = np.diag(diag)
    T[np.arange(m - 1), np.arange(1, m)] = off
    T[np.arange(1, m), np.arange(m - 1)] = off
    H[d:, d:] = T
    return H


class OrdinalObjective:
    r"""The ordinal cross-entropy over all rows, scaled, plus an l2 penalty on :math:`\beta`.

    .. math:: J(\beta, \theta) = c\,L(\beta, \theta) + \tfrac{\lambda_2}{2}\lVert\beta\rVert^2

    It has the protocol of :class:`crossentropy.solvers._base.Objective`, so
    :func:`crossentropy.solvers.newton` minimises it; the thresholds are kept strictly increasing by
    the loss being :math:`+\infty` outside that set, which Newton's backtracking line search never
    accepts. The per-row quantities of the last evaluation are kept, so the Hessian at the point
    the line search accepted costs only its products with X.

    Parameters
    ----------
    X : ndarray or scipy.sparse CSR matrix of shape (n, d), float64
    y : ndarray of int of shape (n,)
    sample_weight : ndarray of shape (n,) or None
    n_levels : int
    link : {"logit", "probit", "cloglog"}
    scale : float, default 1.0
        :math:`c`.
    l2 : float, default 0.0
        :math:`\lambda_2`.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.objective.ordinal import OrdinalObjective
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 1, 1, 2])
    >>> obj = OrdinalObjective(X, y, None, 3, "logit")
    >>> obj.n_coef, obj.penalized.tolist(), obj.loss(np.array([0.0, 1.0, 0.5]))
    (3, [False, False, False], inf)
    """

    def __init__(self, X, y, sample_weight, n_levels, link, *, scale=1.0, l2=0.0):
        if link not in LINKS:
            raise ValueError(f"link must be one of {LINKS}, got {link!r}")
        self.X = X if sparse.issparse(X) else np.asarray(X, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.intp)
        self.sample_weight = sample_weight
        self.n_levels = int(n_levels)
        self.link = link
        self.scale = float(scale)
        self.l2 = float(l2)
        self.n_features = X.shape[1]
        self.n_coef = self.n_features + self.n_levels - 1
        self.n_samples = X.shape[0]
        self.penalized = np.zeros(self.n_coef, dtype=bool)
        if self.l2:
            self.penalized[: self.n_features] = True
        self.penalty = L2(self.l2)  # what solvers ask of it; the loss below adds its terms itself
        self._cache = (None, None)

    def _terms(self, coef, need):
        key, rows = self._cache
        if key is None or not np.array_equal(key, coef):
            rows = _rows(self.X, self.y, coef, self.n_levels, self.link)
            self._cache = (np.array(coef, copy=True), rows)
        return ordinal_terms(self.X, self.y, self.sample_weight, coef, self.n_levels, self.link, need, rows=rows)

    def _add_penalty(self, coef, loss=None, grad=None, hess=None):
        d = self.n_features
        if loss is not None:
            loss = self.scale * loss + 0.5 * self.l2 * float(coef[:d] @ coef[:d])
        if grad is not None:
            grad = self.scale * grad
            grad[:d] += self.l2 * coef[:d]
        if hess is not None:
            hess = self.scale * hess
            hess[np.arange(d), np.arange(d)] += self.l2
        return loss, grad, hess

    def loss(self, coef):
        """:math:`J` at ``coef`` (``inf`` where the thresholds are not strictly increasing)."""
        return self._add_penalty(coef, loss=self._terms(coef, {"loss"}).loss)[0]

    def loss_gradient(self, coef):
        """``(J, grad J)``."""
        t = self._terms(coef, {"loss", "grad"})
        return self._add_penalty(coef, loss=t.loss, grad=t.grad)[:2]

    def loss_gradient_hessian(self, coef):
        """``(J, grad J, Hessian of J)``."""
        t = self._terms(coef, {"loss", "grad", "hess"})
        return self._add_penalty(coef, t.loss, t.grad, t.hess)

    def hessian(self, coef):
        """The exact Hessian of :math:`J`, shape (n_coef, n_coef)."""
        return self._add_penalty(coef, hess=self._terms(coef, {"hess"}).hess)[2]

    def hessp(self, coef, v):
        """The Hessian of :math:`J` times ``v`` (formed from the full Hessian, which is small)."""
        return self.hessian(coef) @ v

    def nonsmooth(self, coef):
        """0: no l1 term."""
        return 0.0

    def null_space(self):
        """None: the parameterisation is identified."""
        return None
