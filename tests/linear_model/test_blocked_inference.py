"""Blocked inference of softmax LogisticRegression (``predict``, ``predict_proba``, ``predict_log_proba``,
``predict_top_k``, ``log_loss``, ``score``) against the plain formulas, and its memory bound.

Oracles: NumPy logits from ``coef_`` / ``intercept_`` with ``scipy.special.log_softmax`` (float64),
``np.argsort`` of the full log-probabilities for top-k, scikit-learn's ``log_loss`` and
``accuracy_score``, and tracemalloc for the memory that must not grow with n.
"""

from __future__ import annotations

import tracemalloc
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.special import log_softmax
from sklearn.metrics import accuracy_score
from sklearn.metrics import log_loss as sk_log_loss

from crossentropy import LogisticRegression
from crossentropy.linear_model import _inference


def _model(rng, n_classes, d, labels=None):
    """A fitted model with ``n_classes`` classes, then random coefficients (the oracle reads them back)."""
    n = 3 * n_classes
    X = rng.standard_normal((n, d))
    y = np.arange(n) % n_classes
    if labels is not None:
        y = labels[y]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # two iterations: a convergence warning, if any, is expected
        clf = LogisticRegression(solver="lbfgs", max_iter=2).fit(X, y)
    clf.coef_ = rng.standard_normal(clf.coef_.shape) * 2
    clf.intercept_ = rng.standard_normal(clf.intercept_.shape)
    return clf


def _oracle(clf, X):
    Xd = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=np.float64)
    z = Xd @ clf.coef_.T + clf.intercept_
    return z, log_softmax(z, axis=1)


@pytest.fixture
def small_blocks(monkeypatch):
    """A budget of 7 rows of 5 working arrays of K float64 per block: several ragged blocks."""
    def set_for(n_classes):
        monkeypatch.setattr(_inference, "INFERENCE_BUDGET", 7 * 5 * 8 * n_classes)
    return set_for


@pytest.mark.parametrize("kind", ["dense64", "dense32", "csr"])
def test_blocked_methods_equal_plain_formulas(kind, rng, small_blocks):
    n_classes, d, n = 300, 6, 53
    labels = np.array([f"c{i:03d}" for i in range(n_classes)])
    clf = _model(rng, n_classes, d, labels)
    small_blocks(n_classes)
    assert _inference.block_rows(n, n_classes, _inference.PROBA_BUFFERS) == 7  # 8 blocks, the last of 4 rows
    X = rng.standard_normal((n, d))
    if kind == "dense32":
        X = X.astype(np.float32)
    elif kind == "csr":
        X[rng.random(X.shape) < 0.5] = 0.0
        X = sp.csr_matrix(X)
    z, lp = _oracle(clf, X)
    tol = 1e-5 if kind == "dense32" else 1e-12
    np.testing.assert_allclose(clf.predict_log_proba(X), lp, rtol=tol, atol=tol)
    np.testing.assert_allclose(clf.predict_proba(X), np.exp(lp), rtol=tol, atol=tol)
    np.testing.assert_array_equal(clf.predict(X), labels[np.argmax(z, axis=1)])
    y = labels[rng.integers(0, n_classes, n)]
    y[:10] = clf.predict(X)[:10]  # some right
    w = rng.uniform(0.5, 2.0, n)
    assert clf.score(X, y) == pytest.approx(accuracy_score(y, labels[np.argmax(z, axis=1)]))
    y_enc = np.searchsorted(labels, y)
    expected = -np.sum(w * lp[np.arange(n), y_enc]) / np.sum(w)
    assert clf.log_loss(X, y, sample_weight=w) == pytest.approx(expected, rel=tol)
    assert clf.log_loss(X, y) == pytest.approx(sk_log_loss(y, np.exp(lp), labels=labels), rel=1e-6)


@pytest.mark.parametrize("k", [1, 4, 300])
def test_top_k_equals_argsort_of_full_log_probabilities(k, rng, small_blocks):
    n_classes, d, n = 300, 5, 40
    clf = _model(rng, n_classes, d)
    small_blocks(n_classes)
    X = rng.standard_normal((n, d))
    _, lp = _oracle(clf, X)
    order = np.argsort(-lp, axis=1, kind="stable")[:, :k]
    labels, vals = clf.predict_top_k(X, k=k)
    assert labels.shape == vals.shape == (n, k)
    np.testing.assert_array_equal(labels, clf.classes_[order])
    np.testing.assert_allclose(vals, np.take_along_axis(lp, order, axis=1), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(labels[:, 0], clf.predict(X))


def test_top_k_and_log_loss_of_a_binary_model(rng):
    X = rng.standard_normal((80, 3))
    y = np.where(X[:, 0] + 0.5 * rng.standard_normal(80) > 0, "yes", "no")
    clf = LogisticRegression().fit(X, y)
    lp = clf.predict_log_proba(X)
    labels, vals = clf.predict_top_k(X, k=2)
    np.testing.assert_array_equal(labels, clf.classes_[np.argsort(-lp, axis=1, kind="stable")])
    np.testing.assert_allclose(vals, -np.sort(-lp, axis=1))
    assert clf.log_loss(X, y) == pytest.approx(sk_log_loss(y, clf.predict_proba(X)), rel=1e-9)


@pytest.mark.parametrize("k, exc, words", [(0, ValueError, "k"), (301, ValueError, "k"), (2.5, TypeError, "k")])
def test_top_k_bad_k(k, exc, words, rng):
    clf = _model(rng, 300, 3)
    with pytest.raises(exc, match=words):
        clf.predict_top_k(np.zeros((2, 3)), k=k)


def test_log_loss_unknown_label(rng):
    clf = _model(rng, 5, 3)
    with pytest.raises(ValueError, match="not in classes_"):
        clf.log_loss(np.zeros((2, 3)), [0, 17])
    with pytest.raises(ValueError, match="y must have shape"):
        clf.log_loss(np.zeros((2, 3)), [0, 1, 2])


def test_block_rows_fit_the_budget():
    rng = np.random.default_rng(3)
    for _ in range(500):
        n, k, b = (int(v) for v in rng.integers(1, 10**6, 3))
        budget = int(rng.integers(1, 2**28))
        rows = _inference.block_rows(n, k, b, budget)
        assert 1 <= rows <= n
        assert rows == 1 or rows * k * b * 8 <= budget
        assert rows == n or (rows + 1) * k * b * 8 > budget  # the largest that fits


def _peak_minus_output(fn):
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        out = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - base - out.nbytes, out


@pytest.mark.parametrize("method", ["predict", "predict_proba"])
def test_memory_does_not_grow_with_n(method, rng, monkeypatch):
    n_classes, d = 2_000, 8
    clf = _model(rng, n_classes, d)
    budget = 2 * 2**20
    monkeypatch.setattr(_inference, "INFERENCE_BUDGET", budget)
    n = 6_000 if method == "predict" else 2_000  # full float64 logits: 96 MB and 32 MB
    X = rng.standard_normal((n, d))
    extra, out = _peak_minus_output(lambda: getattr(clf, method)(X))
    # scikit-learn's check of X (a boolean isfinite mask of X: n × d bytes, nothing of size K), the
    # per-block label arrays and NumPy's small temporaries
    slack = X.size + 64 * 1024
    assert extra <= budget + slack, (extra, budget)
    assert extra < n * n_classes * 8 / 10  # far below the N × K logits the plain method would hold
    z, _ = _oracle(clf, X[:50])
    if method == "predict":
        np.testing.assert_array_equal(out[:50], clf.classes_[np.argmax(z, axis=1)])
