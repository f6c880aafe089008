"""``crossentropy.log_loss`` against ``sklearn.metrics.log_loss``: same value to 1e-12 relative, same
warnings, and a ValueError wherever scikit-learn raises."""

from __future__ import annotations

import warnings
import zlib

import numpy as np
import pytest
from sklearn.metrics import log_loss as sk_log_loss

import crossentropy as ce

REL = 1e-12


def both(*args, **kwargs):
    """Return (ours, sklearn's) and check that the two emit the same UserWarnings (by count)."""
    with warnings.catch_warnings(record=True) as w_ours:
        warnings.simplefilter("always")
        ours = ce.log_loss(*args, **kwargs)
    with warnings.catch_warnings(record=True) as w_ref:
        warnings.simplefilter("always")
        ref = sk_log_loss(*args, **kwargs)
    user = lambda ws: [w for w in ws if issubclass(w.category, UserWarning)]  # noqa: E731
    assert len(user(w_ours)) == len(user(w_ref)), (
        f"warnings differ: ours {[str(w.message) for w in w_ours]} vs sklearn {[str(w.message) for w in w_ref]}"
    )
    assert type(ours) is float
    return ours, ref


def dirichlet(rng, n, k, dtype=np.float64):
    return rng.dirichlet(np.ones(k), size=n).astype(dtype)


CASES = {
    "binary-2d": lambda r: ([0, 1, 1, 0, 1], dirichlet(r, 5, 2)),
    "binary-1d-proba": lambda r: ([0, 1, 1, 0, 1], r.uniform(0, 1, 5)),
    "binary-column-proba": lambda r: ([0, 1, 1, 0, 1], r.uniform(0, 1, (5, 1))),
    "binary-strings": lambda r: (["spam", "ham", "ham", "spam"], [[0.1, 0.9], [0.9, 0.1], [0.8, 0.2], [0.35, 0.65]]),
    "binary-strings-1d": lambda r: (["yes", "no", "no", "yes", "yes"], r.uniform(0, 1, 5)),
    "binary-bool-labels": lambda r: ([True, False, True], [0.9, 0.1, 0.8]),
    "binary-pm1-labels": lambda r: ([-1, 1, 1, -1], r.uniform(0, 1, 4)),
    "multiclass": lambda r: (r.integers(0, 4, 40), dirichlet(r, 40, 4)),
    "multiclass-strings": lambda r: (np.array(["b", "a", "c", "c", "a", "b"]), dirichlet(r, 6, 3)),
    "clipped-exact-0-and-1": lambda r: ([0, 1, 2, 1], [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]),
    "clipped-1d-0-and-1": lambda r: ([0, 1, 1, 0], [1.0, 0.0, 1.0, 0.0]),
    "integer-proba": lambda r: ([0, 1, 1], [0, 1, 1]),
    "float32": lambda r: (r.integers(0, 3, 200), dirichlet(r, 200, 3, np.float32)),
    "float32-clipped": lambda r: ([0, 1, 1], np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]], np.float32)),
    "float32-1d": lambda r: (r.integers(0, 2, 50), r.uniform(0, 1, 50).astype(np.float32)),
    "float16": lambda r: ([0, 1, 1], np.array([[0.2, 0.8], [0.0, 1.0], [1.0, 0.0]], np.float16)),
    "rows-not-summing-to-one": lambda r: ([0, 1, 2], [[0.5, 0.4, 0.3], [0.1, 0.2, 0.3], [0.2, 0.2, 0.2]]),
    "multilabel-indicator": lambda r: (np.array([[0, 1, 1], [1, 0, 0], [0, 0, 1]]), dirichlet(r, 3, 3)),
}


@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("name", list(CASES))
def test_log_loss_matches_sklearn(name, normalize):
    y_true, y_proba = CASES[name](np.random.default_rng(zlib.crc32(name.encode())))
    ours, ref = both(y_true, y_proba, normalize=normalize)
    assert ours == pytest.approx(ref, rel=REL, abs=0)


@pytest.mark.parametrize("weights", ["float", "int", "float32", "with-zeros", "with-negative"])
@pytest.mark.parametrize("normalize", [True, False])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_log_loss_weighted_matches_sklearn(weights, normalize, dtype):
    rng = np.random.default_rng(7)
    y = rng.integers(0, 3, 30)
    p = dirichlet(rng, 30, 3, np.dtype(dtype))
    s = {
        "float": rng.uniform(0, 3, 30),
        "int": rng.integers(1, 5, 30),
        "float32": rng.uniform(0, 3, 30).astype(np.float32),
        "with-zeros": np.where(rng.random(30) < 0.5, 0.0, rng.uniform(0, 3, 30)),
        "with-negative": rng.uniform(-0.5, 3, 30),
    }[weights]
    ours, ref = both(y, p, sample_weight=s, normalize=normalize)
    assert ours == pytest.approx(ref, rel=REL, abs=0)


@pytest.mark.parametrize(
    "y_true, labels, k",
    [
        ([0, 1, 1, 0], [0, 1, 2], 3),  # a label absent from y_true
        ([1, 1, 1], [0, 1], 2),  # y_true has a single class; labels supplies the other
        ([2, 2, 0], [0, 1, 2, 3], 4),  # two absent labels
        (["b", "b", "c"], ["a", "b", "c"], 3),  # strings with an absent label
        ([1, 2, 0], [2, 0, 1], 3),  # unsorted labels: both warn
        ([0, 0, 1], [0, 1], 1),  # 1-D probabilities with labels
    ],
)
def test_log_loss_labels_matches_sklearn(y_true, labels, k):
    rng = np.random.default_rng(len(labels) + k)
    p = rng.uniform(0, 1, len(y_true)) if k == 1 else dirichlet(rng, len(y_true), k)
    ours, ref = both(y_true, p, labels=labels)
    assert ours == pytest.approx(ref, rel=REL, abs=0)


@pytest.mark.parametrize("seed", range(40))
def test_log_loss_random_matches_sklearn(seed):
    rng = np.random.default_rng(1000 + seed)
    n, k = int(rng.integers(2, 60)), int(rng.integers(2, 6))
    dtype = [np.float64, np.float32][seed % 2]
    y = rng.integers(0, k, n)
    y[:2] = [0, 1]
    labels = None
    if k > 2 and rng.random() < 0.3:
        y = np.where(y == k - 1, 0, y)  # the last class never occurs: it must come through labels
        labels = list(range(k))
    p = dirichlet(rng, n, k, dtype)
    if rng.random() < 0.3:
        p[rng.integers(0, n)] = np.eye(k, dtype=dtype)[rng.integers(0, k)]  # exact 0 and 1
    s = rng.uniform(0, 2, n) if rng.random() < 0.5 else None
    if k == 2 and rng.random() < 0.5:
        p = p[:, 1]
    ours, ref = both(y, p, sample_weight=s, labels=labels, normalize=bool(rng.random() < 0.7))
    assert ours == pytest.approx(ref, rel=REL, abs=0)


def test_log_loss_clipping_bounds_per_dtype():
    """p = 0 for the true class costs -log(eps) of the dtype (36.04 in float64, 15.94 in float32)."""
    for dtype in (np.float64, np.float32):
        eps = np.finfo(dtype).eps
        value = ce.log_loss([1, 0], np.array([[1.0, 0.0], [0.0, 1.0]], dtype))
        assert value == pytest.approx(-np.log(eps), rel=1e-6)
        assert np.isfinite(value)


# --------------------------------------------------------------------------------------------------
# validation parity: where scikit-learn raises, we raise ValueError naming the problem

BAD = {
    "proba-above-1": (([0, 1, 1], [0.2, 0.8, 1.2]), {}, "y_proba"),
    "proba-below-0": (([0, 1, 1], [[0.2, 0.8], [1.1, -0.1], [0.5, 0.5]]), {}, "y_proba"),
    "proba-nan": (([0, 1, 1], [0.2, 0.8, np.nan]), {}, "y_proba"),
    "proba-inf": (([0, 1, 1], [0.2, 0.8, np.inf]), {}, "y_proba"),
    "proba-3d": (([0, 1, 1], np.full((3, 1, 2), 0.5)), {}, "y_proba"),
    "length-mismatch": (([0, 1, 1, 0], [0.2, 0.8, 0.3]), {}, "y_true"),
    "empty": (([], []), {}, "empty"),
    "single-class": (([0, 0, 0], [0.2, 0.8, 0.3]), {}, "labels"),
    "labels-single": (([0, 0, 0], [0.2, 0.8, 0.3]), {"labels": [0]}, "labels"),
    "y_true-not-in-labels": (([0, 1, 2, 1], np.full((4, 3), 1 / 3)), {"labels": [0, 1]}, "labels"),
    "y_true-not-in-labels-3": (([0, 1, 5], np.full((3, 3), 1 / 3)), {"labels": [0, 1, 2]}, "labels"),
    "class-count-mismatch": (([0, 1], [[0.2, 0.7, 0.1], [0.3, 0.3, 0.4]]), {}, "classes"),
    "class-count-mismatch-labels": (([0, 1, 2], np.full((3, 4), 0.25)), {"labels": [0, 1, 2]}, "classes"),
    "1d-proba-multiclass": (([0, 1, 2], [0.2, 0.8, 0.3]), {}, "classes"),
    "weight-length": (([0, 1, 1], [0.2, 0.8, 0.3]), {"sample_weight": [1, 2]}, "sample_weight"),
    "weight-2d": (([0, 1, 1], [0.2, 0.8, 0.3]), {"sample_weight": [[1, 2, 3]]}, "sample_weight"),
    "weight-nan": (([0, 1, 1], [0.2, 0.8, 0.3]), {"sample_weight": [1, np.nan, 3]}, "sample_weight"),
    "weight-all-zero": (([0, 1, 1], [0.2, 0.8, 0.3]), {"sample_weight": [0, 0, 0]}, "sample_weight"),
    "weight-all-zero-sum": (([0, 1, 1], [0.2, 0.8, 0.3]), {"sample_weight": [0, 0, 0], "normalize": False}, "sample_weight"),
    "weight-sum-zero": (([0, 1, 1], [0.2, 0.8, 0.3]), {"sample_weight": [1, -1, 0]}, "sample_weight"),
    "continuous-y_true": (([0.5, 1.5, 2.5, 0.5], np.full((4, 3), 1 / 3)), {}, "y_true"),
    "weight-scalar": (([0, 1, 1], [0.2, 0.8, 0.3]), {"sample_weight": 2.0}, "sample_weight"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_log_loss_raises_where_sklearn_raises(name):
    args, kwargs, match = BAD[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(Exception):  # noqa: B017 - sklearn's own types vary (ValueError, ZeroDivisionError)
            sk_log_loss(*args, **kwargs)
        with pytest.raises(ValueError, match=match):
            ce.log_loss(*args, **kwargs)
