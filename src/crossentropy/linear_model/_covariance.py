r"""Covariance matrices of the coefficients of a fitted logistic or softmax model (statsmodels' ``cov_type``).

Every type is a function of a :class:`~crossentropy.linear_model._design.FittedDesign` and is the
sandwich :math:`V = \mathcal I^{-1} B\, \mathcal I^{-1}` around the observed information
:math:`\mathcal I`, or :math:`\mathcal I^{-1}` itself for ``"nonrobust"``. With :math:`J = 1` for two
classes and :math:`J = K - 1` for softmax, row :math:`i` has the :math:`J \times m` design block
:math:`X_i = I_J \otimes x_i^\top`, the residual vector :math:`r_i = (1[y_i = k] - p_{ik})_{k=1..J}`,
the score :math:`g_i = X_i^\top r_i` and the weight matrix :math:`W_i = \mathrm{diag}(p_i) - p_i
p_i^\top` over classes :math:`1..J` (:math:`p_i(1 - p_i)` for two classes), so that
:math:`\mathcal I = \sum_i s_i X_i^\top W_i X_i`. Frequency weights :math:`s_i` are repeated rows:
every sum counts row :math:`i` :math:`s_i` times, and rows of weight zero are not observations.

The meat :math:`B = \sum_i s_i X_i^\top \tilde r_i \tilde r_i^\top X_i` uses an adjusted residual
:math:`\tilde r_i = A_i r_i`:

- ``"HC0"``: :math:`A_i = I` (White 1980).
- ``"HC1"``: HC0 times :math:`n / (n - m)`, :math:`n = \sum_i s_i`, :math:`m` the parameters
  (MacKinnon and White 1985; the ``use_correction=True`` factor of statsmodels'
  ``sandwich_covariance.cov_white_simple``). statsmodels' ``Logit(...).fit(cov_type="HC1")`` applies
  no factor and returns HC0 (its discrete models give HC0 for every HC type), so HC1 here equals
  statsmodels' HC1 formula, not that result.
- ``"HC2"``, ``"HC3"``: the GLM leverage, in the metric of :math:`W_i^{1/2}` (Long and Ervin 2000 for
  two classes; the block form of Bell and McCaffrey 2002 and Mancl and DeRouen 2001 for softmax).
  The hat block of row :math:`i` is :math:`H_i = W_i^{1/2} M_i W_i^{1/2}` with :math:`M_i = X_i
  \mathcal I^{-1} X_i^\top` (:math:`J \times J`; for two classes the leverage :math:`h_i = w_i x_i^\top
  \mathcal I^{-1} x_i`, the same for every copy of a repeated row). HC2 scales the Pearson residual
  :math:`W_i^{-1/2} r_i` by :math:`(I - H_i)^{-1/2}`: :math:`A_i = W_i^{1/2} (I - H_i)^{-1/2}
  W_i^{-1/2}` (:math:`r_i / \sqrt{1 - h_i}` for two classes); HC3 by :math:`(I - H_i)^{-1}`, which
  simplifies to :math:`A_i = W_i^{1/2}(I - H_i)^{-1}W_i^{-1/2} = (I - W_i M_i)^{-1}` (:math:`r_i / (1 -
  h_i)`). :math:`W_i^{-1/2}` is the pseudo-inverse square root: a class whose probability underflows
  to 0 is a null direction of :math:`W_i` in which :math:`r_i` has no component.
- ``"cluster"``: :math:`B = \sum_g u_g u_g^\top` with :math:`u_g = \sum_{i \in g} s_i g_i`, times
  statsmodels' correction :math:`\frac{G}{G - 1}\,\frac{n - 1}{n - m}` (``sandwich_covariance.cov_cluster``
  with ``use_correction=True``, :math:`G` the clusters among the rows of positive weight). Two
  groupings: Cameron, Gelbach and Miller's :math:`V = V_1 + V_2 - V_{12}`, each term one-way clustered
  with its own :math:`G` (:math:`V_{12}` on the intersections), as statsmodels'
  ``cov_cluster_2groups``. When that :math:`V` has a negative eigenvalue (beyond rounding), it is
  replaced by :math:`U \max(\Lambda, 0) U^\top` (Cameron, Gelbach and Miller 2011, §2.3) with a
  ``RuntimeWarning``.

The row-wise :math:`J \times J` blocks are formed for blocks of rows at once (batched matrix products
and LAPACK calls), the memory of a block bounded by :data:`BLOCK_BUDGET`.

References
----------
White, *A heteroskedasticity-consistent covariance matrix estimator*, Econometrica 48 (1980).
MacKinnon and White, *Some heteroskedasticity-consistent covariance matrix estimators with improved
finite sample properties*, J. Econometrics 29 (1985).
Long and Ervin, *Using heteroscedasticity consistent standard errors in the linear regression model*,
The American Statistician 54 (2000).
Mancl and DeRouen, *A covariance estimator for GEE with improved small-sample properties*, Biometrics
57 (2001). Bell and McCaffrey, *Bias reduction in standard errors for linear regression with
multi-stage samples*, Survey Methodology 28 (2002).
Cameron, Gelbach and Miller, *Robust inference with multiway clustering*, J. Business & Economic
Statistics 29 (2011).
statsmodels, ``statsmodels/stats/sandwich_covariance.py`` and ``statsmodels/base/covtype.py``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import linalg, sparse
from scipy.linalg import lapack

from .._blas import for_own_threads, for_products, row_threads, single_thread, split_rows, times_lower
from .._validation import check_option
from ..objective.sums import gram

__all__ = ["COV_TYPES", "ALIAS_TOL", "BLOCK_BUDGET", "LeverageError", "covariance", "inverse_information", "check_groups"]

COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster")

#: smallest scaled Cholesky pivot of an identified parameter (see :func:`inverse_information`)
ALIAS_TOL = 1e-7
#: largest number of parameters whose m x m factorisations and products run on one BLAS thread
SMALL_M = 1024
#: bytes of the per-block working arrays (read at each call): a few MB, in the last-level cache and in
#: memory the allocator reuses from block to block (fresh pages of a large temporary cost a page fault
#: each, and on a virtual machine a fault of the host too)
BLOCK_BUDGET = 4 * 2**20


def covariance(design, cov_type="nonrobust", groups=None, *, information_inverse=None):
    r"""The covariance matrix of the coefficients of a fitted model, of type ``cov_type``.

    The formulas (sandwich :math:`\mathcal I^{-1} B\,\mathcal I^{-1}`, the HC and cluster corrections,
    the leverage of HC2/HC3 and its softmax block form, two-way clustering) are in the module's
    docstring.

    Parameters
    ----------
    design : FittedDesign
        The fitted model on its reported design (coefficients at the maximum likelihood).
    cov_type : {"nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster"}, default "nonrobust"
    groups : array-like of shape (n,) or (n, 2), or a list of two arrays of shape (n,), optional
        Cluster labels (any hashable values, no missing ones), required by and only used with
        ``cov_type="cluster"``; two columns cluster two-way.
    information_inverse : ndarray of shape (m, m), optional
        :math:`\mathcal I^{-1}` when the caller has it (e.g. computed with a rank check); by default
        from a Cholesky factorisation of ``design.information()``.

    Returns
    -------
    ndarray of shape (m, m)
        In the order of ``design.flat_params`` (class-major for softmax).

    Raises
    ------
    ValueError
        A ``cov_type`` not in :data:`COV_TYPES`; ``groups`` missing, given without
        ``cov_type="cluster"``, of the wrong shape, with missing values or a single cluster;
        :math:`n \le m` for HC1/cluster; a row of leverage 1 for HC2/HC3 (:class:`LeverageError`).
    numpy.linalg.LinAlgError
        (a ValueError) The information is singular: an aliased parameter, named
        (:func:`inverse_information`), or separated classes.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.linear_model._design import FittedDesign
    >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    >>> d = FittedDesign(X, ("const", "x"), (None, "x"), np.zeros(2), np.array([0, 1, 0, 1]), np.ones(4), 2)
    >>> covariance(d).round(3)          # (X^T X / 4)^-1 at p = 1/2
    array([[ 2.8, -1.2],
           [-1.2,  0.8]])
    >>> covariance(d, "HC0").round(3)   # residuals +-1/2: B = X^T X / 4, V = I^-1 here
    array([[ 2.8, -1.2],
           [-1.2,  0.8]])
    >>> # u_a = u_b = (0, 1/2), so B = [[0, 0], [0, 1/2]]; correction 2/1 * 3/2
    >>> covariance(d, "cluster", groups=["a", "a", "b", "b"]).round(3)
    array([[ 2.16, -1.44],
           [-1.44,  0.96]])

    References
    ----------
    See the module's docstring.
    """
    cov_type = check_option(cov_type, "cov_type", COV_TYPES)
    s = np.asarray(design.sample_weight, dtype=np.float64)
    active = s > 0
    codes = check_groups(groups, cov_type, design.X.shape[0], active)
    m = design.n_params
    n_obs = float(s.sum())
    if cov_type in ("HC1", "cluster") and n_obs <= m:
        raise ValueError(f"cov_type={cov_type!r} needs more observations (sum of sample_weight {n_obs:g}) than "
                         f"parameters ({m})")
    # the meat, a Gram of the rows' m scores, sized as a fit's products; two classes: Grams and leverages
    # split by rows over the package's own threads, BLAS on one thread throughout
    with (for_own_threads if design.binary else for_products)(design.X.shape[0] * m * m):
        C = inverse_information(design) if information_inverse is None else _checked_inverse(information_inverse, m)
        if cov_type == "nonrobust":
            return C
        rows = _Rows(design, active)
        if cov_type == "cluster":
            covs = [_sandwich(C, rows.cluster_meat(c)) * _cluster_factor(c, n_obs, m) for c in codes]
            if len(covs) == 1:
                return covs[0]
            return _psd(covs[0] + covs[1] - covs[2])
        V = rows.sandwich(C, cov_type)
        return V * (n_obs / (n_obs - m)) if cov_type == "HC1" else V


def inverse_information(design):
    r""":math:`\mathcal I^{-1}`, the nonrobust covariance, by a Cholesky factorisation with a rank check.

    The information is first scaled to unit diagonal, :math:`\tilde{\mathcal I} = D^{-1/2}\mathcal I
    D^{-1/2}` (:math:`D` its diagonal), and factored :math:`\tilde{\mathcal I} = R^\top R`;
    :math:`R_{jj}^2` is the share of parameter :math:`j`'s scaled information not explained by the
    parameters before it. A parameter with :math:`R_{jj} <` :data:`ALIAS_TOL` (R's ``glm`` tolerance on
    the same scaled quantity) is aliased: :class:`numpy.linalg.LinAlgError` (a ValueError) naming it,
    never a covariance of 1e12s. Under separation the information is singular in the same way.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.linear_model._design import FittedDesign
    >>> d = FittedDesign(np.ones((4, 1)), ("const",), (None,), np.zeros(1), np.array([0, 1, 0, 1]), np.ones(4), 2)
    >>> inverse_information(d)   # 1 / (4 * 1/4)
    array([[1.]])
    >>> X = np.column_stack([np.ones(4), [0.0, 1, 2, 3], [0.0, 2, 4, 6]])
    >>> inverse_information(FittedDesign(X, ("const", "x", "2x"), (None, "x", "2x"), np.zeros(3),
    ...                                  np.array([0, 1, 0, 1]), np.ones(4), 2))
    Traceback (most recent call last):
    ...
    numpy.linalg.LinAlgError: the information matrix of design is singular: parameter 2 (term '2x') is aliased with the ones before it; drop it or pass information_inverse

    References
    ----------
    R, ``glm.fit`` (``tol = 1e-7`` of its pivoted QR on the weighted design).
    """
    info = design.information()
    if not np.all(np.isfinite(info)):
        raise np.linalg.LinAlgError("the information matrix of design is not finite: no covariance")
    d = np.sqrt(np.diag(info))
    m, q = info.shape[0], design.n_terms
    bad = np.flatnonzero(~(d > 0))
    if bad.size == 0:
        with _small_blas(m):
            R, fail = lapack.dpotrf(info / np.outer(d, d), lower=0, clean=1)
        # fail = j > 0: the leading minor of order j is not positive definite
        bad = np.array([fail - 1]) if fail > 0 else np.flatnonzero(np.diag(R) < ALIAS_TOL)
    if bad.size:
        j = int(bad[0])
        label = f"term {design.names[j % q]!r}" + ("" if design.binary else f", class {j // q + 1}")
        raise np.linalg.LinAlgError(f"the information matrix of design is singular: parameter {j} ({label}) is aliased "
                                    "with the ones before it; drop it or pass information_inverse")
    with _small_blas(m):
        Ri = linalg.solve_triangular(R, np.eye(m), lower=False, check_finite=False)
        return _symmetric((Ri @ Ri.T) / np.outer(d, d))


def _checked_inverse(C, m):
    C = np.asarray(C, dtype=np.float64)
    if C.shape != (m, m) or not np.all(np.isfinite(C)):
        raise ValueError(f"information_inverse must be a finite array of shape ({m}, {m}), got shape {C.shape}")
    return C


def check_groups(groups, cov_type, n, active):
    """Check ``groups`` against ``cov_type`` and return the cluster codes over the rows where ``active``.

    None when ``cov_type`` is not ``"cluster"``; else ``[codes]`` (one grouping) or ``[codes1, codes2,
    codes12]`` (two, and their intersections), each coded 0..G-1. ValueError naming ``groups`` (or
    ``cov_type``) for a wrong shape, missing labels, fewer than two clusters among the active rows, or
    groups given with another ``cov_type``.

    Examples
    --------
    >>> import numpy as np
    >>> check_groups(["a", "b", "a", "c"], "cluster", 4, np.array([True, True, True, False]))
    [array([0, 1, 0])]
    """
    if cov_type != "cluster":
        if groups is not None:
            raise ValueError(f"groups is only used with cov_type='cluster', got cov_type={cov_type!r}")
        return None
    if groups is None:
        raise ValueError("cov_type='cluster' needs groups (one cluster label per row)")
    if isinstance(groups, (list, tuple)) and len(groups) == 2 and all(np.ndim(g) == 1 for g in groups):
        columns = [np.asarray(g) for g in groups]
    else:
        arr = np.asarray(groups)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim == 1:
            columns = [arr]
        elif arr.ndim == 2 and arr.shape[1] == 2:
            columns = [arr[:, 0], arr[:, 1]]
        else:
            raise ValueError(f"groups must have shape ({n},) or ({n}, 2) (one or two groupings), got shape {arr.shape}")
    codes = []
    for j, g in enumerate(columns):
        if g.shape != (n,):
            raise ValueError(f"groups must hold one label per row ({n}), got shape {g.shape}")
        c, uniques = pd.factorize(g, use_na_sentinel=True)
        if np.any(c < 0):
            raise ValueError(f"groups holds missing values (NaN or None), e.g. at row {int(np.flatnonzero(c < 0)[0])}")
        c = c[active]
        if np.unique(c).size < 2:
            raise ValueError(f"groups must have at least two clusters among the rows of positive weight, got "
                             f"{np.unique(c).size}" + (f" in grouping {j}" if len(columns) == 2 else ""))
        codes.append(c)
    if len(codes) == 2:
        codes.append(pd.factorize(codes[0].astype(np.int64) * (int(codes[1].max()) + 1) + codes[1])[0])
    return [pd.factorize(c)[0] for c in codes]  # dense 0..G-1


def _cluster_factor(codes, n_obs, m):
    G = int(codes.max()) + 1
    return G / (G - 1.0) * (n_obs - 1.0) / (n_obs - m)


def _sandwich(C, B):
    with _small_blas(C.shape[0]):
        return _symmetric(C @ B @ C)


def _small_blas(m):
    """One BLAS thread for the m x m algebra when m <= SMALL_M: a few milliseconds of work, which a
    second thread only slows down (waking it took up to 0.3 s for a 153 x 153 Cholesky on a busy machine)."""
    return single_thread(m <= SMALL_M)


def _symmetric(A):
    return 0.5 * (A + A.T)


def _psd(V):
    w, U = np.linalg.eigh(V)
    if w[0] >= -1e-12 * max(abs(w[-1]), np.finfo(float).tiny):
        return V
    warnings.warn(f"the two-way cluster covariance V1 + V2 - V12 has a negative eigenvalue ({w[0]:.3g}); it is "
                  "replaced by U max(L, 0) U^T (Cameron, Gelbach and Miller's eigenvalue fix)", RuntimeWarning,
                  stacklevel=3)
    return _symmetric((U * np.maximum(w, 0.0)) @ U.T)


class _Rows:
    """The active rows' design, weights, probabilities and residuals, with the meats computed block by block."""

    def __init__(self, design, active):
        keep = slice(None) if active.all() else active
        self.index = np.flatnonzero(active)  # the design's row of each active row
        if hasattr(design.X, "fill_rows"):  # a design read in blocks of rows (self.X[b] forms block b)
            self.X = design.X if active.all() else design.X.take(active)
        else:
            self.X = np.asarray(design.X, dtype=np.float64)[keep]
        self.s = np.asarray(design.sample_weight, dtype=np.float64)[keep]
        self.P = design.probabilities()[keep]
        r = design.residuals()[keep]
        self.R = r[:, None] if r.ndim == 1 else r
        self.J = self.R.shape[1]

    def _step(self, per_row):
        """Rows per block when a row takes ``per_row`` float64 entries of working arrays."""
        return int(max(1, min(self.X.shape[0], BLOCK_BUDGET // max(8 * per_row, 1))))

    def _blocks(self, per_row):
        n = self.X.shape[0]
        step = self._step(per_row)
        for a in range(0, n, step):
            yield slice(a, min(n, a + step))

    def _scores(self, b, R):
        """The rows' scores X_i^T r_i (class-major), shape (rows, J q)."""
        X = self.X[b]
        return (R[:, :, None] * X[:, None, :]).reshape(X.shape[0], -1)

    def sandwich(self, C, cov_type):
        r""":math:`V = C B C` of ``cov_type`` (HC0/HC1's meat unscaled, HC2, HC3) around :math:`C = \mathcal I^{-1}`."""
        if cov_type not in ("HC2", "HC3"):
            return _sandwich(C, self.meat(None, cov_type))
        if self.J > 1:
            return _sandwich(C, self.meat(C, cov_type))
        try:
            with _small_blas(C.shape[0]):
                U = linalg.cholesky(C, lower=True, check_finite=False)
        except linalg.LinAlgError:
            raise ValueError("information_inverse must be positive definite") from None
        B = self._whitened_meat(U, cov_type)
        with _small_blas(C.shape[0]):
            return _symmetric(U @ B @ U.T)

    def meat(self, C, cov_type):
        r""":math:`\sum_i s_i X_i^\top \tilde r_i \tilde r_i^\top X_i`, with the HC2/HC3 adjustment when ``C``
        is given (softmax; two classes take :meth:`_whitened_meat`)."""
        q, J = self.X.shape[1], self.J
        if J == 1:  # two classes: the scores are r_i x_i, so the meat is the Gram of X weighted by s r^2
            r = self.R[:, 0]
            return _symmetric(gram(self.X, self.s * r * r, False))
        B = np.zeros((J * q, J * q))
        Cr = None if C is None else C.reshape(J, q, J, q).transpose(1, 0, 2, 3).reshape(q, J * J * q)
        for b in self._blocks(J * J * q + 4 * J * q + 8 * J * J):
            R = self.R[b] if C is None else self._adjusted(b, Cr, cov_type)
            B += gram(self._scores(b, R), self.s[b], False)  # SYRK on sqrt(s) times the rows' scores
        return _symmetric(B)

    def _whitened_meat(self, U, cov_type):
        r"""Two classes, HC2/HC3: :math:`\tilde B = \sum_i s_i \tilde r_i^2\, t_i t_i^\top` with
        :math:`t_i = U^\top x_i` (:math:`C = U U^\top`), so that :math:`V = C B C = U \tilde B U^\top`.

        The leverage :math:`h_i = w_i x_i^\top C x_i = w_i \lVert t_i\rVert^2` and the meat come from the
        same rows :math:`t_i`, a block at a time: one read of the design, one triangular product
        (:func:`~crossentropy._blas.times_lower`) and one SYRK per block, the blocks split by rows over
        the package's threads."""
        n, q = self.X.shape
        step = self._step(q + 8)

        def part(lo, hi):
            buf = np.empty((max(1, min(step, hi - lo)), q))
            B = np.zeros((q, q))
            for a in range(lo, hi, step):
                b = min(hi, a + step)
                T = times_lower(self._fill(a, b, buf[: b - a]), U)
                P = self.P[a:b]
                one_minus_h = 1.0 - P[:, 0] * P[:, 1] * np.einsum("ij,ij->i", T, T)
                _check_leverage(one_minus_h, self.index[a:b])
                adjust = one_minus_h if cov_type == "HC3" else np.sqrt(one_minus_h)
                T *= (np.sqrt(self.s[a:b]) * self.R[a:b, 0] / adjust)[:, None]
                B += T.T @ T  # NumPy's SYRK, which releases the GIL
            return B

        return _symmetric(sum(split_rows(part, n, step, row_threads(n, step))))

    def _fill(self, a, b, out):
        """Rows ``a:b`` of the active rows' design written into ``out``."""
        if hasattr(self.X, "fill_rows"):
            return self.X.fill_rows(a, b, out)
        out[...] = self.X[a:b]
        return out

    def _adjusted(self, b, Cr, cov_type):
        r""":math:`A_i r_i` for the rows of block ``b`` (softmax): HC2 :math:`W^{1/2}(I-H)^{-1/2}W^{+1/2}r`,
        HC3 :math:`(I - WM)^{-1} r`; ``Cr`` is C arranged as (q, J J q).
        """
        X, R, J = self.X[b], self.R[b], self.J
        nb, q = X.shape
        T = (X @ Cr).reshape(nb, J, J, q)
        M = np.einsum("iklc,ic->ikl", T, X)  # M_i = X_i C X_i^T
        del T
        M = 0.5 * (M + M.transpose(0, 2, 1))
        W = _weights(self.P[b])
        if cov_type == "HC3":
            A = np.eye(J) - W @ M
            _check_leverage(np.linalg.det(A), self.index[b])  # det(I - WM) = prod(1 - eig H)
            return np.linalg.solve(A, R[:, :, None])[:, :, 0]
        lam, V = np.linalg.eigh(W)
        lam = np.maximum(lam, 0.0)
        tiny = np.finfo(float).eps * J * lam[:, -1:]
        root = np.sqrt(lam)
        inv_root = np.where(lam > tiny, 1.0 / np.where(lam > tiny, root, 1.0), 0.0)
        W_half = (V * root[:, None, :]) @ V.transpose(0, 2, 1)
        e = np.einsum("ikl,il->ik", V, inv_root * np.einsum("ilk,il->ik", V, R))  # W^{+1/2} r (Pearson)
        H = W_half @ M @ W_half
        mu, U = np.linalg.eigh(0.5 * (H + H.transpose(0, 2, 1)))
        _check_leverage(np.prod(1.0 - mu, axis=1), self.index[b])
        f = np.einsum("ikl,il->ik", U, np.einsum("ilk,il->ik", U, e) / np.sqrt(1.0 - mu))
        return np.einsum("ikl,il->ik", W_half, f)

    def cluster_meat(self, codes):
        r""":math:`\sum_g u_g u_g^\top`, :math:`u_g = \sum_{i \in g} s_i X_i^\top r_i`."""
        q, J = self.X.shape[1], self.J
        n_groups = int(codes.max()) + 1
        U = np.zeros((n_groups, J * q))
        for b in self._blocks(2 * J * q):
            nb = b.stop - b.start
            ind = sparse.csr_matrix((self.s[b], (codes[b], np.arange(nb))), shape=(n_groups, nb))
            U += ind @ self._scores(b, self.R[b])
        return _symmetric(U.T @ U)


def _weights(P):
    r""":math:`W_i = \mathrm{diag}(p_i) - p_i p_i^\top` over classes 1..J, shape (rows, J, J).

    The diagonal :math:`p_k(1 - p_k)` takes :math:`1 - p_k` as the sum of the other probabilities
    (prefix plus suffix sums), which keeps its relative accuracy when :math:`p_k` is close to 1.
    """
    K = P.shape[1]
    csum = np.cumsum(P, axis=1)
    rsum = np.cumsum(P[:, ::-1], axis=1)[:, ::-1]
    others = np.zeros_like(P)
    others[:, 1:] += csum[:, :-1]
    others[:, :-1] += rsum[:, 1:]
    p = P[:, 1:]
    W = -p[:, :, None] * p[:, None, :]
    idx = np.arange(K - 1)
    W[:, idx, idx] = p * others[:, 1:]
    return W


class LeverageError(ValueError):
    """HC2/HC3 of a design with a row of leverage 1 (the row alone determines some coefficients)."""


def _check_leverage(det, rows):
    bad = ~(det > 100 * np.finfo(float).eps)
    if np.any(bad):
        row = int(rows[np.flatnonzero(bad)[0]])
        raise LeverageError(f"cov_type HC2/HC3: row {row} has leverage 1 (it alone determines some "
                         "coefficients), so the adjusted residual is undefined; use cov_type='HC0' or 'HC1'")
