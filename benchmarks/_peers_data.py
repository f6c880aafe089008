"""The problems of ``bench_peers.py``, generated deterministically (no downloads) and cached per process.

- ``dense_binary`` / ``dense_softmax10``: ``make_classification`` (200,000 × 100 binary; 100,000 × 100
  with 10 classes), the data of the issue 3 benchmarks;
- ``sparse_binary``: text-like CSR, 200,000 × 20,000, 40 distinct columns per row drawn from a
  Zipf-like popularity (column ``j`` has weight ∝ 1/(j + 10)), values 1.0; labels from a sparse
  ground-truth logistic model; ``sparse_softmax20``: the same X with 20 classes from a ground-truth
  softmax model;
- ``wide_binary``: ``make_classification(20_000, 2_000, n_informative=200)``;
- ``categorical``: an insurance-like table of 500,000 rows: 6 standard-normal numeric columns and 4
  categorical ones of 5, 20, 100 and 1,000 levels (level frequencies Zipf-like), one-hot encoded
  into a CSR matrix of 6 + 1,125 columns; binary labels from a ground-truth logistic model;
- ``dense_binary32``: ``dense_binary`` with X in float32;
- ``wide_sparse``: text-like CSR of 50,000 × 100,000 with 25 distinct columns per row (the popularity of
  ``sparse_binary``), binary labels from a ground-truth logistic model with 5 % of its weights non-zero
  (the l1 specialists' data of ``bench_specialists.py``).

Quick mode divides the rows (and the widths of the wide cases) so that a smoke test runs in seconds.
"""

from __future__ import annotations

import numpy as np

_CACHE: dict = {}

SIZES = {  # key: (rows, columns) in full and quick mode
    "dense_binary": ((200_000, 100), (20_000, 20)),
    "dense_softmax10": ((100_000, 100), (10_000, 20)),
    "sparse_binary": ((200_000, 20_000), (20_000, 2_000)),
    "sparse_softmax20": ((200_000, 20_000), (20_000, 2_000)),
    "wide_binary": ((20_000, 2_000), (4_000, 400)),
    "categorical": ((500_000, None), (50_000, None)),
    "dense_binary32": ((200_000, 100), (20_000, 20)),
    "wide_sparse": ((50_000, 100_000), (5_000, 10_000)),
}
WIDE_NNZ_PER_ROW = 25
CAT_LEVELS = (5, 20, 100, 1000)
NNZ_PER_ROW = 40


def _sigmoid_labels(z, rng):
    return (rng.random(z.shape[0]) < 1.0 / (1.0 + np.exp(-z))).astype(np.int64)


def _text_like(n, d, rng, k=NNZ_PER_ROW):
    from scipy import sparse

    w = 1.0 / (np.arange(d) + 10.0)
    cdf = np.cumsum(w / w.sum())
    cols = np.searchsorted(cdf, rng.random((n, 2 * k)), side="right").clip(0, d - 1)
    cols.sort(axis=1)
    keep = np.ones_like(cols, dtype=bool)
    keep[:, 1:] = cols[:, 1:] != cols[:, :-1]
    # the first k distinct columns of each row (2k draws leave at least k distinct ones in practice)
    rank = np.cumsum(keep, axis=1)
    keep &= rank <= k
    counts = keep.sum(axis=1)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    X = sparse.csr_matrix((np.ones(int(indptr[-1])), cols[keep].astype(np.int32), indptr), shape=(n, d))
    X.sort_indices()
    return X


def _categorical(n, rng):
    from scipy import sparse

    num = rng.standard_normal((n, 6))
    blocks, coefs = [sparse.csr_matrix(num)], [rng.normal(0, 0.3, 6)]
    for L in CAT_LEVELS:
        p = 1.0 / (np.arange(L) + 2.0)
        level = rng.choice(L, size=n, p=p / p.sum())
        blocks.append(sparse.csr_matrix((np.ones(n), (np.arange(n), level)), shape=(n, L)))
        coefs.append(rng.normal(0, 0.5, L) * (rng.random(L) < 0.3))
    X = sparse.hstack(blocks, format="csr")
    X.sort_indices()
    z = X @ np.concatenate(coefs) - 1.0
    return X, _sigmoid_labels(z, rng)


def problem(key, quick=False):
    """``(X, y)`` of one problem (cached; the same arrays on every call in a process)."""
    ck = (key, bool(quick))
    if ck in _CACHE:
        return _CACHE[ck]
    n, d = SIZES[key][1 if quick else 0]
    rng = np.random.default_rng(0)
    if key in ("dense_binary", "dense_softmax10", "wide_binary", "dense_binary32"):
        from sklearn.datasets import make_classification

        K = 10 if key == "dense_softmax10" else 2
        inf = min(200 if key == "wide_binary" else 40, d // 2)
        X, y = make_classification(n, d, n_informative=inf, n_classes=K, random_state=0)
        X = np.ascontiguousarray(X, dtype=np.float32 if key == "dense_binary32" else np.float64)
    elif key in ("sparse_binary", "sparse_softmax20"):
        base = problem("sparse_binary", quick)[0] if key == "sparse_softmax20" else None
        X = base if base is not None else _text_like(n, d, rng)
        if key == "sparse_binary":
            w = rng.normal(0, 1.0, d) * (rng.random(d) < 0.2)
            y = _sigmoid_labels(X @ w - 0.5, rng)
        else:
            rng = np.random.default_rng(1)
            W = rng.normal(0, 1.0, (d, 20)) * (rng.random((d, 20)) < 0.1)
            Z = X @ W
            G = -np.log(-np.log(rng.random(Z.shape)))  # Gumbel-max: a draw from softmax(Z)
            y = np.argmax(Z + G, axis=1)
    elif key == "wide_sparse":
        X = _text_like(n, d, rng, WIDE_NNZ_PER_ROW)
        w = rng.normal(0, 1.0, d) * (rng.random(d) < 0.05)
        y = _sigmoid_labels(X @ w - 0.5, rng)
    elif key == "categorical":
        X, y = _categorical(n, rng)
    else:
        raise KeyError(key)
    _CACHE[ck] = (X, y)
    return X, y
