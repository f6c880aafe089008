r"""Complete and quasi-complete separation, detected after an unpenalised fit from its margins.

Without a penalty the maximum-likelihood estimate does not exist when a direction :math:`\delta \ne 0`
of the coefficients (one row :math:`\delta_k` per class) has every margin
:math:`(\delta_{y_i} - \delta_k)^\top \tilde x_i \ge 0` over the rows of positive weight and the classes
:math:`k \ne y_i`, some of them positive (Albert and Anderson, 1984): the likelihood increases without
bound along :math:`\delta` and the solver's iterates diverge along it. Both cases are told from the
fitted coefficients :math:`\hat\theta` without a linear programme:

- **complete**: every margin of :math:`\hat\theta` itself is positive (it classifies every row of
  positive weight correctly, with a margin): :math:`\hat\theta` is a separating direction;
- **quasi-complete**: the (row, class) pairs whose margin under :math:`\hat\theta` exceeds :math:`T`
  (own-class probability against class k within :math:`e^{-T}` of 1) are the diverged ones, :math:`S`;
  the other pairs :math:`R` must keep finite margins, so the diverging part of :math:`\hat\theta` lies in
  the null space :math:`N` of the constraints :math:`(\delta_{y_i} - \delta_k)^\top \tilde x_i = 0`,
  :math:`(i, k) \in R`. The candidate :math:`\delta = P_N\hat\theta` (projection onto :math:`N`, from
  the eigenvectors of the constraints' Gram matrix, in columns scaled to max-abs 1) is a certificate when
  its margins are non-negative on every pair of :math:`S`, zero (to rounding) on :math:`R`, and not all
  zero (some pairs of :math:`S` may have large finite margins: :math:`\delta` leaves them at zero). The
  thresholds :math:`T` = 8, 12, 18 and 25 are tried in turn.

A fit's logit offsets are left out: they do not change which directions separate. Either certificate is a
proof of separation (up to the rounding tolerances :data:`ZERO` and
:data:`POSITIVE`), so ordinary data never raise it; a fit stopped before its diverging margins pass
:math:`T = 8` can go unnoticed. The columns named are those with a coefficient in :math:`\delta` of at
least :data:`INVOLVED` times the largest (in the scaled columns). Cost: one pass over X for the margins;
when some margin exceeds 8 and there is no complete separation, one Gram matrix of the constraints per
threshold (skipped above :data:`MAX_COEF` coefficients).
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse

from ..exceptions import PerfectSeparationWarning
from ._weights import row_weights

__all__ = ["detect_separation", "check_separation", "THRESHOLDS"]

#: margins (log-odds of the own class against another) beyond which a pair counts as diverged
THRESHOLDS = (8.0, 12.0, 18.0, 25.0)
#: eigenvalues of the constraints' Gram matrix below this share of the largest span the null space
ZERO = 1e-10
#: the certificate's margins on the diverged pairs must be above minus this share of their largest
POSITIVE = 1e-6
#: a column is involved when its coefficient in the separating direction is this share of the largest
INVOLVED = 1e-3
#: the quasi-complete check is skipped beyond this many coefficients (its eigendecomposition is cubic)
MAX_COEF = 2000


def _scaled(X, fit_intercept):
    """:math:`\\tilde X` with every column divided by its max-abs (zero columns left), and the scales."""
    if sparse.issparse(X):
        scale = np.asarray(abs(X).max(axis=0).todense()).ravel().astype(np.float64)
        scale[scale == 0] = 1.0
        Xs = (X @ sparse.diags(1.0 / scale)).toarray()
    else:
        scale = np.max(np.abs(X), axis=0, initial=0.0).astype(np.float64)
        scale[scale == 0] = 1.0
        Xs = np.asarray(X, dtype=np.float64) / scale
    if fit_intercept:
        Xs = np.hstack([Xs, np.ones((Xs.shape[0], 1))])
        scale = np.append(scale, 1.0)
    return Xs, scale


def _pair_margins(Z, y):
    """Margins :math:`z_{iy_i} - z_{ik}` (n, K), +inf at :math:`k = y_i`."""
    M = Z[np.arange(len(y)), y][:, None] - Z
    M[np.arange(len(y)), y] = np.inf
    return M


def _null_direction(Xs, y, active, theta):
    r""":math:`P_N\theta`, N the null space of :math:`(\theta_{y_i} - \theta_k)^\top\tilde x_i`, (i, k) active."""
    n, D = Xs.shape
    K = theta.shape[0]
    G = np.zeros((K * D, K * D))
    A = active.astype(np.float64)
    diag_own = A.sum(axis=1)
    for a in range(K):
        for b in range(a, K):
            # coefficient of x_i x_i^T in block (a, b) of sum over active k of (e_y - e_k)(e_y - e_k)^T
            c = np.where(y == a, np.where(y == b, diag_own, -A[:, b]), np.where(y == b, -A[:, a],
                                                                               A[:, a] * (a == b)))
            if not np.any(c):
                continue
            block = Xs.T @ (Xs * c[:, None])
            G[a * D:(a + 1) * D, b * D:(b + 1) * D] = block
            G[b * D:(b + 1) * D, a * D:(a + 1) * D] = block.T
    lam, V = np.linalg.eigh(G)
    null = V[:, lam <= ZERO * max(lam[-1], 1.0)]
    return (null @ (null.T @ theta.ravel())).reshape(K, D)


def detect_separation(X, y_enc, weights, coef, intercept, fit_intercept):
    """``(kind, involved)``: kind None, ``"complete"`` or ``"quasi-complete"``; involved the indices of the
    feature columns of the separating direction (module docstring).

    Parameters
    ----------
    X : ndarray or CSR matrix of shape (n, d)
    y_enc : ndarray of int of shape (n,)
    weights : ndarray of shape (n,)
        Rows of weight 0 are left out.
    coef : ndarray of shape (1, d) or (K, d)
    intercept : ndarray of shape (1,) or (K,)
    fit_intercept : bool

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> detect_separation(X, np.array([0, 0, 1, 1]), np.ones(4), np.array([[40.0]]), np.array([-60.0]), True)
    ('complete', [0])
    >>> detect_separation(X, np.array([0, 1, 0, 1]), np.ones(4), np.array([[0.45]]), np.array([-0.68]), True)
    (None, [])

    References
    ----------
    Albert and Anderson, *On the existence of maximum likelihood estimates in logistic regression
    models*, Biometrika 71 (1984); Lesaffre and Albert, *Partial separation in logistic discrimination*,
    J. R. Stat. Soc. B 51 (1989).
    """
    keep = np.asarray(weights) > 0
    X = X[keep] if sparse.issparse(X) else np.asarray(X)[keep]
    y = np.asarray(y_enc)[keep]
    theta = np.hstack([coef, intercept[:, None]]) if fit_intercept else np.asarray(coef, dtype=np.float64)
    if theta.shape[0] == 1:  # two classes: the logit of class 1 is theta^T x, of class 0 zero
        theta = np.vstack([np.zeros_like(theta), theta])
    Z = np.asarray(X @ theta[:, :X.shape[1]].T, dtype=np.float64) + (theta[:, -1] if fit_intercept else 0.0)
    margins = _pair_margins(Z, y)
    d = X.shape[1]
    if np.all(margins > 0):
        Xs_scale = np.max(np.abs(X), axis=0).toarray().ravel() if sparse.issparse(X) else np.max(np.abs(X), axis=0)
        size = np.abs(theta[:, :d] - theta[:, :d].mean(axis=0)).max(axis=0) * Xs_scale
        return "complete", np.flatnonzero(size >= INVOLVED * size.max()).tolist() if size.max() > 0 else []
    if margins[np.isfinite(margins)].max(initial=-np.inf) <= THRESHOLDS[0] or theta.size > MAX_COEF:
        return None, []
    Xs, scale = _scaled(X, fit_intercept)
    theta_s = theta * scale  # the same logits in the scaled columns
    tried = set()
    for T in THRESHOLDS:
        diverged = np.isfinite(margins) & (margins >= T)
        key = diverged.tobytes()
        if not diverged.any() or key in tried:
            continue
        tried.add(key)
        active = np.isfinite(margins) & ~diverged
        delta = _null_direction(Xs, y, active, theta_s)
        dm = _pair_margins(Xs @ delta.T, y)
        top = np.max(np.abs(dm[np.isfinite(dm)]), initial=0.0)
        if top == 0 or not np.isfinite(top):
            continue
        if np.all(dm[diverged] >= -POSITIVE * top) and np.all(np.abs(dm[active]) <= ZERO ** 0.5 * top):
            size = np.abs(delta[:, :d] - delta[:, :d].mean(axis=0)).max(axis=0)
            return "quasi-complete", np.flatnonzero(size >= INVOLVED * size.max()).tolist() if size.max() > 0 else []
    return None, []


def check_separation(est, X, y_enc, sample_weight):
    """After an unpenalised in-memory fit: set ``separation_`` (None, ``"complete"``, ``"quasi-complete"``)
    and ``separated_features_`` (the names of the columns involved; ``x1..xd`` without
    ``feature_names_in_``); when separated, set ``converged_`` to False and warn
    :class:`~crossentropy.exceptions.PerfectSeparationWarning` naming them.

    Examples
    --------
    >>> import numpy as np, warnings
    >>> from crossentropy import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]])
    >>> with warnings.catch_warnings(record=True):
    ...     warnings.simplefilter("always")
    ...     est = LogisticRegression(penalty=None).fit(X, [0, 0, 1, 1])
    >>> est.separation_, est.separated_features_, est.converged_
    ('complete', ['x1'], False)
    """
    with np.errstate(over="ignore"):  # only which rows have a positive weight matters
        weights = row_weights(est.class_weight, est.classes_, y_enc, sample_weight)
    kind, involved = detect_separation(X, y_enc, weights, est.coef_, est.intercept_, est.fit_intercept)
    names = [str(c) for c in getattr(est, "feature_names_in_", [f"x{j + 1}" for j in range(X.shape[1])])]
    est.separation_ = kind
    est.separated_features_ = [names[j] for j in involved]
    if kind is None:
        return
    est.converged_ = False
    warnings.warn(separation_message(est), PerfectSeparationWarning, stacklevel=4)


def separation_message(est):
    """The sentence of the warning, from ``separation_`` and ``separated_features_``."""
    cols = ", ".join(est.separated_features_) if est.separated_features_ else "the intercept"
    what = ("a hyperplane separates the classes completely" if est.separation_ == "complete" else
            "the classes are quasi-completely separated (a hyperplane separates some rows, the others lie on it)")
    return (f"{what}, along the columns {cols}: the maximum-likelihood estimate does not exist (without a penalty "
            f"those coefficients grow without bound), so converged_ is False and standard errors, z, p values and "
            f"intervals are unreliable; penalty='firth' or an l2 penalty gives finite estimates")
