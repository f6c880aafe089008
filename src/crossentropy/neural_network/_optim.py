r"""Minibatch update rules for :class:`crossentropy.MLPClassifier`: Adam and SGD with momentum.

Each rule is a small dataclass holding its hyperparameters and its state (moment estimates,
velocity, step count). ``step(params, grad)`` updates one flat parameter vector **in place** from
its gradient, so a whole network (every weight matrix and bias as views into one buffer) is
updated with a handful of vectorised NumPy calls, whatever the number of layers. The state arrays
are created on the first step in the parameters' dtype and reused afterwards (no allocation per
step).

The formulas follow scikit-learn's ``sklearn.neural_network._stochastic_optimizers`` (Kingma & Ba's
"efficient" form of Adam, with :math:`\epsilon` outside the bias correction), so a network trained
here and one trained by scikit-learn from the same start take the same steps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from .._validation import check_bool, check_real

__all__ = ["Adam", "SGD"]


def _check_pair(params, grad):
    if not isinstance(params, np.ndarray) or not isinstance(grad, np.ndarray):
        raise TypeError(f"params and grad must be NumPy arrays, got {type(params).__name__} and {type(grad).__name__}")
    if params.shape != grad.shape:
        raise ValueError(f"grad must have the shape of params: got {grad.shape} and {params.shape}")
    if params.dtype.kind != "f":
        raise TypeError(f"params must be a floating array updated in place, got dtype {params.dtype}")


# One compiled loop per step instead of a dozen NumPy passes over the parameters. The arithmetic is
# done in the parameters' dtype; error_model="numpy" lets the loops vectorise (no ZeroDivisionError
# checks: the denominators are at least epsilon).
_JIT = {"cache": True, "error_model": "numpy", "nogil": True}


@njit(**_JIT)
def _adam_kernel(params, grad, m, v, beta_1, beta_2, lr_t, epsilon):
    f = params.dtype.type
    b1, b2, c1, c2, lr, eps = f(beta_1), f(beta_2), f(1.0 - beta_1), f(1.0 - beta_2), f(lr_t), f(epsilon)
    for i in range(params.size):
        g = grad[i]
        mi = b1 * m[i] + c1 * g
        vi = b2 * v[i] + c2 * (g * g)
        m[i] = mi
        v[i] = vi
        params[i] -= lr * mi / (np.sqrt(vi) + eps)


@njit(**_JIT)
def _sgd_kernel(params, grad, velocity, learning_rate, momentum, nesterov):
    f = params.dtype.type
    lr, mu = f(learning_rate), f(momentum)
    for i in range(params.size):
        step = lr * grad[i]
        u = mu * velocity[i] - step
        velocity[i] = u
        params[i] += (mu * u - step) if nesterov else u


def _flat_pair(params, grad):
    """Check the arrays and return 1-D views: params C-contiguous floating, grad cast to its dtype."""
    _check_pair(params, grad)
    if not params.flags.c_contiguous or not params.flags.writeable:
        raise ValueError("params must be a writeable C-contiguous array (it is updated in place)")
    return params.reshape(-1), np.ascontiguousarray(grad, dtype=params.dtype).reshape(-1)


@dataclass
class Adam:
    r"""Adam: adaptive moment estimation, updating a flat parameter vector in place.

    With gradient :math:`g_t` at step :math:`t = 1, 2, \dots`:

    .. math::
        m_t = \beta_1 m_{t-1} + (1-\beta_1)\,g_t, \qquad
        v_t = \beta_2 v_{t-1} + (1-\beta_2)\,g_t^2,

    .. math::
        \theta_t = \theta_{t-1} - \eta\,\frac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,
                   \frac{m_t}{\sqrt{v_t} + \epsilon}.

    Parameters
    ----------
    learning_rate : float, default 0.001
        The step size :math:`\eta` (> 0).
    beta_1, beta_2 : float in [0, 1), defaults 0.9 and 0.999
        Decay rates of the first and second moment estimates.
    epsilon : float, default 1e-8
        Added to :math:`\sqrt{v_t}` for numerical stability (> 0).
    t : int, default 0
        Steps taken so far.
    m, v : ndarray of shape (n_params,) or None
        Moment estimates; created as zeros on the first :meth:`step`.

    Examples
    --------
    One step from :math:`\theta = (1, -2)` with gradient :math:`(0.5, -0.5)`: the first Adam step
    moves every coordinate by about :math:`\eta` against the sign of its gradient.

    >>> import numpy as np
    >>> from crossentropy.neural_network import Adam
    >>> theta = np.array([1.0, -2.0])
    >>> opt = Adam(learning_rate=0.1)
    >>> opt.step(theta, np.array([0.5, -0.5]))
    >>> theta.round(6)
    array([ 0.9, -1.9])
    >>> opt.t
    1

    References
    ----------
    Kingma & Ba, *Adam: A method for stochastic optimization*, ICLR 2015, Algorithm 1 and §2.
    """

    learning_rate: float = 0.001
    beta_1: float = 0.9
    beta_2: float = 0.999
    epsilon: float = 1e-8
    t: int = 0
    m: np.ndarray | None = field(default=None, repr=False)
    v: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self):
        self.learning_rate = check_real(self.learning_rate, "learning_rate", low=0.0, low_open=True)
        self.beta_1 = check_real(self.beta_1, "beta_1", low=0.0, high=1.0, high_open=True)
        self.beta_2 = check_real(self.beta_2, "beta_2", low=0.0, high=1.0, high_open=True)
        self.epsilon = check_real(self.epsilon, "epsilon", low=0.0, low_open=True)

    def step(self, params: np.ndarray, grad: np.ndarray) -> None:
        """Update ``params`` in place from ``grad`` (same shape); advances ``t``."""
        p, g = _flat_pair(params, grad)
        if self.m is None or self.m.shape != p.shape or self.m.dtype != p.dtype:
            self.m = np.zeros_like(p)
            self.v = np.zeros_like(p)
        self.t += 1
        lr_t = self.learning_rate * math.sqrt(1.0 - self.beta_2**self.t) / (1.0 - self.beta_1**self.t)
        _adam_kernel(p, g, self.m, self.v, self.beta_1, self.beta_2, lr_t, self.epsilon)


@dataclass
class SGD:
    r"""Stochastic gradient descent with (Nesterov) momentum, updating a flat parameter vector in place.

    With velocity :math:`u` (zero at the start), momentum :math:`\mu` and step size :math:`\eta`:

    .. math::
        u_t = \mu\,u_{t-1} - \eta\,g_t, \qquad
        \theta_t = \theta_{t-1} + \begin{cases} \mu\,u_t - \eta\,g_t & \text{Nesterov} \\
                                                u_t & \text{classical momentum} \end{cases}

    ``momentum=0`` is plain SGD, :math:`\theta_t = \theta_{t-1} - \eta g_t`.

    Parameters
    ----------
    learning_rate : float, default 0.001
        The step size :math:`\eta` (> 0).
    momentum : float in [0, 1], default 0.9
    nesterov : bool, default True
        Nesterov's accelerated gradient in Sutskever et al.'s form (only when ``momentum > 0``).
    t : int, default 0
        Steps taken so far.
    velocity : ndarray of shape (n_params,) or None
        Created as zeros on the first :meth:`step`.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.neural_network import SGD
    >>> theta = np.array([1.0, -2.0])
    >>> opt = SGD(learning_rate=0.1, momentum=0.9, nesterov=False)
    >>> for _ in range(2):
    ...     opt.step(theta, np.array([1.0, 1.0]))
    >>> theta.round(6)  # steps of 0.1, then 0.9 * 0.1 + 0.1
    array([ 0.71, -2.29])

    References
    ----------
    Sutskever, Martens, Dahl & Hinton, *On the importance of initialization and momentum in deep
    learning*, ICML 2013, eqs. 1–4.
    """

    learning_rate: float = 0.001
    momentum: float = 0.9
    nesterov: bool = True
    t: int = 0
    velocity: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self):
        self.learning_rate = check_real(self.learning_rate, "learning_rate", low=0.0, low_open=True)
        self.momentum = check_real(self.momentum, "momentum", low=0.0, high=1.0)
        self.nesterov = check_bool(self.nesterov, "nesterov")

    def step(self, params: np.ndarray, grad: np.ndarray) -> None:
        """Update ``params`` in place from ``grad`` (same shape); advances ``t``."""
        p, g = _flat_pair(params, grad)
        if self.velocity is None or self.velocity.shape != p.shape or self.velocity.dtype != p.dtype:
            self.velocity = np.zeros_like(p)
        self.t += 1
        _sgd_kernel(p, g, self.velocity, self.learning_rate, self.momentum, self.nesterov)
