"""LogisticRegressionCV on Dask input, on a LocalCluster started here: the fold paths equal the in-memory
fit given the same folds (the oracle: the in-memory path, itself checked against scikit-learn in
tests/linear_model/test_cv.py)."""

import numpy as np
import pytest
from helpers import rel_error
from sklearn.datasets import make_classification
from sklearn.metrics import get_scorer

da = pytest.importorskip("dask.array")
distributed = pytest.importorskip("distributed")

from crossentropy import LogisticRegression, LogisticRegressionCV  # noqa: E402
from crossentropy.distributed import fold_ids  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                       dashboard_address=None)
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def _folds(ids, n_folds):
    return [(np.flatnonzero(ids != f), np.flatnonzero(ids == f)) for f in range(n_folds)]


@pytest.mark.parametrize("n_classes, weighted", [(2, True), (3, False)])
def test_dask_cv_equals_in_memory_with_the_same_folds(client, n_classes, weighted):
    X, y = make_classification(600, 5, n_informative=3, n_classes=n_classes, random_state=4)
    sw = np.random.default_rng(2).uniform(0.5, 2.0, len(y)) if weighted else None
    Xd, yd = da.from_array(X, chunks=(150, 5)), da.from_array(y, chunks=150)
    swd = None if sw is None else da.from_array(sw, chunks=150)
    kw = dict(Cs=[0.01, 0.1, 1.0, 10.0], cv=3, tol=1e-10, class_weight="balanced", random_state=7)
    dask_fit = LogisticRegressionCV(**kw).fit(Xd, yd, sample_weight=swd)
    ids = fold_ids(Xd.chunks[0], 3, 7).compute()
    assert np.bincount(ids).min() == 200  # 150 rows a chunk, spread evenly: 50 per fold in each
    folds = _folds(ids, 3)
    mem = LogisticRegressionCV(**{**kw, "cv": folds}).fit(X, y, sample_weight=sw)
    for k in mem.coefs_paths_:
        assert rel_error(dask_fit.coefs_paths_[k], mem.coefs_paths_[k]) < 1e-6
        np.testing.assert_allclose(dask_fit.scores_[k], mem.scores_[k], rtol=1e-9)
    np.testing.assert_array_equal(dask_fit.C_, mem.C_)
    assert rel_error(dask_fit.coef_, mem.coef_) < 1e-6
    # the held-out score of one point against scikit-learn's scorer with the fold's weights
    train, test = folds[1]
    cold = LogisticRegression(C=0.1, tol=1e-10, class_weight=dict(zip(mem.classes_, _balanced(y, sw))))
    cold.fit(X[train], y[train], sample_weight=None if sw is None else sw[train])
    kwargs = {} if sw is None else {"sample_weight": sw[test]}
    expected = get_scorer("neg_log_loss")(cold, X[test], y[test], **kwargs)
    assert abs(dask_fit.scores_[mem.classes_[-1] if n_classes == 2 else 0][1, 1] - expected) < 1e-8


def _balanced(y, sw):
    w = np.ones(len(y)) if sw is None else sw
    counts = np.bincount(y, weights=w)
    return w.sum() / (len(counts) * counts)


def test_dask_cv_rejects_a_splitter(client):
    Xd = da.from_array(np.eye(6), chunks=(3, 6))
    with pytest.raises(ValueError, match="cv must be an int"):
        LogisticRegressionCV(cv=[([0, 1], [2])]).fit(Xd, da.from_array(np.array([0, 1] * 3), chunks=3))
