"""The linear-programme check of complete separation, kept as a test oracle (the library detects
separation from the fitted margins, :mod:`crossentropy.linear_model._separation`).

Complete separation, for which the maximum-likelihood estimate does not exist: the linear programme
(theta_k - theta_{y_i})^T x_i <= -1 for every row i of positive weight and every class k != y_i
(x with a trailing 1 for the intercept) is feasible, solved by HiGHS through ``scipy.optimize.linprog``.
References: Albert & Anderson, Biometrika 71 (1984); Konis, DPhil thesis, Oxford (2007).
"""

from __future__ import annotations

import numpy as np


def perfectly_separated(X, y_enc, sw, n_classes, fit_intercept) -> bool:
    """Whether the classes of the rows of positive weight are completely separated (module docstring)."""
    from scipy import sparse
    from scipy.optimize import linprog

    keep = np.asarray(sw) > 0
    Xk = X[keep] if sparse.issparse(X) else np.asarray(X)[keep]
    yk = np.asarray(y_enc)[keep]
    n = yk.size
    K = int(n_classes)
    Xt = sparse.csr_matrix(Xk, dtype=np.float64)
    if fit_intercept:
        Xt = sparse.hstack([Xt, np.ones((n, 1))], format="csr")
    D = Xt.shape[1]
    if K == 2:
        sign = np.where(yk == 1, -1.0, 1.0)
        A = sparse.diags(sign) @ Xt
        n_var = D
    else:
        rows, blocks = [], []
        for k in range(K):
            others = np.flatnonzero(yk != k)  # rows whose class is not k: theta_k - theta_y
            if not others.size:
                continue
            sub = Xt[others]
            own = sparse.csr_matrix((-np.ones(others.size), (np.arange(others.size), yk[others])),
                                    shape=(others.size, K))
            pick = sparse.csr_matrix((np.ones(others.size), (np.arange(others.size), np.full(others.size, k))),
                                     shape=(others.size, K))
            blocks.append(sparse.kron(pick + own, np.ones((1, D)), format="csr").multiply(
                sparse.hstack([sub] * K, format="csr")))
            rows.append(others.size)
        A = sparse.vstack(blocks, format="csr")
        n_var = K * D
    res = linprog(np.zeros(n_var), A_ub=A, b_ub=-np.ones(A.shape[0]), bounds=(None, None), method="highs")
    return res.status == 0




def ordinal_separation(X, y_enc, sw):
    """None, ``"complete"`` or ``"quasi-complete"``: separation of the levels 0..J-1 of a cumulative model
    :math:`P(Y <= j) = F(zeta_j - x^T beta)` (every level present), by two linear programmes over
    ``(beta, zeta)``. The margins of a row i of level j are ``zeta_j - x_i^T beta`` (j < J - 1) and
    ``x_i^T beta - zeta_{j-1}`` (j > 0). Complete: every margin >= 1 is feasible. Quasi-complete (when not
    complete): the largest sum of margins subject to 0 <= margin <= 1 is positive (a direction with every
    margin non-negative and some positive; Albert & Anderson's condition for the cumulative model).
    """
    from scipy.optimize import linprog

    keep = np.asarray(sw) > 0
    X, y = np.asarray(X, dtype=np.float64)[keep], np.asarray(y_enc)[keep]
    J = int(y.max()) + 1
    n, d = X.shape
    rows = []
    for i in range(n):
        if y[i] < J - 1:  # zeta_{y_i} - x_i^T beta
            rows.append(np.concatenate([-X[i], np.eye(J - 1)[y[i]]]))
        if y[i] > 0:  # x_i^T beta - zeta_{y_i - 1}
            rows.append(np.concatenate([X[i], -np.eye(J - 1)[y[i] - 1]]))
    A = np.array(rows)
    n_var = d + J - 1
    full = linprog(np.zeros(n_var), A_ub=-A, b_ub=-np.ones(len(A)), bounds=(None, None), method="highs")
    if full.status == 0:
        return "complete"
    quasi = linprog(-A.sum(axis=0), A_ub=np.vstack([-A, A]), b_ub=np.r_[np.zeros(len(A)), np.ones(len(A))],
                    bounds=(None, None), method="highs")
    return "quasi-complete" if quasi.status == 0 and -quasi.fun > 1e-7 else None
