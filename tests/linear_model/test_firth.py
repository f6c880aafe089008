"""``LogisticRegression(penalty="firth")``: Firth's bias-reduced logistic regression and its inference.

Oracle: ``firthmodels`` (which follows R's logistf): coefficients, standard errors, penalised
log-likelihood, penalised likelihood-ratio tests, profile penalised-likelihood intervals; where its
profile intervals fail (complete separation), its penalised likelihood-ratio test with the offset
b x_j, whose statistic is 2 (l*(beta_hat) - l*_prof(b)), must be the chi-square quantile at our bounds
b. FLIC against statsmodels' GLM with the Firth linear predictor as offset.

Real tables: statsmodels' ``spector`` (32 rows); the same without its rows with PSI = 1 and GRADE = 0
(26 rows, made quasi-completely separated by that selection: PSI = 1 then always has GRADE = 1); iris
setosa against versicolor on the two sepal columns (100 rows, completely separated). firthmodels'
``detect_separation`` (a linear programme) confirms both separations.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import stats

firthmodels = pytest.importorskip("firthmodels")
sm = pytest.importorskip("statsmodels.api")

from crossentropy import LogisticRegression  # noqa: E402

TOL = 1e-9


def _tables():
    from sklearn.datasets import load_iris

    d = sm.datasets.spector.load_pandas().data
    X, y = d[["GPA", "TUCE", "PSI"]], d["GRADE"].to_numpy().astype(int)
    keep = ~((d["PSI"] == 1) & (d["GRADE"] == 0)).to_numpy()
    iris = load_iris(as_frame=True)
    two = (iris.target < 2).to_numpy()
    Xi = iris.data.loc[two, ["sepal length (cm)", "sepal width (cm)"]].reset_index(drop=True)
    return {"spector": (X, y), "spector_quasi": (X[keep].reset_index(drop=True), y[keep]),
            "iris_complete": (Xi, iris.target[two].to_numpy())}


TABLES = _tables()


def _reference(X, y, *, profile=True, **fit):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # max_halfstep=0: its step halving compares log-likelihoods equal to rounding at the optimum
        ref = firthmodels.FirthLogisticRegression(gtol=TOL, xtol=TOL, max_iter=300, max_halfstep=0).fit(X, y, **fit)
        ref.lrt()
        ci = ref.conf_int(method="pl", tol=TOL, max_iter=300) if profile else None
    assert ref.converged_
    return ref, ci


@pytest.fixture(scope="module")
def fits():
    out = {}
    for name, (X, y) in TABLES.items():
        ours = LogisticRegression(penalty="firth", tol=TOL).fit(X, y)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table = ours.summary(X, y).frame
        ref, ci = _reference(X, y, profile=name != "iris_complete")  # firthmodels' profile fails there
        out[name] = (ours, table, ref, ci, [str(w.message) for w in caught])
    return out


def _ref_order(values):
    """firthmodels puts the intercept last; the table puts ``const`` first."""
    values = np.asarray(values)
    return np.concatenate([values[-1:], values[:-1]])


def test_the_separated_tables_are_separated():
    for name, kind in (("spector_quasi", [False, False, True, False]), ("iris_complete", [True, True, True])):
        found = firthmodels.detect_separation(*TABLES[name])
        assert found.separation
        assert (~found.is_finite).tolist() == kind


@pytest.mark.parametrize("name", list(TABLES))
def test_coefficients_std_errors_and_loglik_equal_firthmodels(fits, name):
    ours, table, ref, _, _ = fits[name]
    assert ours.converged_
    np.testing.assert_allclose(ours.coef_[0], ref.coef_, rtol=0, atol=1e-6)
    assert ours.intercept_[0] == pytest.approx(ref.intercept_, abs=1e-6)
    np.testing.assert_allclose(table["estimate"], _ref_order(np.append(ref.coef_, ref.intercept_)), rtol=0, atol=1e-6)
    np.testing.assert_allclose(table["std_err"], _ref_order(ref.bse_), rtol=1e-6)
    assert ours.firth_.loglik == pytest.approx(ref.loglik_, abs=1e-8)
    assert np.all(np.isfinite(table[["estimate", "std_err", "z", "p_value", "lr_chi2"]].to_numpy()))


@pytest.mark.parametrize("name", list(TABLES))
def test_penalised_likelihood_ratio_tests_equal_firthmodels(fits, name):
    _, table, ref, _, _ = fits[name]
    np.testing.assert_allclose(table["p_value"], _ref_order(ref.lrt_pvalues_), rtol=1e-6, atol=1e-12)
    chi2 = (_ref_order(np.append(ref.coef_, ref.intercept_)) / _ref_order(ref.lrt_bse_)) ** 2
    np.testing.assert_allclose(table["lr_chi2"], chi2, rtol=1e-6)


@pytest.mark.parametrize("name", ["spector", "spector_quasi"])
def test_profile_intervals_equal_firthmodels(fits, name):
    _, table, _, ci, caught = fits[name]
    assert not caught
    np.testing.assert_allclose(table[["ci_low", "ci_high"]].to_numpy(), np.vstack([ci[-1:], ci[:-1]]),
                               rtol=0, atol=1e-6)


def test_profile_bounds_under_complete_separation_are_where_the_profile_reaches_the_quantile(fits):
    """firthmodels' own profile intervals fail on this table (ZeroDivisionError in 0.8.2): the oracle is
    the profile at each bound b, max over the other coefficients of firthmodels' penalised log-likelihood
    with beta_j = b (scipy's BFGS from firthmodels' quadratic approximation), which must be
    l*(beta_hat) - chi2_1(0.95)/2. A bound the refits cannot reach is NaN, with a warning naming it."""
    from scipy import optimize
    from firthmodels.logistic import _Workspace, compute_logistic_quantities

    _, table, ref, _, caught = fits["iris_complete"]
    X, y = TABLES["iris_complete"]
    X1 = np.column_stack([X.to_numpy(), np.ones(len(y))])
    yf, s, zero, ws = y.astype(float), np.ones(len(y)), np.zeros(len(y)), _Workspace(len(y), 3)
    beta_hat, cov = np.append(ref.coef_, ref.intercept_), ref._cov
    crit = stats.chi2.ppf(0.95, 1)
    terms = list(table.index[1:]) + ["const"]
    missing = []
    for j, term in enumerate(terms):
        free = np.delete(np.arange(3), j)
        for bound in table.loc[term, ["ci_low", "ci_high"]]:
            if np.isnan(bound):
                missing.append(term)
                continue

            def negative(v, j=j, free=free, bound=bound):
                beta = np.empty(3)
                beta[free], beta[j] = v, bound
                q = compute_logistic_quantities(X1, yf, beta, s, zero, ws)
                return -q.loglik, -q.modified_score[free].copy()

            start = beta_hat[free] + (bound - beta_hat[j]) * cov[free, j] / cov[j, j]
            best = optimize.minimize(negative, start, jac=True, method="BFGS", options={"gtol": 1e-10})
            assert 2 * (ref.loglik_ + best.fun) == pytest.approx(crit, rel=1e-6), (term, bound)
    assert len(missing) <= 1
    for term in missing:
        assert any(term in message and "NaN" in message for message in caught)


def test_finite_on_complete_separation_where_maximum_likelihood_diverges(fits):
    ours, table, _, _, _ = fits["iris_complete"]
    X, y = TABLES["iris_complete"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = LogisticRegression(penalty=None, max_iter=1000).fit(X, y)
    assert np.max(np.abs(plain.coef_)) > 10 * np.max(np.abs(ours.coef_))
    assert np.max(np.abs(ours.coef_)) < 20 and np.all(np.isfinite(table["std_err"]))


def test_weights_equal_repeated_rows():
    X, y = TABLES["spector"]
    w = np.tile([1, 2, 3], len(y))[:len(y)]
    Xr, yr = X.loc[np.repeat(np.arange(len(y)), w)], np.repeat(y, w)
    a = LogisticRegression(penalty="firth", tol=TOL).fit(X, y, sample_weight=w.astype(float))
    b = LogisticRegression(penalty="firth", tol=TOL).fit(Xr, yr)
    np.testing.assert_allclose(a.coef_, b.coef_, rtol=1e-8)
    ta, tb = a.summary(X, y, sample_weight=w.astype(float)).frame, b.summary(Xr, yr).frame
    np.testing.assert_allclose(ta.drop(columns="status").to_numpy(float), tb.drop(columns="status").to_numpy(float), rtol=1e-6)
    ref, _ = _reference(X, y, profile=False, sample_weight=w.astype(float))  # firthmodels' weights too
    np.testing.assert_allclose(a.coef_[0], ref.coef_, atol=1e-6)


def test_rows_split_over_threads_give_the_definitions_and_firthmodels_estimate(monkeypatch):
    """The two passes of an evaluation split by rows over two threads: the hat values, the modified score
    and the penalised log-likelihood equal their definitions in float64 NumPy (the hat matrix formed
    whole, n x n), and the fit equals firthmodels' (weighted rows, an intercept)."""
    from crossentropy.linear_model import _firth

    monkeypatch.setattr(_firth, "SMALL_PRODUCT", 0)
    monkeypatch.setattr(_firth, "PASS_ROWS", 64)
    monkeypatch.setattr(_firth, "row_threads", lambda n, step: 2)
    calls = []
    split = _firth.split_rows
    monkeypatch.setattr(_firth, "split_rows", lambda work, n, step, threads: calls.append(threads) or
                        split(work, n, step, threads))
    rng = np.random.default_rng(7)
    n, d = 700, 6
    X = rng.standard_normal((n, d))
    y = (rng.random(n) < 1 / (1 + np.exp(-(X @ rng.normal(0, 0.8, d) - 0.4)))).astype(int)
    s = rng.uniform(0.5, 2.0, n)
    X1 = _firth.design(X, True)
    beta = rng.normal(0, 0.3, d + 1)
    q = _firth.evaluate(X1, y.astype(float), s, beta)
    p = 1 / (1 + np.exp(-(X1 @ beta)))
    A = X1 * np.sqrt(s * p * (1 - p))[:, None]
    info = A.T @ A
    hat = np.diag(A @ np.linalg.solve(info, A.T))
    np.testing.assert_allclose(q.hat, hat, rtol=1e-11)
    np.testing.assert_allclose(q.score, X1.T @ (s * (y - p) + hat * (0.5 - p)), rtol=1e-11, atol=1e-11)
    loglik = np.sum(s * (y * np.log(p) + (1 - y) * np.log1p(-p))) + 0.5 * np.linalg.slogdet(info)[1]
    np.testing.assert_allclose(q.loglik, loglik, rtol=1e-12)
    assert calls and set(calls) == {2}
    qf = _firth.evaluate(np.asfortranarray(X1), y.astype(float), s, beta)  # any layout of the design
    np.testing.assert_allclose(qf.hat, q.hat, rtol=1e-12)
    np.testing.assert_allclose(qf.score, q.score, rtol=1e-11, atol=1e-11)
    ours = LogisticRegression(penalty="firth", tol=TOL).fit(X, y, sample_weight=s)
    ref, _ = _reference(X, y, profile=False, sample_weight=s)
    np.testing.assert_allclose(ours.coef_[0], ref.coef_, atol=1e-8)
    np.testing.assert_allclose(ours.intercept_[0], ref.intercept_, atol=1e-8)


@pytest.mark.parametrize("name", ["spector", "spector_quasi"])
def test_flic_intercept_equals_the_glm_with_the_firth_predictor_as_offset(fits, name):
    firth = fits[name][0]
    X, y = TABLES[name]
    ours = LogisticRegression(penalty="firth", flic=True, tol=TOL).fit(X, y)
    np.testing.assert_allclose(ours.coef_, firth.coef_, rtol=0, atol=1e-12)  # the slopes stay Firth's
    offset = X.to_numpy() @ firth.coef_[0]
    glm = sm.GLM(y, np.ones((len(y), 1)), family=sm.families.Binomial(), offset=offset).fit(tol=1e-14)
    assert ours.intercept_[0] == pytest.approx(glm.params[0], abs=1e-8)
    assert ours.predict_proba(X)[:, 1].mean() == pytest.approx(y.mean(), abs=1e-10)
    # the intercept's variance: its entry of the inverse Fisher information at the FLIC probabilities
    design = sm.add_constant(X.to_numpy(), prepend=True)
    full = sm.GLM(y, design, family=sm.families.Binomial())
    cov = np.linalg.inv(-full.hessian(np.concatenate([ours.intercept_, ours.coef_[0]])))
    row = ours.summary(X, y).frame.loc["const"]
    assert row["estimate"] == pytest.approx(glm.params[0], abs=1e-8)
    assert row["std_err"] == pytest.approx(np.sqrt(cov[0, 0]), rel=1e-8)
    q = stats.norm.ppf(0.975)
    assert row["ci_low"] == pytest.approx(row["estimate"] - q * np.sqrt(cov[0, 0]), rel=1e-8)


def test_three_classes_solvers_and_flic_are_checked():
    X = np.arange(12.0).reshape(6, 2)
    with pytest.raises(ValueError, match=r"penalty='firth' fits two classes only .* 3 classes"):
        LogisticRegression(penalty="firth").fit(X, [0, 1, 2, 0, 1, 2])
    with pytest.raises(ValueError, match="solver must be 'auto' or 'newton', got 'lbfgs'"):
        LogisticRegression(penalty="firth", solver="lbfgs").fit(X, [0, 1, 0, 1, 0, 1])
    with pytest.raises(TypeError, match="flic must be True or False, got 'yes'"):
        LogisticRegression(penalty="firth", flic="yes").fit(X, [0, 1, 0, 1, 0, 1])


def test_summary_text_names_the_method(fits):
    ours = fits["spector"][0]
    X, y = TABLES["spector"]
    text = str(ours.summary(X, y))
    assert "Firth" in text and "profile penalised likelihood" in text and "GPA" in text


def test_a_model_read_from_a_file_gives_the_same_table(tmp_path):
    from crossentropy.io.model_files import load_model, save_model

    X, y = TABLES["spector"]
    for flic in (False, True):
        est = LogisticRegression(penalty="firth", flic=flic, tol=TOL).fit(X, y)
        save_model(est, tmp_path / f"m{flic}")
        loaded = load_model(tmp_path / f"m{flic}")
        assert loaded.penalty == "firth" and loaded.flic is flic
        np.testing.assert_allclose(loaded.summary(X, y).frame.drop(columns="status").to_numpy(float),
                                   est.summary(X, y).frame.drop(columns="status").to_numpy(float),
                                   rtol=1e-7, atol=1e-9)


PARTY = {0: "strong_dem", 1: "weak_dem", 2: "ind_dem", 3: "ind", 4: "ind_rep", 5: "weak_rep", 6: "strong_rep"}


@pytest.fixture(scope="module")
def anes_raw():
    """statsmodels' anes96 (every third respondent) with party identification as strings, fitted standardised and treatment-coded
    (a pipeline), and firthmodels on the raw-unit design written out here: age and income as they are,
    one indicator per party level but the first in sorted order, firthmodels' intercept."""
    import pandas as pd
    from sklearn.pipeline import make_pipeline
    from threadpoolctl import threadpool_limits

    import crossentropy as ce
    from crossentropy.preprocessing import TabularTransformer

    d = sm.datasets.anes96.load_pandas().data.iloc[::3].reset_index(drop=True)  # every third row: 315
    frame = pd.DataFrame({"age": d.age, "income": d.income, "party": d.PID.map(PARTY)})
    y = d.vote.astype(int).to_numpy()
    pipe = make_pipeline(TabularTransformer(drop_reference=True), LogisticRegression(penalty="firth", tol=TOL))
    with threadpool_limits(1):  # small BLAS calls: threads only contend
        pipe.fit(frame, y)
        table = ce.summary(pipe, frame, y)
    levels = sorted(frame["party"].unique())
    raw = pd.concat([frame[["age", "income"]].astype(float)]
                    + [(frame["party"] == lv).astype(float).rename(f"party[T.{lv}]") for lv in levels[1:]], axis=1)
    ref, ci = _reference(raw, y)
    theirs = pd.DataFrame({"estimate": np.append(ref.coef_, ref.intercept_), "std_err": ref.bse_,
                           "p_value": ref.lrt_pvalues_, "ci_low": ci[:, 0], "ci_high": ci[:, 1]},
                          index=list(raw.columns) + ["const"])
    return table, theirs, ref


def test_raw_units_with_a_string_column_equal_firthmodels_on_the_reference_coded_design(anes_raw):
    table, theirs, ref = anes_raw
    frame = table.frame
    assert list(frame.index) == ["const", "age", "income"] + [f"party[T.{lv}]" for lv in sorted(PARTY.values())[1:]]
    assert table.references == {"party": "ind"}
    theirs = theirs.loc[frame.index]
    np.testing.assert_allclose(frame["estimate"], theirs["estimate"], rtol=0, atol=1e-6)
    np.testing.assert_allclose(frame["std_err"], theirs["std_err"], rtol=1e-6)
    np.testing.assert_allclose(frame["p_value"], theirs["p_value"], rtol=1e-6, atol=1e-12)
    np.testing.assert_allclose(frame[["ci_low", "ci_high"]], theirs[["ci_low", "ci_high"]], rtol=0, atol=1e-6)
    np.testing.assert_allclose(frame["odds_ratio"], np.exp(theirs["estimate"]), rtol=1e-6)
    assert table.llf == pytest.approx(ref.loglik_, abs=1e-8)  # the penalised log-likelihood on the raw design
    assert (frame["status"] == "").all()
    assert "penalised likelihood-ratio tests" in table.note and "profile penalised likelihood" in table.note
    assert list(table.to_csv_frame().columns) == ["term", "estimate", "std_err", "z", "p_value", "ci_low", "ci_high",
                                                  "odds_ratio", "or_low", "or_high", "odds_ratio_per_sd", "lr_chi2",
                                                  "status"]
