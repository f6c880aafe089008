"""Standardising finite columns of any magnitude: exact means and scales, no overflow, no silent scale of 1.

Oracles: the exact rational mean and variance of the float64 values (``fractions.Fraction``),
rounded once to float64; scale invariance (a column multiplied by 2**k standardises to the same
matrix); the Dask statistics, which must hand the builder the same numbers.
"""

import math
from fractions import Fraction

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from crossentropy.preprocessing import DataError, TabularPreprocessor, moment_statistics, table_statistics  # noqa: E402


def _exact_mean_std(x):
    values = [Fraction(float(v)) for v in x]
    mean = sum(values) / len(values)
    var = sum((v - mean) ** 2 for v in values) / len(values)
    m = max(abs(v) for v in values)  # float(var) can overflow: take the root of var / m**2
    return float(mean), float(m) * math.sqrt(float(var / (m * m)))


def _frame(columns, n=120, seed=0):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(columns(rng, n))
    frame["y"] = rng.choice(["a", "b"], n)
    return frame


@pytest.mark.parametrize("make", [
    lambda rng, n: {"x": rng.choice([1e308, -1e308, 5e307], n)},
    lambda rng, n: {"x": rng.normal(size=n) * 1e200},
    lambda rng, n: {"x": rng.uniform(-1.0, 1.0, n) * 1.7976931348623157e308},
    lambda rng, n: {"x": rng.normal(size=n) * 1e-200},
    lambda rng, n: {"x": rng.normal(3.0, 2.0, n)},
], ids=["pm1e308", "1e200", "near-max", "1e-200", "ordinary"])
def test_mean_and_scale_are_the_exact_ones_rounded(make):
    frame = _frame(make)
    spec = TabularPreprocessor("y").fit(frame).columns_[0]
    mean, std = _exact_mean_std(frame["x"])
    assert math.isfinite(spec["mean"]) and math.isfinite(spec["scale"])
    assert spec["mean"] == pytest.approx(mean, rel=1e-12, abs=1e-12 * std)
    assert spec["scale"] == pytest.approx(std, rel=1e-12)


def test_ordinary_columns_give_the_plain_numpy_values_bit_for_bit():
    x = np.random.default_rng(5).normal(4.0, 3.0, 1001)
    st = moment_statistics(x)
    assert st["moment_scale"] == 1.0 and st["mean"] == np.mean(x) and st["var"] == np.var(x)


@pytest.mark.parametrize("k", [0, 600, 1000, -600, -1000])
def test_a_column_scaled_by_a_power_of_two_standardises_to_the_same_matrix(k):
    base = _frame(lambda rng, n: {"x": rng.normal(1.0, 2.0, n), "z": rng.normal(size=n)})
    scaled = base.copy()
    scaled["x"] = base["x"] * 2.0**k  # exact in float64 for these k
    assert np.isfinite(scaled["x"]).all() and (scaled["x"] != 0).all()
    a = TabularPreprocessor("y").fit(base).transform(base)
    b = TabularPreprocessor("y").fit(scaled).transform(scaled)
    np.testing.assert_allclose(b, a, rtol=1e-13, atol=1e-13)


def test_imputed_mean_of_a_huge_column_is_finite_and_exact():
    frame = _frame(lambda rng, n: {"x": rng.choice([1e308, -1e308, 9e307], n)})
    frame.loc[[3, 7], "x"] = np.nan
    spec = TabularPreprocessor("y", missing="impute", impute_strategy="mean").fit(frame).columns_[0]
    present = frame["x"].dropna()
    mean, _ = _exact_mean_std(present)
    assert spec["fill"] == pytest.approx(mean, rel=1e-12)
    filled = frame["x"].fillna(spec["fill"])
    assert spec["scale"] == pytest.approx(_exact_mean_std(filled)[1], rel=1e-12)


def test_a_column_too_flat_to_standardise_is_refused_naming_it():
    frame = _frame(lambda rng, n: {"flat": rng.choice([0.0, 1e-310], n), "ok": rng.normal(size=n)})
    with pytest.raises(DataError, match=r"column 'flat' varies by only .* ignore=\['flat'\]"):
        TabularPreprocessor("y").fit(frame)
    TabularPreprocessor("y", scale=False).fit(frame)  # without standardising it is fine


def test_dask_statistics_of_huge_columns_equal_the_in_memory_ones():
    dd = pytest.importorskip("dask.dataframe")
    from crossentropy.distributed.statistics import table_statistics as dask_statistics

    frame = _frame(lambda rng, n: {"big": rng.choice([1e308, -1e308, 5e307], n), "mid": rng.normal(size=n) * 1e200,
                                   "small": rng.normal(size=n)})
    columns = ["big", "mid", "small"]
    local = TabularPreprocessor("y").fit(frame)
    stats = dask_statistics(dd.from_pandas(frame, npartitions=3), "y", columns)
    remote = TabularPreprocessor.from_statistics("y", stats, **local.options())
    for a, b in zip(remote.columns_, local.columns_, strict=True):
        assert a["mean"] == pytest.approx(b["mean"], rel=1e-12, abs=1e-12 * b["scale"])
        assert a["scale"] == pytest.approx(b["scale"], rel=1e-12)
    mem = table_statistics(frame, "y", columns)["columns"]
    assert [c["moment_scale"] for c in mem] == [c["moment_scale"] for c in stats["columns"]]
