"""The hardware's floor as the yardstick (issue 27 item 4).

- ``floor_dense_binary_fit_in_passes``: our default dense binary fit on make_classification 200k x 100
  (float64), timed against one streaming pass over X (``X.T @ v``, what a gradient costs at least):
  the ratio is the fit's time in passes-equivalent of X. Target ratio <= 4.
- ``floor_dense_binary_fit_in_grams``: the same fit against one weighted Gram product
  ``X.T @ (h * X)`` by BLAS (what one exact Newton step costs at least): orientation, no target.
- ``floor_linear_ce_in_gemms``: ``crossentropy.linear_cross_entropy`` with its gradients on 8,192 x 512
  rows and 32,768 classes (float32), against the three matrix products it cannot avoid at the same
  shapes (logits ``X W^T``, ``dX = G W``, ``dW = G^T X``, by NumPy's BLAS into preallocated outputs).
  Target ratio <= 1.3.

Quick mode shrinks the sizes.
"""

from __future__ import annotations

import numpy as np

_ST: dict = {}


def _dense(quick):
    if "dense" not in _ST:
        from sklearn.datasets import make_classification

        n, d = (20_000, 50) if quick else (200_000, 100)
        X, y = make_classification(n_samples=n, n_features=d, n_informative=d // 2, random_state=0)
        X = np.ascontiguousarray(X)
        _ST["dense"] = (X, y, np.random.default_rng(0).random(n), np.empty((d, d)))
    return _ST["dense"]


def _fit(quick):
    from crossentropy import LogisticRegression

    X, y, _, _ = _dense(quick)
    model = LogisticRegression().fit(X, y)
    _ST["n_iter"] = int(np.max(model.n_iter_))


def _pass(quick):
    X, _, v, _ = _dense(quick)
    return X.T @ v


def _gram(quick):
    X, _, h, G = _dense(quick)
    np.matmul(X.T, h[:, None] * X, out=G)


def _fit_check(quick):
    X = _dense(quick)[0]
    return f"{X.shape[0]:,} x {X.shape[1]} float64; our fit took {_ST.get('n_iter')} Newton iterations (default tol)"


def _lce(quick):
    if "lce" not in _ST:
        n, d, c = (1_024, 64, 4_096) if quick else (8_192, 512, 32_768)
        rng = np.random.default_rng(0)
        X = rng.standard_normal((n, d), dtype=np.float32)
        W = (rng.standard_normal((c, d), dtype=np.float32) / np.float32(d ** 0.5))
        y = rng.integers(0, c, n)
        _ST["lce"] = (X, W, y, np.empty((n, c), np.float32), np.empty((n, d), np.float32),
                      np.empty((c, d), np.float32))
    return _ST["lce"]


def _lce_ours(quick):
    from crossentropy import linear_cross_entropy

    X, W, y, *_ = _lce(quick)
    _ST["lce_out"] = linear_cross_entropy(X, W, y, return_grad=True)


def _three_gemms(quick):
    X, W, _, Z, dX, dW = _lce(quick)
    np.matmul(X, W.T, out=Z)
    np.matmul(Z, W, out=dX)
    np.matmul(Z.T, X, out=dW)


def _lce_check(quick):
    X, W, *_ = _lce(quick)
    n, d = X.shape
    flop = 3 * 2 * n * d * W.shape[0]
    return f"{n:,} x {d} rows, {W.shape[0]:,} classes, float32; three GEMMs = {flop / 1e9:.1f} GFLOP"


def cases(quick):
    repeats = 3 if quick else 7
    return [
        {"name": "floor_dense_binary_fit_in_passes (200k x 100)", "issue": 27, "ours": lambda: _fit(quick),
         "anchor": lambda: _pass(quick), "anchor_name": "one pass over X (X.T @ v, BLAS)", "target": "ratio <= 4",
         "setup": lambda: _dense(quick), "repeats": repeats, "check": lambda: _fit_check(quick)},
        {"name": "floor_dense_binary_fit_in_grams (200k x 100)", "issue": 27, "ours": lambda: _fit(quick),
         "anchor": lambda: _gram(quick), "anchor_name": "one weighted Gram product X.T @ (h * X) (BLAS)",
         "target": "orientation (no target)", "setup": lambda: _dense(quick), "repeats": repeats,
         "check": lambda: _fit_check(quick)},
        {"name": "floor_linear_ce_in_gemms (8,192 x 512, C=32,768, float32)", "issue": 27,
         "ours": lambda: _lce_ours(quick), "anchor": lambda: _three_gemms(quick),
         "anchor_name": "the three GEMMs it cannot avoid (X W^T, G W, G^T X)", "target": "ratio <= 1.3",
         "setup": lambda: _lce(quick), "repeats": repeats, "check": lambda: _lce_check(quick)},
    ]
