"""The table preprocessor that ``train`` fits and every model file stores: table in, float64 matrix out.

:class:`TabularPreprocessor` learns, on the training rows only, how to turn a table into a float64
matrix: numeric columns are imputed (optionally) and standardised, string columns are one-hot
encoded, and the target column is mapped to its sorted class labels. The fit is written once, in
two steps: *column statistics* (counts, means, variances, value counts, classes: see
:meth:`TabularPreprocessor.from_statistics`), computed from a pandas table by
:func:`table_statistics` or on a Dask cluster by ``crossentropy.distributed.statistics``, and the
one builder that turns them into the fitted state. That state is plain JSON
(:meth:`TabularPreprocessor.to_state`), so ``evaluate`` and ``predict`` apply exactly the same
steps. Every problem with the data raises :class:`DataError` naming the column, the count and the fix.

:class:`TabularTransformer` is the same preprocessing as a scikit-learn transformer (``fit``,
``transform``, ``get_feature_names_out``, ``feature_names_in_``), for use in a ``Pipeline``;
:func:`crossentropy.load_pipeline` returns a saved run as one. Columns that look like row IDs
(:func:`find_id_columns`) are left out of the features unless kept.
"""

from .id_columns import find_id_columns, id_column_reason
from .labels import labels_from_json, labels_to_json
from .splits import SplitRule, cv_folds, holdout_rows
from .statistics import dtype_kind, moment_statistics, table_statistics
from .tabular import IMPUTE_STRATEGIES, MISSING_POLICIES, STATE_VERSION, TabularPreprocessor
from ..exceptions import DataError

__all__ = ["DataError", "TabularPreprocessor", "table_statistics", "moment_statistics", "dtype_kind", "labels_to_json",
           "labels_from_json", "MISSING_POLICIES",
           "IMPUTE_STRATEGIES", "STATE_VERSION", "find_id_columns", "id_column_reason", "TabularTransformer",
           "SplitRule", "holdout_rows", "cv_folds"]


def __getattr__(name):  # the scikit-learn transformer loads scikit-learn: only on first use
    if name == "TabularTransformer":
        from .transformer import TabularTransformer

        globals()[name] = TabularTransformer
        return TabularTransformer
    raise AttributeError(f"module 'crossentropy.preprocessing' has no attribute {name!r}")
