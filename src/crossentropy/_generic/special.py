r"""The stable special functions of :mod:`crossentropy.special` for any array API namespace ``xp``.

The same formulas: :math:`\sigma(z)` from :math:`e^{-|z|}` on each side of 0, softplus as
:math:`\max(z, 0) + \operatorname{log1p}(e^{-|z|})`, and the log-sum-exp in the ``log1p`` form of
Blanchard, Higham & Higham (2021) about the row maximum.
"""

from __future__ import annotations

from ._common import as_array, device_of


def _work(xp, z):
    """``(array to compute on, dtype to return)``: integers become float64, float16 is computed in float32."""
    arr = as_array(xp, z)
    if xp.isdtype(arr.dtype, ("integral", "bool")):
        arr = xp.astype(arr, xp.float64)
    elif not xp.isdtype(arr.dtype, "real floating"):
        raise TypeError(f"z must hold real numbers, got dtype {arr.dtype}")
    dtype = arr.dtype
    if dtype == getattr(xp, "float16", None):  # not in the standard; NumPy, PyTorch, CuPy and JAX have it
        arr = xp.astype(arr, xp.float32)
    return arr, dtype


def sigmoid(xp, z):
    arr, dtype = _work(xp, z)
    e = xp.exp(-xp.abs(arr))
    return xp.astype(xp.where(arr >= 0, 1 / (1 + e), e / (1 + e)), dtype)


def _softplus(xp, arr):
    return xp.maximum(arr, xp.zeros_like(arr)) + xp.log1p(xp.exp(-xp.abs(arr)))


def log_sigmoid(xp, z):
    arr, dtype = _work(xp, z)
    return xp.astype(-_softplus(xp, -arr), dtype)


def softplus(xp, z):
    arr, dtype = _work(xp, z)
    return xp.astype(_softplus(xp, arr), dtype)


def _flat_for(xp, arr, axis):
    from .._validation import check_int

    if axis is not None:
        check_int(axis, "axis")
    if axis is None or arr.ndim == 0:
        return xp.reshape(arr, (-1,)), 0
    if not -arr.ndim <= axis < arr.ndim:
        raise ValueError(f"axis={axis} is out of range for z with {arr.ndim} dimension(s)")
    return arr, int(axis) % arr.ndim


def shifted_log_norm(xp, arr, ax):
    r"""``(m, z - m, log sum_j exp(z_j - m))`` along ``ax`` (kept), as :func:`crossentropy.special._shifted_log_norm`:
    the sum without the maximum's own term goes through ``log1p``; rows of -inf give -inf."""
    shape = list(arr.shape)
    shape[ax] = 1
    if arr.shape[ax] == 0:
        m = xp.zeros(tuple(shape), dtype=arr.dtype, device=device_of(arr))
        return m, arr, xp.full(tuple(shape), -xp.inf, dtype=arr.dtype, device=device_of(arr))
    m = xp.max(arr, axis=ax, keepdims=True)
    m = xp.where(xp.isfinite(m), m, xp.zeros_like(m))
    shifted = arr - m
    e = xp.exp(shifted)
    k = xp.argmax(arr, axis=ax, keepdims=True)
    pos_shape = [1] * arr.ndim
    pos_shape[ax] = arr.shape[ax]
    positions = xp.reshape(xp.arange(arr.shape[ax], device=device_of(arr)), tuple(pos_shape))
    top = xp.max(shifted, axis=ax, keepdims=True)  # 0, or -inf on rows of -inf
    rest = xp.sum(xp.where(positions == k, xp.zeros_like(e), e), axis=ax, keepdims=True)
    return m, shifted, xp.log1p(rest + xp.expm1(top))


def logsumexp(xp, z, axis=-1):
    arr, dtype = _work(xp, z)
    flat, ax = _flat_for(xp, arr, axis)
    m, _, log_norm = shifted_log_norm(xp, flat, ax)
    return xp.astype(xp.squeeze(m + log_norm, axis=ax), dtype)


def log_softmax(xp, z, axis=-1):
    arr, dtype = _work(xp, z)
    flat, ax = _flat_for(xp, arr, axis)
    _, shifted, log_norm = shifted_log_norm(xp, flat, ax)
    return xp.astype(xp.reshape(shifted - log_norm, arr.shape), dtype)


def softmax(xp, z, axis=-1):
    arr, dtype = _work(xp, z)
    flat, ax = _flat_for(xp, arr, axis)
    m = xp.max(flat, axis=ax, keepdims=True)
    e = xp.exp(flat - xp.where(xp.isfinite(m), m, xp.zeros_like(m)))
    return xp.astype(xp.reshape(e / xp.sum(e, axis=ax, keepdims=True), arr.shape), dtype)
