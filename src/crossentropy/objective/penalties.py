r"""Penalties as values: immutable objects that know their value, gradient, proximal step and optimality.

An objective is a datafit plus a penalty, :math:`J(\theta) = c L(\theta) + P(\theta)`, with
:math:`P = P_s + P_n` split into a smooth part :math:`P_s` (its value, gradient and diagonal Hessian
enter ``loss``, ``loss_gradient``, ``hessian`` and ``hessp`` of the objective) and a non-smooth part
:math:`P_n` (its value, proximal operator and subdifferential, which the proximal solvers use).
Every penalty acts on the entries of :math:`\theta` that ``mask`` marks (the penalised coefficients:
never the intercepts) and is separable over them.

A new penalty subclasses :class:`Penalty` and writes :meth:`Penalty.smooth_terms` (a smooth one) or
also the non-smooth methods; no solver changes. The penalties of ``LogisticRegression`` are
:class:`L2` and :class:`ElasticNet` (l1 is ``ElasticNet(l2=0, l1=...)``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Penalty", "L2", "ElasticNet", "make_penalty", "soft_threshold"]


def soft_threshold(x, t):
    r""":math:`\mathrm{sign}(x)\max(|x| - t, 0)`, the proximal operator of :math:`t\lVert\cdot\rVert_1`.

    Examples
    --------
    >>> import numpy as np
    >>> soft_threshold(np.array([-2.0, 0.5, 3.0]), 1.0)
    array([-1.,  0.,  2.])
    """
    return np.sign(x) * np.maximum(np.abs(x) - t, 0.0)


@dataclass(frozen=True)
class Penalty:
    r"""The protocol of a separable penalty :math:`P(\theta) = P_s(\theta) + P_n(\theta)` on the masked entries.

    The base class is the zero penalty. A smooth penalty overrides :meth:`smooth_terms` (and
    :attr:`is_zero`); a non-smooth one also sets :attr:`smooth` False and overrides :meth:`nonsmooth`,
    :meth:`prox`, :meth:`subgradient` and :meth:`quadratic_step`. Instances are immutable (frozen
    dataclasses): a path builds a new objective with a new penalty
    (:meth:`crossentropy.objective.LinearTerms.with_penalty`).

    Attributes
    ----------
    smooth : bool
        Whether :math:`P_n = 0` (then every solver runs it; otherwise only the proximal ones).
    is_zero : bool
        Whether :math:`P = 0` (a softmax model's coefficients are then free along the class means).

    Examples
    --------
    >>> import numpy as np
    >>> p = Penalty()
    >>> p.smooth, p.is_zero, p.smooth_terms(np.ones(2), np.array([True, False]))[0]
    (True, True, 0.0)

    References
    ----------
    Bertrand et al., *Beyond L1: faster and better sparse models with skglm*, NeurIPS (2022) (the
    datafit × penalty × solver split).
    """

    @property
    def smooth(self) -> bool:
        return True

    @property
    def is_zero(self) -> bool:
        return True

    def smooth_terms(self, coef, mask):
        r"""``(value, grad, hess_diag)`` of the smooth part :math:`P_s` at ``coef``: a float and two
        ndarrays of shape (n_coef,), 0 outside ``mask``."""
        return 0.0, np.zeros(coef.shape, dtype=np.float64), np.zeros(coef.shape, dtype=np.float64)

    def hessian_diag(self, coef, mask):
        """The diagonal of :math:`\\nabla^2 P_s` at ``coef`` (the third entry of :meth:`smooth_terms`)."""
        return self.smooth_terms(coef, mask)[2]

    def curvature(self, coef, mask):
        """One number for the curvature of :math:`P_s` (the ridge of a Kronecker-factored
        preconditioner): the largest diagonal entry on ``mask``, 0 when nothing is penalised."""
        h = self.hessian_diag(coef, mask)[mask]
        return float(h.max()) if h.size else 0.0

    def nonsmooth(self, coef, mask) -> float:
        """The value of the non-smooth part :math:`P_n` at ``coef``."""
        return 0.0

    def prox(self, x, step, mask):
        r""":math:`\mathrm{prox}_{\eta P_n}(x)` with the step :math:`\eta` (a float or one per entry)."""
        return x

    def subgradient(self, coef, grad, mask):
        r"""The minimum-norm element of :math:`\nabla f(\theta) + \partial P_n(\theta)` per entry, with
        ``grad`` :math:`= \nabla f` (the smooth part's gradient): 0 exactly at a minimiser."""
        return grad

    def nonsmooth_change(self, coef, step, mask) -> float:
        r""":math:`P_n(\theta + \delta) - P_n(\theta)` for the step :math:`\delta` (the decrease a proximal
        Newton step predicts)."""
        return self.nonsmooth(coef + step, mask) - self.nonsmooth(coef, mask)

    def quadratic_step(self, H, g, coef, mask):
        r"""The step :math:`\delta` minimising :math:`g^\top\delta + \tfrac12\delta^\top H\delta + P_n(\theta+\delta)`
        (proximal Newton); non-smooth penalties only."""
        raise NotImplementedError(f"{type(self).__name__} is smooth: take the Newton step")


@dataclass(frozen=True)
class L2(Penalty):
    r"""The ridge penalty :math:`\tfrac{\lambda_2}{2}\lVert w\rVert^2` on the masked entries.

    Parameters
    ----------
    strength : float, default 0.0
        :math:`\lambda_2 \ge 0`.

    Examples
    --------
    >>> import numpy as np
    >>> L2(0.5).smooth_terms(np.array([3.0, 4.0, 10.0]), np.array([True, True, False]))
    (6.25, array([1.5, 2. , 0. ]), array([0.5, 0.5, 0. ]))

    References
    ----------
    Hastie, Tibshirani & Friedman, *The Elements of Statistical Learning* (2009), §4.4.4.
    """

    strength: float = 0.0

    @property
    def is_zero(self) -> bool:
        return self.strength == 0

    def smooth_terms(self, coef, mask):
        w = np.where(mask, coef, 0.0)
        return float(0.5 * self.strength * (w @ w)), self.strength * w, self.strength * mask.astype(np.float64)

    def hessian_diag(self, coef, mask):
        return self.strength * mask.astype(np.float64)

    def curvature(self, coef, mask):
        return float(self.strength)


@dataclass(frozen=True)
class ElasticNet(Penalty):
    r"""The elastic net :math:`\tfrac{\lambda_2}{2}\lVert w\rVert^2 + \lambda_1\lVert w\rVert_1` on the masked entries.

    The l2 part is the smooth part; the l1 part is handled by its proximal operator (the
    soft-threshold) and its subdifferential. With ``l1 == 0`` it is :class:`L2` (``smooth`` True).

    Parameters
    ----------
    l2, l1 : float, default 0.0
        :math:`\lambda_2, \lambda_1 \ge 0`.

    Examples
    --------
    >>> import numpy as np
    >>> p, mask = ElasticNet(l2=0.5, l1=0.25), np.array([True, True, False])
    >>> p.smooth_terms(np.arange(3.0), mask)[0], p.nonsmooth(np.arange(3.0), mask)   # 0.25 (0 + 1), 0.25 (0 + 1)
    (0.25, 0.25)
    >>> p.prox(np.array([1.0, -0.75, 5.0]), 2.0, mask)   # soft-threshold by 2 * 0.25, never the intercept
    array([ 0.5 , -0.25,  5.  ])

    References
    ----------
    Zou & Hastie, *Regularization and variable selection via the elastic net*, J. R. Stat. Soc. B 67 (2005).
    """

    l2: float = 0.0
    l1: float = 0.0

    @property
    def smooth(self) -> bool:
        return self.l1 == 0

    @property
    def is_zero(self) -> bool:
        return self.l2 == 0 and self.l1 == 0

    def smooth_terms(self, coef, mask):
        return L2(self.l2).smooth_terms(coef, mask)

    def hessian_diag(self, coef, mask):
        return self.l2 * mask.astype(np.float64)

    def curvature(self, coef, mask):
        return float(self.l2)

    def nonsmooth(self, coef, mask) -> float:
        return float(self.l1 * np.abs(coef[mask]).sum()) if self.l1 else 0.0

    def prox(self, x, step, mask):
        if not self.l1:
            return x
        x = np.array(x, dtype=np.float64, copy=True)
        x[mask] = soft_threshold(x[mask], (step[mask] if np.ndim(step) else step) * self.l1)
        return x

    def subgradient(self, coef, grad, mask):
        if not self.l1:
            return grad
        r = grad.copy()
        w, gm = coef[mask], grad[mask]
        r[mask] = np.where(w != 0, gm + self.l1 * np.sign(w), np.sign(gm) * np.maximum(np.abs(gm) - self.l1, 0.0))
        return r

    def nonsmooth_change(self, coef, step, mask) -> float:
        return float(self.l1 * (np.abs((coef + step)[mask]).sum() - np.abs(coef[mask]).sum()))

    def quadratic_step(self, H, g, coef, mask):
        """Cyclic coordinate descent on the l1-penalised quadratic model (exact zeros)."""
        from ._cd import cd_quadratic_l1  # numba loads only for an l1 penalty

        return cd_quadratic_l1(H, g, coef, mask, self.l1)


def make_penalty(l2=0.0, l1=0.0) -> Penalty:
    r"""The penalty of the strengths :math:`\lambda_2, \lambda_1`: :class:`L2` without l1, else :class:`ElasticNet`.

    Examples
    --------
    >>> make_penalty(0.5), make_penalty(0.5, 0.25)
    (L2(strength=0.5), ElasticNet(l2=0.5, l1=0.25))
    """
    l2, l1 = float(l2), float(l1)
    return ElasticNet(l2=l2, l1=l1) if l1 else L2(l2)
