"""``OrdinalRegression(penalty=None)`` detects separated levels: PerfectSeparationWarning naming the columns,
``converged_`` False; a fit on data with a finite estimate is left alone.

Oracle: the two linear programmes of ordinal separation in tests/separation_lp.py (HiGHS), written
from the definition (every row's own-level probability tends to 1 along a direction of
(beta, thresholds)). Data: the UCLA graduate-school application table that statsmodels ships with its
ordinal-model tests (400 rows, ``apply`` unlikely < somewhat likely < very likely); made
quasi-completely separated by leaving out the rows with parental education (``pared``) 1 at the lowest
level and 0 at the highest; completely separated by ordering the levels by ``gpa`` (cut at 3 and 3.5).
Random small designs: whatever the oracle finds, the detection never claims a separation it does not
prove, and finds every complete one.
"""

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crossentropy import OrdinalRegression
from crossentropy.exceptions import PerfectSeparationWarning
from separation_lp import ordinal_separation

UCLA = Path(__import__("statsmodels").__file__).parent / "miscmodels" / "tests" / "results" / "ologit_ucla.csv"
LEVELS = ["unlikely", "somewhat likely", "very likely"]


def _tables():
    t = pd.read_csv(UCLA)
    X = t[["pared", "public", "gpa"]].astype(float)
    y = t["apply"].map({lv: i for i, lv in enumerate(LEVELS)}).to_numpy()
    quasi = ~(((t["pared"] == 1) & (y == 0)) | ((t["pared"] == 0) & (y == 2))).to_numpy()
    cut = np.digitize(t["gpa"].to_numpy(), [3.0, 3.5])
    return {"ucla": (X, y, None), "quasi": (X[quasi].reset_index(drop=True), y[quasi], ["pared"]),
            "complete": (X, cut, ["gpa"])}


TABLES = _tables()


def _fit(X, y):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = OrdinalRegression().fit(X, y)
    return est, [w for w in caught if issubclass(w.category, PerfectSeparationWarning)]


@pytest.mark.parametrize("name", list(TABLES))
def test_separation_is_detected_as_the_linear_programme_finds_it(name):
    X, y, columns = TABLES[name]
    kind = ordinal_separation(X, y, np.ones(len(y)))
    assert kind == {"ucla": None, "quasi": "quasi-complete", "complete": "complete"}[name]
    est, caught = _fit(X, y)
    assert est.separation_ == kind
    if kind is None:
        assert est.converged_ and not caught and est.separated_features_ == []
        return
    assert not est.converged_ and est.separated_features_ == columns
    assert len(caught) == 1 and all(c in str(caught[0].message) for c in columns)
    assert "penalty='l2'" in str(caught[0].message)
    with pytest.warns(PerfectSeparationWarning, match=columns[0]):
        summary = est.summary(X, y)
    assert "separated" in summary.note
    with warnings.catch_warnings():  # a penalty gives a finite estimate and no warning
        warnings.simplefilter("error", PerfectSeparationWarning)
        assert OrdinalRegression(penalty="l2").fit(X, y).separation_ is None


@pytest.mark.parametrize("seed", range(12))
def test_random_small_designs_are_never_claimed_separated_without_proof(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(8, 16))
    X = rng.normal(size=(n, 2))
    y = np.r_[0, 1, 2, rng.integers(0, 3, n - 3)]
    if seed % 3 == 0:  # levels ordered along a direction of X: complete separation
        z = X @ np.array([1.0, 0.5])
        y = np.digitize(z, np.quantile(z, [1 / 3, 2 / 3]))
    kind = ordinal_separation(X, y, np.ones(n))
    est, caught = _fit(X, y)
    if est.separation_ is not None:
        assert kind is not None and not est.converged_ and caught
    if kind == "complete":
        assert est.separation_ == "complete"
