r"""The training loop of :class:`crossentropy.MLPClassifier`: minibatch epochs and early stopping.

Private module; the estimator validates its parameters and data before calling it.

- :class:`EarlyStopping`: the patience rule (stop after ``n_iter_no_change`` epochs without an
  improvement of more than ``tol``), the best value seen and, when asked, a copy of the best
  parameters to restore;
- :func:`split_validation` and :func:`validation_loss`: the held-out rows early stopping watches;
- :func:`train_epochs`: the epoch and minibatch loop (shuffling, one optimizer step per minibatch
  on the objective of :func:`crossentropy.neural_network._layers.batch_objective`, the loss record).
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from sklearn.model_selection import train_test_split

from .._blas import for_products
from ..exceptions import ConvergenceWarning
from ..losses import binary_cross_entropy_with_logits, cross_entropy
from . import _layers

__all__ = ["EarlyStopping", "split_validation", "validation_loss", "train_epochs"]



class EarlyStopping:
    r"""Patience rule on a monitored loss, keeping the best value and optionally the best parameters.

    After each epoch, :meth:`update` is given the monitored loss :math:`L_t`. With
    :math:`B_{t-1}` the best value before epoch :math:`t` (``best``, :math:`+\infty` at the start),
    the epoch counts as an improvement when :math:`L_t < B_{t-1} - \mathrm{tol}`; the counter of
    epochs without improvement is reset to 0 on an improvement and incremented otherwise, and
    training should stop once it reaches ``n_iter_no_change``. Independently, :math:`B_t =
    \min(B_{t-1}, L_t)`, and when parameters are kept, the parameters of the epoch that set
    :math:`B_t` are copied, so :meth:`restore` can put them back.

    Parameters
    ----------
    n_iter_no_change : int >= 1
        Patience: epochs without improvement before :meth:`update` returns True.
    tol : float >= 0
        Minimum decrease that counts as an improvement.
    best : float, default inf
        Best value so far (a continued training passes the previous best).
    params : ndarray, optional
        The flat parameter vector; when given, a copy of it is kept and refreshed on every new best.

    Attributes
    ----------
    best : float
    no_improvement : int
        Consecutive epochs without improvement.
    best_params : ndarray or None
        Copy of the parameters of the best epoch (None when ``params`` was not given).

    Examples
    --------
    >>> import numpy as np
    >>> stopper = EarlyStopping(n_iter_no_change=2, tol=0.1)
    >>> [stopper.update(loss) for loss in (1.0, 0.95, 0.5, 0.45, 0.44)]
    [False, False, False, False, True]
    >>> stopper.best
    0.44
    >>> theta = np.array([1.0])
    >>> keeper = EarlyStopping(1, 0.0, params=theta)
    >>> keeper.update(2.0, theta); theta[0] = 5.0; keeper.update(3.0, theta)
    False
    True
    >>> keeper.restore(theta); theta
    array([1.])

    References
    ----------
    Prechelt, *Early stopping -- but when?*, in *Neural Networks: Tricks of the Trade* (1998);
    Goodfellow, Bengio & Courville, *Deep Learning* (2016), §7.8, Algorithm 7.1.
    """

    def __init__(self, n_iter_no_change, tol, best=math.inf, params=None):
        self.n_iter_no_change = int(n_iter_no_change)
        self.tol = float(tol)
        self.best = best
        self.no_improvement = 0
        self.best_params = None if params is None else params.copy()

    def update(self, monitored, params=None) -> bool:
        """Record the epoch's monitored loss; return True when the patience is used up."""
        best = self.best
        if monitored < best:
            self.best = monitored
            if self.best_params is not None:
                np.copyto(self.best_params, params)
        self.no_improvement = 0 if monitored < best - self.tol else self.no_improvement + 1
        return self.no_improvement >= self.n_iter_no_change

    def restore(self, params) -> None:
        """Copy the kept best parameters into ``params`` (in place)."""
        if self.best_params is None:
            raise ValueError("EarlyStopping was created without params: there is nothing to restore")
        np.copyto(params, self.best_params)


def split_validation(X, y_int, sample_weight, validation_fraction, rng):
    """Hold out ``validation_fraction`` of the rows, stratified when every class has two rows.

    Returns ``(X_train, y_train, sw_train, (X_val, y_val, sw_val))``; the weights are None when
    ``sample_weight`` is. The split is ``train_test_split(..., random_state=rng)``, so it is the next
    use of ``rng``.
    """
    counts = np.bincount(y_int)
    stratify = y_int if counts[counts > 0].min() >= 2 else None
    arrays = (X, y_int) if sample_weight is None else (X, y_int, sample_weight)
    try:
        parts = train_test_split(*arrays, test_size=validation_fraction, random_state=rng, stratify=stratify)
    except ValueError as exc:
        raise ValueError(
            f"validation_fraction={validation_fraction!r} leaves no usable validation set for "
            f"{X.shape[0]} rows: {exc}"
        ) from None
    X_tr, X_val, y_tr, y_val = parts[:4]
    sw_tr, sw_val = (parts[4], parts[5]) if sample_weight is not None else (None, None)
    for part, name in ((sw_tr, "training"), (sw_val, "validation")):
        if part is not None and not part.sum() > 0:
            raise ValueError(
                f"sample_weight sums to zero on the {name} rows left by validation_fraction={validation_fraction!r}"
            )
    return X_tr, y_tr, sw_tr, (X_val, y_val, sw_val)


def validation_loss(coefs, intercepts, activation, X_val, y_val, sw_val) -> float:
    """Unsmoothed, class-unweighted log loss of the validation rows (sample-weighted mean)."""
    z = _layers.forward(coefs, intercepts, X_val, activation).astype(np.float64)
    if z.shape[1] == 1:
        rows = binary_cross_entropy_with_logits(z[:, 0], y_val.astype(np.float64), reduction="none")
    else:
        rows = cross_entropy(z, y_val, reduction="none")
    return float(np.average(rows, weights=sw_val))


def check_fits_dtype(X, dtype) -> None:
    """Raise ValueError naming ``X`` and its column when a finite value of ``X`` exceeds ``dtype``'s range.

    Training casts ``X`` to the network's dtype; a float64 value beyond float32's largest (about
    3.4e38) would become inf there.
    """
    limit = float(np.finfo(dtype).max)
    if X.size and X.dtype != dtype and np.finfo(X.dtype).max > limit:
        col_max = np.max(np.abs(X), axis=0)
        if col_max.max() > limit:
            j = int(np.argmax(col_max > limit))
            raise ValueError(f"X has values beyond the range of {np.dtype(dtype).name} (column {j}: |x| up to "
                             f"{float(col_max[j]):.3g}, the largest {np.dtype(dtype).name} is {limit:.3g}); "
                             f"standardise X or train with dtype='float64'")


def train_epochs(est, X, y_int, sample_weight, class_weight, dtype, n_epochs, val, callback, rng, optimizer,
                 incremental=False):
    """Run up to ``n_epochs`` epochs of minibatch steps on the network held by ``est``.

    ``est`` is the :class:`crossentropy.MLPClassifier` being trained: its parameters (``batch_size``,
    ``shuffle``, ``alpha``, ``label_smoothing``, ``activation``, ``tol``, ``n_iter_no_change``,
    ``verbose``, ``max_iter``) are read, its ``coefs_``/``intercepts_`` are repacked into one flat
    vector updated in place by ``optimizer``, and its training record (``n_iter_``, ``t_``,
    ``loss_``, ``loss_curve_``, ``best_loss_``, ``validation_loss_curve_``,
    ``best_validation_loss_``) is updated. ``val`` is ``(X_val, y_val, sw_val)`` or None; with it,
    the best epoch's weights are restored at the end. ``rng`` shuffles the rows before each epoch
    (when there is more than one minibatch). ``incremental`` (``partial_fit``) never stops early
    and warns neither on clipping ``batch_size`` nor on reaching the epoch limit.
    """
    layout = _layers.ParamLayout([c.shape[0] for c in est.coefs_] + [est.coefs_[-1].shape[1]])
    params, (coefs, intercepts) = layout.pack(est.coefs_, est.intercepts_, dtype)
    est.coefs_, est.intercepts_ = coefs, intercepts
    grad = np.zeros_like(params)
    grads = (*layout.views(grad), params[: layout.n_weights], grad[: layout.n_weights])
    n = X.shape[0]
    check_fits_dtype(X, dtype)
    X = np.ascontiguousarray(X, dtype=dtype)
    target, row_weight, cw, den_rows = _layers.prepare_targets(y_int, sample_weight, class_weight, coefs[-1].shape[1], dtype)
    eps, alpha = float(est.label_smoothing), float(est.alpha)

    batch = min(200, n) if est.batch_size == "auto" else int(est.batch_size)
    if batch > n:
        if not incremental:
            warnings.warn(f"batch_size={batch} is larger than the {n} training rows; clipped to {n}", UserWarning, stacklevel=3)
        batch = n
    starts = np.arange(0, n, batch)
    shuffle = est.shuffle and starts.size > 1
    workspaces = {}
    X_ep, t_ep, rw_ep, den_ep = X, target, row_weight, den_rows
    if shuffle:
        X_ep, perm = np.empty_like(X), np.arange(n)

    units = layout.layer_units
    flops = batch * max(a * b for a, b in zip(units[:-1], units[1:]))
    limiter = for_products(flops)  # per-minibatch products: small ones on one BLAS thread
    if val is not None:
        stopper = EarlyStopping(est.n_iter_no_change, est.tol, est.best_validation_loss_, params=params)
        X_val = np.ascontiguousarray(val[0], dtype=dtype)
    else:
        stopper = EarlyStopping(est.n_iter_no_change, est.tol, est.best_loss_)
    stopped = False
    # an overflow in a layer's product is reported once, by _layers.check_outputs, as an error
    with limiter, np.errstate(over="ignore", invalid="ignore"):
        for _ in range(n_epochs):
            if shuffle:  # reshuffle the previous order in place, as scikit-learn does
                rng.shuffle(perm)
                np.take(X, perm, axis=0, out=X_ep)
                t_ep = target[perm]
                rw_ep = None if row_weight is None else row_weight[perm]
                den_ep = den_rows[perm]
            batch_dens = np.add.reduceat(den_ep, starts).tolist()
            total, total_den = 0.0, 0.0
            for k, start in enumerate(starts.tolist()):
                den = batch_dens[k]
                if den <= 0.0:
                    continue
                stop = min(start + batch, n)
                xb = X_ep[start:stop]
                ws = workspaces.get(stop - start)
                if ws is None:
                    ws = workspaces[stop - start] = _layers.Workspace(stop - start, units, est.activation, dtype)
                loss = _layers.batch_objective(
                    ws, coefs, intercepts, grads, xb, t_ep[start:stop],
                    None if rw_ep is None else rw_ep[start:stop], cw, eps, alpha, den,
                )
                total += loss
                total_den += den
                optimizer.step(params, grad)
            epoch_loss = total / total_den
            est.n_iter_ += 1
            est.t_ += n
            est.loss_ = epoch_loss
            est.loss_curve_.append(epoch_loss)
            if not math.isfinite(epoch_loss):
                raise FloatingPointError(
                    f"training diverged at epoch {est.n_iter_} (loss {epoch_loss}); lower learning_rate_init"
                )
            if val is not None:
                monitored = validation_loss(coefs, intercepts, est.activation, X_val, val[1], val[2])
                est.validation_loss_curve_.append(monitored)
                patience_used = stopper.update(monitored, params)
                est.best_validation_loss_ = stopper.best
            else:
                monitored = epoch_loss
                patience_used = stopper.update(monitored)
                est.best_loss_ = stopper.best
            if est.verbose:
                extra = f", validation log loss = {monitored:.8f}" if val is not None else ""
                print(f"Epoch {est.n_iter_}, loss = {epoch_loss:.8f}{extra}")
            if callback is not None:
                callback(est.n_iter_, epoch_loss)
            if not incremental and patience_used:
                stopped = True
                break
    if val is not None:
        stopper.restore(params)
    if not incremental and not stopped:
        warnings.warn(
            f"MLPClassifier stopped at max_iter={est.max_iter} epochs before the "
            f"{'validation' if val is not None else 'training'} loss stopped improving; "
            "raise max_iter or learning_rate_init",
            ConvergenceWarning,
            stacklevel=3,
        )
