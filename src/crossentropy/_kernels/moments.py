r"""Weighted moments of chosen columns of dense rows about a shift, in one pass over the rows.

For the columns :math:`j` of ``cols``, the shift :math:`c` and weights :math:`w_i`:

.. math::
    m_1 = \sum_i w_i (x_{ij} - c_j), \qquad m_2 = \sum_i w_i (x_{ij} - c_j)^2 ,

so that, with :math:`\sum_i w_i = 1`, the weighted variance is :math:`m_2 - m_1^2`. A shift near the
data (a row of it) keeps :math:`m_2` of the order of the variance, so the difference loses little to
rounding (the caller bounds that loss, Chan, Golub & LeVeque 1983); the sums are in float64 whatever
X's dtype. ``tests/linear_model/test_summary_fast_paths.py`` holds them to a two-pass float64
evaluation.

References
----------
Chan, Golub & LeVeque, *Algorithms for computing the sample variance: analysis and
recommendations*, The American Statistician 37 (1983).
"""

from __future__ import annotations

from numba import njit

__all__ = ["shifted_moments"]


@njit(cache=True, nogil=True, fastmath={"contract", "reassoc", "nsz"})
def shifted_moments(X, w, cols, shift, m1, m2):  # pragma: no cover - compiled
    """Adds :math:`\\sum_i w_i (x_{ij} - c_k)` to ``m1[k]`` and :math:`\\sum_i w_i (x_{ij} - c_k)^2` to
    ``m2[k]`` for ``j = cols[k]`` (rows of weight 0 are skipped).

    Examples
    --------
    >>> import numpy as np
    >>> m1, m2 = np.zeros(1), np.zeros(1)
    >>> shifted_moments(np.array([[1.0, 5.0], [3.0, 9.0]]), np.array([0.5, 0.5]), np.array([1]), np.array([5.0]),
    ...                 m1, m2)
    >>> m1.tolist(), m2.tolist()   # deviations 0 and 4: mean 2, mean square 8, variance 8 - 4
    ([2.0], [8.0])
    """
    for i in range(X.shape[0]):
        wi = w[i]
        if wi == 0.0:
            continue
        for k in range(cols.shape[0]):
            e = float(X[i, cols[k]]) - shift[k]
            t = wi * e
            m1[k] += t
            m2[k] += t * e
