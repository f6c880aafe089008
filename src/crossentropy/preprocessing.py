"""Tables in, feature matrices out: reading CSV/Parquet and the preprocessing that `train` fits.

``TabularPreprocessor`` learns, on the training rows only, how to turn a table into a float64 matrix:
numeric columns are imputed (optionally) and standardised, string columns are one-hot encoded, and
the target column is mapped to its sorted class labels. Its fitted state is plain JSON
(:meth:`TabularPreprocessor.to_state`), stored in the model file, so ``evaluate`` and ``predict``
apply exactly the same steps. Every problem with the data raises :class:`DataError` with a message
that names the column, the count and the fix.
"""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np

__all__ = ["DataError", "read_table", "write_table", "TabularPreprocessor", "MISSING_POLICIES", "IMPUTE_STRATEGIES"]

MISSING_POLICIES = ("error", "dropna", "impute")
IMPUTE_STRATEGIES = ("mean", "median", "most_frequent")
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
_COMPRESSION = (".gz", ".bz2", ".zip", ".xz", ".zst")
STATE_VERSION = 1


class DataError(ValueError):
    """The input table cannot be used as asked: missing file or column, missing or unencodable values."""


def _format_kind(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION:
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in PARQUET_SUFFIXES:
        return "parquet"
    if last in CSV_SUFFIXES:
        return "tsv" if last == ".tsv" else "csv"
    raise DataError(f"cannot tell the format of {str(path)!r}: use a .csv, .tsv or .parquet file")


def check_table_suffix(path, *, what: str = "DATA") -> str:
    """``"csv"``, ``"tsv"`` or ``"parquet"`` from the file name, else DataError naming ``what``."""
    try:
        return _format_kind(Path(path))
    except DataError:
        raise DataError(f"cannot tell the format of {what} {str(path)!r}: use a .csv, .tsv or .parquet file") from None


def read_table(path, *, name: str = "DATA"):
    """Read a CSV/TSV (optionally compressed) or Parquet file into a DataFrame; DataError if unusable.

    CSV floats are parsed exactly (``float_precision="round_trip"`` on pandas < 3, the default since),
    so that numbers written by pandas or Python read back bit for bit. The empty string, ``NA``, ``NaN`` (and pandas' other default
    markers) are missing values.
    """
    import pandas as pd

    p = Path(path)
    if not p.exists():
        raise DataError(f"{name} file not found: {str(p)!r}")
    if p.is_dir():
        raise DataError(f"{name} must be a file, got the directory {str(p)!r}")
    kind = _format_kind(p)
    try:
        if kind == "parquet":
            frame = pd.read_parquet(p)
        else:
            # pandas >= 3 parses floats exactly by default (and deprecates the option); older pandas needs it
            exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
            frame = pd.read_csv(p, sep="\t" if kind == "tsv" else ",", low_memory=False, **exact)
    except pd.errors.EmptyDataError:
        raise DataError(f"{name} file {str(p)!r} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read {name} file {str(p)!r} as {kind}: {first}") from None
    except Exception as exc:  # pyarrow's ArrowInvalid and friends
        if type(exc).__module__.startswith("pyarrow"):
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(f"cannot read {name} file {str(p)!r} as parquet: {first}") from None
        raise
    if frame.shape[1] == 0:
        raise DataError(f"{name} file {str(p)!r} has no columns")
    if frame.shape[0] == 0:
        raise DataError(f"{name} file {str(p)!r} has a header but no data rows")
    frame.columns = [str(c) for c in frame.columns]
    dup = sorted({c for c in frame.columns if list(frame.columns).count(c) > 1})
    if dup:
        raise DataError(f"{name} file {str(p)!r} has duplicate column names: {dup}")
    return frame


def write_table(frame, path) -> None:
    """Write ``frame`` to ``path`` (.csv/.tsv or .parquet by suffix) atomically, without the index."""
    from .io.atomic import atomic_path

    p = Path(path)
    try:
        kind = _format_kind(p)
    except DataError as exc:
        raise DataError(str(exc).replace("cannot tell the format of", "cannot tell the output format of")) from None
    with atomic_path(p) as tmp:
        if kind == "parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, sep="\t" if kind == "tsv" else ",", index=False,
                         compression="infer" if p.suffix.lower() in _COMPRESSION else None)


def _missing_counts(frame, columns):
    counts = frame[list(columns)].isna().sum()
    return {c: int(n) for c, n in counts.items() if n}


def _describe_counts(counts) -> str:
    return ", ".join(f"{c!r} ({n})" for c, n in counts.items())


def _as_number(value):
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f


def _class_dtype(values: np.ndarray):
    """Normalise target labels: (labels array, dtype name in {"str", "int", "float", "bool"})."""
    kind = values.dtype.kind
    if kind == "b":
        return values.astype(bool), "bool"
    if kind in "iu":
        return values.astype(np.int64), "int"
    if kind == "f":
        if np.all(np.isfinite(values)) and np.all(values == np.round(values)) and np.all(np.abs(values) < 2**53):
            return values.astype(np.int64), "int"
        return values.astype(np.float64), "float"
    return np.asarray([str(v) for v in values], dtype=str), "str"


def labels_from_json(values, dtype: str) -> np.ndarray:
    """Rebuild a label array from JSON values and its dtype name; ValueError if they do not match."""
    checks = {
        "str": (str, str),
        "int": (int, np.int64),
        "float": ((int, float), np.float64),
        "bool": (bool, bool),
    }
    if dtype not in checks:
        raise ValueError(f"classes_dtype must be one of {sorted(checks)}, got {dtype!r}")
    if not isinstance(values, list) or not values:
        raise ValueError(f"classes must be a non-empty list, got {type(values).__name__}")
    py_type, np_type = checks[dtype]
    for v in values:
        if not isinstance(v, py_type) or (dtype in ("int", "float") and isinstance(v, bool)):
            raise ValueError(f"classes of dtype {dtype!r} must hold {dtype} values, got {v!r}")
        if dtype == "float" and not math.isfinite(v):
            raise ValueError(f"classes must be finite, got {v!r}")
    arr = np.asarray(values, dtype=np_type)
    if len(np.unique(arr)) != arr.size or not np.array_equal(np.sort(arr), arr):
        raise ValueError(f"classes must be sorted and distinct, got {values!r}")
    return arr


def labels_to_json(classes) -> tuple[list, str]:
    """(JSON-able list, dtype name) for an array of class labels."""
    arr, dtype = _class_dtype(np.asarray(classes))
    return [v.item() if hasattr(v, "item") else v for v in arr], dtype


class TabularPreprocessor:
    r"""Table → float64 matrix: impute, one-hot encode string columns, standardise numeric ones.

    For numeric column j (after imputation) the output is
    :math:`x'_{ij} = (x_{ij} - \mu_j) / s_j` with the training mean :math:`\mu_j` and standard deviation
    :math:`s_j` (1 where :math:`s_j = 0`); a string column with categories :math:`c_1 < \dots < c_m`
    becomes m indicator columns ``name=c_k`` (all zero for a category not seen in training).

    Parameters
    ----------
    target : str
        Name of the class column.
    missing : {"error", "dropna", "impute"}, default "error"
        What to do with missing values: raise :class:`DataError` naming the columns and counts, drop
        the rows, or fill them (``impute``; the target is never imputed).
    impute_strategy : {"mean", "median", "most_frequent"}, optional
        Fill value for numeric columns when ``missing="impute"`` (computed on the training rows with
        ``sklearn.impute.SimpleImputer``); string columns always use the most frequent value.
    scale : bool, default True
        Standardise numeric columns.
    max_categories : int, default 100
        A string column with more distinct values is refused (it is an identifier, not a feature).
    ignore : sequence of str, optional
        Columns to leave out of the features.
    """

    def __init__(self, target, *, missing="error", impute_strategy=None, scale=True, max_categories=100, ignore=()):
        if missing not in MISSING_POLICIES:
            raise ValueError(f"missing must be one of {MISSING_POLICIES}, got {missing!r}")
        if missing == "impute" and impute_strategy not in IMPUTE_STRATEGIES:
            raise ValueError(f"impute_strategy must be one of {IMPUTE_STRATEGIES}, got {impute_strategy!r}")
        if missing != "impute" and impute_strategy is not None:
            raise ValueError(f"impute_strategy={impute_strategy!r} needs missing='impute', got missing={missing!r}")
        if isinstance(max_categories, bool) or not isinstance(max_categories, int) or max_categories < 1:
            raise ValueError(f"max_categories must be a positive integer, got {max_categories!r}")
        self.target = str(target)
        self.missing = missing
        self.impute_strategy = impute_strategy
        self.scale = bool(scale)
        self.max_categories = max_categories
        self.ignore = [str(c) for c in ignore]
        self.columns_ = None

    # ---------------------------------------------------------------- checks shared by fit and apply
    def feature_columns(self, frame) -> list[str]:
        """The columns of ``frame`` used as features: all but the target and the ignored ones."""
        unknown = [c for c in self.ignore if c not in frame.columns]
        if unknown:
            raise DataError(f"--ignore names column(s) not in the data: {unknown}; columns are {list(frame.columns)}")
        cols = [c for c in frame.columns if c != self.target and c not in self.ignore]
        if not cols:
            raise DataError(f"no feature columns left besides the target {self.target!r}")
        return cols

    def check_target(self, frame) -> None:
        """Raise DataError unless the target column is in ``frame``."""
        if self.target not in frame.columns:
            import difflib

            close = difflib.get_close_matches(self.target, list(frame.columns), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            shown = list(frame.columns)[:20]
            more = f" and {frame.shape[1] - 20} more" if frame.shape[1] > 20 else ""
            raise DataError(f"target column {self.target!r} not found{hint}; columns are {shown}{more}")

    def clean(self, frame, *, columns=None, with_target=True, allow_drop=True):
        """Apply the missing-value policy to the rows; return (frame, kept row positions).

        With ``missing="error"`` any missing value raises; with ``"dropna"`` the incomplete rows go
        (unless ``allow_drop`` is false, e.g. for ``predict``, which must answer every row); with
        ``"impute"`` feature gaps stay for :meth:`transform` to fill and a missing target raises.
        """
        columns = self.feature_columns(frame) if columns is None else list(columns)
        keep = np.arange(frame.shape[0])
        feat_missing = _missing_counts(frame, columns)
        target_missing = _missing_counts(frame, [self.target]) if with_target else {}
        if self.missing == "error" and (feat_missing or target_missing):
            counts = {**feat_missing, **target_missing}
            raise DataError(
                f"missing values in {len(counts)} column(s): {_describe_counts(counts)}; "
                "pass --dropna to drop those rows or --impute mean|median|most_frequent to fill them"
            )
        if self.missing == "impute" and target_missing:
            raise DataError(
                f"the target column {self.target!r} has {target_missing[self.target]} missing value(s); "
                "--impute fills features only: pass --dropna to drop those rows"
            )
        if self.missing == "dropna" and (feat_missing or target_missing):
            if not allow_drop:
                raise DataError(
                    f"missing values in {_describe_counts(feat_missing)}; the model was trained with --dropna "
                    "and predict answers every row: fill or drop these rows first"
                )
            mask = ~frame[columns + ([self.target] if with_target else [])].isna().any(axis=1).to_numpy()
            keep = keep[mask]
            frame = frame.iloc[keep]
            if frame.shape[0] == 0:
                raise DataError("no rows left after --dropna: every row has a missing value")
        return frame, keep

    # ---------------------------------------------------------------- fitting
    def _column_kind(self, frame, col):
        s = frame[col]
        kind = s.dtype.kind
        if kind in "biuf":
            values = s.to_numpy(dtype=np.float64, na_value=np.nan)
            bad = np.isinf(values)
            if bad.any():
                raise DataError(f"column {col!r} holds {int(bad.sum())} infinite value(s); replace them first")
            return "numeric", None
        if kind in "OSU" or str(s.dtype) in ("category", "string", "str") or s.dtype.name.startswith("string"):
            present = s.dropna()
            numbers = [_as_number(v) for v in present.to_numpy()]
            n_num = sum(v is not None for v in numbers)
            if n_num and n_num < len(numbers):
                row = next(i for i, v in zip(present.index, numbers) if v is None)
                bad = present.loc[row]
                raise DataError(
                    f"column {col!r} mixes numbers and text (e.g. {bad!r} in data row {int(row) + 1}): "
                    "non-numeric values that cannot be encoded; fix them or mark them as missing"
                )
            if n_num == len(numbers) and numbers:
                return "numeric", None
            cats = sorted({str(v) for v in present.to_numpy()})
            if len(cats) > self.max_categories:
                raise DataError(
                    f"column {col!r} holds {len(cats)} distinct strings in the training rows, more than --max-categories "
                    f"{self.max_categories}: it cannot be one-hot encoded sensibly; drop it with --ignore {col}"
                )
            return "categorical", cats
        raise DataError(f"column {col!r} has dtype {s.dtype}, which cannot be encoded as a feature; drop it with --ignore {col}")

    def fit(self, frame):
        """Learn column kinds, categories, fill values, scaling and classes from the training rows."""
        import pandas as pd
        from sklearn.impute import SimpleImputer

        self.check_target(frame)
        columns = self.feature_columns(frame)
        specs = []
        for col in columns:
            kind, cats = self._column_kind(frame, col)
            spec = {"name": col, "kind": kind}
            if kind == "categorical":
                spec["categories"] = cats
                present = frame[col].notna().to_numpy()
                column = np.array([str(v) if ok else np.nan for v, ok in zip(frame[col].to_numpy(dtype=object), present)],
                                  dtype=object)
            else:
                column = pd.to_numeric(frame[col], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
            gaps = pd.isna(column)
            fill = None
            if self.missing == "impute":  # a fill value for every column: predict may meet gaps unseen in training
                if gaps.all():
                    raise DataError(f"column {col!r} has no values at all in the training rows: nothing to impute from")
                strategy = self.impute_strategy if kind == "numeric" else "most_frequent"
                imputer = SimpleImputer(strategy=strategy, missing_values=np.nan)
                stat = imputer.fit(column.reshape(-1, 1)).statistics_[0]
                fill = str(stat) if kind == "categorical" else float(stat)
                column = np.where(gaps, fill, column)
            elif gaps.any():
                raise DataError(f"column {col!r} has {int(gaps.sum())} missing value(s); drop or impute them first")
            spec["fill"] = fill
            if kind == "numeric":
                x = column.astype(np.float64)
                mean = float(np.mean(x)) if self.scale else 0.0
                std = float(np.std(x)) if self.scale else 1.0
                spec["mean"], spec["scale"] = mean, (std if std > 0 and math.isfinite(std) else 1.0)
            specs.append(spec)
        labels, dtype = _class_dtype(frame[self.target].to_numpy())
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
        self.columns_ = specs
        self.classes_ = classes
        self.classes_dtype_ = dtype
        return self

    @property
    def feature_names_(self) -> list[str]:
        """Names of the output columns: numeric names, then ``name=category`` for one-hot columns."""
        names = []
        for spec in self.columns_:
            if spec["kind"] == "categorical":
                names.extend(f"{spec['name']}={c}" for c in spec["categories"])
            else:
                names.append(spec["name"])
        return names

    @property
    def input_columns_(self) -> list[str]:
        return [spec["name"] for spec in self.columns_]

    # ---------------------------------------------------------------- applying
    def check_columns(self, frame) -> None:
        """DataError unless ``frame`` holds every feature column seen in training."""
        lacking = [c for c in self.input_columns_ if c not in frame.columns]
        if lacking:
            raise DataError(
                f"the data lack {len(lacking)} column(s) the model was trained on: {lacking[:10]}"
                f"{' ...' if len(lacking) > 10 else ''}; this model expects the feature columns "
                f"{self.input_columns_[:10]}{' ...' if len(self.input_columns_) > 10 else ''}"
            )

    def transform(self, frame):
        """Float64 matrix of shape (n_rows, n_output_features) for the rows of ``frame``."""
        import pandas as pd

        self.check_columns(frame)
        n = frame.shape[0]
        blocks = []
        for spec in self.columns_:
            col, s = spec["name"], frame[spec["name"]]
            if spec["kind"] == "numeric":
                if s.dtype.kind in "biuf":
                    x = s.to_numpy(dtype=np.float64, na_value=np.nan)
                else:
                    x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
                    bad = np.isnan(x) & s.notna().to_numpy()
                    if bad.any():
                        example = s[bad].iloc[0]
                        raise DataError(
                            f"column {col!r} was numeric in training but holds {int(bad.sum())} non-numeric "
                            f"value(s) here (e.g. {example!r}) that cannot be encoded"
                        )
                if np.isinf(x).any():
                    raise DataError(f"column {col!r} holds {int(np.isinf(x).sum())} infinite value(s)")
                gaps = np.isnan(x)
                if gaps.any():
                    if spec["fill"] is None:
                        raise DataError(f"column {col!r} has {int(gaps.sum())} missing value(s)")
                    x = np.where(gaps, spec["fill"], x)
                blocks.append(((x - spec["mean"]) / spec["scale"]).reshape(n, 1))
            else:
                cats = spec["categories"]
                values = s.astype(object)
                gaps = values.isna().to_numpy()
                strs = np.array(["" if g else str(v) for v, g in zip(values.to_numpy(), gaps)], dtype=object)
                if gaps.any():
                    if spec["fill"] is None:
                        raise DataError(f"column {col!r} has {int(gaps.sum())} missing value(s)")
                    strs[gaps] = spec["fill"]
                onehot = (strs[:, None] == np.asarray(cats, dtype=object)[None, :]).astype(np.float64)
                unseen = onehot.sum(axis=1) == 0
                if unseen.any():
                    examples = sorted({str(v) for v in strs[unseen]})[:3]
                    warnings.warn(
                        f"column {col!r}: {int(unseen.sum())} value(s) not seen in training (e.g. {examples}) "
                        "are encoded as all zeros",
                        UserWarning,
                        stacklevel=2,
                    )
                blocks.append(onehot)
        return np.hstack(blocks) if blocks else np.empty((n, 0))

    def target_values(self, frame) -> np.ndarray:
        """The target column as labels of the training dtype; DataError for a missing value."""
        self.check_target(frame)
        s = frame[self.target]
        if s.isna().any():
            raise DataError(f"the target column {self.target!r} has {int(s.isna().sum())} missing value(s)")
        labels, _ = _class_dtype(s.to_numpy())
        if self.classes_dtype_ == "str":
            labels = np.asarray([str(v) for v in s.to_numpy()], dtype=str)
        else:
            try:
                labels = labels.astype({"int": np.int64, "float": np.float64, "bool": bool}[self.classes_dtype_])
            except (TypeError, ValueError):
                raise DataError(f"the target column {self.target!r} does not hold {self.classes_dtype_} labels") from None
        return labels

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
            "columns": [dict(spec) for spec in self.columns_],
            "classes": classes,
            "classes_dtype": dtype,
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
        if not isinstance(state, dict):
            raise ValueError(f"preprocessing must be an object, got {type(state).__name__}")
        expected = {"version", "target", "missing", "impute_strategy", "scale", "max_categories", "ignore", "columns",
                    "classes", "classes_dtype"}
        if set(state) != expected:
            raise ValueError(f"preprocessing fields must be {sorted(expected)}, got {sorted(state)}")
        if state["version"] != STATE_VERSION:
            raise ValueError(f"preprocessing version must be {STATE_VERSION}, got {state['version']!r}")
        if not isinstance(state["target"], str):
            raise ValueError(f"preprocessing target must be a string, got {state['target']!r}")
        if not isinstance(state["scale"], bool):
            raise ValueError(f"preprocessing scale must be a boolean, got {state['scale']!r}")
        if not isinstance(state["ignore"], list) or not all(isinstance(c, str) for c in state["ignore"]):
            raise ValueError(f"preprocessing ignore must be a list of strings, got {state['ignore']!r}")
        self = cls(state["target"], missing=state["missing"], impute_strategy=state["impute_strategy"],
                   scale=state["scale"], max_categories=state["max_categories"], ignore=state["ignore"])
        columns = state["columns"]
        if not isinstance(columns, list) or not columns:
            raise ValueError("preprocessing columns must be a non-empty list")
        seen = set()
        for spec in columns:
            _check_column_spec(spec, state["missing"])
            if spec["name"] in seen or spec["name"] == state["target"]:
                raise ValueError(f"preprocessing column {spec['name']!r} is repeated or is the target")
            seen.add(spec["name"])
        self.columns_ = [dict(spec) for spec in columns]
        self.classes_ = labels_from_json(state["classes"], state["classes_dtype"])
        self.classes_dtype_ = state["classes_dtype"]
        if self.classes_.size < 2:
            raise ValueError("preprocessing classes must hold at least two labels")
        return self


def _finite_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_column_spec(spec, missing) -> None:
    if not isinstance(spec, dict) or not isinstance(spec.get("name"), str):
        raise ValueError(f"each preprocessing column must be an object with a string name, got {spec!r}")
    name, kind = spec["name"], spec.get("kind")
    if kind == "numeric":
        if set(spec) != {"name", "kind", "fill", "mean", "scale"}:
            raise ValueError(f"numeric column {name!r} must have fields name, kind, fill, mean, scale; got {sorted(spec)}")
        if not _finite_number(spec["mean"]) or not _finite_number(spec["scale"]) or spec["scale"] <= 0:
            raise ValueError(f"numeric column {name!r} needs a finite mean and a positive scale, got {spec['mean']!r}, {spec['scale']!r}")
        if spec["fill"] is not None and not _finite_number(spec["fill"]):
            raise ValueError(f"numeric column {name!r} has a bad fill value {spec['fill']!r}")
    elif kind == "categorical":
        if set(spec) != {"name", "kind", "fill", "categories"}:
            raise ValueError(f"categorical column {name!r} must have fields name, kind, fill, categories; got {sorted(spec)}")
        cats = spec["categories"]
        if not isinstance(cats, list) or not cats or not all(isinstance(c, str) for c in cats) or cats != sorted(set(cats)):
            raise ValueError(f"categorical column {name!r} needs sorted distinct string categories, got {cats!r}")
        if spec["fill"] is not None and spec["fill"] not in cats:
            raise ValueError(f"categorical column {name!r} has a fill value {spec['fill']!r} that is not a category")
    else:
        raise ValueError(f"preprocessing column {name!r} has unknown kind {kind!r}")
    if (spec["fill"] is not None) != (missing == "impute"):
        raise ValueError(f"column {name!r} must have a fill value exactly when missing='impute', got fill={spec['fill']!r}")
