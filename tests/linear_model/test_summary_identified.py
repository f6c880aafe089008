"""The coefficient table in raw units with reference-coded string columns, against statsmodels' formula API.

Data: statsmodels' bundled ``anes96`` (944 respondents of the 1996 American National Election
Study), with its coded columns turned into the strings they code (party identification ``PID``
0..6 and education ``educ`` 1..7, the labels of the data set's description), so that a string
column goes through the preprocessing as a user's CSV would. Oracles: ``smf.logit`` and
``smf.mnlogit`` with ``C(col)`` (patsy's treatment contrasts, reference = first sorted level) on the
same rows; for a rank-deficient design, the statsmodels fit without the aliased column.
"""

import re

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from sklearn.pipeline import make_pipeline
from threadpoolctl import threadpool_limits

import crossentropy as ce
from crossentropy import LogisticRegression
from crossentropy.preprocessing import TabularTransformer

PARTY = {0: "strong_dem", 1: "weak_dem", 2: "ind_dem", 3: "ind", 4: "ind_rep", 5: "weak_rep", 6: "strong_rep"}
EDUC = {1: "grade_school", 2: "some_high_school", 3: "high_school", 4: "some_college", 5: "associate",
        6: "bachelor", 7: "postgraduate"}
STATS = ["estimate", "std_err", "z", "p_value", "ci_low", "ci_high"]


@pytest.fixture(autouse=True)
def _one_blas_thread():
    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def anes():
    d = sm.datasets.anes96.load_pandas().data
    frame = pd.DataFrame({"party": d.PID.map(PARTY), "age": d.age, "income": d.income, "educ": d.educ.map(EDUC),
                          "logpopul": d.logpopul, "vote": d.vote.astype(int)})
    # self-placement 1..7 on the liberal-conservative scale in three classes (sorted: conservative first)
    frame["leaning"] = pd.cut(d.selfLR, [0, 3, 4, 7], labels=["liberal", "moderate", "conservative"]).astype(str)
    return frame


def _term(name):
    """statsmodels' formula name -> ours: ``Intercept`` -> ``const``, ``C(col, ...)[T.l]`` -> ``col[T.l]``."""
    if name == "Intercept":
        return "const"
    m = re.fullmatch(r"C\((\w+).*\)(\[T\..*\])", name)
    return m.group(1) + m.group(2) if m else name


def _oracle(ref, alpha=0.05):
    ci = np.asarray(ref.conf_int(alpha=alpha))
    return pd.DataFrame({"estimate": ref.params, "std_err": ref.bse, "z": ref.tvalues, "p_value": ref.pvalues,
                         "ci_low": ci[:, 0], "ci_high": ci[:, 1]}).rename(index=_term)


def _check(ours, theirs):
    theirs = theirs.loc[ours.index]
    np.testing.assert_allclose(ours["estimate"], theirs["estimate"], rtol=1e-6, atol=1e-9)
    for c in STATS[1:]:
        np.testing.assert_allclose(ours[c], theirs[c], rtol=1e-5, atol=1e-12, err_msg=c)
    np.testing.assert_allclose(ours["odds_ratio"], np.exp(theirs["estimate"]), rtol=1e-6)
    np.testing.assert_allclose(ours["or_low"], np.exp(theirs["ci_low"]), rtol=1e-5)
    np.testing.assert_allclose(ours["or_high"], np.exp(theirs["ci_high"]), rtol=1e-5)


BINARY = ["party", "age", "income", "educ", "logpopul"]


@pytest.fixture(scope="module")
def binary_oracle(anes):
    return smf.logit("vote ~ C(party) + age + income + C(educ) + logpopul", anes).fit(disp=0, method="newton", tol=1e-12)


def _pipe(frame, columns, target, scale=True, **model):
    model = {"penalty": None, "tol": 1e-10, "max_iter": 200} | model
    return make_pipeline(TabularTransformer(scale=scale), LogisticRegression(**model)).fit(frame[columns], frame[target])


def test_binary_table_equals_statsmodels_formula_logit(anes, binary_oracle):
    pipe = _pipe(anes, BINARY, "vote")
    s = ce.summary(pipe, anes[BINARY], anes["vote"])
    assert s.frame.index.name == "term" and list(s.frame.columns) == [*STATS, "odds_ratio", "or_low", "or_high",
                                                                       "odds_ratio_per_sd", "status"]
    assert sorted(s.frame.index) == sorted(map(_term, binary_oracle.params.index))
    assert "party[T.strong_rep]" in s.frame.index and "party[T.ind]" not in s.frame.index  # 'ind' sorts first
    assert s.references == {"party": "ind", "educ": "associate"}
    _check(s.frame, _oracle(binary_oracle))
    assert s.llf == pytest.approx(binary_oracle.llf, rel=1e-9) and s.llnull == pytest.approx(binary_oracle.llnull)
    assert s.aic == pytest.approx(binary_oracle.aic, rel=1e-9) and s.df_model == binary_oracle.df_model
    np.testing.assert_allclose(s.cov, binary_oracle.cov_params().rename(index=_term, columns=_term)
                               .loc[list(s.design.names), list(s.design.names)], rtol=1e-5, atol=1e-12)
    # odds ratio per standard deviation of the raw column (population sd, as pandas computes it)
    for col in ("age", "income", "logpopul"):
        assert s.frame.loc[col, "odds_ratio_per_sd"] == pytest.approx(
            np.exp(binary_oracle.params[col] * anes[col].std(ddof=0)), rel=1e-6)
    assert s.frame["odds_ratio_per_sd"].drop(["age", "income", "logpopul"]).isna().all()
    assert (s.frame["status"] == "").all()
    text = str(s)
    assert "Reference level of 'party': 'ind'" in text and "party[T.weak_dem]" in text
    assert s.outcome == (1, 0) and "(log-odds of 1 against 0)" in text.splitlines()[1]  # classes_[1] against [0]


def test_same_table_with_and_without_standardisation(anes):
    scaled = ce.summary(_pipe(anes, BINARY, "vote"), anes[BINARY], anes["vote"]).frame
    raw = ce.summary(_pipe(anes, BINARY, "vote", scale=False), anes[BINARY], anes["vote"]).frame
    cols = [c for c in scaled.columns if c != "status"]
    np.testing.assert_allclose(raw[cols], scaled[cols], rtol=1e-6)


def test_non_default_reference_level(anes):
    ref = smf.logit("vote ~ C(party, Treatment(reference='strong_dem')) + age + income + "
                    "C(educ, Treatment(reference='high_school')) + logpopul", anes).fit(disp=0, method="newton", tol=1e-12)
    pipe = _pipe(anes, BINARY, "vote")
    s = ce.summary(pipe, anes[BINARY], anes["vote"], reference={"party": "strong_dem", "educ": "high_school"})
    assert "party[T.ind]" in s.frame.index and "party[T.strong_dem]" not in s.frame.index
    assert s.references == {"party": "strong_dem", "educ": "high_school"}
    _check(s.frame, _oracle(ref))
    with pytest.raises(ValueError, match="'party'.*'nobody'|'nobody'.*'party'"):
        ce.summary(pipe, anes[BINARY], anes["vote"], reference={"party": "nobody"})
    with pytest.raises(ValueError, match="'age'"):
        ce.summary(pipe, anes[BINARY], anes["vote"], reference={"age": "30"})


def test_design_fitted_without_the_reference_level_gives_the_same_table(anes):
    ref = smf.logit("vote ~ C(party, Treatment(reference='strong_dem')) + age + income + C(educ) + logpopul",
                    anes).fit(disp=0, method="newton", tol=1e-12)
    pipe = make_pipeline(TabularTransformer(reference={"party": "strong_dem"}, drop_reference=True),
                         LogisticRegression(penalty=None, tol=1e-10, max_iter=200)).fit(anes[BINARY], anes["vote"])
    assert pipe[-1].n_features_in_ == 3 + 6 + 6  # one indicator fewer per string column
    s = ce.summary(pipe, anes[BINARY], anes["vote"])
    assert s.references == {"party": "strong_dem", "educ": "associate"}
    assert "party[T.ind]" in s.frame.index and "party[T.strong_dem]" not in s.frame.index
    _check(s.frame, _oracle(ref))
    with pytest.raises(ValueError, match="'party'.*fitted without"):
        ce.summary(pipe, anes[BINARY], anes["vote"], reference={"party": "ind"})


def test_softmax_table_equals_statsmodels_formula_mnlogit(anes):
    cols = ["party", "age", "income"]
    data = anes.assign(code=pd.Categorical(anes["leaning"]).codes)  # codes in sorted order, as our classes
    ref = smf.mnlogit("code ~ C(party) + age + income", data).fit(disp=0, method="newton", tol=1e-12)
    s = ce.summary(_pipe(anes, cols, "leaning"), anes[cols], anes["leaning"], alpha=0.1)
    assert s.reference == "conservative" and s.frame.index.names == ["class", "term"]
    assert "relative to class conservative" in str(s)
    ci = ref.conf_int(alpha=0.1)
    for j, label in enumerate(["liberal", "moderate"]):  # statsmodels' equation j is class code j + 1
        theirs = pd.DataFrame({"estimate": ref.params[j], "std_err": ref.bse[j], "z": ref.tvalues[j],
                               "p_value": ref.pvalues[j], "ci_low": ci.loc[str(j + 1), "lower"].to_numpy(),
                               "ci_high": ci.loc[str(j + 1), "upper"].to_numpy()}).rename(index=_term)
        _check(s.frame.xs(label, level="class"), theirs)


def test_aliased_term_is_named_and_others_equal_the_fit_without_it(anes):
    data = anes.assign(combo=anes["age"] + 2 * anes["income"])  # a combination of two earlier columns
    cols = [*BINARY, "combo"]
    s = ce.summary(_pipe(data, cols, "vote", max_iter=300), data[cols], data["vote"])
    assert s.aliased == ("combo",)
    assert s.frame.loc["combo", "status"] == "aliased: not identified"
    assert s.frame.loc["combo", [*STATS, "odds_ratio"]].isna().all()
    assert "combo" in s.note and "linear combination" in s.note
    ref = smf.logit("vote ~ C(party) + age + income + C(educ) + logpopul", data).fit(disp=0, method="newton", tol=1e-12)
    _check(s.frame.drop("combo"), _oracle(ref))
    # a plain array fit with the one-hot columns of a string column next to the intercept: one level aliased
    onehot = pd.get_dummies(anes["party"], dtype=float)
    X = pd.concat([onehot, anes[["age"]]], axis=1)
    plain = LogisticRegression(penalty=None, tol=1e-10).fit(X, anes["vote"]).summary(X, anes["vote"])
    assert plain.aliased == (sorted(PARTY.values())[-1],)  # the last level: the earlier ones and const span it


def test_penalised_fits_report_estimates_without_p_values(anes):
    for penalty, extra in (("l2", {}), ("l1", {"C": 0.05})):
        pipe = _pipe(anes, BINARY, "vote", penalty=penalty, **extra)
        s = ce.summary(pipe, anes[BINARY], anes["vote"])
        assert list(s.frame.columns) == ["estimate", "odds_ratio", "odds_ratio_per_sd", "status"]
        assert s.cov is None and "would not be valid" in s.note
        text = str(s)
        assert "P>|z|" not in text and "std err" not in text
        # every level as the model has it (no reference needed with a penalty), in raw units:
        # the table's linear predictor is the model's own decision function
        assert "party[strong_dem]" in s.frame.index and not s.references
        eta = s.design.X @ s.frame["estimate"].to_numpy()
        np.testing.assert_allclose(eta, pipe.decision_function(anes[BINARY]), rtol=1e-9, atol=1e-9)
    model = pipe[-1]
    zeros = model.coef_[0] == 0
    assert zeros.any() and (~zeros).any()
    marked = s.frame.index[s.frame["status"] == "zero (l1)"]
    assert set(marked) == {name for name, z in zip(s.frame.index[1:], zeros) if z}
    assert (s.frame.loc[marked, "estimate"] == 0).all()


def test_summary_arguments_are_checked(anes):
    pipe = _pipe(anes, BINARY, "vote")
    with pytest.raises(ValueError, match="cov_type"):
        ce.summary(pipe, anes[BINARY], anes["vote"], cov_type="HC9")
    with pytest.raises(ValueError, match="groups"):
        ce.summary(pipe, anes[BINARY], anes["vote"], groups=np.zeros(len(anes)))
    with pytest.raises(ValueError, match="reference"):
        ce.summary(pipe[-1], pipe[0].transform(anes[BINARY]), anes["vote"], reference={"party": "ind"})
    with pytest.raises(TypeError, match="Pipeline"):
        ce.summary(make_pipeline(pipe[-1]), anes[BINARY], anes["vote"])


def test_without_intercept_every_level_and_centred_numeric_columns(anes):
    cols = ["party", "age", "income"]
    s = ce.summary(_pipe(anes, cols, "vote", fit_intercept=False), anes[cols], anes["vote"])
    levels = sorted(PARTY.values())
    assert list(s.frame.index) == [f"party[{lvl}]" for lvl in levels] + ["age", "income"] and not s.references
    # the model without a constant, in raw units: every indicator, the numeric columns centred at their means
    design = pd.concat([pd.get_dummies(anes["party"], dtype=float)[levels].add_prefix("party[").add_suffix("]"),
                        anes[["age", "income"]] - anes[["age", "income"]].mean()], axis=1)
    ref = sm.Logit(anes["vote"], design).fit(disp=0, method="newton", tol=1e-12)
    _check(s.frame, _oracle(ref))


@pytest.mark.filterwarnings("ignore::crossentropy.ConvergenceWarning")
def test_separated_classes_get_no_standard_errors_and_say_why():
    # y = [x > 2.5]: separated; at coefficients that large every fitted probability is 0 or 1 in float64
    X = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]})
    y = [0, 0, 0, 1, 1, 1]
    model = LogisticRegression(penalty=None, max_iter=1).fit(X, y)
    model.coef_, model.intercept_, model.converged_ = np.array([[1e4]]), np.array([-2.5e4]), False
    s = model.summary(X, y)
    assert "did not converge" in s.note and "singular" in s.note
    assert s.frame["std_err"].isna().all() and s.frame["estimate"].tolist() == [-2.5e4, 1e4]
    assert (s.frame["status"] == "no standard error: information singular").all()


def test_penalised_softmax_reports_each_class_against_the_reference_class(anes):
    cols = ["party", "age", "income"]
    pipe = _pipe(anes, cols, "leaning", penalty="l2")
    s = ce.summary(pipe, anes[cols], anes["leaning"])
    assert list(s.frame.columns) == ["estimate", "odds_ratio", "odds_ratio_per_sd", "status"]
    scores = pipe.decision_function(anes[cols])  # the model's own logits, one column per class
    for k, label in enumerate(pipe.classes_[1:], start=1):
        eta = s.design.X @ s.frame.xs(label, level="class")["estimate"].to_numpy()
        np.testing.assert_allclose(eta, scores[:, k] - scores[:, 0], rtol=1e-9, atol=1e-9)
