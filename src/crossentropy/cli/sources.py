"""Where ``train`` gets its rows: a table in memory (a file or a built-in data set) or a Dask cluster.

Both sources answer the same questions for the one pipeline of :mod:`crossentropy.cli.train`:
load and clean the rows and split them, fit the preprocessor, give (X, y) of each split, predict,
and describe the split and the place. Everything Dask does goes through the command-line section
of :mod:`crossentropy.distributed`; this module never imports Dask.

Differences of the Dask source: the split is partition-wise (in each partition a permutation drawn
from ``(seed, partition index)`` picks the test rows, not stratified; ``split.json`` records the seed
and the partition layout); ``--impute median`` is refused; string columns are one-hot
encoded by their dtype (a Parquet string column of numbers stays categorical); only the predicted
probabilities (n × K floats per split) come to the client, never the features.
"""

from __future__ import annotations

import contextlib

import numpy as np

from .. import distributed
from ..preprocessing import DataError, TabularPreprocessor
from .errors import UsageError

__all__ = ["MemorySource", "DaskSource", "predictions", "read_data"]

#: the ``--impute`` strategies each source can compute
_DASK_STRATEGIES = ("mean", "most_frequent")


def read_data(path):
    """The table ``path`` (:func:`crossentropy.io.tables.read_table`, its name ``DATA`` in messages); a glob
    pattern that names no file is a UsageError that points to ``--dask``."""
    from pathlib import Path

    from ..io.tables import read_table

    if any(c in str(path) for c in "*?[") and not Path(path).exists():
        raise UsageError(f"DATA {str(path)!r} is a glob pattern: globs need --dask (crossentropy train --dask local "
                         "...); without it, name one file")
    return read_table(path)


def predictions(estimator, X, offset=None):
    """(proba, pred) of ``estimator`` on the matrix ``X`` (as a DataFrame when it was fitted on one),
    with the rows' logit ``offset`` when the model has one.

    ``proba`` has shape (n_rows, n_classes), ``pred`` shape (n_rows,).
    """
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:  # fitted on a DataFrame: give it one, with the columns in its order
        import pandas as pd

        X = pd.DataFrame(X, columns=list(names))
    if offset is None:
        return estimator.predict_proba(X), estimator.predict(X)
    return estimator.predict_proba(X, offset=offset), estimator.predict(X, offset=offset)


#: class names shown in a warning about classes missing from a split
_MAX_NAMED = 8


def _named(classes) -> str:
    shown = ", ".join(repr(c.item() if hasattr(c, "item") else c) for c in classes[:_MAX_NAMED])
    return shown + (f" and {len(classes) - _MAX_NAMED} more" if len(classes) > _MAX_NAMED else "")


def _one_of_each_in_train(y, classes, inverse, n_test, rng):
    """Test rows drawn at random from all rows but one random row of each class (kept for training)."""
    order = rng.permutation(y.size)
    first = np.zeros(y.size, dtype=bool)
    _, keep = np.unique(inverse[order], return_index=True)  # the first row of each class in a random order
    first[order[keep]] = True
    pool = order[~first[order]]
    return np.sort(pool[:n_test])


def _split_rows(n, y, test_size, seed):
    """(train rows, test rows, how): stratified when every class has two rows, each class in training where possible.

    ``train_test_split(stratify=y)`` when every class has at least two rows and both parts can hold
    every class; else (a class of one row, or more classes than test rows) ``n_test`` rows drawn at
    random from all rows but one of each class, which stay in training (when the training part can
    hold every class), so that the model knows every class the test rows hold. Classes of the test
    part absent from the training part are reported in one warning line (the first few named);
    classes without a test row are noted in ``how`` (``split.json``'s ``method``).
    """
    import warnings

    from sklearn.model_selection import train_test_split

    rows = np.arange(n)
    if test_size == 0:
        return rows, rows[:0], "none"
    classes, inverse, counts = np.unique(y, return_inverse=True, return_counts=True)
    n_test = int(np.ceil(test_size * n))
    if n_test >= n:
        raise UsageError(f"cannot split {n} rows with --test-size {test_size}: no training rows would be left")
    if counts.min() >= 2 and n_test >= counts.size and n - n_test >= counts.size:
        try:
            train, test = train_test_split(rows, test_size=test_size, random_state=seed, stratify=y)
        except ValueError as exc:
            raise UsageError(f"cannot split {n} rows with --test-size {test_size}: {exc}") from None
        return np.sort(train), np.sort(test), "stratified"
    if n - n_test >= classes.size:
        test = _one_of_each_in_train(y, classes, inverse, n_test, np.random.RandomState(seed))
        how = "random, one row of each class kept for training"
    else:
        test = np.sort(np.random.RandomState(seed).permutation(n)[:n_test])
        how = "random"
    train = np.setdiff1d(rows, test)
    in_train, in_test = np.unique(y[train]), np.unique(y[test])
    missing_train = np.setdiff1d(in_test, in_train)
    missing_test = np.setdiff1d(classes, in_test)
    if missing_train.size:
        also = f"; {missing_test.size} class(es) have no test row ({_named(missing_test)})" if missing_test.size else ""
        warnings.warn(f"{missing_train.size} class(es) of the test split are not in the training split "
                      f"({_named(missing_train)}): the model cannot predict them{also}; the split is {how} "
                      "(stratifying needs two rows of every class and room for each class in both parts); "
                      "test metrics are computed over all classes", UserWarning, stacklevel=2)
    if missing_test.size:
        how += f"; {missing_test.size} class(es) have no test row"
    return train, test, how


class MemorySource:
    """Rows of a CSV/Parquet file (or a built-in data set) held in a pandas DataFrame.

    The split is stratified by class where every class can be in both parts
    (``sklearn.model_selection.train_test_split``), else keeps one row of each class for training
    (:func:`_split_rows`); ``split.json`` records the method and the row positions.
    """

    where = ""

    def __init__(self, config):
        from ..datasets import TARGET_COLUMN

        self.config = config
        if config.data is None:
            if config.target not in (None, TARGET_COLUMN):
                raise UsageError(f"built-in data sets have the target column {TARGET_COLUMN!r}, "
                                 f"got --target {config.target!r}")
            self.name = config.dataset or "breast_cancer"
            self.target, self.label = TARGET_COLUMN, f"builtin:{self.name}"
        else:
            if config.dataset is not None:
                raise UsageError("give either DATA or --dataset, not both")
            if config.target is None:
                raise UsageError("--target COL is required with DATA")
            self.target, self.label = config.target, str(config.data)

    def session(self):
        """Nothing to connect to."""
        return contextlib.nullcontext()

    def load(self, prep):
        """Read the table, apply the missing-value policy, split the rows; return (n_rows, n_dropped)."""
        from ..datasets import load_dataset

        frame = load_dataset(self.name) if self.config.data is None else read_data(self.config.data)
        prep.check_target(frame)
        self.notes = {"missing": {str(c): int(v) for c, v in frame.isna().sum().items() if v}}
        self.clean, self.rows = prep.clean(frame)
        labels = np.asarray(self.clean[self.target].astype(str))
        self.train_pos, self.test_pos, self.split_method = _split_rows(self.clean.shape[0], labels,
                                                                       self.config.test_size, self.config.seed)
        self.parts = {"train": self.clean.iloc[self.train_pos], "test": self.clean.iloc[self.test_pos]}
        return int(frame.shape[0]), int(frame.shape[0] - self.clean.shape[0])

    def fit_preprocessing(self, prep):
        """``prep`` fitted on the training rows."""
        return prep.fit(self.parts["train"])

    def arrays(self, prep, part):
        """(X, y) of the ``"train"`` or ``"test"`` rows; None for an empty test part."""
        rows = self.parts[part]
        if part == "test" and rows.shape[0] == 0:
            return None
        return prep.transform(rows), prep.target_values(rows)

    def offset(self, prep, part):
        """The logit offsets of the ``"train"`` or ``"test"`` rows (None without ``--offset`` or test rows)."""
        rows = self.parts[part]
        return None if rows.shape[0] == 0 else prep.offset_values(rows)

    def predictions(self, estimator, X, y, offset=None):
        """(y, proba, pred) as NumPy arrays."""
        return (y, *predictions(estimator, X, offset))

    def two_features(self, prep):
        """(X_raw, y, names, transform) for the decision-boundary figure when there are two numeric features."""
        numeric = [s for s in prep.columns_ if s["kind"] == "numeric"]
        if not (len(prep.columns_) == 2 and len(numeric) == 2):
            return None
        names = [s["name"] for s in numeric]
        X2 = self.clean[names].to_numpy(dtype=np.float64, na_value=np.nan)
        ok = ~np.isnan(X2).any(axis=1)

        def transform(grid, names=names):
            import pandas as pd

            return prep.transform(pd.DataFrame(grid, columns=names))

        return X2[ok], prep.target_values(self.clean)[ok], names, transform

    def split_record(self, n_train, n_test) -> dict:
        """The content of ``split.json``: the 0-based data rows of each part."""
        return {"rows": "0-based positions of the data rows in DATA", "method": self.split_method,
                "seed": self.config.seed, "test_size": self.config.test_size, "train_rows": self.rows[self.train_pos].tolist(),
                "test_rows": self.rows[self.test_pos].tolist()}

    def extra_metrics(self, estimator) -> dict:
        """Nothing beyond the common metrics."""
        return {}


class DaskSource:
    """Rows of a Parquet/CSV file, directory or glob read by the workers of a Dask cluster.

    ``config.dask`` is ``"local"`` (a local cluster, closed at the end) or ``tcp://HOST:PORT``;
    ``config.dask_timeout`` the seconds to wait for the scheduler (default 10).
    """

    def __init__(self, config):
        self.config = config
        if config.model != "logistic":
            raise UsageError(f"--dask trains --model logistic only, got --model {config.model}")
        if config.data is None:
            raise UsageError("--dask needs DATA: a Parquet file, directory or glob such as 'data/*.parquet'")
        if config.target is None:
            raise UsageError("--target COL is required with DATA")
        if config.dataset is not None:
            raise UsageError("give either DATA or --dataset, not both")
        if config.offset is not None:
            raise UsageError("--offset is not available with --dask; train in memory")
        if config.impute == "median":
            raise UsageError("--impute median is not available with --dask (an exact median needs a sort of "
                             "the whole column); use --impute mean or most_frequent")
        self.target, self.label = config.target, str(config.data)

    @contextlib.contextmanager
    def session(self):
        """Connected to the cluster (ConnectionError on entry when it cannot be reached)."""
        with distributed.cluster_session(self.config.dask, timeout=self.config.dask_timeout) as client:
            self.info = distributed.cluster_info(client, self.config.dask)
            yield client

    @property
    def where(self) -> str:
        """Where the rows live, for the summary line."""
        return f" (Dask, {self.info['n_workers']} workers, {self.n_partitions} partitions)"

    def load(self, prep):
        """Read the table on the workers, apply the missing-value policy, split; return (n_rows, n_dropped)."""
        frame = distributed.read_table(self.config.data)
        self.files = distributed.table_files(self.config.data)
        prep.check_target(frame)
        self.columns = prep.feature_columns(frame)
        self.read_lengths, missing = distributed.missing_counts(frame, self.columns + [self.target])
        n_rows = sum(self.read_lengths)
        self.lengths, n_dropped = self.read_lengths, 0
        if prep.check_missing(missing, strategies=_DASK_STRATEGIES):
            frame, self.lengths = distributed.dropna(frame, self.columns + [self.target])
            prep.check_rows_left(sum(self.lengths))
            n_dropped = n_rows - sum(self.lengths)
        self.n_partitions = len(self.lengths)
        self.train, self.test, self.part_lengths = distributed.split(frame, self.config.test_size, self.config.seed,
                                                                       self.lengths)
        self.n_rows, self._arrays = n_rows, None
        return n_rows, n_dropped

    def fit_preprocessing(self, prep):
        """A preprocessor fitted from the Dask statistics of the training rows (the in-memory builder)."""
        stats = distributed.table_statistics(self.train, self.target, self.columns,
                                               impute_strategy=prep.impute_strategy)
        return TabularPreprocessor.from_statistics(prep.target, stats, **prep.options())

    def arrays(self, prep, part):
        """(X, y) Dask arrays of the ``"train"`` or ``"test"`` rows; None for an empty test part.

        Both parts are built on the first call and kept in the workers' memory together when they fit
        (one read), so that the fit and the predictions use the same chunks.
        """
        if self._arrays is None:
            if not sum(self.part_lengths["train"]):
                raise DataError(f"no training rows: {self.n_rows} rows with --test-size {self.config.test_size}")
            parts = [p for p in ("train", "test") if getattr(self, p) is not None and sum(self.part_lengths[p])]
            built = [a for p in parts for a in distributed.feature_arrays(prep, getattr(self, p), self.part_lengths[p])]
            built = distributed.keep_in_memory(*built)
            self._arrays = {p: tuple(built[2 * i:2 * i + 2]) for i, p in enumerate(parts)}
        return self._arrays.get(part)

    def predictions(self, estimator, X, y):
        """(y, proba, pred) computed on the cluster, as NumPy arrays on the client."""
        return distributed.predictions(estimator, X, y)

    def two_features(self, prep):
        """No decision-boundary figure: it needs the raw rows on the client."""
        return None

    def split_record(self, n_train, n_test) -> dict:
        """The content of ``split.json``: the rule, its seed and the partition layout it was applied to."""
        return {"method": "partition-wise seeded permutation",
                "rule": "partition i (0-based) of n_i rows, after the missing-value policy: its test rows are the "
                        "first floor(test_size * n_i + 0.5) entries of numpy.random.default_rng([seed, i])"
                        ".permutation(n_i); the others are training rows",
                "seed": self.config.seed, "test_size": self.config.test_size, "files": self.files,
                "n_partitions": self.n_partitions, "rows_per_partition_read": list(self.read_lengths),
                "rows_per_partition": list(self.lengths), "train_rows_per_partition": list(self.part_lengths["train"]),
                "test_rows_per_partition": list(self.part_lengths["test"]), "n_train": n_train, "n_test": n_test}

    def extra_metrics(self, estimator) -> dict:
        """The cluster: scheduler, workers, partitions and the estimator's passes over the data."""
        return {"dask": {**self.info, "n_partitions": self.n_partitions,
                         "passes_over_data": int(getattr(estimator, "n_passes_", 0))}}
