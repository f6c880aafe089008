"""Where ``train`` gets its rows: a table in memory (a file or a built-in data set) or a Dask cluster.

Both sources answer the same questions for the one pipeline of :mod:`crossentropy.cli.train`:
load and clean the rows and split them, fit the preprocessor, give (X, y) of each split, predict,
and describe the split and the place. Everything Dask does goes through the command-line section
of :mod:`crossentropy.distributed`; this module never imports Dask.

Differences of the Dask source: on one file and ``--dask local`` the split is the in-memory one
(the same rule applied to the row positions, with the labels brought to the client); on many files
or a remote cluster it is partition-wise (in each partition a permutation drawn from
``(seed, partition index)`` picks the test rows, not stratified; ``split.json`` records the seed
and the partition layout); ``--impute median`` is refused; string columns are one-hot
encoded by their dtype (a Parquet string column of numbers stays categorical); only the predicted
probabilities (n × K floats per split) come to the client, never the features.
"""

from __future__ import annotations

import contextlib
import copy

import numpy as np

from .. import distributed
from ..preprocessing import DataError, TabularPreprocessor
from .data_notes import check_class_loss, missing_record, target_order
from ..preprocessing.splits import SplitRule, holdout_rows
from .errors import Terminated, UsageError

__all__ = ["MemorySource", "DaskSource", "predictions", "read_data"]

#: the ``--impute`` strategies each source can compute
_DASK_STRATEGIES = ("mean", "most_frequent")


def read_data(path, **options):
    """The table ``path`` (:func:`crossentropy.io.tables.read_table` with ``options``, its name ``DATA`` in
    messages); a glob pattern that names no file is a UsageError that points to ``--dask``."""
    from pathlib import Path

    from ..io.tables import read_table

    if any(c in str(path) for c in "*?[") and not Path(path).exists():
        raise UsageError(f"DATA {str(path)!r} is a glob pattern: globs need --dask (crossentropy train --dask local "
                         "...); without it, name one file")
    return read_table(path, **options)


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


def split_rule(config) -> SplitRule:
    """The ``--split`` rule of ``config`` (``stratified`` without ``--split``)."""
    return config.split or SplitRule()


def _holdout(config, frame, labels):
    """:func:`~crossentropy.preprocessing.splits.holdout_rows` of ``frame`` by ``--split``, ``--test-size``
    and ``--seed``."""
    return holdout_rows(split_rule(config), frame, labels, test_size=config.test_size, seed=config.seed)


def data_notes(frame, prep, config) -> dict:
    """``{"missing": {column: count}, "kept_as_values": ..., "factors": ...}`` of the table as read, with one
    warning line for the strings kept as values that other tools read as missing; ``factors``: the integer
    columns that look like factor codes (:func:`~crossentropy.cli.data_notes.factor_candidates`)."""
    import warnings

    from ..preprocessing.missing_markers import describe_na_like, na_like_counts
    from .data_notes import factor_candidates

    columns = prep.feature_columns(frame)
    na_like = na_like_counts(frame, prep.na_values, columns + [prep.target])
    if na_like:
        warnings.warn(describe_na_like(na_like), UserWarning, stacklevel=2)
    factors = {} if config.data is None else factor_candidates(frame, columns, prep.categorical)
    return {"missing": {str(c): int(v) for c, v in frame.isna().sum().items() if v}, "kept_as_values": na_like,
            "factors": factors}


def _quiet_shutdown() -> None:
    """The process is ending on a signal: the client's pending tasks, cancelled as the cluster closes, would
    each log a traceback ("Task exception was never retrieved") through asyncio's and distributed's loggers."""
    import logging

    for name in ("asyncio", "distributed", "tornado"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)


@contextlib.contextmanager
def _sigint_ignored(active: bool):
    """SIGINT ignored for the block (in the main thread, when ``active``): child processes started
    meanwhile inherit the ignored disposition across ``exec``; this process's handler is restored after."""
    import signal
    import threading

    if not active or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class MemorySource:
    """Rows of a CSV/Parquet file (or a built-in data set) held in a pandas DataFrame.

    The split follows ``--split`` (:func:`crossentropy.preprocessing.splits.holdout_rows`; by default
    stratified by class where every class can be in both parts, else one row of each class kept for
    training); ``split.json`` records the rule, the method and the row positions.
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

        frame = (load_dataset(self.name) if self.config.data is None
                 else read_data(self.config.data, na_values=prep.na_values))
        prep.check_target(frame)
        split_rule(self.config).check_columns(frame.columns)
        self.notes = data_notes(frame, prep, self.config)
        self.clean, self.rows = prep.clean(frame)
        self.notes["missing_values"] = missing_record(
            self.notes["missing"], prep.feature_columns(frame) + [self.target] + prep._offset_list(), prep.missing,
            frame.shape[0] - self.clean.shape[0], self.notes["kept_as_values"])
        check_class_loss(frame[self.target].value_counts().to_dict(), self.clean[self.target].unique(), self.target,
                         allow=self.config.allow_class_loss)
        self.target_order = target_order(frame[self.target])
        labels = np.asarray(self.clean[self.target].astype(str))
        self.train_pos, self.test_pos, self.split_info = _holdout(self.config, self.clean, labels)
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
        if part == "test":  # categories the training split lacks: all zeros, counted
            self.notes["unseen_in_test"] = prep.unseen_values(rows)
            return prep.transform(rows, unknown="ignore"), prep.target_values(rows)
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
        return {"rows": "0-based positions of the data rows in DATA", **self.split_info,
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
        """Connected to the cluster (ConnectionError on entry when it cannot be reached).

        The processes of ``--dask local`` are started with SIGINT ignored, which they keep: a Ctrl-C
        reaches the whole foreground process group, and each worker would print its own traceback;
        the command alone stops (one line), and closing the cluster ends them.
        """
        with contextlib.ExitStack() as stack:
            with _sigint_ignored(self.config.dask == "local"):
                client = stack.enter_context(distributed.cluster_session(self.config.dask,
                                                                   timeout=self.config.dask_timeout))
            self.info = distributed.cluster_info(client, self.config.dask)
            try:
                yield client
            except (KeyboardInterrupt, SystemExit, Terminated):
                _quiet_shutdown()
                raise

    @property
    def where(self) -> str:
        """Where the rows live, for the summary line."""
        return f" (Dask, {self.info['n_workers']} workers, {self.n_partitions} partitions)"

    def load(self, prep):
        """Read the table on the workers, apply the missing-value policy, split; return (n_rows, n_dropped)."""
        frame = distributed.read_table(self.config.data, na_values=prep.na_values)
        self.files = distributed.table_files(self.config.data)
        prep.check_target(frame)
        split_rule(self.config).check_columns(frame.columns)
        self.columns = prep.feature_columns(frame)
        self.read_lengths, missing, na_like = distributed.missing_counts(frame, self.columns + [self.target],
                                                                         prep.na_values)
        if na_like:
            import warnings

            from ..preprocessing.missing_markers import describe_na_like

            warnings.warn(describe_na_like(na_like), UserWarning, stacklevel=2)
        n_rows = sum(self.read_lengths)
        self.lengths, n_dropped, read = self.read_lengths, 0, frame
        if prep.check_missing(missing, strategies=_DASK_STRATEGIES):
            before = frame[self.target]
            frame, self.lengths = distributed.dropna(frame, self.columns + [self.target])
            prep.check_rows_left(sum(self.lengths))
            n_dropped = n_rows - sum(self.lengths)
            check_class_loss(*distributed.class_counts(before, frame[self.target]), self.target,
                             allow=self.config.allow_class_loss)
        self.notes = {"missing": dict(missing), "kept_as_values": na_like, "missing_values": missing_record(
            missing, self.columns + [self.target], prep.missing, n_dropped, na_like)}
        self.n_partitions = len(self.lengths)
        rule, self.positional = split_rule(self.config), len(self.files) == 1 and self.config.dask == "local"
        if self.positional:  # one file on this machine: the in-memory run's rows, by the same rule
            wanted = [self.target] + ([rule.column] if rule.column is not None else [])
            small, self.rows = distributed.client_columns(read, wanted, (self.columns + [self.target])
                                                            if n_dropped else None)
            labels = np.asarray(small[self.target].astype(str))
            self.train_pos, self.test_pos, self.split_info = _holdout(self.config, small, labels)
            self.train, self.test, self.part_lengths = distributed.split_at(frame, self.test_pos, self.lengths)
        else:
            if rule.kind in ("time", "group"):
                raise UsageError(f"--split {rule.kind}:{rule.column} with --dask needs one file on --dask local; "
                                 f"DATA has {len(self.files)} file(s) on {self.config.dask}, which are split "
                                 "partition by partition (--split stratified or random)")
            self.train, self.test, self.part_lengths = distributed.split(frame, self.config.test_size, self.config.seed,
                                                                           self.lengths)
        self.n_rows, self._arrays = n_rows, None
        return n_rows, n_dropped

    def fit_preprocessing(self, prep):
        """A preprocessor fitted from the Dask statistics of the training rows (the in-memory builder)."""
        stats = distributed.table_statistics(self.train, self.target, self.columns,
                                               impute_strategy=prep.impute_strategy, categorical=prep.categorical)
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
            lenient = copy.copy(prep)  # the test rows' categories the training rows lack: all zeros
            lenient.unknown = "ignore"
            built = [a for p in parts for a in distributed.feature_arrays(prep if p == "train" else lenient,
                                                                            getattr(self, p), self.part_lengths[p])]
            built = distributed.keep_in_memory(*built)
            self._arrays = {p: tuple(built[2 * i:2 * i + 2]) for i, p in enumerate(parts)}
        return self._arrays.get(part)

    def predictions(self, estimator, X, y):
        """(y, proba, pred) computed on the cluster, as NumPy arrays on the client."""
        return distributed.predictions(estimator, X, y)

    def two_features(self, prep):
        """No decision-boundary figure: it needs the raw rows on the client."""
        return None

    @property
    def split_note(self) -> str:
        """The line saying which split rule was used."""
        if self.positional:
            return (f"split: {self.split_info['method']} on the rows of the one file, the rows an in-memory run "
                    "with the same --seed takes (split.json)")
        return (f"split: partition-wise seeded permutation, not stratified ({len(self.files)} file(s) on "
                f"{'a remote cluster' if self.config.dask != 'local' else 'a local cluster'}; split.json records the rule)")

    def split_record(self, n_train, n_test) -> dict:
        """The content of ``split.json``: the rule, its seed and the partition layout it was applied to."""
        layout = {"files": self.files, "n_partitions": self.n_partitions, "rows_per_partition_read": list(self.read_lengths),
                  "rows_per_partition": list(self.lengths), "train_rows_per_partition": list(self.part_lengths["train"]),
                  "test_rows_per_partition": list(self.part_lengths["test"]), "n_train": n_train, "n_test": n_test}
        if self.positional:
            return {"rows": "0-based positions of the data rows in DATA", **self.split_info, "seed": self.config.seed,
                    "test_size": self.config.test_size, "train_rows": self.rows[self.train_pos].tolist(),
                    "test_rows": self.rows[self.test_pos].tolist(), **layout}
        return {"method": "partition-wise seeded permutation",
                "rule": "partition i (0-based) of n_i rows, after the missing-value policy: its test rows are the "
                        "first floor(test_size * n_i + 0.5) entries of numpy.random.default_rng([seed, i])"
                        ".permutation(n_i); the others are training rows",
                "seed": self.config.seed, "test_size": self.config.test_size, **layout}

    def extra_metrics(self, estimator) -> dict:
        """The cluster: scheduler, workers, partitions and the estimator's passes over the data."""
        return {"dask": {**self.info, "n_partitions": self.n_partitions,
                         "passes_over_data": int(getattr(estimator, "n_passes_", 0))}}
