r"""Bins of predicted probabilities and the binned calibration error computed from per-bin sums.

Bins of a score :math:`s \in [0, 1]` with ``n_bins`` :math:`B`:

- ``"uniform"``: edges :math:`0, 1/B, \dots, 1` (``numpy.linspace(0, 1, B + 1)``, whose rounding decides
  the side of a score equal to an inner edge: 0.6 lies below the edge 0.6000000000000001); bin
  :math:`j` holds :math:`e_j \le s < e_{j+1}`, the last one also :math:`s = 1` (NumPy's ``histogram``
  convention, which netcal uses);
- ``"quantile"``: inner edges :math:`q_j = \min\{s_i : F_w(s_i) \ge j/B\}`, :math:`j = 1..B-1`, with
  :math:`F_w` the weighted empirical distribution function of the scores; bin :math:`j` holds
  :math:`q_j < s \le q_{j+1}` (equal scores share a bin; repeated edges leave bins empty).

From the per-bin sums :math:`W_b = \sum w_i`, :math:`S_b = \sum w_i s_i`,
:math:`Y_b = \sum w_i h_i` (:math:`h_i` the 0/1 outcome) and :math:`W = \sum_b W_b`, with
:math:`a_b = Y_b/W_b`, :math:`c_b = S_b/W_b` (empty bins left out):

.. math::
    \mathrm{ECE}_1 = \sum_b \frac{W_b}{W} |a_b - c_b|, \qquad
    \mathrm{ECE}_2 = \Bigl(\sum_b \frac{W_b}{W} (a_b - c_b)^2\Bigr)^{1/2},

and the debiased :math:`\mathrm{ECE}_2` (Kumar, Liang & Ma 2019) subtracts from each squared gap the
variance of the bin's mean outcome, :math:`a_b(1 - a_b)/(n_b - 1)` with :math:`n_b = W_b` (weights
count rows, as repeated rows would; bins with :math:`n_b \le 1` keep their gap), and takes the
square root of the sum's positive part.
"""

from __future__ import annotations

import numpy as np


def bin_edges(s: np.ndarray, w: np.ndarray, n_bins: int, strategy: str) -> np.ndarray:
    """The inner edges (``n_bins - 1``) of ``strategy`` for scores ``s`` with weights ``w``."""
    if strategy == "uniform":
        return np.linspace(0.0, 1.0, n_bins + 1)[1:-1]
    order = np.argsort(s, kind="stable")
    cum = np.cumsum(w[order])
    targets = cum[-1] * np.arange(1, n_bins) / n_bins
    pos = np.minimum(np.searchsorted(cum, targets * (1 - 1e-12), side="left"), s.size - 1)
    return s[order][pos]


def bin_index(s: np.ndarray, edges: np.ndarray, strategy: str) -> np.ndarray:
    """The bin of each score (see the module docstring), in ``0..len(edges)``."""
    side = "right" if strategy == "uniform" else "left"
    return np.searchsorted(edges, s, side=side)


def ece_from_sums(W, S, Y, *, norm: str, debias: bool):
    """The calibration error from per-bin sums of shape (..., G, B): G groups (classes), B bins.

    Each group's error is computed over its bins and the groups are averaged (before the square root
    for ``norm="l2"``). Leading axes (bootstrap resamples) are kept.
    """
    total = W.sum(axis=-1, keepdims=True)
    safe = np.where(W > 0, W, 1.0)
    gap = np.where(W > 0, (Y - S) / safe, 0.0)
    share = W / np.where(total > 0, total, 1.0)
    if norm == "l1":
        return np.mean(np.sum(share * np.abs(gap), axis=-1), axis=-1)
    sq = gap**2
    if debias:
        acc = np.clip(np.where(W > 0, Y / safe, 0.0), 0.0, 1.0)
        corr = np.where(W > 1, acc * (1 - acc) / np.where(W > 1, W - 1, 1.0), 0.0)
        sq = sq - corr
    return np.sqrt(np.maximum(np.mean(np.sum(share * sq, axis=-1), axis=-1), 0.0))
