r"""``calibration_error``: the binned expected calibration error (ECE), with a bootstrap interval."""

from __future__ import annotations

import numpy as np

from .._validation import _preview, check_bool, check_int, check_option, check_real, check_sample_weight
from ._binning import bin_edges, bin_index, ece_from_sums

#: resamples drawn at once by the bootstrap (bounds its memory)
RESAMPLE_CHUNK = 64


def check_probabilities(y_true, y_proba, labels, sample_weight):
    """``(P, codes, classes, w)``: probabilities (n, K) (binary (n,) as ``(1 - p, p)``), class codes, weights."""
    try:
        P = np.asarray(y_proba, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError("y_proba must be an array of probabilities") from None
    if P.ndim == 2 and P.shape[1] == 1:
        P = P[:, 0]
    if P.ndim not in (1, 2) or P.shape[0] == 0:
        raise ValueError(f"y_proba must have shape (n_samples,) or (n_samples, n_classes), got {P.shape}")
    bad = ~np.isfinite(P) | (P < 0) | (P > 1)
    if bad.any():
        raise ValueError(f"y_proba must hold probabilities in [0, 1], got {_preview(P[bad])}")
    if P.ndim == 1:
        P = np.column_stack([1.0 - P, P])
    y = np.asarray(y_true)
    if y.ndim != 1 or y.shape[0] != P.shape[0]:
        raise ValueError(f"y_true must have shape ({P.shape[0]},), got {y.shape}")
    classes = _distinct(y) if labels is None else np.asarray(labels)
    if labels is not None and (classes.ndim != 1 or np.unique(classes).size != classes.size):
        raise ValueError(f"labels must be distinct labels, got {_preview(classes)}")
    if classes.size != P.shape[1]:
        if labels is None and classes.size < P.shape[1]:
            raise ValueError(f"y_true holds {classes.size} labels but y_proba has {P.shape[1]} columns; "
                             "pass labels (one per column)")
        raise ValueError(f"labels has {classes.size} entries but y_proba has {P.shape[1]} columns")
    codes = _codes(y, classes)
    w = check_sample_weight(sample_weight, P.shape[0])
    w = np.ones(P.shape[0]) if w is None else np.asarray(w, np.float64)
    return P, codes, classes, w


def _distinct(y):
    """The sorted distinct labels (a count table for small non-negative integers, else ``np.unique``)."""
    if y.dtype.kind in "iub" and y.size and y.min() >= 0 and y.max() < 2**20:
        return np.flatnonzero(np.bincount(y.astype(np.intp))).astype(y.dtype)
    return np.unique(y)


def _codes(y, classes):
    """The position of each label of ``y`` in ``classes``; a label not in it is an error."""
    if y.dtype.kind in "iub" and classes.dtype.kind in "iub" and classes.size and classes.min() >= 0 \
            and y.size and y.min() >= 0 and max(int(y.max()), int(classes.max())) < 2**20:
        table = np.full(max(int(y.max()), int(classes.max())) + 1, -1, np.intp)
        table[classes.astype(np.intp)] = np.arange(classes.size)
        codes = table[y.astype(np.intp)]
        unknown = codes < 0
    else:
        order = np.argsort(classes)
        pos = np.minimum(np.searchsorted(classes[order], y), classes.size - 1)
        unknown = classes[order][pos] != y
        codes = order[pos]
    if unknown.any():
        raise ValueError(f"y_true holds labels not in labels: {_preview(np.unique(y[unknown]))}")
    return codes


def _groups(P, codes, kind):
    """Scores (G, n) and 0/1 outcomes (G, n): the top label's confidence and correctness, or each class's."""
    if kind == "top-label":
        top = np.argmax(P, axis=1)
        return P[np.arange(P.shape[0]), top][None, :], (top == codes)[None, :].astype(np.float64)
    return P.T, (codes[None, :] == np.arange(P.shape[1])[:, None]).astype(np.float64)


def _sums(bins, s, h, w, n_bins):
    """Per (group, bin) sums W, S, Y, each (G, B)."""
    G = s.shape[0]
    flat = (bins + n_bins * np.arange(G)[:, None]).ravel()
    size = G * n_bins

    def total(v):
        return np.bincount(flat, weights=np.broadcast_to(v, s.shape).ravel(), minlength=size).reshape(G, n_bins)

    return total(w), total(w * s), total(w * h)


def _bootstrap(bins, s, h, w, n_bins, norm, debias, n_resamples, rng):
    r"""Bootstrap replicates of the calibration error, from the counts of cells of rows.

    A cell is a set of rows with the same bins and outcomes in every group (top-label: one bin and
    correct or not; class-wise: each class's bin and the label). A resample of the n rows is drawn
    as its cell counts :math:`N^* \sim \mathrm{Multinomial}(n, n_c/n)` (exactly the counts of a
    row bootstrap); within a cell the sums of :math:`(w, w s_g)` over the :math:`N^*_c` drawn
    rows are their normal approximation :math:`N^*_c \mu_c + \sqrt{N^*_c}\,\Sigma_c^{1/2} z`, with the
    cell's mean and covariance. Unweighted, only the scores vary within a cell, inside one bin.
    """
    G, n = s.shape
    if G == 1:
        key = np.column_stack([bins[0], h[0].astype(np.intp)])  # cells 2 * bin + outcome, the empty ones dropped
        cell = key[:, 0] * 2 + key[:, 1]
        occupied = np.flatnonzero(np.bincount(cell, minlength=2 * n_bins))
        table = np.zeros(2 * n_bins, np.intp)
        table[occupied] = np.arange(occupied.size)
        inv = table[cell]
        cell_bins, cell_h = (occupied // 2)[None, :], (occupied % 2)[None, :].astype(np.float64)
    else:
        key = np.concatenate([bins, h.astype(np.intp)], axis=0).T
        uniq, inv = np.unique(key, axis=0, return_inverse=True)
        cell_bins, cell_h = uniq[:, :G].T, uniq[:, G:].T.astype(np.float64)
    inv = inv.reshape(-1)
    M = cell_bins.shape[1]
    x = np.column_stack([w, (w * s).T])  # (n, d)
    d = x.shape[1]
    count = np.bincount(inv, minlength=M).astype(np.float64)
    mean = np.stack([np.bincount(inv, weights=x[:, j], minlength=M) for j in range(d)], axis=1) / count[:, None]
    cov = np.empty((M, d, d))
    for i in range(d):
        for j in range(i, d):
            second = np.bincount(inv, weights=x[:, i] * x[:, j], minlength=M) / count
            cov[:, i, j] = cov[:, j, i] = second - mean[:, i] * mean[:, j]
    vals, vecs = np.linalg.eigh(cov)
    root = vecs * np.sqrt(np.maximum(vals, 0.0))[:, None, :]  # root @ root.T = cov
    onehot = np.zeros((G, M, n_bins))
    onehot[np.arange(G)[:, None], np.arange(M)[None, :], cell_bins] = 1.0
    out = np.empty(n_resamples)
    for start in range(0, n_resamples, RESAMPLE_CHUNK):
        r = min(RESAMPLE_CHUNK, n_resamples - start)
        N = rng.multinomial(n, count / n, size=r).astype(np.float64)  # (r, M)
        z = rng.standard_normal((r, M, d))
        sums = N[:, :, None] * mean[None] + np.sqrt(N)[:, :, None] * np.einsum("mij,rmj->rmi", root, z)
        Wc = np.maximum(sums[:, :, 0], 0.0)
        Sc = np.clip(sums[:, :, 1:], 0.0, Wc[:, :, None])  # (r, M, G)
        W = np.einsum("rm,gmb->rgb", Wc, onehot)
        S = np.einsum("rmg,gmb->rgb", Sc, onehot)
        Y = np.einsum("rm,gm,gmb->rgb", Wc, cell_h, onehot)
        out[start:start + r] = ece_from_sums(W, S, Y, norm=norm, debias=debias)
    return out


def calibration_error(y_true, y_proba, *, labels=None, n_bins=15, strategy="uniform", norm="l1", debias=False,
                      kind="top-label", sample_weight=None, confidence=None, n_resamples=1000, random_state=None):
    r"""Binned expected calibration error (ECE), top-label or class-wise, with a bootstrap interval.

    Top-label: the confidence :math:`s_i = \max_k p_{ik}` against the outcome
    :math:`h_i = [y_i = \arg\max_k p_{ik}]`. Class-wise: for each class :math:`k`, :math:`s_i = p_{ik}`
    against :math:`h_i = [y_i = k]`, the classes' errors averaged (before the square root for
    ``norm="l2"``). Bins, the L1 and L2 errors and the debiased L2 error (``debias=True``, Kumar,
    Liang & Ma 2019; Roelofs et al. 2022) are defined in :mod:`._binning`; with ``strategy="uniform"``,
    ``norm="l1"`` and ``kind="top-label"`` this is the ECE of Guo et al. (2017) and netcal's ``ECE`` of
    multiclass probabilities (for two classes netcal bins the positive class's probability: our
    ``kind="class-wise"``).

    With ``confidence`` (e.g. 0.95), also the bootstrap percentile interval from ``n_resamples``
    resamples of the rows, the bins kept fixed, drawn as counts of cells of rows (see
    :func:`_bootstrap`): its cost does not grow with the number of rows beyond one pass.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
    y_proba : array-like of shape (n_samples, n_classes) or (n_samples,)
        Columns in the order of ``labels`` (sorted labels of ``y_true`` by default); a 1-D array is
        the probability of the second label.
    labels : array-like of shape (n_classes,), optional
    n_bins : int, default=15
    strategy : {"uniform", "quantile"}, default="uniform"
    norm : {"l1", "l2"}, default="l1"
    debias : bool, default=False
        Only with ``norm="l2"``.
    kind : {"top-label", "class-wise"}, default="top-label"
    sample_weight : array-like of shape (n_samples,), optional
    confidence : float in (0, 1), optional
    n_resamples : int, default=1000
    random_state : int, numpy Generator or None

    Returns
    -------
    float, or (value, low, high) when ``confidence`` is given.

    Examples
    --------
    >>> import numpy as np
    >>> p = np.array([0.9, 0.8, 0.7, 0.6, 0.3, 0.2])
    >>> y = np.array([1, 1, 0, 1, 0, 1])
    >>> round(calibration_error(y, p, n_bins=5), 4)
    0.2167

    References
    ----------
    C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger, "On calibration of modern neural networks", ICML 2017.
    A. Kumar, P. Liang and T. Ma, "Verified uncertainty calibration", NeurIPS 2019.
    R. Roelofs, N. Cain, J. Shlens and M. C. Mozer, "Mitigating bias in calibration error estimation",
    AISTATS 2022.
    """
    n_bins = check_int(n_bins, "n_bins", low=1)
    check_option(strategy, "strategy", ("uniform", "quantile"))
    check_option(norm, "norm", ("l1", "l2"))
    check_option(kind, "kind", ("top-label", "class-wise"))
    check_bool(debias, "debias")
    if debias and norm != "l2":
        raise ValueError(f"debias=True needs norm='l2', got norm={norm!r}")
    check_real(confidence, "confidence", low=0, high=1, low_open=True, high_open=True, allow_none=True)
    n_resamples = check_int(n_resamples, "n_resamples", low=1)
    P, codes, _, w = check_probabilities(y_true, y_proba, labels, sample_weight)
    s, h = _groups(P, codes, kind)
    bins = np.stack([bin_index(s[g], bin_edges(s[g], w, n_bins, strategy), strategy) for g in range(s.shape[0])])
    value = float(ece_from_sums(*_sums(bins, s, h, w, n_bins), norm=norm, debias=debias))
    if confidence is None:
        return value
    rng = np.random.default_rng(random_state)
    boot = _bootstrap(bins, s, h, w, n_bins, norm, debias, n_resamples, rng)
    low, high = np.quantile(boot, [(1 - confidence) / 2, (1 + confidence) / 2])
    return value, float(low), float(high)
