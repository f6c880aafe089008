"""A number too large for a float64 in a table is said to be one, not counted as a missing value.

Oracle: Python's ``float`` (OverflowError for the integer, inf for the string) says the value does not fit.
"""

import numpy as np
import pandas as pd
import pytest

from crossentropy.io.tables import DataError
from crossentropy.preprocessing import TabularPreprocessor


def frame(value):
    b = pd.Series([i % 3 for i in range(30)], dtype=object)
    b[5] = value
    return pd.DataFrame({"a": np.linspace(0, 1, 30), "b": b, "y": np.arange(30) % 2})


@pytest.mark.parametrize("value", [10 ** 400, "1" + "0" * 5000])
def test_training_refuses_a_number_beyond_the_float_range(value):
    if isinstance(value, int):
        with pytest.raises(OverflowError):
            float(value)
    else:
        assert float(value) == np.inf
    with pytest.raises(DataError, match=r"column 'b' holds a number too large for a float64.*data row 6") as info:
        TabularPreprocessor("y").fit(frame(value))
    assert "missing" not in str(info.value)


def test_prediction_refuses_it_too():
    prep = TabularPreprocessor("y").fit(frame(1))
    with pytest.raises(DataError, match="column 'b' holds a number too large for a float64"):
        prep.transform(frame("1" + "0" * 400))


def test_the_words_inf_and_nan_keep_their_meaning():
    with pytest.raises(DataError, match="column 'b' holds 1 infinite value"):
        TabularPreprocessor("y").fit(frame("inf"))


def test_standardising_values_near_the_float_max_does_not_overflow():
    from fractions import Fraction

    a = np.array([-1.7e308] * 9 + [1.7e308] * 3)   # mean -8.5e307: x - mean overflows for the 1.7e308 rows
    df = pd.DataFrame({"a": a, "y": np.arange(12) % 2})
    prep = TabularPreprocessor("y").fit(df)
    spec = prep.columns_[0]
    got = prep.transform(df)[:, 0]
    ref = [float((Fraction(v) - Fraction(spec["mean"])) / Fraction(spec["scale"])) for v in a]
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, ref, rtol=1e-15)


def test_values_whose_standardised_value_exceeds_the_float_range_are_refused_naming_the_column():
    df = pd.DataFrame({"a": np.linspace(0, 1, 12), "y": np.arange(12) % 2})
    prep = TabularPreprocessor("y").fit(df)
    new = pd.DataFrame({"a": [0.5, 1.7e308]})
    assert 1.7e308 / prep.columns_[0]["scale"] > np.finfo(np.float64).max / 2   # beyond the range once standardised
    with pytest.raises(DataError, match=r"column 'a' holds 1 value\(s\) \(e\.g\. 1\.7e\+308\) so far from the training"):
        prep.transform(new)
