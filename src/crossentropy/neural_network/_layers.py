r"""Dense layers of :class:`crossentropy.MLPClassifier`: parameter layout, forward and backward passes.

Private module; the estimator validates everything before calling it.

**Layout.** All weights and biases live in one flat vector ``params`` (and the gradient in one flat
vector ``grad`` of the same layout): first every weight matrix :math:`W_l` of shape
``(fan_in, fan_out)`` in C order, then every bias :math:`b_l`. The matrices the estimator exposes
as ``coefs_`` and ``intercepts_`` are views into it, so one optimizer step (:mod:`crossentropy.neural_network._optim`)
updates the whole network and the L2 penalty acts on the single slice ``params[:n_weights]``.

**Forward.** :math:`A_0 = X`, :math:`A_l = f(A_{l-1} W_l + b_l)` for the hidden layers and the logits
:math:`Z = A_{L-1} W_L + b_L`, where :math:`f` is relu :math:`\max(z, 0)`, tanh, or the logistic
sigmoid :math:`\sigma(z)` (:func:`crossentropy.special.sigmoid`).

**Backward.** With :math:`\Delta_L = \partial J/\partial Z` from the cross-entropy core,
:math:`\partial J/\partial W_l = A_{l-1}^\top \Delta_l`, :math:`\partial J/\partial b_l = \mathbf{1}^\top\Delta_l`
and :math:`\Delta_{l-1} = (\Delta_l W_l^\top) \odot f'(A_{l-1})`, where the activation's derivative
is written in terms of its output: :math:`f' = [A > 0]` (relu), :math:`1 - A^2` (tanh),
:math:`A(1 - A)` (logistic).

**Speed.** Training takes thousands of small minibatch steps, so the cost that matters is the number
of calls per step, not FLOPs. The matrix products go to BLAS with ``out=`` buffers allocated once per
batch size (:class:`Workspace`); the elementwise work around them (bias and activation, activation
derivative and bias gradient, the L2 term) is fused into one compiled (numba) loop each.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from .. import special
from ..losses import _rows, binary_cross_entropy_with_logits

ACTIVATIONS = ("relu", "tanh", "logistic")
_RELU, _TANH, _LOGISTIC = 0, 1, 2
_CODES = {"relu": _RELU, "tanh": _TANH, "logistic": _LOGISTIC}

_JIT = {"cache": True, "error_model": "numpy", "nogil": True}


@njit(**_JIT)
def _add_bias(z, b, relu):
    """z += b row by row; then max(z, 0) when ``relu``."""
    n, m = z.shape
    zero = z.dtype.type(0)
    for i in range(n):
        for j in range(m):
            v = z[i, j] + b[j]
            z[i, j] = v if (v > zero or not relu) else zero


@njit(**_JIT)
def _scale_colsum(delta, scale, out):
    """delta *= scale in place; out = column sums of delta (accumulated in float64)."""
    n, m = delta.shape
    s = delta.dtype.type(scale)
    acc = np.zeros(m)
    for i in range(n):
        for j in range(m):
            v = delta[i, j] * s
            delta[i, j] = v
            acc[j] += v
    for j in range(m):
        out[j] = acc[j]


@njit(**_JIT)
def _derivative_colsum(delta, a, code, out):
    """delta *= f'(a) (f' from the activation output a); out = column sums of the result."""
    n, m = delta.shape
    one = a.dtype.type(1)
    zero = a.dtype.type(0)
    acc = np.zeros(m)
    for i in range(n):
        if code == 0:
            for j in range(m):
                v = delta[i, j] if a[i, j] > zero else zero
                delta[i, j] = v
                acc[j] += v
        elif code == 1:
            for j in range(m):
                v = delta[i, j] * (one - a[i, j] * a[i, j])
                delta[i, j] = v
                acc[j] += v
        else:
            for j in range(m):
                v = delta[i, j] * (a[i, j] * (one - a[i, j]))
                delta[i, j] = v
                acc[j] += v
    for j in range(m):
        out[j] = acc[j]


@njit(fastmath={"reassoc", "contract"}, **_JIT)
def add_l2(weights, weight_grads, c):
    """weight_grads += c * weights; return the sum of squared weights (float64)."""
    total = 0.0
    cc = weights.dtype.type(c)
    for i in range(weights.size):
        w = weights[i]
        total += float(w) * float(w)
        weight_grads[i] += cc * w
    return total


class ParamLayout:
    """Offsets of each weight matrix and bias vector inside the flat parameter vector."""

    def __init__(self, layer_units):
        self.layer_units = tuple(int(u) for u in layer_units)
        self.coef_shapes = [(a, b) for a, b in zip(self.layer_units[:-1], self.layer_units[1:])]
        self.n_weights = sum(a * b for a, b in self.coef_shapes)
        self.size = self.n_weights + sum(self.layer_units[1:])

    def views(self, flat):
        """Return (coefs, intercepts): lists of views into ``flat``."""
        coefs, intercepts, pos = [], [], 0
        for a, b in self.coef_shapes:
            coefs.append(flat[pos : pos + a * b].reshape(a, b))
            pos += a * b
        for b in self.layer_units[1:]:
            intercepts.append(flat[pos : pos + b])
            pos += b
        return coefs, intercepts

    def pack(self, coefs, intercepts, dtype):
        """Copy ``coefs`` and ``intercepts`` into a new flat vector; return it with its views."""
        flat = np.empty(self.size, dtype=dtype)
        views = self.views(flat)
        for dst, src in zip(views[0] + views[1], list(coefs) + list(intercepts)):
            dst[...] = src
        return flat, views


def _activate(name, z, b):
    """z <- f(z + b) in place (``b`` a bias row)."""
    _add_bias(z, b, name == "relu")
    if name == "tanh":
        np.tanh(z, out=z)
    elif name == "logistic":
        z[...] = special.sigmoid(z)
    return z


def forward(coefs, intercepts, x, activation):
    """Logits of ``x`` (allocating; for prediction), computed in ``x``'s dtype, which must be the coefficients'."""
    a = np.ascontiguousarray(x)
    last = len(coefs) - 1
    for i, (w, b) in enumerate(zip(coefs, intercepts)):
        z = a @ w
        if i < last:
            a = _activate(activation, z, b)
        else:
            _add_bias(z, b, False)
            a = z
    return a


class Workspace:
    """Preallocated activation and delta buffers for minibatches of one size."""

    def __init__(self, batch_size, layer_units, activation, dtype):
        self.activation = activation
        self.code = _CODES[activation]
        self.activations = [np.empty((batch_size, u), dtype=dtype) for u in layer_units[1:]]
        self.deltas = [np.empty((batch_size, u), dtype=dtype) for u in layer_units[1:-1]]

    def forward(self, coefs, intercepts, xb):
        """Forward pass of the minibatch ``xb`` into the buffers; returns the logits buffer."""
        a = xb
        last = len(coefs) - 1
        for i in range(last + 1):
            out = self.activations[i]
            np.matmul(a, coefs[i], out=out)
            if i < last:
                _activate(self.activation, out, intercepts[i])
            else:
                _add_bias(out, intercepts[i], False)
            a = out
        return a

    def backward(self, coefs, coef_grads, intercept_grads, xb, delta_out, scale):
        """Fill the gradient views from ``scale * delta_out`` (``delta_out`` = d(loss sum)/dlogits, scaled in place)."""
        last = len(coefs) - 1
        delta = delta_out
        _scale_colsum(delta, scale, intercept_grads[last])
        for i in range(last, -1, -1):
            a_in = xb if i == 0 else self.activations[i - 1]
            np.matmul(a_in.T, delta, out=coef_grads[i])
            if i > 0:
                nxt = self.deltas[i - 1]
                np.matmul(delta, coefs[i].T, out=nxt)
                _derivative_colsum(nxt, a_in, self.code, intercept_grads[i - 1])
                delta = nxt


def output_loss_grad(logits, target, row_weight, class_weight, label_smoothing):
    """Cross-entropy summed over the rows of a minibatch, and its gradient with respect to ``logits``.

    One logit column: binary cross-entropy from logits (``target`` of shape (n, 1) in {0, 1}) with
    per-row weights ``row_weight`` (sample weight times class weight, or None). Several: softmax
    cross-entropy of class indices ``target`` with class weights ``class_weight``, each row's loss
    multiplied by its sample weight ``row_weight``. Both come from the cross-entropy core; the
    multiclass case calls the core's row kernel :func:`crossentropy.losses._rows.hard_rows` directly,
    past the public function's input checks: the estimator has validated its inputs once, and at
    minibatch sizes those checks cost several times more than the kernel. Returns (float loss sum,
    gradient of the sum in the logits' dtype, a new array).
    """
    if logits.shape[1] == 1:
        loss, grad = binary_cross_entropy_with_logits(
            logits, target, weight=row_weight, label_smoothing=label_smoothing, reduction="sum", return_grad=True
        )
        return float(loss), grad
    # fused=False: the NumPy row kernel. The compiled fused kernel is built for large blocks (its
    # multi-threaded launch costs more than the whole NumPy kernel on a 64 x 10 minibatch).
    loss_rows, grad = _rows.hard_rows(logits, target, row_weight, class_weight, label_smoothing, True, fused=False)
    return float(np.sum(loss_rows, dtype=np.float64)), grad


def check_outputs(logits, X, coefs) -> None:
    """Raise when the network's outputs on ``X`` are not finite: ValueError naming ``X`` when ``X`` is
    huge, FloatingPointError when the weights are what grew (training diverged).

    Finite inputs whose magnitude the layers' products push past the largest float of their dtype
    (about 3.4e38 in float32) give inf or NaN outputs; the user passed ``X``, not logits. ``X`` is
    blamed when its largest magnitude exceeds the square root of that float maximum (1.8e19 in
    float32): below it, only weights beyond that size can overflow a product.
    """
    if not np.isfinite(logits).all():
        largest = float(np.max(np.abs(X))) if X.size else 0.0
        if not largest > np.sqrt(float(np.finfo(logits.dtype).max)) or not all(np.isfinite(c).all() for c in coefs):
            raise FloatingPointError("the network's outputs overflow to inf or NaN: training diverged; lower "
                                     "learning_rate_init")
        raise ValueError(
            f"X is too large for the network in {np.dtype(logits.dtype).name}: its outputs overflow to inf or NaN "
            f"(the largest |X| is {largest:.3g}); standardise X "
            f"(e.g. StandardScaler) or pass float64"
        )


def prepare_targets(y_int, sample_weight, class_weight, n_outputs, dtype):
    """Per-row arrays for :func:`batch_objective`, computed once per fit.

    Returns ``(target, row_weight, class_weight_arg, den_rows)``: the targets in the form the core
    takes, the row weights passed to it, the class weights passed to it (multiclass only), and the
    per-row denominators :math:`s_i c_{y_i}` (float64) whose batch sums normalise the objective.
    """
    n = y_int.shape[0]
    den_rows = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    if class_weight is not None:
        den_rows = den_rows * class_weight[y_int]
    if n_outputs == 1:
        target = y_int.astype(dtype).reshape(-1, 1)
        weighted = sample_weight is not None or class_weight is not None
        row_weight = den_rows.astype(dtype).reshape(-1, 1) if weighted else None
        return target, row_weight, None, den_rows
    target = y_int.astype(np.intp)
    row_weight = np.ones(n, dtype=dtype) if sample_weight is None else np.asarray(sample_weight).astype(dtype)
    cw = None if class_weight is None else class_weight.astype(dtype)
    return target, row_weight, cw, den_rows


def batch_objective(ws, coefs, intercepts, grads, xb, target, row_weight, class_weight, label_smoothing, alpha, den):
    r"""One minibatch's objective numerator, with the gradient of the objective written into ``grads``.

    ``grads`` is ``(coef_grads, intercept_grads, weights, weight_grads)``. The objective is
    :math:`J_B = [\sum_i s_i\ell_i + \tfrac{\alpha}{2}\sum_l\lVert W_l\rVert^2] / \mathrm{den}`; the
    numerator is returned (as a float) and :math:`\nabla J_B` is written into the gradient views.
    """
    coef_grads, intercept_grads, weights, weight_grads = grads
    logits = ws.forward(coefs, intercepts, xb)
    check_outputs(logits, xb, coefs)
    loss, delta = output_loss_grad(logits, target, row_weight, class_weight, label_smoothing)
    ws.backward(coefs, coef_grads, intercept_grads, xb, delta, 1.0 / den)
    if alpha:
        loss += 0.5 * alpha * add_l2(weights, weight_grads, alpha / den)
    return loss
