"""The loss curves: the log loss of one sample, and cross-entropy against squared error for a sigmoid."""

from __future__ import annotations

import numpy as np

from .. import special
from .._validation import check_int, check_real
from ..losses import binary_cross_entropy_with_logits
from ._figure import new_figure

__all__ = ["plot_log_loss", "plot_ce_vs_mse"]


def _log_loss_curves(z):
    """(phi, J if y=1, J if y=0) at logits ``z``, from the core's stable softplus form."""
    phi = special.sigmoid(z)
    j1 = binary_cross_entropy_with_logits(z, np.ones_like(z), reduction="none")
    j0 = binary_cross_entropy_with_logits(z, np.zeros_like(z), reduction="none")
    return phi, j1, j0


def plot_log_loss(*, z_min: float = -10.0, z_max: float = 10.0, step: float = 0.1):
    r"""The seed's figure: the log loss of one sample against the predicted probability.

    .. math::
        J(w) = \begin{cases} -\log \phi(z) & y = 1 \\ -\log(1 - \phi(z)) & y = 0 \end{cases},
        \qquad \phi(z) = \frac{1}{1 + e^{-z}}

    for ``z`` from ``z_min`` to ``z_max`` in steps of ``step``; x axis "φ(z)", y axis "J(w)", legend
    "J(w) if y=1" and "J(w) if y=0". The losses come from
    :func:`crossentropy.binary_cross_entropy_with_logits` (softplus form, exact near 0 and 1).

    Parameters
    ----------
    z_min, z_max : float, default -10, 10
        Range of the logit ``z``.
    step : float, default 0.1

    Returns
    -------
    matplotlib.figure.Figure
        One Axes with two lines of ``len(arange(z_min, z_max, step))`` points.

    Examples
    --------
    >>> from crossentropy.plotting import plot_log_loss
    >>> ax = plot_log_loss().axes[0]
    >>> ax.get_xlabel(), ax.get_ylabel(), [t.get_text() for t in ax.get_legend().get_texts()]
    ('φ(z)', 'J(w)', ['J(w) if y=1', 'J(w) if y=0'])

    References
    ----------
    Raschka & Mirjalili, *Python Machine Learning* (3rd ed., 2019), ch. 3, "Learning the weights of
    the logistic cost function".
    """
    z_min, z_max = check_real(z_min, "z_min"), check_real(z_max, "z_max")
    if not z_min < z_max:
        raise ValueError(f"z_min must be below z_max, got z_min={z_min!r}, z_max={z_max!r}")
    step = check_real(step, "step", low=0, low_open=True, high=z_max - z_min)
    z = np.arange(z_min, z_max, step, dtype=np.float64)
    phi, j1, j0 = _log_loss_curves(z)
    fig = new_figure((6.0, 4.0))
    ax = fig.add_subplot()
    ax.plot(phi, j1, label="J(w) if y=1")
    ax.plot(phi, j0, linestyle="--", label="J(w) if y=0")
    ax.set_ylim(0.0, 5.1)
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("φ(z)")
    ax.set_ylabel("J(w)")
    ax.legend(loc="best")
    ax.set_title("Log loss of one sample")
    return fig


def _mse_sigmoid_loss_grad(w, X1, y):
    """Mean squared error of sigmoid outputs and its gradient in the weights (last column: bias).

    L = (1/n) Σ (φ(z_i) − y_i)²,  dL/dz_i = (2/n)(φ_i − y_i) φ_i (1 − φ_i),  dL/dw = X1ᵀ dL/dz.
    """
    phi = special.sigmoid(X1 @ w)
    r = phi - y
    dz = 2.0 * r * phi * (1.0 - phi) / y.size
    return float(np.mean(r * r)), X1.T @ dz


def _ce_loss_grad(w, X1, y):
    """Mean binary cross-entropy from logits (the core's kernel) and its gradient in the weights."""
    loss, dz = binary_cross_entropy_with_logits(X1 @ w, y, return_grad=True)
    return float(loss), X1.T @ dz


def _default_ce_mse_data(random_state):
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=300, n_features=2, n_redundant=0, n_informative=2, n_clusters_per_class=1,
        class_sep=1.5, random_state=random_state,
    )
    return X, y


def _train_both(X, y, n_iter, learning_rate, init_bias):
    """Plain gradient descent from the same start under each loss; return the two log-loss curves."""
    X = np.asarray(X, dtype=np.float64)
    X = (X - X.mean(axis=0)) / np.where(X.std(axis=0) > 0, X.std(axis=0), 1.0)
    X1 = np.hstack([X, np.ones((X.shape[0], 1))])
    w0 = np.zeros(X1.shape[1])
    w0[-1] = init_bias
    curves = {}
    for name, step in (("cross-entropy", _ce_loss_grad), ("MSE", _mse_sigmoid_loss_grad)):
        w = w0.copy()
        curve = np.empty(n_iter + 1)
        for it in range(n_iter + 1):
            curve[it] = _ce_loss_grad(w, X1, y)[0]
            if it < n_iter:
                w -= learning_rate * step(w, X1, y)[1]
        curves[name] = curve
    return curves


def plot_ce_vs_mse(X=None, y=None, *, n_iter: int = 200, learning_rate: float = 0.5, init_bias: float = -6.0,
                   random_state: int = 0):
    r"""Why cross-entropy beats mean squared error for a sigmoid output, in three panels.

    For one sample with :math:`y = 1` and :math:`\phi = \sigma(z)`:

    .. math::
        J_\mathrm{CE} = -\log\phi, \quad \Bigl|\frac{\partial J_\mathrm{CE}}{\partial z}\Bigr| = 1 - \phi;
        \qquad J_\mathrm{MSE} = (1 - \phi)^2, \quad
        \Bigl|\frac{\partial J_\mathrm{MSE}}{\partial z}\Bigr| = 2 (1 - \phi)\,\phi (1 - \phi)

    Left: both losses against :math:`\phi(z)`; middle: their gradient magnitudes with respect to
    :math:`z` (the MSE gradient vanishes exactly where the prediction is confidently wrong, φ → 0);
    right: the training log loss of logistic regression fitted by plain gradient descent under each
    loss, from the same start (all weights 0, bias ``init_bias``, stated in the panel's title) with the
    same step size. The default bias −6 saturates the sigmoid (every start prediction is
    σ(−6) ≈ 0.0025), where the MSE gradient nearly vanishes; from ``init_bias=0`` (every φ = 1/2) the
    two runs differ much less.
    The cross-entropy gradient is the core's
    :func:`~crossentropy.binary_cross_entropy_with_logits`; the MSE one is written out above.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features), optional
        Training features (standardised internally). Default: 300 two-feature samples from
        ``sklearn.datasets.make_classification(random_state=random_state)``.
    y : array_like of shape (n_samples,), optional
        0/1 labels (required when ``X`` is given).
    n_iter : int, default 200
        Gradient-descent iterations for each loss.
    learning_rate : float, default 0.5
    init_bias : float, default -6
        Starting bias: a strongly negative value makes every prediction φ ≈ 0 at the start.
    random_state : int, default 0

    Returns
    -------
    matplotlib.figure.Figure
        Three Axes.

    Examples
    --------
    >>> from crossentropy.plotting import plot_ce_vs_mse
    >>> fig = plot_ce_vs_mse(n_iter=50)
    >>> [ax.get_xlabel() for ax in fig.axes]
    ['φ(z)', 'φ(z)', 'iteration']
    >>> ce, mse = (line.get_ydata() for line in fig.axes[2].get_lines())
    >>> bool(ce[-1] < mse[-1])
    True

    References
    ----------
    Goodfellow, Bengio & Courville, *Deep Learning* (2016), §6.2.2.2; Golik, Doetsch & Ney,
    "Cross-entropy vs. squared error training: a theoretical and experimental comparison",
    Interspeech 2013.
    """
    n_iter = check_int(n_iter, "n_iter", low=1)
    learning_rate = check_real(learning_rate, "learning_rate", low=0, low_open=True)
    init_bias = check_real(init_bias, "init_bias")
    if X is None:
        if y is not None:
            raise ValueError("y was given without X: pass both or neither")
        X, y = _default_ce_mse_data(random_state)
    else:
        if y is None:
            raise ValueError("X was given without y: pass both or neither")
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64)
        if X.ndim != 2 or y.shape != (X.shape[0],):
            raise ValueError(f"X must be 2-D and y 1-D with one label per row, got shapes {X.shape} and {y.shape}")
        if not np.isin(y, (0.0, 1.0)).all():
            raise ValueError(f"y must hold 0/1 labels, got values {np.unique(y)[:5].tolist()}")
    y = np.asarray(y, dtype=np.float64)

    z = np.linspace(-10.0, 10.0, 401)
    phi = special.sigmoid(z)
    ce = binary_cross_entropy_with_logits(z, np.ones_like(z), reduction="none")
    mse = (1.0 - phi) ** 2
    ce_grad = np.abs(binary_cross_entropy_with_logits(z, np.ones_like(z), reduction="none", return_grad=True)[1])
    mse_grad = np.abs(2.0 * (phi - 1.0) * phi * (1.0 - phi))
    curves = _train_both(X, y, n_iter, learning_rate, init_bias)

    fig = new_figure((13.0, 4.0))
    ax_loss, ax_grad, ax_train = fig.subplots(1, 3)
    ax_loss.plot(phi, ce, label="cross-entropy  −log φ")
    ax_loss.plot(phi, mse, linestyle="--", label="MSE  (1 − φ)²")
    ax_loss.set_ylim(0.0, 5.1)
    ax_loss.set_title("Loss for y = 1")
    ax_loss.set_ylabel("J")
    ax_grad.plot(phi, ce_grad, label="cross-entropy  1 − φ")
    ax_grad.plot(phi, mse_grad, linestyle="--", label="MSE  2(1 − φ)φ(1 − φ)")
    ax_grad.set_title("Gradient magnitude |∂J/∂z| for y = 1")
    ax_grad.set_ylabel("|∂J/∂z|")
    for ax in (ax_loss, ax_grad):
        ax.set_xlim(0.0, 1.0)
        ax.set_xlabel("φ(z)")
        ax.legend(loc="best")
    it = np.arange(n_iter + 1)
    ax_train.plot(it, curves["cross-entropy"], label="trained on cross-entropy")
    ax_train.plot(it, curves["MSE"], linestyle="--", label="trained on MSE")
    ax_train.set_title(f"Gradient descent, lr={learning_rate:g}, from w = 0, b = {init_bias:g}\n"
                       f"(every start φ = σ({init_bias:g}) = {float(special.sigmoid(init_bias)):.2g})")
    ax_train.set_xlabel("iteration")
    ax_train.set_ylabel("training log loss")
    ax_train.legend(loc="best")
    return fig
