r"""Cross-validation folds on Dask arrays: a seeded partition-wise split and the held-out scores.

The rows of chunk :math:`b` (of length :math:`n_b`) get the fold labels
:math:`\pi_b(0, 1, \dots, n_b - 1) \bmod F`, with :math:`\pi_b` a permutation drawn from
``numpy.random.default_rng([seed, b])``: every chunk spreads its rows evenly over the folds, no rows
move, and the split depends only on the seed and the chunk sizes. Fold :math:`f` trains on the rows
with weight :math:`s_i [\mathrm{fold}_i \ne f]` (the same minimiser as dropping the held-out rows) and
is scored on the others, all on the workers.

This module knows nothing about estimators: :mod:`crossentropy.linear_model` reaches it through
this package's lazy entry (:mod:`crossentropy.distributed`) and hands it fitted estimators to score (duck-typed: ``predict_proba``,
``predict``).
"""

from __future__ import annotations

import numpy as np

from ..metrics import log_loss
from ._dask import da, dask

__all__ = ["fold_ids", "train_weights", "fold_scores", "SCORINGS"]

#: The scorings computed on the workers.
SCORINGS = ("neg_log_loss", "accuracy", None)


def _block_ids(n, seed, block, n_folds):
    return np.random.default_rng([int(seed), int(block)]).permutation(np.arange(n) % n_folds).astype(np.int32)


def fold_ids(row_chunks, n_folds, seed):
    """The fold of every row, a Dask int32 array with ``row_chunks``: the partition-wise seeded split.

    Examples
    --------
    >>> ids = fold_ids((4, 4), 2, seed=0).compute()
    >>> sorted(ids[:4].tolist()), sorted(ids[4:].tolist())
    ([0, 0, 1, 1], [0, 0, 1, 1])
    """
    parts = [da.from_delayed(dask.delayed(_block_ids)(n, seed, b, n_folds), shape=(n,), dtype=np.int32)
             for b, n in enumerate(row_chunks)]
    return da.concatenate(parts)


def _masked(ids, fold, w=None):
    keep = (ids != fold).astype(np.float64)
    return keep if w is None else np.asarray(w, dtype=np.float64) * keep


def train_weights(ids, fold, sample_weight=None):
    r"""The training weights of ``fold``: :math:`s_i [\mathrm{fold}_i \ne f]` (Dask, chunked like ``ids``)."""
    extra = () if sample_weight is None else (sample_weight,)
    return da.map_blocks(_masked, ids, fold, *extra, dtype=np.float64)


def _block_scores(X, y, ids, w, fold, models, labels, scoring):
    """Per model: (weighted loss or hits, weight) on the held-out rows of one chunk (runs on a worker)."""
    rows = np.flatnonzero(ids == fold)
    out = np.zeros((len(models), 2))
    if rows.size == 0:
        return out[None]
    Xf, yf = X[rows], np.asarray(y)[rows]
    wf = np.ones(rows.size) if w is None else np.asarray(w, dtype=np.float64)[rows]
    for j, m in enumerate(models):
        if scoring == "neg_log_loss":
            out[j, 0] = -log_loss(yf, m.predict_proba(Xf), normalize=False, sample_weight=wf, labels=labels)
        else:
            out[j, 0] = float(wf @ (m.predict(Xf) == yf))
        out[j, 1] = wf.sum()
    return out[None]


def fold_scores(X, y, ids, fold, models, labels, *, sample_weight=None, scoring="neg_log_loss"):
    r"""Scores of fitted ``models`` on the held-out rows of ``fold``, in one pass over the chunks.

    .. math::
        \text{neg\_log\_loss} = -\frac{\sum_{i \in f} s_i \ell_i}{\sum_{i \in f} s_i}, \qquad
        \text{accuracy} = \frac{\sum_{i \in f} s_i [\hat y_i = y_i]}{\sum_{i \in f} s_i}

    with :math:`\ell_i` the log loss of :func:`crossentropy.log_loss` (clipped as scikit-learn's).

    Parameters
    ----------
    X : dask.array.Array of shape (n, d)
    y : dask.array.Array of shape (n,)
        The labels, chunked like X.
    ids : dask.array.Array of shape (n,)
        :func:`fold_ids`.
    fold : int
    models : list of fitted classifiers
    labels : ndarray
        Every class (scores use them all, even those absent from the held-out rows).
    sample_weight : dask.array.Array of shape (n,), optional
    scoring : {"neg_log_loss", "accuracy", None}
        None: accuracy.

    Returns
    -------
    ndarray of shape (len(models),)
    """
    if scoring not in SCORINGS:
        raise ValueError(f"scoring must be one of {list(SCORINGS)} for Dask input, got {scoring!r}")
    arrays = [X, y, ids] + ([] if sample_weight is None else [sample_weight])
    parts = []
    for b in range(X.numblocks[0]):
        blocks = [a.blocks[b] for a in arrays]
        if X.ndim == 2:
            blocks[0] = X.blocks[b, 0]
        w = blocks[3] if sample_weight is not None else None
        parts.append(dask.delayed(_block_scores)(blocks[0], blocks[1], blocks[2], w, fold, models, labels, scoring))
    totals = np.sum(dask.compute(*parts), axis=0)[0]
    return totals[:, 0] / totals[:, 1]
