"""The table preprocessor: the fitted state, its JSON form and its application to a table."""

from __future__ import annotations

import warnings

import numpy as np

from .._validation import check_bool, check_int, check_option
from .missing_markers import check_na_values, mark_missing
from ..exceptions import DataError
from .columns import (UNKNOWN_POLICIES, category_strings, encode_categories, numeric_column, refuse_unencodable,
                      unseen_counts)
from .id_columns import describe_id_columns, find_id_columns
from .labels import _class_dtype, labels_from_json, labels_to_json, target_labels
from .offset_column import offset_values
from .state_checks import STATE_VERSION, check_state
from .statistics import column_spec, standardise, table_statistics
from .terms import check_reference, indicator_levels, term_map

__all__ = ["TabularPreprocessor", "MISSING_POLICIES", "IMPUTE_STRATEGIES", "STATE_VERSION"]

MISSING_POLICIES = ("error", "dropna", "impute")
IMPUTE_STRATEGIES = ("mean", "median", "most_frequent")


def _describe_counts(counts) -> str:
    return ", ".join(f"{c!r} ({n})" for c, n in counts.items())


class TabularPreprocessor:
    r"""Table → float64 matrix: impute, one-hot encode string columns, standardise numeric ones.

    For numeric column j (after imputation) the output is
    :math:`x'_{ij} = (x_{ij} - \mu_j) / s_j` with the training mean :math:`\mu_j` and population
    standard deviation :math:`s_j` (1 where :math:`s_j = 0`); a string column with categories
    :math:`c_1 < \dots < c_m` becomes m indicator columns ``name=c_k`` (all zero for a category
    not seen in training).

    Parameters
    ----------
    target : str
        Name of the class column.
    missing : {"error", "dropna", "impute"}, default "error"
        What to do with missing values: raise :class:`DataError` naming the columns and counts, drop
        the rows, or fill them (``impute``; the target is never imputed).
    impute_strategy : {"mean", "median", "most_frequent"}, optional
        Fill value for numeric columns when ``missing="impute"`` (computed on the training rows, as
        ``sklearn.impute.SimpleImputer`` does); string columns always use the most frequent value.
    scale : bool, default True
        Standardise numeric columns.
    max_categories : int, default 100
        A string column with more distinct values is refused (it is an identifier, not a feature).
    ignore : sequence of str, optional
        Columns to leave out of the features.
    keep : sequence of str, optional
        Columns to use as features even when they look like row IDs.
    id_columns : dict, optional
        Columns already found to be row IDs (name -> reason), left out; by default (None) they are
        found in the first table the preprocessor sees (:func:`~crossentropy.preprocessing.find_id_columns`:
        index-like names such as ``rownames`` or ``Unnamed: 0``, a different string in every row,
        evenly spaced integers), left out with a :class:`UserWarning` naming them and kept in
        ``id_columns_`` and in the saved state.
    offset : str, optional
        A numeric column used as the model's logit offset (:meth:`offset_values`), not as a feature.
    reference : dict, optional
        String column -> its reference level in the coefficient table (:meth:`term_map`); the
        first level in sorted order for the columns not named. Kept in the saved state.
    drop_reference : bool, default False
        Treatment coding: no indicator for the reference level (:func:`~.terms.indicator_levels`).
    na_values : str or sequence of str, optional
        Strings of text columns read as missing values besides the empty string (see
        :mod:`crossentropy.preprocessing.missing_markers`: ``"NA"`` or ``"None"`` are values unless named here).
    categorical : sequence of str, optional
        Numeric columns to one-hot encode as factors (integer codes such as 1/2/3); their categories
        are the values' strings (:func:`~.columns.category_strings`: ``1`` and ``1.0`` are ``"1"``).
    unknown : {"error", "ignore"}, default "error"
        A category not seen in training: DataError naming the column and up to five such values, or
        all-zero indicators (scikit-learn's ``OneHotEncoder(handle_unknown=...)``).

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"x": [1.0, 3.0, 5.0], "c": ["a", "b", "a"], "y": ["n", "p", "p"]})
    >>> prep = TabularPreprocessor("y").fit(frame)
    >>> prep.feature_names_
    ['x', 'c=a', 'c=b']
    >>> prep.transform(frame).round(4).tolist()
    [[-1.2247, 1.0, 0.0], [0.0, 0.0, 1.0], [1.2247, 1.0, 0.0]]
    """

    def __init__(self, target, *, missing="error", impute_strategy=None, scale=True, max_categories=100, ignore=(),
                 keep=(), id_columns=None, offset=None, reference=None, drop_reference=False, na_values=None,
                 categorical=(), unknown="error"):
        check_option(missing, "missing", MISSING_POLICIES)
        if missing == "impute":
            check_option(impute_strategy, "impute_strategy", IMPUTE_STRATEGIES)
        elif impute_strategy is not None:
            raise ValueError(f"impute_strategy={impute_strategy!r} needs missing='impute', got missing={missing!r}")
        self.target = str(target)
        self.missing = missing
        self.impute_strategy = impute_strategy
        self.scale = check_bool(scale, "scale")
        self.max_categories = check_int(max_categories, "max_categories", low=1)
        self.ignore = [str(c) for c in ignore]
        self.keep = [str(c) for c in keep]
        self.id_columns_ = None if id_columns is None else {str(c): str(why) for c, why in dict(id_columns).items()}
        self.offset = None if offset is None else str(offset)
        if self.offset == self.target:
            raise ValueError(f"offset must be another column than the target, got offset={self.offset!r}")
        self.reference = check_reference(reference)
        self.drop_reference = check_bool(drop_reference, "drop_reference")
        self.na_values = list(check_na_values(na_values))
        if isinstance(categorical, str):
            categorical = [categorical]
        self.categorical = [str(c) for c in categorical]
        if self.target in self.categorical:
            raise ValueError(f"categorical names the target column {self.target!r}; it is a class column already")
        self.unknown = check_option(unknown, "unknown", UNKNOWN_POLICIES)
        self.columns_ = None

    def options(self) -> dict:
        """The keyword arguments this preprocessor was built with (all but ``target``)."""
        return {"missing": self.missing, "impute_strategy": self.impute_strategy, "scale": self.scale,
                "max_categories": self.max_categories, "ignore": list(self.ignore), "keep": list(self.keep),
                "id_columns": None if self.id_columns_ is None else dict(self.id_columns_), "offset": self.offset,
                "reference": dict(self.reference) or None, "drop_reference": self.drop_reference,
                "na_values": list(self.na_values), "categorical": list(self.categorical), "unknown": self.unknown}

    def term_map(self, reference=None):
        """How the output features come from the columns, for a coefficient table in raw units.

        ``reference`` (string column -> level) overrides the preprocessor's own ``reference``;
        ValueError naming a column that is not a string column or a level it does not have. See
        :func:`crossentropy.preprocessing.terms.term_map`.
        """
        if self.columns_ is None:
            raise ValueError("TabularPreprocessor is not fitted: call fit first")
        return term_map(self.columns_, self.reference, self.drop_reference, reference)

    # ---------------------------------------------------------------- checks shared by fit and apply
    def feature_columns(self, frame) -> list[str]:
        """The columns of ``frame`` used as features: all but the target, the ignored ones and the row IDs.

        The first call (``id_columns_`` None) finds the ID-like columns of ``frame`` and warns once.
        """
        for flag, names in (("--ignore", self.ignore), ("--keep", self.keep), ("--offset", self._offset_list()),
                            ("--categorical", self.categorical)):
            unknown = [c for c in names if c not in frame.columns]
            if unknown:
                raise DataError(f"{flag} names column(s) not in the data: {unknown}; columns are {list(frame.columns)}")
        cols = [c for c in frame.columns if c != self.target and c not in self.ignore and c != self.offset]
        if type(frame).__module__.startswith("pandas"):  # its values are looked at, first for what cannot be a feature
            for c in cols:
                refuse_unencodable(frame[c], c)
        if self.id_columns_ is None:
            self.id_columns_ = find_id_columns(frame, cols, keep=self.keep)
            if self.id_columns_:
                warnings.warn(describe_id_columns(self.id_columns_), UserWarning, stacklevel=2)
        cols = [c for c in cols if c not in self.id_columns_]
        if not cols:
            hint = " (pass --keep COL to use a column that looks like a row ID)" if self.id_columns_ else ""
            raise DataError(f"no feature columns left besides the target {self.target!r}{hint}")
        return cols

    def check_target(self, frame) -> None:
        """Raise DataError unless the target column is in ``frame``."""
        if self.target not in frame.columns:
            import difflib

            close = difflib.get_close_matches(self.target, list(frame.columns), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            if frame.shape[1] == 1 and any(c in str(frame.columns[0]) for c in (";", "\t", "|")):
                hint += "; the file has one column whose name holds a separator: is it separated by another character?"
            shown = list(frame.columns)[:20]
            more = f" and {len(frame.columns) - 20} more" if len(frame.columns) > 20 else ""
            raise DataError(f"target column {self.target!r} not found{hint}; columns are {shown}{more}")

    def check_missing(self, counts, *, allow_drop=True, strategies=IMPUTE_STRATEGIES) -> bool:
        """Apply the missing-value policy to per-column missing counts; True when rows must be dropped.

        Parameters
        ----------
        counts : dict
            Column name -> number of missing values (the target included when it is checked).
        allow_drop : bool, default True
            False where every row must be answered (``predict``): ``"dropna"`` then raises.
        strategies : sequence of str
            The ``--impute`` strategies the message offers.

        Examples
        --------
        >>> TabularPreprocessor("y", missing="dropna").check_missing({"x": 2})
        True
        """
        counts = {c: int(n) for c, n in counts.items() if n}
        if self.missing == "error" and counts:
            raise DataError(f"missing values in {len(counts)} column(s): {_describe_counts(counts)}; "
                            f"pass --dropna to drop those rows or --impute {'|'.join(strategies)} to fill them")
        if self.missing == "impute" and self.target in counts:
            raise DataError(f"the target column {self.target!r} has {counts[self.target]} missing value(s); "
                            "--impute fills features only: pass --dropna to drop those rows")
        if self.missing == "dropna" and counts and not allow_drop:
            raise DataError(f"missing values in {_describe_counts(counts)}; the model was trained with --dropna "
                            "and predict answers every row: fill or drop these rows first")
        return self.missing == "dropna" and bool(counts)

    @staticmethod
    def check_rows_left(n_rows) -> None:
        """DataError when ``--dropna`` left no row."""
        if n_rows == 0:
            raise DataError("no rows left after --dropna: every row has a missing value")

    def clean(self, frame, *, columns=None, with_target=True, allow_drop=True):
        """Apply the missing-value policy to the rows; return (frame, kept row positions).

        With ``missing="error"`` any missing value raises; with ``"dropna"`` the incomplete rows go
        (unless ``allow_drop`` is false, e.g. for ``predict``, which must answer every row); with
        ``"impute"`` feature gaps stay for :meth:`transform` to fill and a missing target raises.
        """
        frame = mark_missing(frame, self.na_values)
        columns = self.feature_columns(frame) if columns is None else list(columns)
        checked = columns + ([self.target] if with_target else []) + self._offset_list()
        counts = frame[checked].isna().sum()
        keep = np.arange(frame.shape[0])
        if self.check_missing(dict(counts.items()), allow_drop=allow_drop):
            keep = keep[~frame[checked].isna().any(axis=1).to_numpy()]
            frame = frame.iloc[keep]
            self.check_rows_left(frame.shape[0])
        return frame, keep

    # ---------------------------------------------------------------- fitting
    def fit(self, frame):
        """Learn column kinds, categories, fill values, scaling and classes from the training rows.

        The statistics of :func:`table_statistics` go through :meth:`from_statistics`, the builder
        the Dask path uses too.

        Parameters
        ----------
        frame : pandas.DataFrame of shape (n_rows, n_columns)
            The training rows, the target column included.

        Returns
        -------
        self
        """
        self.check_target(frame)
        stats = table_statistics(frame, self.target, self.feature_columns(frame),
                                 impute_strategy=self.impute_strategy, categorical=self.categorical)
        fitted = type(self).from_statistics(self.target, stats, **self.options())
        self.columns_, self.classes_, self.classes_dtype_ = fitted.columns_, fitted.classes_, fitted.classes_dtype_
        return self

    @classmethod
    def from_statistics(cls, target, statistics, **options) -> TabularPreprocessor:
        r"""A fitted preprocessor from column statistics: the one place the fitted state is computed.

        For a numeric column with :math:`n` present values of mean :math:`m` and population
        variance :math:`v`, and :math:`k` gaps filled with :math:`f`, the standardisation uses the
        moments of the filled column,

        .. math::
            \mu = \frac{n m + k f}{n + k}, \qquad
            s^2 = \frac{n\,(v + (m - \mu)^2) + k\,(f - \mu)^2}{n + k}.

        Parameters
        ----------
        target : str
        statistics : dict
            ``{"columns": [...], "classes": array_like}``; each column is ``{"name", "kind",
            "missing", ...}``: a ``"numeric"`` one adds ``count`` (present values), ``mean``,
            ``var`` (population variance of the present values), ``n_infinite`` and, for
            ``impute_strategy="median"`` / ``"most_frequent"``, ``median`` / ``value_counts``; a
            ``"categorical"`` one adds ``value_counts`` (string -> count of the present values).
            ``classes`` holds the distinct target labels of the training rows.
        **options
            The keyword arguments of :class:`TabularPreprocessor`.

        Returns
        -------
        TabularPreprocessor
            Fitted.

        Examples
        --------
        >>> stats = {"columns": [{"name": "x", "kind": "numeric", "count": 3, "missing": 0,
        ...                       "n_infinite": 0, "mean": 2.0, "var": 1.0}], "classes": ["a", "b"]}
        >>> TabularPreprocessor.from_statistics("y", stats).to_state()["columns"]
        [{'name': 'x', 'kind': 'numeric', 'fill': None, 'mean': 2.0, 'scale': 1.0}]
        """
        self = cls(target, **options)
        specs = [column_spec(stats, missing=self.missing, impute_strategy=self.impute_strategy, scale=self.scale,
                              max_categories=self.max_categories) for stats in statistics["columns"]]
        raw = np.asarray(statistics["classes"])
        if raw.size == 0:
            raise DataError(f"the target column {self.target!r} holds no labels in the training rows")
        labels, dtype = _class_dtype(raw)
        classes = np.unique(labels)
        if classes.size < 2:
            raise DataError(
                f"the target column {self.target!r} holds a single class ({classes[0]!r}) in the training rows; "
                "a classifier needs at least two"
            )
        if dtype == "float":
            raise DataError(
                f"the target column {self.target!r} holds non-integer numbers ({classes.size} distinct values): "
                "a classifier needs class labels"
            )
        check_reference(self.reference, specs)
        self.columns_, self.classes_, self.classes_dtype_ = specs, classes, dtype
        return self

    @property
    def feature_names_(self) -> list[str]:
        """Names of the output columns: numeric names, then ``name=category`` for one-hot columns."""
        names = []
        for spec in self.columns_:
            if spec["kind"] == "categorical":
                names.extend(f"{spec['name']}={c}" for c in indicator_levels(spec, self.reference, self.drop_reference))
            else:
                names.append(spec["name"])
        return names

    @property
    def input_columns_(self) -> list[str]:
        return [spec["name"] for spec in self.columns_]

    # ---------------------------------------------------------------- applying
    def _offset_list(self) -> list[str]:
        return [] if self.offset is None else [self.offset]

    def offset_values(self, frame):
        """The offsets of the rows of ``frame`` (float64, shape (n_rows,)), or None without an offset column."""
        return None if self.offset is None else offset_values(frame, self.offset)

    def check_columns(self, frame) -> None:
        """DataError unless ``frame`` holds every feature column seen in training (and the offset column)."""
        lacking = [c for c in self.input_columns_ + self._offset_list() if c not in frame.columns]
        if lacking:
            raise DataError(
                f"the data lack {len(lacking)} column(s) the model was trained on: {lacking[:10]}"
                f"{' ...' if len(lacking) > 10 else ''}; this model expects the feature columns "
                f"{self.input_columns_[:10]}{' ...' if len(self.input_columns_) > 10 else ''}"
            )

    def transform(self, frame, *, unknown=None):
        """Float64 matrix of shape (n_rows, n_output_features) for the rows of ``frame``.

        Each column is read as the kind it had in training (:func:`~.columns.numeric_column`: a type
        it was not trained on is refused, naming it); ``unknown`` overrides the preprocessor's policy
        for categories not seen in training.
        """
        self.check_columns(frame)
        unknown = self.unknown if unknown is None else check_option(unknown, "unknown", UNKNOWN_POLICIES)
        n = frame.shape[0]
        blocks = []
        for spec in self.columns_:
            col, s = spec["name"], frame[spec["name"]]
            if spec["kind"] == "numeric":
                x = numeric_column(spec, s)
                if np.isinf(x).any():
                    raise DataError(f"column {col!r} holds {int(np.isinf(x).sum())} infinite value(s) (inf, or numbers "
                                    "beyond the float64 range ±1.8e308)")
                gaps = np.isnan(x)
                if gaps.any():
                    if spec["fill"] is None:
                        raise DataError(f"column {col!r} has {int(gaps.sum())} missing value(s)")
                    x = np.where(gaps, spec["fill"], x)
                blocks.append(standardise(x, spec["mean"], spec["scale"], col).reshape(n, 1))
            else:
                levels = indicator_levels(spec, self.reference, self.drop_reference)
                blocks.append(encode_categories(spec, s, levels, unknown))
        return np.hstack(blocks) if blocks else np.empty((n, 0))

    def unseen_values(self, frame) -> dict:
        """Column -> {value: rows} for the values of ``frame``'s categorical columns not seen in training.

        What ``unknown="ignore"`` encodes as all zeros (gaps, which are filled or refused, are not counted).

        Examples
        --------
        >>> import pandas as pd
        >>> prep = TabularPreprocessor("y").fit(pd.DataFrame({"c": ["yes", "no"], "y": [0, 1]}))
        >>> prep.unseen_values(pd.DataFrame({"c": ["YES", "no", "YES"]}))
        {'c': {'YES': 2}}
        """
        out = {}
        for spec in self.columns_:
            if spec["kind"] == "categorical":
                s = frame[spec["name"]]
                unseen = unseen_counts(category_strings(s.dropna().to_numpy(dtype=object)), spec["categories"])
                if unseen:
                    out[spec["name"]] = unseen
        return out

    def target_values(self, frame) -> np.ndarray:
        """The target column as labels of the training dtype (:func:`~.labels.target_labels`: no value
        is coerced into a label it is not); DataError for a missing value or a value that is no label."""
        self.check_target(frame)
        s = frame[self.target]
        if s.isna().any():
            raise DataError(f"the target column {self.target!r} has {int(s.isna().sum())} missing value(s)")
        try:
            return target_labels(s.to_numpy(dtype=object), self.classes_dtype_, self.target)
        except ValueError as exc:
            raise DataError(str(exc)) from None

    # ---------------------------------------------------------------- JSON state
    def to_state(self) -> dict:
        """The fitted preprocessing as a JSON-able dict (no code, only names and numbers)."""
        if self.columns_ is None:
            raise ValueError("TabularPreprocessor is not fitted: call fit first")
        classes, dtype = labels_to_json(self.classes_)
        return {
            "version": STATE_VERSION,
            "target": self.target,
            "missing": self.missing,
            "impute_strategy": self.impute_strategy,
            "scale": self.scale,
            "max_categories": self.max_categories,
            "ignore": list(self.ignore),
            "keep": list(self.keep),
            "id_columns": dict(self.id_columns_ or {}),
            **({"reference": dict(self.reference)} if self.reference else {}),
            "columns": [dict(spec) for spec in self.columns_],
            "classes": classes,
            "classes_dtype": dtype,
            **({} if self.offset is None else {"offset": self.offset}),
            **({"drop_reference": True} if self.drop_reference else {}),
            **({"na_values": list(self.na_values)} if self.na_values else {}),
            **({"categorical": list(self.categorical)} if self.categorical else {}),
            "unknown": self.unknown,
        }

    @classmethod
    def passthrough(cls, feature_names, target, classes) -> TabularPreprocessor:
        """A fitted preprocessor that takes the named numeric columns as they are (no scaling, no gaps).

        For models saved without table preprocessing but with feature names (e.g. fitted on a
        DataFrame), so that ``evaluate`` and ``predict`` can still pick their columns from a table.
        """
        self = cls(target, scale=False)
        self.columns_ = [{"name": str(n), "kind": "numeric", "fill": None, "mean": 0.0, "scale": 1.0}
                         for n in feature_names]
        labels, self.classes_dtype_ = _class_dtype(np.asarray(classes))
        self.classes_ = np.unique(labels)
        return self

    @classmethod
    def from_state(cls, state) -> TabularPreprocessor:
        """Rebuild a fitted preprocessor from :meth:`to_state`; ValueError naming the bad field."""
        check_state(state)
        keep, ids, offset = state.get("keep", []), state.get("id_columns", {}), state.get("offset")
        self = cls(state["target"], missing=state["missing"], impute_strategy=state["impute_strategy"],
                   scale=state["scale"], max_categories=state["max_categories"], ignore=state["ignore"],
                   keep=keep, id_columns=ids, offset=offset, reference=state.get("reference"),
                   drop_reference=state.get("drop_reference", False), na_values=state.get("na_values"),
                   categorical=state.get("categorical", ()), unknown=state.get("unknown", "error"))
        self.columns_ = [dict(spec) for spec in state["columns"]]
        self.classes_ = labels_from_json(state["classes"], state["classes_dtype"])
        self.classes_dtype_ = state["classes_dtype"]
        check_reference(self.reference, self.columns_)
        if self.classes_.size < 2:
            raise ValueError("preprocessing classes must hold at least two labels")
        return self
