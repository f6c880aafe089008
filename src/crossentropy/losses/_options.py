r"""The options of the fused and linear softmax cross-entropy: z-loss, logit soft-capping, the log-sum-exp.

Shared by :func:`~crossentropy.losses.multiclass.cross_entropy` and
:func:`~crossentropy.losses.linear.linear_cross_entropy` (and through them by :mod:`crossentropy.torch`).
On rows of logits :math:`x` (N, C), with soft-cap :math:`c` and z-loss coefficient :math:`\lambda`:

.. math::
    \tilde z = c\,\tanh(x / c),\qquad \mathrm{lse}_n = \log\sum_j e^{\tilde z_{nj}},\qquad
    \ell_n = \mathrm{CE}_n(\tilde z) + \lambda\,a_n\,\mathrm{lse}_n^2,

.. math::
    \frac{\partial \ell_n}{\partial x_{nc}} = \Big(\frac{\partial\,\mathrm{CE}_n}{\partial \tilde z_{nc}}
        + 2\lambda\,a_n\,\mathrm{lse}_n\,p_{nc}\Big)\big(1 - \tanh^2(x_{nc}/c)\big),\qquad
    p_{nc} = e^{\tilde z_{nc} - \mathrm{lse}_n},

with :math:`a_n` the row's weight in the cross-entropy's sum (the not-ignored mask times the target's
class weight times the sample weight; 1 for probability targets). Without a soft-cap
:math:`\tilde z = x` and the last factor is 1.

References
----------
Chowdhery et al., *PaLM: Scaling Language Modeling with Pathways*, JMLR 24 (2023), §5 (z-loss);
Gemma Team, *Gemma 2: Improving Open Language Models at a Practical Size* (arXiv:2408.00118, 2024), §2
(logit soft-capping).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_softcap, check_z_loss

__all__ = ["check_z_loss", "check_softcap", "active", "capped", "row_lse", "apply"]


def active(z_loss: float, softcap, return_lse: bool) -> bool:
    """Whether any option changes the rows (the kernels run unchanged when none does)."""
    return bool(z_loss) or softcap is not None or bool(return_lse)


def capped(x, softcap):
    """``(c tanh(x / c), tanh(x / c))`` for a soft-cap c, or ``(x, None)`` without one (a new array either way
    only with a soft-cap)."""
    if softcap is None:
        return x, None
    th = np.tanh(x / x.dtype.type(softcap))
    return np.ascontiguousarray(th * x.dtype.type(softcap)), th


def row_lse(z):
    """The log-sum-exp of each row of ``z`` (N, C), in ``z``'s dtype (shifted by the row maximum)."""
    m = z.max(axis=1, keepdims=True)
    return (m + np.log(np.sum(np.exp(z - m), axis=1, keepdims=True)))[:, 0]


def apply(loss, grad, z, th, lse, coef, z_loss, grad_factor):
    r"""Add the z-loss to the row losses (in place) and finish the gradient with respect to the raw logits.

    ``loss`` (N,): the cross-entropy rows of the capped logits ``z``; ``grad`` (N, C) or None: ``grad_factor``
    times their gradient with respect to ``z`` (changed in place); ``th``: the tanh of :func:`capped` or None;
    ``lse`` (N,): :func:`row_lse` of ``z``; ``coef`` (N,): the rows' weights :math:`a_n`. Returns ``loss``.
    """
    if z_loss:
        a = (z_loss * coef).astype(loss.dtype, copy=False)
        loss += a * lse.astype(loss.dtype) ** 2
        if grad is not None:
            f = (grad.dtype.type(2 * grad_factor) * (a * lse).astype(grad.dtype))[:, None]
            grad += f * np.exp(z - lse[:, None])
    if grad is not None and th is not None:
        grad *= 1 - th * th
    return loss
