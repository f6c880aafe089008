"""A warm start from NaN coefficients: an error naming warm_start and coef_, never "logits must be finite"."""

import numpy as np
import pytest

from crossentropy.linear_model import LogisticRegression


@pytest.mark.parametrize("attr", ["coef_", "intercept_"])
def test_warm_start_from_non_finite_coefficients_is_refused(attr):
    X = np.random.default_rng(0).normal(size=(20, 2))
    y = np.arange(20) % 2
    model = LogisticRegression(warm_start=True).fit(X, y)
    getattr(model, attr)[0] = np.nan
    with pytest.raises(ValueError, match=r"warm_start=True starts from coef_ and intercept_, which must be finite") as info:
        model.fit(X, y)
    assert "logits" not in str(info.value)
