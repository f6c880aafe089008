"""summary() against statsmodels' Logit and MNLogit (penalty=None), on statsmodels' own data sets."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from threadpoolctl import threadpool_limits

from crossentropy import LogisticRegression


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield


def _rel(a, b, rtol=1e-4):
    np.testing.assert_allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float), rtol=rtol, atol=0)


def test_binary_equals_statsmodels_logit_on_spector():
    data = sm.datasets.spector.load_pandas()  # Greene's example: GRADE on GPA, TUCE, PSI (32 rows)
    X, y = data.exog, data.endog.astype(int)
    ref = sm.Logit(y, sm.add_constant(X)).fit(disp=0, method="newton", tol=1e-12)
    model = LogisticRegression(penalty=None, tol=1e-10, max_iter=200).fit(X, y)
    s = model.summary(X, y)
    assert list(s.frame.index) == ["const", "GPA", "TUCE", "PSI"]
    _rel(s.frame["estimate"], ref.params)
    _rel(s.frame["std_err"], ref.bse)
    _rel(s.frame["z"], ref.tvalues)
    _rel(s.frame["p_value"], ref.pvalues)
    ci = ref.conf_int(alpha=0.05)
    _rel(s.frame["ci_low"], ci[0])
    _rel(s.frame["ci_high"], ci[1])
    _rel(s.cov, ref.cov_params())
    for ours, theirs in ((s.llf, ref.llf), (s.llnull, ref.llnull), (s.prsquared, ref.prsquared),
                         (s.aic, ref.aic), (s.bic, ref.bic), (s.df_model, ref.df_model), (s.df_resid, ref.df_resid)):
        assert ours == pytest.approx(theirs, rel=1e-6)
    text = str(s)
    assert "GPA" in text and "P>|z|" in text and "Pseudo R-squ." in text
    assert s.to_frame() is not s.frame and s.to_frame().equals(s.frame)


def test_softmax_equals_statsmodels_mnlogit_on_anes96():
    data = sm.datasets.anes96.load_pandas()  # party identification, 7 classes, 944 rows
    X = data.exog[["logpopul", "selfLR", "age", "educ", "income"]]
    y = data.endog.astype(int)
    ref = sm.MNLogit(y, sm.add_constant(X)).fit(disp=0, method="newton", maxiter=100, tol=1e-12)
    model = LogisticRegression(penalty=None, tol=1e-9, max_iter=500).fit(X, y)
    s = model.summary(X, y, alpha=0.1)
    assert s.reference == 0
    for j, label in enumerate(model.classes_[1:]):  # statsmodels' column j is class label j + 1
        block = s.frame.xs(label, level="class")
        assert list(block.index) == ["const", *X.columns]
        _rel(block["estimate"], ref.params[j])
        _rel(block["std_err"], ref.bse[j])
        _rel(block["z"], ref.tvalues[j])
        _rel(block["p_value"], ref.pvalues[j])
    ci = ref.conf_int(alpha=0.1)
    _rel(s.frame["ci_low"], ci["lower"])
    _rel(s.frame["ci_high"], ci["upper"])
    for ours, theirs in ((s.llf, ref.llf), (s.llnull, ref.llnull), (s.prsquared, ref.prsquared),
                         (s.aic, ref.aic), (s.bic, ref.bic)):
        assert ours == pytest.approx(theirs, rel=1e-6)
    assert "class=6" in str(s) and "relative to class 0" in str(s)


def test_frequency_weights_equal_repeated_rows():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = (X[:, 0] + rng.normal(size=60) > 0).astype(int)
    w = rng.integers(1, 4, size=60)
    ref = sm.Logit(np.repeat(y, w), sm.add_constant(np.repeat(X, w, axis=0))).fit(disp=0, tol=1e-12)
    s = LogisticRegression(penalty=None, tol=1e-10).fit(X, y, sample_weight=w).summary(X, y, sample_weight=w)
    _rel(s.frame["estimate"], ref.params)
    _rel(s.frame["std_err"], ref.bse)
    assert s.nobs == w.sum()


def test_no_intercept_and_penalised_note():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(80, 3))
    y = (X @ [1.0, -1.0, 0.5] + rng.normal(size=80) > 0).astype(int)
    ref = sm.Logit(y, X).fit(disp=0, tol=1e-12)
    s = LogisticRegression(penalty=None, fit_intercept=False, tol=1e-10).fit(X, y).summary(X, y)
    assert list(s.frame.index) == ["x1", "x2", "x3"]
    _rel(s.frame["estimate"], ref.params)
    _rel(s.frame["std_err"], ref.bse)
    penalised = LogisticRegression(C=0.5).fit(X, y).summary(X, y)
    assert "would not be valid" in str(penalised) and "P>|z|" not in str(penalised)
    assert "p_value" not in penalised.frame.columns and "std_err" not in penalised.frame.columns


def test_summary_input_errors():
    X = pd.DataFrame({"a": [0.0, 1, 2, 3], "b": [1.0, 0, 1, 0]})
    y = [0, 1, 0, 1]
    model = LogisticRegression().fit(X, y)
    with pytest.raises(ValueError, match="alpha"):
        model.summary(X, y, alpha=1.5)
    with pytest.raises(ValueError, match="classes"):
        model.summary(X, [0, 1, 2, 1])
    with pytest.raises(ValueError, match="fit"):
        LogisticRegression().summary(X, y)
