r"""The offset column of a table: a fixed term of each row's logit, not a feature.

A model with an offset has logits :math:`z_i = x_i^\top\theta + o_i` (coefficient one, never fitted;
:meth:`crossentropy.LogisticRegression.fit`). The table preprocessor keeps the offset column out of
the features and reads it here, as it was given (never imputed, never scaled): numeric, finite,
without gaps.
"""

from __future__ import annotations

import numpy as np

from ..exceptions import DataError

__all__ = ["offset_values"]


def offset_values(frame, column) -> np.ndarray:
    """The column ``column`` of ``frame`` as float64 offsets of shape (n_rows,).

    Raises :class:`~crossentropy.exceptions.DataError` naming the column when it is absent, not
    numeric, or holds missing or infinite values.

    Examples
    --------
    >>> import pandas as pd
    >>> offset_values(pd.DataFrame({"log_exposure": [0.0, 1.5]}), "log_exposure").tolist()
    [0.0, 1.5]
    >>> offset_values(pd.DataFrame({"e": [0.5, None]}), "e")
    Traceback (most recent call last):
    ...
    crossentropy.exceptions.DataError: the offset column 'e' has 1 missing value(s); offsets are never imputed: fill or drop those rows
    """
    if column not in frame.columns:
        raise DataError(f"the offset column {column!r} is not in the data; columns are {list(frame.columns)[:20]}")
    s = frame[column]
    if s.dtype.kind not in "biuf":
        raise DataError(f"the offset column {column!r} must hold numbers, got dtype {s.dtype}")
    values = s.to_numpy(dtype=np.float64, na_value=np.nan)
    gaps = int(np.isnan(values).sum())
    if gaps:
        raise DataError(f"the offset column {column!r} has {gaps} missing value(s); offsets are never imputed: "
                        "fill or drop those rows")
    if not np.isfinite(values).all():
        raise DataError(f"the offset column {column!r} holds {int((~np.isfinite(values)).sum())} infinite value(s)")
    return values
