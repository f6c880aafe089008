r"""Entropy, cross-entropy and Kullback–Leibler divergence of discrete distributions.

.. math:: H(p, q) = H(p) + \mathrm{KL}(p\,\|\,q)
"""

from __future__ import annotations

import numpy as np
from scipy.special import rel_entr, xlogy

from ._validation import as_float_array, check_real, check_unit_interval

__all__ = ["entropy", "cross_entropy", "kl_divergence"]

_SUM_RTOL, _SUM_ATOL = 1e-5, 1e-8


def _dist(x, name, axis):
    """``x`` as an array of distributions along ``axis``: entries in [0, 1] that sum to 1.

    The sums may differ from 1 by ``1e-8 + 1e-5`` (``np.allclose``'s tolerance, the test scipy's
    ``rv_discrete`` applies to its ``pk``), enough for rounded float32 probabilities.
    """
    arr = as_float_array(x, name)
    check_unit_interval(arr, name)
    if arr.ndim == 0:
        raise ValueError(f"{name} must have at least one dimension (the outcomes), got a scalar {float(arr)!r}")
    sums = np.sum(arr, axis=axis, dtype=np.float64)
    off = np.abs(sums - 1.0) > _SUM_ATOL + _SUM_RTOL
    if np.any(off):
        bad = np.asarray(sums)[off]
        raise ValueError(f"{name} must sum to 1 along axis {axis}, found {bad.size} distribution(s) "
                         f"summing to {', '.join(repr(float(v)) for v in bad.ravel()[:5])}")
    return arr


def _scale(base):
    if base is None:
        return 1.0
    b = check_real(base, "base", low=0, low_open=True)  # inf would give 0 for every distribution
    if b == 1:
        raise ValueError(f"base must be None (nats) or a finite positive number other than 1, got {base!r}")
    return 1.0 / np.log(b)


def _pair(p, q, axis):
    p, q = _dist(p, "p", axis), _dist(q, "q", axis)
    try:
        np.broadcast_shapes(p.shape, q.shape)
    except ValueError:
        raise ValueError(f"p and q must have broadcastable shapes, got {p.shape} and {q.shape}") from None
    return p, q


def entropy(p, *, base=None, axis=-1):
    r"""Shannon entropy of a discrete distribution along ``axis``.

    .. math:: H(p) = -\sum_k p_k \log_b p_k, \qquad 0 \log 0 = 0

    The average number of nats (b = e) or bits (b = 2) needed to encode an outcome drawn from p.

    Parameters
    ----------
    p : array_like of shape (..., K, ...), probabilities in [0, 1] that sum to 1 along ``axis``
    base : float, optional
        Logarithm base: None for nats, 2 for bits; finite, positive and not 1.
    axis : int, default -1

    Returns
    -------
    ndarray (or float64 scalar) with ``axis`` removed.

    Examples
    --------
    >>> from crossentropy import information
    >>> float(information.entropy([0.5, 0.5], base=2))
    1.0
    >>> float(information.entropy([1, 0]))   # a certain outcome: +0.0, never -0.0
    0.0

    References
    ----------
    Cover & Thomas, *Elements of Information Theory* (2006), §2.1.
    """
    factor = _scale(base)
    p = _dist(p, "p", axis)
    return -np.sum(xlogy(p, p), axis=axis) * factor + 0.0  # + 0.0 turns a zero's sign to +0.0


def cross_entropy(p, q, *, base=None, axis=-1):
    r"""Cross-entropy of distribution q relative to p along ``axis``.

    .. math:: H(p, q) = -\sum_k p_k \log_b q_k = H(p) + \mathrm{KL}(p\,\|\,q)

    The cost of encoding outcomes of p with a code built for q; with one-hot p it is the log loss
    :math:`-\log q_y`. Infinite where :math:`q_k = 0 < p_k` (q cannot encode an event p says happens).

    Parameters
    ----------
    p, q : array_like of broadcastable shapes (..., K, ...), probabilities in [0, 1] that sum to 1 along
        ``axis`` (to within ``1e-5``)
    base : float, optional
        None for nats, 2 for bits.
    axis : int, default -1

    Returns
    -------
    ndarray (or float64 scalar) with ``axis`` removed.

    Examples
    --------
    >>> from crossentropy import information
    >>> float(information.cross_entropy([1.0, 0.0], [0.5, 0.5], base=2))
    1.0

    References
    ----------
    Cover & Thomas, *Elements of Information Theory* (2006), problem 2.45; Murphy, *Probabilistic
    Machine Learning: An Introduction* (2022), §6.1.6.
    """
    factor = _scale(base)
    p, q = _pair(p, q, axis)
    with np.errstate(divide="ignore"):
        return -np.sum(xlogy(p, q), axis=axis) * factor + 0.0


def kl_divergence(p, q, *, base=None, axis=-1):
    r"""Kullback–Leibler divergence of q from p along ``axis``.

    .. math:: \mathrm{KL}(p\,\|\,q) = \sum_k p_k \log_b \frac{p_k}{q_k} \;\ge\; 0

    Zero if and only if p = q; infinite where :math:`q_k = 0 < p_k`.

    Parameters
    ----------
    p, q : array_like of broadcastable shapes (..., K, ...), probabilities in [0, 1] that sum to 1 along
        ``axis`` (to within ``1e-5``)
    base : float, optional
        None for nats, 2 for bits.
    axis : int, default -1

    Returns
    -------
    ndarray (or float64 scalar) with ``axis`` removed.

    Examples
    --------
    >>> from crossentropy import information
    >>> round(float(information.kl_divergence([0.5, 0.5], [0.9, 0.1])), 6)
    0.510826

    References
    ----------
    Kullback & Leibler, *On Information and Sufficiency*, Ann. Math. Statist. 22 (1951).
    """
    factor = _scale(base)
    p, q = _pair(p, q, axis)
    return np.sum(rel_entr(p, q), axis=axis) * factor + 0.0
