"""The one reduction vocabulary of the package: ``"none"``, ``"mean"``, ``"sum"``.

``"mean"`` and ``"sum"`` return a NumPy float64 scalar accumulated in float64 (also for float32
input); ``"none"`` returns the per-element array.
"""

from __future__ import annotations

import math

import numpy as np


def reduce_loss(per_element: np.ndarray, reduction: str, denominator: float | None = None):
    """Reduce ``per_element`` losses.

    ``denominator`` overrides the element count used by ``"mean"`` (PyTorch's weighted mean divides by
    the sum of the targets' class weights). A zero denominator gives 0.0 rather than NaN.

    When the plain float64 sum of finite losses overflows, the losses are divided by the power of two
    below their largest magnitude (exact), summed, divided by the denominator and scaled back: a mean
    of finite losses is then always finite, e.g. the mean of two losses of 1.7e308 is 1.7e308
    (PyTorch returns inf there). ``"sum"`` is inf only when the true sum exceeds the largest float64,
    as in PyTorch.
    """
    if reduction == "none":
        return np.asarray(per_element)  # a 0-d array, not a NumPy scalar, for 0-d input
    with np.errstate(over="ignore"):
        total = np.sum(per_element, dtype=np.float64)
    den = per_element.size if denominator is None else denominator
    if math.isinf(total) and np.isfinite(per_element).all():
        scale = power_of_two_below(float(np.max(np.abs(per_element))))
        with np.errstate(over="ignore"):
            scaled = np.sum(np.asarray(per_element, dtype=np.float64) / scale)
            if reduction == "sum":
                return np.float64(scaled * scale)
            return np.float64(scaled / den * scale) if den != 0 else np.float64(0.0)
    if reduction == "sum":
        return np.float64(total)
    return np.float64(total / den) if den != 0 else np.float64(0.0)


def grad_scale(reduction: str, size: int, denominator: float | None = None) -> float:
    """The factor d(reduced loss)/d(per-element loss): 1 for ``"sum"`` and ``"none"``, 1/denominator for ``"mean"``."""
    if reduction != "mean":
        return 1.0
    den = size if denominator is None else denominator
    return 1.0 / den if den != 0 else 0.0


def compute_dtype(dtype: np.dtype) -> np.dtype:
    """float16 is computed in float32 (and cast back); float32 and float64 stay as they are."""
    return np.dtype(np.float32) if dtype == np.float16 else np.dtype(dtype)


def power_of_two_below(m: float) -> float:
    r"""The power of two :math:`2^{e-1}` with :math:`2^{e-1} \le m < 2^e`, for finite ``m > 0`` (else 1.0).

    Dividing weights by it is exact (outside the subnormal range) and leaves their maximum in [1, 2): the
    sums of weighted losses and the weighted-mean denominators can then neither overflow nor underflow,
    and in the usual range the results are the same to the last bit as without the division.

    Examples
    --------
    >>> power_of_two_below(3.0), power_of_two_below(1e308) == 2.0 ** 1023, power_of_two_below(0.0)
    (2.0, True, 1.0)
    """
    if not (m > 0 and math.isfinite(m)):
        return 1.0
    return math.ldexp(1.0, math.frexp(m)[1] - 1)


def normalise_weights(w, used=None):
    r"""``(w / m, m)`` with :math:`m` the power of two below the largest of ``used`` (default: all of ``w``).

    The weighted losses of this package are computed with :math:`w/m` and the result multiplied by
    :math:`m` (``"sum"``, ``"none"``) or not at all (a weighted mean is unchanged), so that any finite
    weights, 1e-320 or 1e308, give the value of the definition evaluated in float64. With ``used``
    (the weights that actually enter the loss, e.g. those of the targets' classes), the others are
    capped at 2 after the division: they are never read, and must not become inf. None gives
    ``(None, 1.0)``.

    Examples
    --------
    >>> normalise_weights(np.array([1e308, 4e307]))[0].round(3).tolist()   # divided by 2**1023
    [1.113, 0.445]

    References
    ----------
    Higham, *Accuracy and Stability of Numerical Algorithms* (2002), §2.1 (scaling by powers of the base is exact).
    """
    if w is None:
        return None, 1.0
    w = np.asarray(w, dtype=np.float64)
    pool = w if used is None else np.asarray(used, dtype=np.float64)
    m = power_of_two_below(float(np.max(np.abs(pool)))) if pool.size else 1.0
    with np.errstate(over="ignore"):
        scaled = w / m
    if used is not None:
        scaled = np.clip(scaled, -2.0, 2.0)
    return scaled, m


def needs_float64(weight, grad_factor: float, dtype) -> bool:
    """Whether float16/32 arithmetic would overflow or lose the (normalised) weights: compute in float64 then.

    True when the gradient factor (at most twice the factor times the largest weight, which is below 2)
    could overflow ``dtype``, or when a positive weight is below ``dtype``'s smallest normal number.
    """
    if np.dtype(dtype) == np.float64:
        return False
    info = np.finfo(dtype)
    if 4.0 * abs(grad_factor) > float(info.max):
        return True
    if weight is None:
        return False
    pos = np.abs(weight[weight != 0])
    return bool(pos.size and pos.min() < float(info.tiny))


def mean_denominator(used, w_scale: float):
    r"""``(shift, den)`` with which a weighted mean of losses computed with ``w / w_scale`` is
    :math:`2^{\mathrm{shift}} \sum_n \ell'_n / \mathrm{den}` (PyTorch's :math:`\sum_n \ell_n / \sum_n k_n w_{y_n}`).

    ``used``: the weights :math:`k_n w_{y_n}` of the rows that count (raw, not divided). With :math:`m_y`
    the power of two below their maximum, ``den`` = :math:`\sum_n k_n w_{y_n} / m_y` (between 1 and 2N: it
    neither overflows nor underflows) and :math:`2^{\mathrm{shift}}` = ``w_scale`` / :math:`m_y` (an
    integer exponent: the ratio itself may exceed the float range), 0 when the weights were divided by
    the targets' own maximum. No row that counts (or all weights 0) gives ``den`` = 0. Apply the shift
    with :func:`scaled_by`.

    Examples
    --------
    >>> mean_denominator(np.array([2.0 ** -1000, 3 * 2.0 ** -1000]), 1.0)   # 1.0 = 2**999 * 2**-999
    (999, 2.0)
    """
    used = np.asarray(used, dtype=np.float64)
    m_y = power_of_two_below(float(used.max())) if used.size else 1.0
    den = float(np.sum(used / m_y))
    return math.frexp(w_scale)[1] - math.frexp(m_y)[1], den


def scaled_by(value, shift: int):
    """``value * 2**shift`` without an intermediate overflow (inf only when the result overflows).

    Examples
    --------
    >>> float(scaled_by(3.0, 1100 - 1024) * 0)  # a zero stays zero
    0.0
    """
    if shift == 0:
        return value
    with np.errstate(over="ignore"):
        return np.ldexp(value, shift)
