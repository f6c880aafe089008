r"""Average marginal effects of a fitted logistic or softmax model, with delta-method standard errors.

With the coefficients relative to class 0 as the rows of :math:`B` (:math:`K \times q`, row 0 zero;
two classes: :math:`K = 2`), :math:`p_{ik} = \mathrm{softmax}_k(B x_i)` and :math:`\bar\beta_i =
\sum_l p_{il} \beta_l`, the derivative of a class probability with respect to a term is

.. math::
    \frac{\partial p_{ik}}{\partial x_{ic}} = p_{ik}\,(\beta_{kc} - \bar\beta_{ic}),

(:math:`p_i(1 - p_i)\beta_c` for two classes) and its average over the rows, counting row :math:`i`
:math:`s_i` times, is :math:`\mathrm{AME}_{kc} = \sum_i s_i\,p_{ik}(\beta_{kc} - \bar\beta_{ic}) /
\sum_i s_i`. Every term is treated as continuous (statsmodels' ``get_margeff`` default), the constant
has none. Its Jacobian with respect to :math:`\beta_{ld}` (:math:`l = 1..K-1`) is the weighted mean of

.. math::
    p_{ik}(\delta_{kl} - p_{il})\,x_{id}\,(\beta_{kc} - \bar\beta_{ic})
    + \delta_{cd}\,p_{ik}(\delta_{kl} - p_{il})
    - p_{ik}\,p_{il}\,x_{id}\,(\beta_{lc} - \bar\beta_{ic}),

and the delta method gives :math:`\mathrm{Cov}(\mathrm{AME}) = G\,V\,G^\top` for the coefficients'
covariance :math:`V` (any ``cov_type``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .._validation import check_real

__all__ = ["average_marginal_effects", "BLOCK_BUDGET"]

#: bytes of the per-block working arrays of the Jacobian (read at each call)
BLOCK_BUDGET = 64 * 2**20


def average_marginal_effects(design, cov, alpha=0.05):
    r"""Average marginal effects :math:`d p_k / d x_c` over the rows, with delta-method inference.

    Equal to statsmodels' ``get_margeff(at="overall", method="dydx")`` on ``Logit`` and ``MNLogit``
    (the formulas are in the module's docstring; the Jacobian is analytic where statsmodels
    differentiates numerically by complex steps).

    Parameters
    ----------
    design : FittedDesign
    cov : ndarray of shape (m, m)
        The coefficients' covariance, e.g. from
        :func:`~crossentropy.linear_model._covariance.covariance`.
    alpha : float in (0, 1), default 0.05
        The intervals' level is :math:`1 - \alpha`.

    Returns
    -------
    pandas.DataFrame
        One row per non-constant term (for softmax per class and term, class-major, classes
        :math:`0..K-1`: effects on every class's probability, which sum to zero over the classes):
        ``term``, ``class`` (softmax), ``dydx``, ``std_err``, ``z``, ``p_value``, ``ci_low``,
        ``ci_high``. The effects' covariance matrix is in ``.attrs["cov"]``.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.linear_model._design import FittedDesign
    >>> X = np.column_stack([np.ones(2), [0.0, 1.0]])
    >>> d = FittedDesign(X, ("const", "x"), (None, "x"), np.array([0.0, 0.0]), np.array([0, 1]), np.ones(2), 2)
    >>> ame = average_marginal_effects(d, np.diag([1.0, 4.0]))   # p = 1/2: dydx = beta / 4, se = 2 / 4
    >>> ame[["term", "dydx", "std_err"]]
      term  dydx  std_err
    0    x   0.0      0.5

    References
    ----------
    Greene, *Econometric Analysis*, 7th ed. (2012), §17.3 and §18.2 (marginal effects of the logit and
    multinomial logit, the delta method); statsmodels, ``statsmodels/discrete/discrete_margins.py``.
    """
    alpha = check_real(alpha, "alpha", low=0, high=1, low_open=True, high_open=True)
    m = design.n_params
    cov = np.asarray(cov, dtype=np.float64)
    if cov.shape != (m, m) or not np.all(np.isfinite(cov)):
        raise ValueError(f"cov must be a finite array of shape ({m}, {m}), got shape {cov.shape}")
    effects, jac = _effects_and_jacobian(design)
    terms = [t for t, col in enumerate(design.columns) if col is not None]
    K, q = effects.shape
    classes = [1] if design.binary else list(range(K))
    pick = [k * q + t for k in classes for t in terms]
    dydx = effects.ravel()[pick]
    G = jac.reshape(K * q, -1)[pick]
    V = G @ cov @ G.T
    se = np.sqrt(np.clip(np.diag(V), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(se > 0, dydx / np.where(se > 0, se, 1.0), np.nan)
    crit = float(stats.norm.ppf(1 - alpha / 2))
    out = pd.DataFrame({
        "term": [design.names[t] for _ in classes for t in terms],
        "class": [k for k in classes for _ in terms],
        "dydx": dydx, "std_err": se, "z": z, "p_value": 2 * stats.norm.sf(np.abs(z)),
        "ci_low": dydx - crit * se, "ci_high": dydx + crit * se,
    })
    if design.binary:
        out = out.drop(columns="class")
    out.attrs["cov"] = 0.5 * (V + V.T)
    return out


def _effects_and_jacobian(design):
    """The AMEs (K, q) for every class and term and their Jacobian (K, q, K-1, q) in the coefficients."""
    X = np.asarray(design.X, dtype=np.float64)
    n, q = X.shape
    K = design.n_classes
    L = K - 1
    B = np.zeros((K, q))
    B[1:] = np.asarray(design.params, dtype=np.float64).reshape(L, q)
    s = np.asarray(design.sample_weight, dtype=np.float64)
    P = design.probabilities()
    eye = np.eye(K)[:, 1:]  # delta_{kl}, l = 1..K-1
    effects = np.zeros((K, q))
    jac = np.zeros((K, q, L, q))
    step = int(max(1, min(n, BLOCK_BUDGET // (8 * (2 * K * L * q + 2 * K * q + q)))))
    for a in range(0, n, step):
        b = slice(a, min(n, a + step))
        Xb, Pb, sb = X[b], P[b], s[b]
        D = B[None, :, :] - (Pb @ B)[:, None, :]           # (rows, K, q): beta_k - beta_bar_i
        sP = sb[:, None] * Pb
        effects += np.einsum("ik,ikc->kc", sP, D)
        A = sP[:, :, None] * (eye[None] - Pb[:, None, 1:])  # s_i p_ik (delta_kl - p_il)
        jac += np.einsum("iklc,id->kcld", A[:, :, :, None] * D[:, :, None, :], Xb, optimize=True)
        jac -= np.einsum("iklc,id->kcld", sP[:, :, None, None] * (Pb[:, None, 1:, None] * D[:, None, 1:, :]), Xb,
                         optimize=True)
        idx = np.arange(q)
        jac[:, idx, :, idx] += A.sum(axis=0)[None]          # delta_cd term
    total = s.sum()
    return effects / total, jac / total
