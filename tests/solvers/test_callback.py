"""The solvers' ``callback(state)``: the iterates it sees are the fit's, and a true return value stops it.

Oracles: the fitted estimator itself (the last state equals ``coef_``, ``intercept_`` and ``loss_curve_``
exactly), refits with ``max_iter = t`` (the deterministic solvers' iterate t), and scikit-learn's
``log_loss`` of those refits for the training curve.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.metrics import log_loss

from crossentropy import LogisticRegression
from crossentropy.exceptions import ConvergenceWarning
from crossentropy.objective import LinearObjective
from crossentropy.solvers import SOLVERS, IterationState
from test_solvers import _data, _one_blas_thread  # noqa: F401 (the autouse fixture applies here too)

#: Options that make each solver run several iterations on the small data below.
OPTIONS = {"sgd": {"batch_size": 16, "random_state": 0}}


def _fit(solver, X, y, callback=None, **params):
    est = LogisticRegression(**{"solver": solver, "C": 10.0, "tol": 1e-10, "max_iter": 60,
                                **OPTIONS.get(solver, {}), **params})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, callback=callback)


@pytest.mark.parametrize("solver", sorted(SOLVERS))
@pytest.mark.parametrize("K", [2, 3])
@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("sparse", [False, True])
def test_last_state_is_the_fitted_model(solver, K, fit_intercept, sparse):
    X, y = _data(K)
    if sparse:
        X = sp.csr_matrix(np.where(np.abs(X) < 0.5, 0.0, X))
    seen = []
    est = _fit(solver, X, y, seen.append, fit_intercept=fit_intercept)
    assert all(isinstance(s, IterationState) for s in seen)
    assert [s.n_iter for s in seen] == list(range(1, est.n_iter_ + 1))
    assert [s.fun for s in seen] == est.loss_curve_
    last = seen[-1]
    np.testing.assert_array_equal(last.coef, est.coef_)
    np.testing.assert_array_equal(last.intercept, est.intercept_)
    assert last.coef.shape == est.coef_.shape and last.intercept.shape == est.intercept_.shape
    if K > 2 and fit_intercept:  # softmax intercepts centred, as coef_ is
        assert abs(last.intercept.sum()) <= 1e-12 * np.abs(last.intercept).max()
    # x is a copy: no later iteration changed an earlier state's vector (it is that iterate's)
    assert not np.array_equal(seen[0].x, last.x)


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_each_state_is_the_refit_at_that_iteration(solver):
    X, y = _data(3)
    seen = []
    _fit(solver, X, y, seen.append, max_iter=6)
    for t in (1, 4):
        refit = _fit(solver, X, y, max_iter=t)
        np.testing.assert_array_equal(seen[t - 1].coef, refit.coef_)
        np.testing.assert_array_equal(seen[t - 1].intercept, refit.intercept_)


@pytest.mark.parametrize("solver", sorted(SOLVERS))
def test_true_stops_after_that_iteration_without_a_warning(solver):
    X, y = _data(3)
    full = _fit(solver, X, y)
    assert full.n_iter_ > 3  # the stop below is the callback's, not the stopping rule's
    seen = []
    est = LogisticRegression(solver=solver, C=10.0, tol=1e-10, max_iter=60, **OPTIONS.get(solver, {}))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est.fit(X, y, callback=lambda s: seen.append(s) or s.n_iter == 3)
    assert est.n_iter_ == 3 and est.converged_ is False and len(est.loss_curve_) == 3
    assert [s.n_iter for s in seen] == [1, 2, 3]
    np.testing.assert_array_equal(seen[-1].coef, est.coef_)
    refit = _fit(solver, X, y, max_iter=3)  # the same model as a fit run out of iterations at 3
    np.testing.assert_array_equal(refit.coef_, est.coef_)
    np.testing.assert_array_equal(refit.intercept_, est.intercept_)


def test_stop_iteration_stops_like_scipy():
    X, y = _data(2)

    def stop(state):
        if state.n_iter == 2:
            raise StopIteration

    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        est = LogisticRegression(solver="lbfgs", tol=1e-12).fit(X, y, callback=stop)
    assert est.n_iter_ == 2 and not est.converged_


@pytest.mark.parametrize("solver", ["newton", "proximal"])
def test_l1_working_sets_and_proximal_newton(solver):
    """l1: Newton's working sets (binary, over 128 coefficients), proximal Newton (softmax) and FISTA."""
    rng = np.random.default_rng(1)
    for K, d in ((2, 150), (3, 5)):
        X = rng.normal(size=(120, d))
        y = (X[:, 0] - X[:, 1] + 0.5 * rng.normal(size=120) > 0).astype(int) if K == 2 else _data(3, n=120, d=d)[1]
        seen = []
        est = _fit(solver, X, y, seen.append, penalty="l1", C=0.5)
        assert [s.fun for s in seen] == est.loss_curve_ and len(seen) == est.n_iter_
        np.testing.assert_array_equal(seen[-1].coef, est.coef_)
        np.testing.assert_array_equal(seen[-1].intercept, est.intercept_)


def test_solver_called_directly_gets_the_flat_vector_only():
    X, y = _data(2)
    obj = LinearObjective(X, y, n_classes=2, scale=1 / 120, l2=1 / 120)
    seen = []
    res = SOLVERS["newton"](obj, np.zeros(obj.n_coef), tol=1e-10, callback=seen.append)
    assert seen[-1].coef is None and seen[-1].intercept is None
    np.testing.assert_array_equal(seen[-1].x, res.coef)
    with pytest.raises(AttributeError):
        seen[-1].n_iter = 0  # frozen


def test_dask_input_calls_back_on_the_client():
    da = pytest.importorskip("dask.array")
    X, y = _data(3, n=80)
    seen = []
    est = LogisticRegression(solver="newton", tol=1e-10).fit(
        da.from_array(X, chunks=(40, 4)), da.from_array(y, chunks=40), callback=seen.append)
    np.testing.assert_array_equal(seen[-1].coef, est.coef_)
    assert [s.fun for s in seen] == est.loss_curve_
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        stopped = LogisticRegression(solver="lbfgs", tol=1e-12).fit(
            da.from_array(X, chunks=(40, 4)), da.from_array(y, chunks=40), callback=lambda s: s.n_iter == 2)
    assert stopped.n_iter_ == 2 and not stopped.converged_


def test_training_curve_equals_the_refit_curve():
    """The CLI's recorded curve (one fit) equals the log loss of refits with max_iter = t (scikit-learn's log_loss)."""
    from crossentropy.report.curves import IterateRecorder

    X, y = _data(3)
    Xt, yt = _data(3, n=40, seed=5)
    for solver in ("newton", "lbfgs"):
        est = LogisticRegression(solver=solver, C=10.0, tol=1e-10)
        rec = IterateRecorder(est, {"train": (X, y), "test": (Xt, yt)})
        est.fit(X, y, callback=rec)
        curves = rec.curves
        steps = list(range(1, est.n_iter_ + 1))
        assert curves["train"][0].tolist() == steps
        for t in steps:
            refit = _fit(solver, X, y, C=10.0, max_iter=t)
            for name, (Xp, yp) in (("train", (X, y)), ("test", (Xt, yt))):
                want = log_loss(yp, refit.predict_proba(Xp), labels=est.classes_)
                assert curves[name][1][t - 1] == pytest.approx(want, rel=1e-12), (solver, name, t)


def test_training_curve_scores_a_subset_of_a_large_split_and_says_so():
    from crossentropy.report.curves import IterateRecorder

    X, y = _data(2, n=300)
    est = LogisticRegression(solver="newton")
    rec = IterateRecorder(est, {"train": (X, y)}, max_rows=100)
    est.fit(X, y, callback=rec)
    (name, (steps, values)), = rec.curves.items()
    assert name == "train, 100 random"
    rows = np.sort(np.random.default_rng(0).choice(300, size=100, replace=False))
    assert values[-1] == pytest.approx(log_loss(y[rows], est.predict_proba(X[rows])), rel=1e-12)


@pytest.mark.parametrize("flic", [False, True])
def test_firth_calls_back_with_its_newton_iterates(flic):
    X, y = _data(2, n=60)
    seen = []
    est = LogisticRegression(penalty="firth", flic=flic, tol=1e-10).fit(X, y, callback=seen.append)
    assert [s.n_iter for s in seen] == list(range(1, est.n_iter_ + 1)) and [s.fun for s in seen] == est.loss_curve_
    np.testing.assert_array_equal(seen[-1].coef, est.coef_)
    np.testing.assert_array_equal(seen[-1].intercept, est.intercept_)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        stopped = LogisticRegression(penalty="firth", flic=flic, tol=1e-10).fit(X, y, callback=lambda s: s.n_iter == 2)
    assert stopped.n_iter_ == 2 and stopped.converged_ is False
    refit = _fit("auto", X, y, penalty="firth", flic=flic, max_iter=2)  # Firth's Newton run out of iterations at 2
    np.testing.assert_array_equal(refit.coef_, stopped.coef_)
    np.testing.assert_array_equal(refit.intercept_, stopped.intercept_)
