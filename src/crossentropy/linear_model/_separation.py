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
when some margin exceeds 8 and there is no complete separation, one Gram matrix per class (one pass
over X) and, per threshold, the Gram matrix of the rows with a diverged pair (skipped above
:data:`MAX_COEF` coefficients); ordinary data stop at the first threshold, whose finite pairs leave
no null space.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse

from ..exceptions import PerfectSeparationWarning
from ..objective.sums import gram
from ._covariance import _small_blas
from ._weights import row_weights

__all__ = ["detect_separation", "check_separation", "detect_ordinal_separation", "check_ordinal_separation",
           "THRESHOLDS"]

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


def _column_scale(X, fit_intercept):
    """Each column's max-abs (1 for a zero column; 1 for the intercept)."""
    if sparse.issparse(X):
        scale = np.asarray(abs(X).max(axis=0).todense()).ravel().astype(np.float64)
    else:  # max-abs without an n x d temporary
        X = np.asarray(X)
        scale = np.maximum(X.max(axis=0, initial=0.0), -X.min(axis=0, initial=0.0)).astype(np.float64)
    scale[scale == 0] = 1.0
    return np.append(scale, 1.0) if fit_intercept else scale


def _pair_margins(Z, y):
    """Margins :math:`z_{iy_i} - z_{ik}` (n, K), +inf at :math:`k = y_i`."""
    M = Z[np.arange(len(y)), y][:, None] - Z
    M[np.arange(len(y)), y] = np.inf
    return M


def _logits(X, theta, fit_intercept):
    """Logits (n, K); only the rows of ``theta`` that are not zero cost a product (two classes: one)."""
    d = X.shape[1]
    Z = np.zeros((X.shape[0], theta.shape[0]))
    for k in np.flatnonzero(np.any(theta != 0, axis=1)):
        # with a vector: NumPy's loop for an array, not BLAS (see crossentropy._blas)
        Xw = np.einsum("ij,j->i", X, theta[k, :d]) if isinstance(X, np.ndarray) else X @ theta[k, :d]
        Z[:, k] = np.asarray(Xw, dtype=np.float64).ravel() + (theta[k, d] if fit_intercept else 0.0)
    return Z


def _all_pairs_gram(X, y, K, fit_intercept, scale):
    r"""The constraints' Gram matrix over every (row, other class) pair, from one Gram per class.

    With :math:`G_c = \sum_{y_i = c} \tilde x_i \tilde x_i^\top` and :math:`T = \sum_c G_c`, the block
    :math:`(a, a)` of :math:`\sum_{i, k \ne y_i} (e_{y_i} - e_k)(e_{y_i} - e_k)^\top \otimes \tilde x_i
    \tilde x_i^\top` is :math:`T + (K - 2) G_a` and the block :math:`(a, b)` is :math:`-(G_a + G_b)`:
    one pass over X whatever K.
    """
    grams = []
    for c in range(K):
        rows = np.flatnonzero(y == c)
        Xc = X[rows]
        grams.append(gram(Xc, np.ones(rows.size), fit_intercept) / np.outer(scale, scale))
    D = scale.size
    total = sum(grams)
    G = np.empty((K * D, K * D))
    for a in range(K):
        for b in range(a, K):
            block = total + (K - 2) * grams[a] if a == b else -(grams[a] + grams[b])
            G[a * D:(a + 1) * D, b * D:(b + 1) * D] = block
            G[b * D:(b + 1) * D, a * D:(a + 1) * D] = block.T
    return G


def _pairs_gram(Xs, y, pairs, K):
    r""":math:`\sum_{(i, k) \in \text{pairs}} (e_{y_i} - e_k)(e_{y_i} - e_k)^\top \otimes \tilde x_i \tilde x_i^\top`
    (``Xs`` the scaled rows holding the pairs, ``pairs`` a boolean (rows, K))."""
    D = Xs.shape[1]
    G = np.zeros((K * D, K * D))
    A = pairs.astype(np.float64)
    diag_own = A.sum(axis=1)
    for a in range(K):
        for b in range(a, K):
            # coefficient of x_i x_i^T in block (a, b) of sum over the pairs' k of (e_y - e_k)(e_y - e_k)^T
            c = np.where(y == a, np.where(y == b, diag_own, -A[:, b]), np.where(y == b, -A[:, a],
                                                                               A[:, a] * (a == b)))
            if not np.any(c):
                continue
            block = Xs.T @ (Xs * c[:, None])
            G[a * D:(a + 1) * D, b * D:(b + 1) * D] = block
            G[b * D:(b + 1) * D, a * D:(a + 1) * D] = block.T
    return G


#: rows of finite-margin pairs per coefficient in the sample whose Gram matrix, when it already pins
#: every direction, proves that no threshold leaves a separating direction (:func:`_pinned_by_a_sample`)
SAMPLE_ROWS_PER_COEF = 20


def _pinned_by_a_sample(X, y, active, fit_intercept, scale, K):
    r"""Whether an evenly spread sample of the rows with an active pair already leaves no direction free.

    The constraints' Gram matrix of all the active pairs is that of the sample plus a positive
    semi-definite rest, so its eigenvalues are at least the sample's, index by index (Weyl). If the
    sample's :math:`(D+1)`-th smallest eigenvalue (past the D directions that move no margin) exceeds
    ``ZERO`` times a bound on the largest eigenvalue of the full matrix, its trace
    :math:`2(K-1)\sum_i \lVert\tilde x_i
Vert^2`, the full matrix has no other null direction either.
    A cheap proof for ordinary data, where a few confident rows pass the first threshold: their
    Gram matrix costs a sample of :data:`SAMPLE_ROWS_PER_COEF` rows per coefficient, not a pass.
    """
    D = scale.size
    candidates = np.flatnonzero(active.any(axis=1))
    m = min(candidates.size, SAMPLE_ROWS_PER_COEF * K * D)
    if m <= D:
        return False
    rows = candidates[np.linspace(0, candidates.size - 1, m).astype(np.intp)]
    with _small_blas(K * D):
        G = _pairs_gram(_scaled_rows(X, rows, fit_intercept, scale), y[rows], active[rows], K)
    sq = np.asarray(X.multiply(X).sum(axis=0)).ravel() if sparse.issparse(X) else np.einsum("ij,ij->j", X, X)
    trace = 2.0 * (K - 1) * (float(np.sum(sq / scale[:X.shape[1]] ** 2)) + (X.shape[0] if fit_intercept else 0.0))
    with _small_blas(G.shape[0]):
        lam = np.linalg.eigvalsh(G)
    return bool(lam[D] > ZERO * max(trace, 1.0))


def _scaled_rows(X, rows, fit_intercept, scale):
    Xr = X[rows]
    Xr = np.asarray(Xr.toarray() if sparse.issparse(Xr) else Xr, dtype=np.float64)
    if fit_intercept:
        Xr = np.hstack([Xr, np.ones((Xr.shape[0], 1))])
    return Xr / scale


def _certifies(dm, diverged, active, top):
    """Whether margins ``dm`` of a candidate direction (largest ``top``) are >= 0 on the diverged pairs and 0 on the
    active ones, up to the rounding tolerances."""
    return bool(np.all(dm[diverged] >= -POSITIVE * top) and np.all(np.abs(dm[active]) <= ZERO ** 0.5 * top))


def detect_separation(X, y_enc, weights, coef, intercept, fit_intercept):
    """``(kind, involved)``: kind None, ``"complete"`` or ``"quasi-complete"``; involved the indices of the
    feature columns of the separating direction (module docstring).

    The null space of the finite-margin pairs' constraints comes from their Gram matrix, the Gram of
    every pair (one pass over X, :func:`_all_pairs_gram`) less that of the diverged pairs (their rows
    only). The thresholds are tried from the lowest; a larger threshold diverges fewer pairs, so its
    constraints contain the lower one's: once they leave no null space, no larger threshold can.

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
    if not keep.all():
        X = X[keep] if sparse.issparse(X) else np.asarray(X)[keep]
    y = np.asarray(y_enc)[keep]
    theta = np.hstack([coef, intercept[:, None]]) if fit_intercept else np.asarray(coef, dtype=np.float64)
    if theta.shape[0] == 1:  # two classes: the logit of class 1 is theta^T x, of class 0 zero
        theta = np.vstack([np.zeros_like(theta), theta])
    margins = _pair_margins(_logits(X, theta, fit_intercept), y)
    d = X.shape[1]
    if np.all(margins > 0):
        Xs_scale = np.max(np.abs(X), axis=0).toarray().ravel() if sparse.issparse(X) else np.max(np.abs(X), axis=0)
        size = np.abs(theta[:, :d] - theta[:, :d].mean(axis=0)).max(axis=0) * Xs_scale
        return "complete", np.flatnonzero(size >= INVOLVED * size.max()).tolist() if size.max() > 0 else []
    if margins[np.isfinite(margins)].max(initial=-np.inf) <= THRESHOLDS[0] or theta.size > MAX_COEF:
        return None, []
    K = theta.shape[0]
    scale = _column_scale(X, fit_intercept)
    theta_s = theta * scale  # the same logits in the scaled columns
    finite = np.isfinite(margins)
    D = scale.size
    if _pinned_by_a_sample(X, y, finite & (margins < THRESHOLDS[0]), fit_intercept, scale, K):
        return None, []
    G_all = _all_pairs_gram(X, y, K, fit_intercept, scale)
    tried = set()
    for T in THRESHOLDS:
        diverged = finite & (margins >= T)
        key = diverged.tobytes()
        if not diverged.any() or key in tried:
            continue
        tried.add(key)
        rows = np.flatnonzero(diverged.any(axis=1))
        G = G_all - _pairs_gram(_scaled_rows(X, rows, fit_intercept, scale), y[rows], diverged[rows], K)
        with _small_blas(G.shape[0]):
            lam, V = np.linalg.eigh(G)
        null = V[:, lam <= ZERO * max(lam[-1], 1.0)]
        if null.shape[1] <= D:
            # only the D directions that add one vector to every class's coefficients, which move no
            # margin: the finite pairs pin every other direction, and so do those of a larger threshold
            return None, []
        delta = (null @ (null.T @ theta_s.ravel())).reshape(K, -1)
        dm = _pair_margins(_logits(X, delta / scale, fit_intercept), y)
        top = np.max(np.abs(dm[np.isfinite(dm)]), initial=0.0)
        if top == 0 or not np.isfinite(top):
            continue
        active = finite & ~diverged
        if _certifies(dm, diverged, active, top):
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
    if hasattr(est, "thresholds_"):  # an ordinal model
        what = ("the levels are separated completely" if est.separation_ == "complete" else
                "the levels are quasi-completely separated")
        cols = ", ".join(est.separated_features_) if est.separated_features_ else "the thresholds"
        return (f"{what} (the cumulative model gives rows their own level with probability tending to 1), along "
                f"the columns {cols}: the maximum-likelihood estimate does not exist (those coefficients and the "
                f"thresholds grow without bound), so converged_ is False and standard errors, z, p values and "
                f"intervals are unreliable; penalty='l2' gives finite estimates")
    cols = ", ".join(est.separated_features_) if est.separated_features_ else "the intercept"
    what = ("a hyperplane separates the classes completely" if est.separation_ == "complete" else
            "the classes are quasi-completely separated (a hyperplane separates some rows, the others lie on it)")
    return (f"{what}, along the columns {cols}: the maximum-likelihood estimate does not exist (without a penalty "
            f"those coefficients grow without bound), so converged_ is False and standard errors, z, p values and "
            f"intervals are unreliable; penalty='firth' or an l2 penalty gives finite estimates")


def _ordinal_constraints(X, y):
    r"""The margins' rows :math:`a_r` over :math:`(\beta, \zeta)`: :math:`\zeta_{y_i} - x_i^\top\beta` for rows below the
    top level, :math:`x_i^\top\beta - \zeta_{y_i - 1}` for rows above the lowest; dense, shape (m, d + J - 1)."""
    J1 = int(y.max())  # J - 1 thresholds (every level has rows)
    up, low = np.flatnonzero(y < J1), np.flatnonzero(y > 0)
    A = np.zeros((up.size + low.size, X.shape[1] + J1))
    A[:up.size, :X.shape[1]] = -X[up]
    A[np.arange(up.size), X.shape[1] + y[up]] = 1.0
    A[up.size:, :X.shape[1]] = X[low]
    A[up.size + np.arange(low.size), X.shape[1] + y[low] - 1] = -1.0
    return A


def detect_ordinal_separation(X, y_enc, weights, coef, thresholds):
    r"""``(kind, involved)`` for the cumulative model :math:`P(Y \le j) = F(\zeta_j - x^\top\beta)`.

    A row of level :math:`j` has probability 1 in the limit along a direction :math:`\delta = (\delta_\beta,
    \delta_\zeta)` when both its margins :math:`\delta_{\zeta,j} - x_i^\top\delta_\beta` (below the top level)
    and :math:`x_i^\top\delta_\beta - \delta_{\zeta,j-1}` (above the lowest) are non-negative: the
    maximum-likelihood estimate does not exist when some direction has every margin non-negative and some
    positive. As :func:`detect_separation`, from the fitted :math:`\hat\theta = (\hat\beta, \hat\zeta)`:
    **complete** when every margin of :math:`\hat\theta` is positive; **quasi-complete** when the projection
    of :math:`\hat\theta` onto the null space of the margins below :math:`T` (in columns scaled to max-abs 1)
    has non-negative margins on the others, zero on those, not all zero. ``involved``: the feature columns of
    the direction (none when only thresholds move).

    Examples
    --------
    >>> import numpy as np
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    >>> detect_ordinal_separation(X, np.array([0, 0, 1, 1, 2, 2]), np.ones(6), np.array([30.0]), np.array([45.0, 105.0]))
    ('complete', [0])
    >>> detect_ordinal_separation(X, np.array([0, 1, 0, 2, 1, 2]), np.ones(6), np.array([1.06]), np.array([1.45, 3.85]))
    (None, [])

    References
    ----------
    Albert and Anderson, *On the existence of maximum likelihood estimates in logistic regression models*,
    Biometrika 71 (1984); Agresti, *Analysis of Ordinal Categorical Data*, 2nd ed. (2010), §3.4.
    """
    keep = np.asarray(weights) > 0
    X = X[keep] if sparse.issparse(X) else np.asarray(X, dtype=np.float64)[keep]
    y = np.asarray(y_enc)[keep]
    coef, thresholds = np.asarray(coef, dtype=np.float64), np.asarray(thresholds, dtype=np.float64)
    eta = np.asarray(X @ coef, dtype=np.float64).ravel()
    J1 = thresholds.size
    margins = np.concatenate([thresholds[y[y < J1]] - eta[y < J1], eta[y > 0] - thresholds[y[y > 0] - 1]])
    d = X.shape[1]
    absmax = np.asarray(abs(X).max(axis=0).todense()).ravel() if sparse.issparse(X) else np.max(np.abs(X), axis=0,
                                                                                              initial=0.0)
    if np.all(margins > 0):
        size = np.abs(coef) * absmax
        return "complete", np.flatnonzero(size >= INVOLVED * size.max()).tolist() if size.max() > 0 else []
    if margins.max(initial=-np.inf) <= THRESHOLDS[0] or d + J1 > MAX_COEF:
        return None, []
    scale = np.where(absmax > 0, absmax, 1.0)
    Xs = (X.toarray() if sparse.issparse(X) else X) / scale
    A = _ordinal_constraints(Xs, y)
    theta = np.concatenate([coef * scale, thresholds])  # the same margins in the scaled columns
    tried = set()
    for T in THRESHOLDS:
        diverged = margins >= T
        key = diverged.tobytes()
        if not diverged.any() or key in tried:
            continue
        tried.add(key)
        active = ~diverged
        lam, V = np.linalg.eigh(A[active].T @ A[active])
        null = V[:, lam <= ZERO * max(lam[-1], 1.0)]
        delta = null @ (null.T @ theta)
        dm = A @ delta
        top = np.max(np.abs(dm), initial=0.0)
        if top > 0 and np.isfinite(top) and _certifies(dm, diverged, active, top):
            size = np.abs(delta[:d])
            return "quasi-complete", np.flatnonzero(size >= INVOLVED * size.max()).tolist() if size.max() > 0 else []
    return None, []


def check_ordinal_separation(est, X, y_enc, sample_weight):
    """After an unpenalised ordinal fit: ``separation_``, ``separated_features_``, and when separated
    ``converged_ = False`` and a :class:`~crossentropy.exceptions.PerfectSeparationWarning` naming the columns
    (:func:`detect_ordinal_separation`)."""
    kind, involved = detect_ordinal_separation(X, y_enc, sample_weight, est.coef_, est.thresholds_)
    names = [str(c) for c in getattr(est, "feature_names_in_", [f"x{j}" for j in range(X.shape[1])])]
    est.separation_ = kind
    est.separated_features_ = [names[j] for j in involved]
    if kind is not None:
        est.converged_ = False
        warnings.warn(separation_message(est), PerfectSeparationWarning, stacklevel=4)
