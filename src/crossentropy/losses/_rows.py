r"""Row kernels for softmax cross-entropy on a 2-D block of logits (N, C), in NumPy.

These are the only place where the softmax cross-entropy value and gradient are written out.
They trust their inputs (validated by the public functions). With :math:`z = x - \max_c x_c`,
:math:`s = \sum_c e^{z_c}` and the per-row target weights :math:`q_{nc}`,

.. math::
    \ell_n = \sum_c q_{nc}\,(\log s_n - z_{nc}), \qquad
    \frac{\partial \ell_n}{\partial x_{nc}} = \Big(\sum_j q_{nj}\Big)\,p_{nc} - q_{nc}.

For class-index targets with class weights :math:`w`, smoothing :math:`\varepsilon` and the
not-ignored mask :math:`k_n`: :math:`q_{nc} = k_n\,[(1-\varepsilon)\,w_{y_n}\,\delta_{c y_n} + \tfrac{\varepsilon}{C} w_c]`
(PyTorch's label-smoothing formula); for probability targets :math:`q_{nc} = w_c\,[(1-\varepsilon)\,t_{nc} + \varepsilon/C]`.

The fused numba kernels of :mod:`crossentropy._kernels` compute these same formulas for class-index
targets in one pass (``hard_rows`` dispatches to them); the NumPy code here is their reference.
"""

from __future__ import annotations

import numpy as np


def _exp_shifted(x):
    """Return (z, e, s): z = x - rowmax, e = exp(z), s = row sums of e."""
    z = x - x.max(axis=1, keepdims=True)
    e = np.exp(z)
    return z, e, e.sum(axis=1)


def hard_rows(x, y, keep, weight, eps, need_grad, *, scale=1.0, out=None, fused=True):
    """Per-row loss (N,) and gradient (N, C) of the sum, for class-index targets.

    ``y`` must hold a valid index on every row (ignored rows may hold any valid index, e.g. 0).
    ``keep`` multiplies each row: a boolean not-ignored mask, or float per-row (sample) weights,
    which the linear-model objective passes (0 on ignored rows). The gradient is multiplied by
    ``scale`` and written into ``out`` (shape (N, C), dtype of ``x``; may be ``x`` itself) when given.

    C-contiguous float32/float64 ``x`` goes to the fused numba kernel
    (:func:`crossentropy._kernels.fused_hard_rows`: same formulas and result types, one pass,
    multi-threaded); ``fused=False`` runs this NumPy code, the reference.
    """
    if fused and _fusable(x):
        from .._kernels import fused_hard_rows  # numba: imported and compiled (or loaded) on first use

        return fused_hard_rows(x, y, keep, weight, eps, need_grad, scale=scale, out=out)
    loss, e = _hard_rows_numpy(x, y, keep, weight, eps, need_grad)
    if e is not None:
        if scale != 1.0:
            e *= e.dtype.type(scale)
        if out is not None:
            np.copyto(out, e)
            e = out
    return loss, e


def _fusable(x) -> bool:
    return x.ndim == 2 and x.dtype in (np.float32, np.float64) and x.flags.c_contiguous and x.size > 0


def _hard_rows_numpy(x, y, keep, weight, eps, need_grad):
    n, c = x.shape
    z, e, s = _exp_shifted(x)
    log_s = np.log(s)
    rows = np.arange(n)
    w_y = keep.astype(x.dtype) if weight is None else (weight[y] * keep).astype(x.dtype)
    loss = w_y * (log_s - z[rows, y])
    if eps:
        w_sum = c if weight is None else weight.sum()
        zw = z.sum(axis=1) if weight is None else z @ weight.astype(x.dtype)
        loss = (1 - eps) * loss + (eps / c) * keep * (w_sum * log_s - zw)
    if not need_grad:
        return loss, None
    a = (1 - eps) * w_y + (eps / c) * (c if weight is None else weight.sum()) * keep
    e *= (a / s)[:, None]
    e[rows, y] -= (1 - eps) * w_y
    if eps:
        w_row = np.ones(c, dtype=x.dtype) if weight is None else weight.astype(x.dtype)
        e -= (eps / c) * keep[:, None] * w_row[None, :]
    return loss, e


def soft_rows(x, q, weight, eps, need_grad):
    """Per-row loss (N,) and gradient (N, C) of the sum, for probability targets ``q`` of shape (N, C)."""
    c = x.shape[1]
    z, e, s = _exp_shifted(x)
    if eps:
        q = (1 - eps) * q + eps / c
    if weight is not None:
        q = q * weight.astype(x.dtype)
    q_sum = q.sum(axis=1)
    loss = q_sum * np.log(s) - np.einsum("nc,nc->n", q, z)
    if not need_grad:
        return loss, None
    e *= (q_sum / s)[:, None]
    e -= q
    return loss, e
