"""Numerically stable special functions: sigmoid, log-sigmoid, softmax, log-softmax, log-sum-exp.

All functions keep the floating dtype of their input (float16 is computed in float32 and cast back;
integers become float64) and never overflow: they are exact to rounding for |z| up to 1e4 and beyond.
This module is the single home of these formulas; everything else in the package calls it.
"""

from __future__ import annotations

import numpy as np
from scipy import special as _sp

__all__ = ["sigmoid", "log_sigmoid", "softplus", "softmax", "log_softmax", "logsumexp"]


def _work(z):
    """Return (array to compute on, dtype to return)."""
    arr = np.asarray(z)
    if arr.dtype.kind != "f":
        if arr.dtype.kind not in "biu":
            raise TypeError(f"z must hold real numbers, got dtype {arr.dtype}")
        arr = arr.astype(np.float64)
    out_dtype = arr.dtype
    if arr.dtype == np.float16:
        arr = arr.astype(np.float32)
    return arr, out_dtype


def _ret(x, dtype):
    if isinstance(x, np.ndarray) and x.ndim == 0:
        return x.astype(dtype)[()]
    return np.asarray(x).astype(dtype, copy=False) if np.ndim(x) else dtype.type(x)


def sigmoid(z):
    r"""Logistic sigmoid, the hypothesis of logistic regression.

    .. math:: \sigma(z) = \frac{1}{1 + e^{-z}}

    Evaluated as ``scipy.special.expit``, which never forms ``exp(z)`` for large positive z.

    Parameters
    ----------
    z : array_like of shape (...)
        Logits.

    Returns
    -------
    ndarray of shape (...), same floating dtype as ``z``.

    Examples
    --------
    >>> import crossentropy as ce
    >>> ce.sigmoid([-2.0, 0.0, 2.0]).round(4)
    array([0.1192, 0.5   , 0.8808])

    References
    ----------
    Bishop, *Pattern Recognition and Machine Learning* (2006), eq. 4.59.
    """
    arr, dtype = _work(z)
    return _ret(_sp.expit(arr), dtype)


def log_sigmoid(z):
    r"""Logarithm of the sigmoid, :math:`\log\sigma(z) = -\log(1 + e^{-z}) = -\mathrm{softplus}(-z)`.

    Stable for large |z|: for z → −∞ it returns z (not −inf), for z → +∞ it returns −e^{−z}.

    Parameters
    ----------
    z : array_like of shape (...)

    Returns
    -------
    ndarray of shape (...), same floating dtype as ``z``.

    Examples
    --------
    >>> import crossentropy as ce
    >>> ce.log_sigmoid([-1000.0, 0.0, 30.0])
    array([-1.00000000e+03, -6.93147181e-01, -9.35762297e-14])

    References
    ----------
    Mächler, *Accurately Computing log(1 − exp(−|a|))*, CRAN Rmpfr vignette (2012).
    """
    arr, dtype = _work(z)
    return _ret(_sp.log_expit(arr), dtype)


def softplus(z):
    r"""Softplus, :math:`\log(1 + e^{z}) = \max(z, 0) + \log(1 + e^{-|z|})`.

    Parameters
    ----------
    z : array_like of shape (...)

    Returns
    -------
    ndarray of shape (...), same floating dtype as ``z``; never overflows.

    Examples
    --------
    >>> import crossentropy as ce
    >>> ce.special.softplus([-50.0, 0.0, 50.0])
    array([1.92874985e-22, 6.93147181e-01, 5.00000000e+01])

    References
    ----------
    Dugas et al., *Incorporating second-order functional knowledge for better option pricing*, NIPS 2000.
    """
    arr, dtype = _work(z)
    return _ret(-_sp.log_expit(-arr), dtype)


def _max_keep(arr, axis):
    m = np.max(arr, axis=axis, keepdims=True, initial=-np.inf)
    # rows of -inf (or an empty class axis) would give nan in arr - m; shift by 0 there instead
    return np.where(np.isfinite(m), m, 0.0).astype(arr.dtype, copy=False)


def logsumexp(z, axis=-1):
    r"""Log-sum-exp along ``axis``, :math:`\log\sum_k e^{z_k} = m + \log\sum_k e^{z_k - m}` with :math:`m = \max_k z_k`.

    Parameters
    ----------
    z : array_like of shape (..., C, ...)
    axis : int, default -1
        The axis to reduce.

    Returns
    -------
    ndarray with ``axis`` removed, same floating dtype as ``z``.

    Examples
    --------
    >>> import crossentropy as ce
    >>> float(ce.logsumexp([1000.0, 1000.0]))
    1000.6931471805599

    References
    ----------
    Blanchard, Higham & Higham, *Accurately computing the log-sum-exp and softmax functions*,
    IMA J. Numer. Anal. 41 (2021).
    """
    arr, dtype = _work(z)
    m = _max_keep(arr, axis)
    s = np.sum(np.exp(arr - m), axis=axis, keepdims=True)
    with np.errstate(divide="ignore"):
        out = np.log(s) + m
    return _ret(np.squeeze(out, axis=axis), dtype)


def log_softmax(z, axis=-1):
    r"""Log of the softmax along ``axis``, :math:`\log p_k = z_k - \log\sum_j e^{z_j}`.

    Parameters
    ----------
    z : array_like of shape (..., C, ...)
    axis : int, default -1
        The class axis.

    Returns
    -------
    ndarray of the shape and floating dtype of ``z``; entries ≤ 0, finite for finite ``z``.

    Examples
    --------
    >>> import crossentropy as ce
    >>> ce.log_softmax([0.0, 1e4]).tolist()
    [-10000.0, 0.0]

    References
    ----------
    Goodfellow, Bengio & Courville, *Deep Learning* (2016), §6.2.2.3.
    """
    arr, dtype = _work(z)
    m = _max_keep(arr, axis)
    shifted = arr - m
    with np.errstate(divide="ignore"):
        out = shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
    return _ret(out, dtype)


def softmax(z, axis=-1):
    r"""Softmax along ``axis``, :math:`p_k = e^{z_k - m} / \sum_j e^{z_j - m}` with :math:`m = \max_j z_j`.

    Parameters
    ----------
    z : array_like of shape (..., C, ...)
    axis : int, default -1
        The class axis.

    Returns
    -------
    ndarray of the shape and floating dtype of ``z``; each slice along ``axis`` sums to 1.

    Examples
    --------
    >>> import crossentropy as ce
    >>> ce.softmax([1.0, 2.0, 3.0]).round(4)
    array([0.09  , 0.2447, 0.6652])

    References
    ----------
    Bridle, *Probabilistic interpretation of feedforward classification network outputs* (1990).
    """
    arr, dtype = _work(z)
    e = np.exp(arr - _max_keep(arr, axis))
    e /= np.sum(e, axis=axis, keepdims=True)
    return _ret(e, dtype)
