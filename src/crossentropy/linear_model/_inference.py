r"""Blocked inference for softmax models with many classes: memory that does not grow with N.

``predict``, ``predict_proba``, ``predict_log_proba``, ``predict_top_k`` and ``log_loss`` of a fitted
:class:`~crossentropy.linear_model.LogisticRegression` with :math:`K \ge 3` classes go through the rows
of ``X`` in blocks. For a block :math:`X_B` the logits :math:`Z_B = X_B W^\top + b + O_B` (in ``X``'s dtype,
as ``decision_function`` computes them) are turned into what the method returns and dropped, so
besides the returned array a call holds one block's logits and their temporaries. The rows per block
follow from K and a budget (:func:`block_rows`): the working arrays of a block (``n_buffers`` of
them, rows × K float64) fit :data:`INFERENCE_BUDGET` bytes. With tens of thousands of classes the
full N × K logits of a large ``X`` would take gigabytes; the blocks take at most the budget.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import special
from .._validation import check_int, check_offset, check_sample_weight

__all__ = ["INFERENCE_BUDGET", "block_rows", "logits", "predict", "predict_proba", "predict_log_proba",
           "predict_top_k", "log_loss"]

#: bytes of working arrays per block (read at each call)
INFERENCE_BUDGET = 64 * 2**20
#: working rows × K arrays per block: the logits for ``predict``; the logits, their float64 copy and
#: the shifted logits, exponentials and result inside :func:`crossentropy.special.log_softmax` otherwise
PREDICT_BUFFERS, PROBA_BUFFERS = 1, 5


def block_rows(n_rows: int, n_classes: int, n_buffers: int, budget: int | None = None) -> int:
    r"""Rows per block: :math:`\max(1, \min(N, \lfloor \text{budget} / (8\,K\,\text{n\_buffers}) \rfloor))`.

    The ``n_buffers`` arrays of rows × K float64 of one block then fit ``budget`` bytes (default
    :data:`INFERENCE_BUDGET`) whenever one row does.

    >>> block_rows(1_000_000, 50_000, 5, budget=64 * 2**20)
    33
    >>> block_rows(10, 3, 5)
    10
    """
    budget = INFERENCE_BUDGET if budget is None else budget
    return int(max(1, min(n_rows, budget // (8 * max(1, n_classes) * max(1, n_buffers)))))


def _params(est, dtype):
    return est.coef_.astype(dtype, copy=False), est.intercept_.astype(dtype, copy=False)


def logits(X, coef, intercept, offset=None):
    """:math:`X W^\\top + b + O` in ``X``'s dtype (``coef``, ``intercept`` already in it), shape (n, K).

    ``offset``: the rows' checked logit offsets, shape (n,) for one output column or (n, K), or None.
    """
    z = np.asarray(X @ coef.T).astype(X.dtype, copy=False)
    z += intercept  # in place: the product is a fresh array
    if offset is not None:
        z += offset.reshape(z.shape).astype(z.dtype, copy=False)
    return z


def _checked(est, X, offset=None):
    """The validated X and offset (:func:`crossentropy._validation.check_offset`)."""
    check_is_fitted(est)
    X = validate_data(est, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
    return X, check_offset(offset, X.shape[0], len(est.classes_))


def _blocks(est, X, n_buffers, offset=None):
    """(start, stop, logits of the block) over the rows of the validated ``X`` (and checked ``offset``)."""
    coef, intercept = _params(est, X.dtype)
    n = X.shape[0]
    step = block_rows(n, coef.shape[0], n_buffers)
    for r0 in range(0, n, step):
        r1 = min(n, r0 + step)
        o = None if offset is None else offset[r0:r1]
        yield r0, r1, logits(X[r0:r1], coef, intercept, o)  # consumers drop it before asking for the next


def predict(est, X, offset=None):
    """``classes_[argmax_k z_k]`` per row, block by block (the logits in ``X``'s dtype, as ``predict``)."""
    X, offset = _checked(est, X, offset)
    out = np.empty(X.shape[0], est.classes_.dtype)  # the labels, written block by block (no (n,) index array)
    for r0, r1, z in _blocks(est, X, PREDICT_BUFFERS, offset):
        out[r0:r1] = est.classes_[np.argmax(z, axis=1)]
        del z  # else it stays alive while the generator makes the next block
    return out


def _fill(est, X, fn, offset):
    X, offset = _checked(est, X, offset)
    out = np.empty((X.shape[0], len(est.classes_)), np.float64)
    for r0, r1, z in _blocks(est, X, PROBA_BUFFERS, offset):
        out[r0:r1] = fn(z.astype(np.float64, copy=False), axis=1)
        del z
    return out


def predict_proba(est, X, offset=None):
    """Softmax of the logits, (n, K) float64, block by block (:func:`crossentropy.special.softmax`)."""
    return _fill(est, X, special.softmax, offset)


def predict_log_proba(est, X, offset=None):
    """Log-softmax of the logits, (n, K) float64, block by block (:func:`crossentropy.special.log_softmax`)."""
    return _fill(est, X, special.log_softmax, offset)


def _log_proba_blocks(est, X, offset=None):
    """(start, stop, log-probabilities of the block); two-class models in one block (n × 2 is small)."""
    if len(est.classes_) == 2:
        yield 0, X.shape[0], est.predict_log_proba(X, offset=offset)
        return
    for r0, r1, z in _blocks(est, X, PROBA_BUFFERS, offset):
        lp = special.log_softmax(z.astype(np.float64, copy=False), axis=1)
        del z
        yield r0, r1, lp
        del lp


def predict_top_k(est, X, k, offset=None):
    """The ``k`` most probable classes of each row and their log-probabilities, most probable first.

    Returns ``(labels, log_proba)``, both of shape (n, k): ``labels[i, j]`` is the class of rank j for
    row i (an entry of ``classes_``), ``log_proba[i, j]`` its log-probability (float64). Ties keep the
    order of ``classes_``.
    """
    check_is_fitted(est)
    n_classes = len(est.classes_)
    k = check_int(k, "k", low=1, high=n_classes)
    X, offset = _checked(est, X, offset)
    idx = np.empty((X.shape[0], k), np.intp)
    vals = np.empty((X.shape[0], k), np.float64)
    for r0, r1, lp in _log_proba_blocks(est, X, offset):
        top = np.argpartition(-lp, k - 1, axis=1)[:, :k] if k < n_classes else np.broadcast_to(
            np.arange(n_classes), lp.shape)
        top_vals = np.take_along_axis(lp, top, axis=1)
        order = np.lexsort((top, -top_vals), axis=1)  # by value descending, then class index
        idx[r0:r1] = np.take_along_axis(top, order, axis=1)
        vals[r0:r1] = np.take_along_axis(top_vals, order, axis=1)
        del lp, top, top_vals, order
    return est.classes_[idx], vals


def log_loss(est, X, y, sample_weight=None, offset=None):
    r"""Mean cross-entropy :math:`-\sum_i s_i \log p_{i y_i} / \sum_i s_i` of the labels ``y``, block by block.

    Unlike :func:`crossentropy.metrics.log_loss` on ``predict_proba``, no probability is clipped: the
    log-probabilities come straight from the logits (with ``offset``, the rows' logit offsets, added).
    """
    X, offset = _checked(est, X, offset)
    y = np.asarray(y)
    if y.shape != (X.shape[0],):
        raise ValueError(f"y must have shape ({X.shape[0]},), one label per row of X, got {y.shape}")
    classes = est.classes_
    y_enc = np.searchsorted(classes, y)
    bad = (y_enc >= len(classes)) | (classes[np.minimum(y_enc, len(classes) - 1)] != y)
    if bad.any():
        raise ValueError(f"y holds labels that are not in classes_, e.g. {y[bad][0]!r}")
    sw = check_sample_weight(sample_weight, X.shape[0], positive_sum=True)
    total = 0.0
    for r0, r1, lp in _log_proba_blocks(est, X, offset):
        picked = np.take_along_axis(lp, y_enc[r0:r1, None], axis=1)[:, 0]
        total -= float(np.dot(sw[r0:r1], picked))
        del lp
    return total / float(np.sum(sw))
