"""Fixed logit offsets, z = X theta + o, in LogisticRegression, the path, the cross-validation and on Dask.

Oracles: statsmodels' ``GLM(y, X, family=Binomial(), offset=o, freq_weights=w)`` for two classes
(coefficients, log-likelihood, fitted probabilities), on the Fair affairs data with the log of the
years married as the exposure-like offset; for softmax a direct ``scipy.optimize.minimize`` of the
float64 definition of the penalised offset likelihood and ``scipy.special.softmax`` of the logits;
scikit-learn's ``log_loss`` and ``roc_auc_score`` for the held-out scores; the in-memory fit for Dask.
"""

import numpy as np
import pytest
from scipy import optimize, special
from sklearn.datasets import load_iris
from sklearn.metrics import log_loss as sk_log_loss
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import KFold

from crossentropy import LogisticRegression, LogisticRegressionCV, logistic_regression_path

sm = pytest.importorskip("statsmodels.api")

TIGHT = dict(tol=1e-10, max_iter=500)


@pytest.fixture(scope="module")
def fair():
    """Fair (1978) affairs: any affair (0/1), five covariates, offset log(years married), integer weights."""
    d = sm.datasets.fair.load_pandas().data
    X = d[["rate_marriage", "age", "children", "religious", "educ"]].to_numpy()
    y = (d["affairs"] > 0).to_numpy().astype(int)
    o = np.log(d["yrs_married"].to_numpy())
    w = 1.0 + (np.arange(len(y)) % 3)  # frequency weights 1, 2, 3
    res = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial(), offset=o, freq_weights=w).fit(tol=1e-13)
    return X, y, o, w, res


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    o = np.random.default_rng(4).normal(scale=0.8, size=(len(y), 3))
    return X, y, o


def test_binary_offset_equals_statsmodels_glm(fair):
    X, y, o, w, res = fair
    clf = LogisticRegression(penalty=None, **TIGHT).fit(X, y, sample_weight=w, offset=o)
    params = np.r_[clf.intercept_, clf.coef_.ravel()]
    np.testing.assert_allclose(params, res.params, rtol=1e-6, atol=1e-8)
    llf = -clf.log_loss(X, y, sample_weight=w, offset=o) * w.sum()
    assert llf == pytest.approx(res.llf, rel=1e-10)
    np.testing.assert_allclose(clf.predict_proba(X, offset=o)[:, 1], res.fittedvalues, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(clf.decision_function(X, offset=o), res.predict(which="linear"), rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(clf.predict_log_proba(X, offset=o)[:, 1], np.log(res.fittedvalues), rtol=1e-7)
    pred = clf.predict(X, offset=o)
    np.testing.assert_array_equal(pred, (res.fittedvalues > 0.5).astype(int))
    assert clf.score(X, y, sample_weight=w, offset=o) == pytest.approx(np.average(pred == y, weights=w), rel=1e-14)
    # the offset matters: without it the fit is another (statsmodels' fit without the offset)
    plain = sm.GLM(y, sm.add_constant(X), family=sm.families.Binomial(), freq_weights=w).fit(tol=1e-13)
    no_offset = LogisticRegression(penalty=None, **TIGHT).fit(X, y, sample_weight=w)
    np.testing.assert_allclose(np.r_[no_offset.intercept_, no_offset.coef_.ravel()], plain.params, rtol=1e-6, atol=1e-8)
    assert np.max(np.abs(plain.params - res.params)) > 0.1


def test_softmax_offset_equals_direct_minimisation(iris):
    """l2-penalised softmax with one offset per class: scikit-learn's objective C sum_i l_i + |W|^2 / 2 with
    z_i = W x_i + b + o_i, minimised by BFGS on its float64 definition."""
    X, y, o = iris
    n, d = X.shape
    K, C = 3, 0.7
    Y = np.eye(K)[y]

    def objective(theta):
        W, b = theta[:K * d].reshape(K, d), theta[K * d:]
        Z = X @ W.T + b + o
        logp = special.log_softmax(Z, axis=1)
        P = np.exp(logp)
        f = -C * np.sum(Y * logp) + 0.5 * np.sum(W * W)
        G = C * (P - Y)
        return f, np.r_[(G.T @ X + W).ravel(), G.sum(axis=0)]

    ref = optimize.minimize(objective, np.zeros(K * (d + 1)), jac=True, method="BFGS", options={"gtol": 1e-10})
    W_ref, b_ref = ref.x[:K * d].reshape(K, d), ref.x[K * d:]
    b_ref = b_ref - b_ref.mean()  # the intercepts are free up to a constant: centred, as the estimator's
    clf = LogisticRegression(C=C, **TIGHT).fit(X, y, offset=o)
    np.testing.assert_allclose(clf.coef_, W_ref, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(clf.intercept_, b_ref, rtol=1e-6, atol=1e-7)
    Z = X @ clf.coef_.T + clf.intercept_ + o
    np.testing.assert_allclose(clf.decision_function(X, offset=o), Z, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(clf.predict_proba(X, offset=o), special.softmax(Z, axis=1), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(clf.predict_log_proba(X, offset=o), special.log_softmax(Z, axis=1), rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X, offset=o), np.argmax(Z, axis=1))
    assert clf.log_loss(X, y, offset=o) == pytest.approx(-np.mean(special.log_softmax(Z, axis=1)[np.arange(n), y]),
                                                         rel=1e-12)
    labels, logp = clf.predict_top_k(X, k=2, offset=o)
    np.testing.assert_array_equal(labels[:, 0], np.argmax(Z, axis=1))
    np.testing.assert_allclose(logp[:, 0], special.log_softmax(Z, axis=1).max(axis=1), rtol=1e-12)


@pytest.mark.parametrize("K", [2, 3])
def test_zero_offset_equals_none_and_a_constant_one_shifts_the_intercept(iris, K):
    X, y, _ = iris
    if K == 2:
        y = (y == 2).astype(int)
    n = len(y)
    zero = np.zeros(n if K == 2 else (n, K))
    a = LogisticRegression(**TIGHT).fit(X, y)
    b = LogisticRegression(**TIGHT).fit(X, y, offset=zero)
    np.testing.assert_allclose(b.coef_, a.coef_, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(b.intercept_, a.intercept_, rtol=1e-9, atol=1e-10)
    for m in ("decision_function", "predict_proba", "predict_log_proba", "predict"):
        np.testing.assert_array_equal(getattr(a, m)(X, offset=zero), getattr(a, m)(X))
    assert a.log_loss(X, y, offset=zero) == a.log_loss(X, y)
    if K == 2:  # z = w x + b + c: the same model with intercept b - c
        c = LogisticRegression(**TIGHT).fit(X, y, offset=np.full(n, 1.5))
        np.testing.assert_allclose(c.coef_, a.coef_, rtol=1e-8, atol=1e-9)
        np.testing.assert_allclose(c.intercept_, a.intercept_ - 1.5, rtol=1e-8, atol=1e-9)
        np.testing.assert_array_equal(a.decision_function(X, offset=zero[:, None]), a.decision_function(X))


@pytest.mark.parametrize("K", [2, 3])
def test_path_with_offsets_equals_cold_fits(iris, K):
    X, y, o = iris
    if K == 2:
        y, o = (y == 2).astype(int), o[:, 0]
    Cs = [0.01, 1.0, 100.0]
    path = logistic_regression_path(X, y, Cs=Cs, offset=o, **TIGHT)
    for j, C in enumerate(Cs):
        cold = LogisticRegression(C=C, **TIGHT).fit(X, y, offset=o)
        np.testing.assert_allclose(path.coefs[j], cold.coef_, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose(path.intercepts[j], cold.intercept_, rtol=1e-6, atol=1e-8)


def test_path_with_classes_missing_keeps_their_offsets(iris):
    """A training set without some classes: the fit on the classes present takes their offsets' columns
    (three of four), or the difference of the two present (a two-class logit)."""
    X, y, o = iris
    o4 = np.column_stack([o, np.linspace(-1, 1, len(y))])
    path = logistic_regression_path(X, y, Cs=[1.0], classes=[0, 1, 2, 3], offset=o4, **TIGHT)
    cold = LogisticRegression(**TIGHT).fit(X, y, offset=o)
    Z = X @ path.coefs[0].T + path.intercepts[0] + o4
    P = special.softmax(Z, axis=1)
    np.testing.assert_allclose(P[:, :3], cold.predict_proba(X, offset=o), rtol=1e-6, atol=1e-9)
    two = y > 0
    path2 = logistic_regression_path(X[two], y[two], Cs=[1.0], classes=[0, 1, 2], offset=o[two], **TIGHT)
    binary = LogisticRegression(**TIGHT).fit(X[two], y[two], offset=o[two, 2] - o[two, 1])
    Z2 = X[two] @ path2.coefs[0].T + path2.intercepts[0] + o[two]
    with np.errstate(invalid="ignore"):
        P2 = special.softmax(Z2, axis=1)
    np.testing.assert_allclose(P2[:, 2], binary.predict_proba(X[two], offset=o[two, 2] - o[two, 1])[:, 1],
                               rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("scoring", ["neg_log_loss", None, "roc_auc"])
def test_cv_with_offsets_equals_the_folds_by_hand(fair, scoring):
    X, y, o, w, _ = fair
    rows = np.random.default_rng(0).choice(len(y), 900, replace=False)  # the file is sorted by the label
    X, y, o, w = X[rows], y[rows], o[rows], w[rows]
    Cs = [0.001, 0.1, 10.0]
    folds = list(KFold(3, shuffle=True, random_state=0).split(X))
    cv = LogisticRegressionCV(Cs=Cs, cv=folds, scoring=scoring, **TIGHT).fit(X, y, sample_weight=w, offset=o)
    train, test = folds[1]
    for j, C in enumerate(Cs):
        fit = LogisticRegression(C=C, **TIGHT).fit(X[train], y[train], sample_weight=w[train], offset=o[train])
        p = fit.predict_proba(X[test], offset=o[test])
        if scoring == "neg_log_loss":
            ref = -sk_log_loss(y[test], p, sample_weight=w[test])
        elif scoring is None:
            ref = np.average(np.argmax(p, axis=1) == y[test], weights=w[test])
        else:
            ref = roc_auc_score(y[test], p[:, 1], sample_weight=w[test])
        assert cv.scores_[1][1, j] == pytest.approx(ref, rel=1e-6, abs=1e-9)
    refit = LogisticRegression(C=float(cv.C_[0]), **TIGHT).fit(X, y, sample_weight=w, offset=o)
    np.testing.assert_allclose(cv.coef_, refit.coef_, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(cv.intercept_, refit.intercept_, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("K", [2, 3])
def test_dask_fit_and_predictions_with_offsets_equal_in_memory(iris, K):
    da = pytest.importorskip("dask.array")
    import dask

    X, y, o = iris
    if K == 2:
        y, o = (y == 2).astype(int), o[:, 0]
    Xd = da.from_array(X, chunks=(40, 4))
    od = da.from_array(o, chunks=(35,) + o.shape[1:])  # other row chunks: realigned to X's
    with dask.config.set(scheduler="synchronous"):
        mem = LogisticRegression(C=0.5, **TIGHT).fit(X, y, offset=o)
        ours = LogisticRegression(C=0.5, **TIGHT).fit(Xd, da.from_array(y, chunks=40), offset=od)
        from_numpy = LogisticRegression(C=0.5, **TIGHT).fit(Xd, y, offset=o)
        np.testing.assert_allclose(ours.coef_, mem.coef_, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(ours.intercept_, mem.intercept_, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(from_numpy.coef_, mem.coef_, rtol=1e-6, atol=1e-9)
        for m in ("decision_function", "predict_proba", "predict_log_proba", "predict"):
            np.testing.assert_array_equal(getattr(mem, m)(Xd, offset=od).compute(), getattr(mem, m)(X, offset=o))
        with pytest.raises(ValueError, match=r"offset must have shape"):
            LogisticRegression().fit(Xd, y, offset=np.zeros((len(y), 5)))
        bad = o.copy()
        bad[3] = np.nan
        with pytest.raises(ValueError, match="offset must be finite"):
            LogisticRegression().fit(Xd, y, offset=da.from_array(bad, chunks=(40,) + o.shape[1:]))
        with pytest.raises(ValueError, match="offset is not supported with Dask input in LogisticRegressionCV"):
            LogisticRegressionCV(Cs=2, cv=2).fit(Xd, y, offset=o)


def test_bad_offsets_raise_naming_offset(iris):
    X, y, o = iris
    n = len(y)
    yb = (y == 2).astype(int)
    clf = LogisticRegression().fit(X, y)
    cases = [
        (lambda: LogisticRegression().fit(X, y, offset=np.zeros(n)), rf"offset must have shape \({n}, 3\)"),
        (lambda: LogisticRegression().fit(X, yb, offset=o), rf"offset must have shape \({n},\) or \({n}, 1\)"),
        (lambda: LogisticRegression().fit(X, yb, offset=np.zeros(n - 1)), r"got shape \(149,\)"),
        (lambda: clf.predict_proba(X, offset=o[:10]), r"offset must have shape \(150, 3\).*got shape \(10, 3\)"),
        (lambda: clf.decision_function(X, offset=np.full((n, 3), np.inf)), "offset must be finite"),
        (lambda: clf.log_loss(X, y, offset=np.zeros(n)), "offset must have shape"),
        (lambda: clf.score(X, y, offset=np.zeros(n)), "offset must have shape"),
        (lambda: logistic_regression_path(X, y, Cs=2, offset=np.zeros(n)), "offset must have shape"),
        (lambda: LogisticRegressionCV(Cs=2, cv=2).fit(X, yb, offset=o), "offset must have shape"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()
    with pytest.raises(TypeError, match="offset must hold real numbers"):
        LogisticRegression().fit(X, yb, offset=np.array(["a"] * n))


@pytest.mark.parametrize("K", [2, 3])
def test_sparse_and_float32_input_with_offsets_equal_dense(iris, K):
    from scipy import sparse

    X, y, o = iris
    if K == 2:
        y, o = (y == 2).astype(int), o[:, 0]
    dense = LogisticRegression(**TIGHT).fit(X, y, offset=o)
    sp = LogisticRegression(**TIGHT).fit(sparse.csr_matrix(X), y, offset=o)
    f32 = LogisticRegression(tol=1e-4).fit(X.astype(np.float32), y, offset=o)
    np.testing.assert_allclose(sp.coef_, dense.coef_, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(f32.coef_, dense.coef_, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(dense.predict_proba(sparse.csr_matrix(X), offset=o), dense.predict_proba(X, offset=o),
                               rtol=1e-12, atol=1e-15)
