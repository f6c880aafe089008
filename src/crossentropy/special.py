"""Numerically stable special functions: sigmoid, log-sigmoid, softmax, log-softmax, log-sum-exp.

All functions keep the floating dtype of their input (float16 is computed in float32 and cast back;
integers become float64) and never overflow: they are exact to rounding for |z| up to 1e4 and beyond.
This module is the single home of these formulas; everything else in the package calls it.
"""

from __future__ import annotations

import numpy as np
from scipy import special as _sp

from ._array_api import array_api
from ._generic import special as _generic

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


@array_api(_generic.sigmoid)
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


@array_api(_generic.log_sigmoid)
def log_sigmoid(z):
    r"""Logarithm of the sigmoid, never formed as the log of a sigmoid.

    .. math:: \log\sigma(z) = -\log(1 + e^{-z}) = -\mathrm{softplus}(-z)

    Stable for large :math:`|z|`: for z → −∞ it returns z (not −inf), for z → +∞ it returns −e^{−z}.

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


@array_api(_generic.softplus)
def softplus(z):
    r"""Softplus, the smooth ramp whose derivative is the sigmoid.

    .. math:: \mathrm{softplus}(z) = \log(1 + e^{z}) = \max(z, 0) + \operatorname{log1p}(e^{-|z|})

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


def _shifted_log_norm(arr, axis):
    r"""Return ``(m, z - m, log sum_j exp(z_j - m))`` along ``axis``, with m the row maximum (kept dims).

    The log-normaliser is computed as :math:`\log1p(\sum_{j \ne k} e^{z_j - m})` with k the position
    of the maximum (Blanchard, Higham & Higham 2021, algorithm 2): when one entry dominates the sum
    is 1 + tiny, and ``log(sum)`` would keep only the absolute precision of that 1. Rows of -inf give
    -inf (the max entry contributes :math:`e^{-\infty}=0`, handled by ``expm1`` of its shifted value).
    """
    m = _max_keep(arr, axis)
    shifted = arr - m
    e = np.exp(shifted)
    if arr.shape[axis] == 0:
        with np.errstate(divide="ignore"):
            return m, shifted, np.log(np.sum(e, axis=axis, keepdims=True))
    k = np.argmax(arr, axis=axis, keepdims=True)
    top = np.take_along_axis(shifted, k, axis=axis)  # 0, or -inf on rows of -inf
    np.put_along_axis(e, k, 0.0, axis=axis)
    with np.errstate(divide="ignore"):
        return m, shifted, np.log1p(np.sum(e, axis=axis, keepdims=True) + np.expm1(top))


def _flat_for(arr, axis):
    """``(array, axis)`` to reduce: a scalar is one element, ``axis=None`` all elements (flattened)."""
    if axis is not None and (isinstance(axis, (bool, np.bool_)) or not isinstance(axis, (int, np.integer))):
        raise TypeError(f"axis must be an integer or None, got {axis!r}")
    if axis is None or arr.ndim == 0:
        return arr.reshape(-1), -1
    return arr, int(axis)


@array_api(_generic.logsumexp)
def logsumexp(z, axis=-1):
    r"""Log-sum-exp along ``axis``, shifted by the maximum so that nothing overflows.

    .. math::
        \operatorname{LSE}(z) = \log\sum_k e^{z_k}
            = m + \operatorname{log1p}\Big(\sum_{k \ne k^*} e^{z_k - m}\Big),
        \qquad m = z_{k^*} = \max_k z_k

    The ``log1p`` form keeps full relative precision when one entry dominates.

    Parameters
    ----------
    z : array_like of shape (..., C, ...), or a scalar (one element)
    axis : int or None, default -1
        The axis to reduce; None reduces over all elements (as ``scipy.special.logsumexp``).

    Returns
    -------
    ndarray with ``axis`` removed, same floating dtype as ``z`` (-inf for an empty axis).

    Examples
    --------
    >>> import crossentropy as ce
    >>> float(ce.logsumexp([1000.0, 1000.0]))
    1000.6931471805599
    >>> float(ce.logsumexp([0.0, -40.0]))  # log(1 + e^-40), not 0
    4.248354255291589e-18

    References
    ----------
    Blanchard, Higham & Higham, *Accurately computing the log-sum-exp and softmax functions*,
    IMA J. Numer. Anal. 41 (2021).
    """
    arr, dtype = _work(z)
    flat, ax = _flat_for(arr, axis)
    m, _, log_norm = _shifted_log_norm(flat, ax)
    return _ret(np.squeeze(m + log_norm, axis=ax), dtype)


@array_api(_generic.log_softmax)
def log_softmax(z, axis=-1):
    r"""Log of the softmax along ``axis``, never formed as the log of a softmax.

    .. math::
        \log p_k = z_k - \operatorname{LSE}(z) = (z_k - m) - \operatorname{log1p}\Big(\sum_{j \ne j^*} e^{z_j - m}\Big)

    with :math:`m = z_{j^*} = \max_j z_j` (see :func:`logsumexp`).

    Parameters
    ----------
    z : array_like of shape (..., C, ...), or a scalar (one class: 0.0)
    axis : int or None, default -1
        The class axis; None normalises over all elements (as ``scipy.special.log_softmax``).

    Returns
    -------
    ndarray of the shape and floating dtype of ``z``; entries ≤ 0, finite for finite ``z``.

    Examples
    --------
    >>> import crossentropy as ce
    >>> ce.log_softmax([0.0, 1e4]).tolist()
    [-10000.0, 0.0]
    >>> ce.log_softmax([1.0, 2.0, 3.0]).round(4)
    array([-2.4076, -1.4076, -0.4076])

    References
    ----------
    Goodfellow, Bengio & Courville, *Deep Learning* (2016), §6.2.2.3; Blanchard, Higham & Higham,
    IMA J. Numer. Anal. 41 (2021).
    """
    arr, dtype = _work(z)
    flat, ax = _flat_for(arr, axis)
    _, shifted, log_norm = _shifted_log_norm(flat, ax)
    return _ret((shifted - log_norm).reshape(arr.shape), dtype)


@array_api(_generic.softmax)
def softmax(z, axis=-1):
    r"""Softmax along ``axis``, shifted by the maximum so that nothing overflows.

    .. math:: p_k = \frac{e^{z_k}}{\sum_j e^{z_j}} = \frac{e^{z_k - m}}{\sum_j e^{z_j - m}}, \qquad m = \max_j z_j

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
