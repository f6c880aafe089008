"""The table preprocessor as a scikit-learn transformer, for ``Pipeline`` and the rest of scikit-learn.

:class:`TabularTransformer` holds a fitted :class:`~crossentropy.preprocessing.TabularPreprocessor`
(``preprocessor_``) and applies it as ``crossentropy predict`` does; a run saved by
``crossentropy train`` becomes one through :func:`crossentropy.load_pipeline`.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from .tabular import TabularPreprocessor

__all__ = ["TabularTransformer"]

#: the name the labels ``y`` get inside the fitted preprocessor when no ``target`` is named
_Y = "__target__"


class TabularTransformer(TransformerMixin, BaseEstimator):
    r"""DataFrame → float64 matrix: impute, one-hot encode string columns, standardise numeric ones.

    The transformation of :class:`~crossentropy.preprocessing.TabularPreprocessor`: a numeric column
    j becomes :math:`x'_{ij} = (x_{ij} - \mu_j) / s_j` (training mean :math:`\mu_j` and population
    standard deviation :math:`s_j` of the column after imputation, :math:`s_j = 1` where it is 0), a
    string column with categories :math:`c_1 < \dots < c_m` the m indicators ``name=c_k``. Columns
    that look like row IDs are left out (see :func:`~crossentropy.preprocessing.find_id_columns`).

    Parameters
    ----------
    target : str, optional
        A class column of ``X`` to fit on when ``fit`` gets no ``y`` (it is never a feature).
    missing : {"error", "impute"}, default "error"
        Missing values raise, or are filled (``"dropna"`` cannot be used: a transformer inside a
        ``Pipeline`` must return one row per input row).
    impute_strategy : {"mean", "median", "most_frequent"}, optional
        The fill value of numeric columns with ``missing="impute"`` (string columns: most frequent).
    scale : bool, default True
        Standardise numeric columns.
    max_categories : int, default 100
        Most distinct values a string column may have.
    ignore, keep : sequence of str, default ()
        Columns to leave out; columns to use even when they look like row IDs.
    reference : dict, optional
        String column -> its reference level (default: the first in sorted order).
    drop_reference : bool, default False
        Treatment coding: no indicator for the reference level of a string column.
    na_values : str or sequence of str, optional
        Strings of text columns taken as missing besides the empty string (``"NA"``, ``"None"`` are
        values unless named here).
    categorical : sequence of str, default ()
        Numeric columns one-hot encoded as factors (integer codes); categories ``"1"``, ``"2"``, ...
    unknown : {"error", "ignore"}, default "error"
        A category not seen in training: ValueError (a ``DataError``) naming the column and up to five
        such values, or all-zero indicators (scikit-learn's ``OneHotEncoder(handle_unknown=...)``).

    Attributes
    ----------
    preprocessor_ : TabularPreprocessor
        The fitted preprocessor (its ``to_state()`` is what a model file stores).
    feature_names_in_ : ndarray of str, shape (n_features_in_,)
        The input columns read by :meth:`transform` (other columns of ``X`` are ignored).
    n_features_in_ : int

    Examples
    --------
    >>> import pandas as pd
    >>> X = pd.DataFrame({"x": [1.0, 3.0, None, 5.0], "c": ["a", "b", "a", "a"]})
    >>> step = TabularTransformer(missing="impute", impute_strategy="mean").fit(X, ["n", "p", "p", "n"])
    >>> step.get_feature_names_out().tolist(), step.feature_names_in_.tolist()
    (['x', 'c=a', 'c=b'], ['x', 'c'])
    >>> step.transform(X).round(4).tolist()
    [[-1.4142, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0], [1.4142, 1.0, 0.0]]

    References
    ----------
    Buitinck et al., *API design for machine learning software: experiences from the scikit-learn
    project*, ECML PKDD Workshop (2013).
    """

    def __init__(self, *, target=None, missing="error", impute_strategy=None, scale=True, max_categories=100,
                 ignore=(), keep=(), reference=None, drop_reference=False, na_values=None, categorical=(),
                 unknown="error"):
        self.target = target
        self.missing = missing
        self.impute_strategy = impute_strategy
        self.scale = scale
        self.max_categories = max_categories
        self.ignore = ignore
        self.keep = keep
        self.reference = reference
        self.drop_reference = drop_reference
        self.na_values = na_values
        self.categorical = categorical
        self.unknown = unknown

    @classmethod
    def from_preprocessor(cls, preprocessor) -> TabularTransformer:
        """A fitted transformer around a fitted :class:`TabularPreprocessor` (e.g. from a model file).

        Examples
        --------
        >>> import pandas as pd
        >>> frame = pd.DataFrame({"x": [1.0, 2.0, 4.0], "y": ["a", "b", "b"]})
        >>> TabularTransformer.from_preprocessor(TabularPreprocessor("y").fit(frame)).transform(frame).shape
        (3, 1)
        """
        if not isinstance(preprocessor, TabularPreprocessor) or preprocessor.columns_ is None:
            raise TypeError(f"preprocessor must be a fitted TabularPreprocessor, got {preprocessor!r:.80}")
        self = cls(target=preprocessor.target, missing=preprocessor.missing,
                   impute_strategy=preprocessor.impute_strategy, scale=preprocessor.scale,
                   max_categories=preprocessor.max_categories, ignore=tuple(preprocessor.ignore),
                   keep=tuple(preprocessor.keep), reference=dict(preprocessor.reference) or None,
                   drop_reference=preprocessor.drop_reference, na_values=tuple(preprocessor.na_values) or None,
                   categorical=tuple(preprocessor.categorical), unknown=preprocessor.unknown)
        self._set_fitted(preprocessor)
        return self

    def _set_fitted(self, preprocessor):
        self.preprocessor_ = preprocessor
        self.feature_names_in_ = np.asarray(preprocessor.input_columns_, dtype=object)
        self.n_features_in_ = len(preprocessor.input_columns_)

    def fit(self, X, y=None):
        """Learn the columns' kinds, categories, fill values and scaling from the rows of ``X``.

        Parameters
        ----------
        X : pandas.DataFrame of shape (n_rows, n_columns)
        y : array_like of shape (n_rows,), optional
            The class labels; without them ``X`` must hold the ``target`` column.

        Returns
        -------
        self
        """
        import pandas as pd

        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame (columns are picked by name), got {type(X).__name__}")
        if self.missing == "dropna":
            raise ValueError("missing='dropna' cannot be used in a transformer, which returns one row per input "
                             "row: drop the rows before, or use missing='impute'")
        if y is None:
            if self.target is None:
                raise TypeError("fit needs the class labels: pass y, or name the class column of X with target=")
            frame, target = X, self.target
        else:
            target = self.target if self.target is not None else _Y
            if target in X.columns:
                raise ValueError(f"X holds a column named {target!r} as well as y: pass one of them")
            y = np.asarray(y)
            if y.shape != (X.shape[0],):
                raise ValueError(f"y must have shape ({X.shape[0]},) to match X, got {y.shape}")
            frame = X.assign(**{target: y})
        prep = TabularPreprocessor(target, missing=self.missing, impute_strategy=self.impute_strategy,
                                   scale=self.scale, max_categories=self.max_categories, ignore=self.ignore,
                                   keep=self.keep, reference=self.reference, drop_reference=self.drop_reference,
                                   na_values=self.na_values, categorical=self.categorical, unknown=self.unknown)
        prep.check_target(frame)
        clean, _ = prep.clean(frame)
        self._set_fitted(prep.fit(clean))
        return self

    def transform(self, X):
        """The float64 matrix of shape (n_rows, len(get_feature_names_out())) for the rows of ``X``.

        ``X`` is a DataFrame holding (at least) the columns ``feature_names_in_``, or an array with
        exactly those columns in that order. Missing values are filled as in training (or raise); a
        column of a type it did not have in training (timestamps or booleans in a numeric column)
        raises, naming it; unseen categories follow ``unknown``.
        """
        import pandas as pd

        check_is_fitted(self, "preprocessor_")
        prep = self.preprocessor_
        if not isinstance(X, pd.DataFrame):
            X = np.asarray(X, dtype=object)
            if X.ndim != 2 or X.shape[1] != self.n_features_in_:
                raise ValueError(f"X must be a DataFrame or have {self.n_features_in_} columns "
                                 f"({list(self.feature_names_in_)[:5]}...), got shape {X.shape}")
            X = pd.DataFrame(X, columns=list(self.feature_names_in_)).infer_objects()
        prep.check_columns(X)
        clean, _ = prep.clean(X, columns=prep.input_columns_, with_target=False, allow_drop=False)
        return prep.transform(clean, unknown=self.unknown)

    def term_map(self, reference=None):
        """How the output features come from the input columns (:meth:`TabularPreprocessor.term_map`).

        ``reference`` maps a string column to its reference level in the coefficient table (by
        default the first level in sorted order).
        """
        check_is_fitted(self, "preprocessor_")
        return self.preprocessor_.term_map(reference)

    def get_feature_names_out(self, input_features=None):
        """The output column names: numeric columns by name, one-hot columns as ``name=category``."""
        check_is_fitted(self, "preprocessor_")
        return np.asarray(self.preprocessor_.feature_names_, dtype=object)
