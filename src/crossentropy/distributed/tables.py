"""Tables on a Dask cluster for ``crossentropy train --dask``: read, clean, split, transform, predict.

The command line reaches these functions through this package's lazy entry (:mod:`crossentropy.distributed`) only. The table is
read by the workers (``dask.dataframe.read_parquet`` of a file, directory or glob such as
``'data/*.parquet'``; CSV globs work too); the fitted
:class:`~crossentropy.preprocessing.TabularPreprocessor` is applied to each partition; only the
predictions (n × K floats) come back to the client, never the features. Paths are read by the
workers: a remote cluster needs them on a shared file system or an URL.
"""

from __future__ import annotations

import contextlib
import glob
import os
from pathlib import Path

import numpy as np

from ..exceptions import DataError
from ..io.tables import _COMPRESSION, csv_separator, table_format
from ..preprocessing.missing_markers import mark_missing, na_like_counts
from ._cluster import DEFAULT_TIMEOUT, connect
from ._dask import dask

__all__ = ["cluster_session", "cluster_info", "table_files", "read_table", "class_counts", "missing_counts", "dropna",
           "holdout_counts", "holdout_positions", "split", "client_columns", "split_at", "keep_in_memory",
           "feature_arrays", "predictions"]


@contextlib.contextmanager
def cluster_session(address, *, timeout=None):
    """A :class:`distributed.Client` on ``address`` (``"local"``: a new local cluster), closed at the end.

    Raises :class:`ConnectionError` (or ValueError for a malformed address) on entry, with nothing
    left running, when no scheduler answers within ``timeout`` seconds (default 10).

    Examples
    --------
    >>> with cluster_session("tcp://127.0.0.1:9", timeout=0.5):  # doctest: +ELLIPSIS
    ...     pass
    Traceback (most recent call last):
    ...
    ConnectionError: cannot reach the Dask scheduler at 'tcp://127.0.0.1:9' within 0.5 s: ...
    """
    client = connect(address, timeout=DEFAULT_TIMEOUT if timeout is None else timeout)
    cluster = client.cluster if address == "local" else None
    try:
        with client.as_current():
            yield client
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


def cluster_info(client, address) -> dict:
    """``{"scheduler": ..., "n_workers": ...}`` of a client (``"local"`` for a local cluster)."""
    workers = client.scheduler_info(n_workers=-1)["workers"]
    return {"scheduler": address if address == "local" else client.scheduler.address, "n_workers": len(workers)}


def table_files(path) -> list[str]:
    """The files of ``path`` in the order Dask reads them: a glob's matches or a directory's Parquet
    files, sorted (an URL is given back as it is).

    Examples
    --------
    >>> table_files("/nonexistent/*.parquet")
    []
    """
    if "://" in path:
        return [path]
    if os.path.isdir(path):
        return sorted(str(p) for p in Path(path).resolve().rglob("*") if p.is_file() and not p.name.startswith(("_", ".")))
    return sorted(os.path.abspath(p) for p in glob.glob(path))


def _as_read(part):
    """Each partition as read (an identity): see :func:`read_table`."""
    return part


def read_table(path, na_values=()):
    """The table at ``path`` (file, directory or glob; Parquet or CSV) as a Dask DataFrame.

    The partitions are those of the files (and row groups) as Dask plans the read, the same in every
    computation: the read sits under an identity :meth:`~dask.dataframe.DataFrame.map_partitions`,
    which stops Dask from pushing a computation's column selection into the read, where it would fuse
    the files into fewer, differently cut partitions (as it does for a projected Parquet read) and a
    partition-wise split or length would no longer describe the same rows from one graph to the next.

    Parameters
    ----------
    path : str
        A local path is made absolute (the workers may not share this process's working directory);
        an URL (``s3://...``) is passed on.
    na_values : sequence of str, default ()
        Missing-value markers besides empty fields (``NA``, ``None``, ... are values otherwise), as
        :func:`crossentropy.io.tables.read_table` reads them.

    Returns
    -------
    dask.dataframe.DataFrame
        Column names as strings.

    Raises
    ------
    DataError
        Nothing matches ``path``, or Dask cannot read it.

    Examples
    --------
    >>> read_table("/nonexistent/*.parquet")
    Traceback (most recent call last):
    ...
    crossentropy.exceptions.DataError: DATA '/nonexistent/*.parquet' matches no file
    """
    import dask.dataframe as dd

    files = []
    if "://" not in path:
        files = table_files(path)
        if not files:
            raise DataError(f"DATA {path!r} matches no file")
        path = os.path.abspath(path)
    fmt = _one_format(path, files)
    if files:
        _check_schemas(files, fmt)
    try:
        if fmt == "csv":
            sources = files or [path]
            sep = csv_separator(files[0]) if files else "\t" if _kind(path) == "tsv" else ","
            compressed = any(Path(str(f).lower()).suffix in _COMPRESSION for f in sources)  # read whole: not cut
            frame = dd.read_csv(files or path, sep=sep, keep_default_na=False, na_values=["", *na_values],
                                compression="infer", **({"blocksize": None} if compressed else {}))
        else:
            frame = dd.read_parquet(path)
            if na_values or any(frame[c].dtype.kind == "O" or str(frame[c].dtype).startswith(("string", "str"))
                                for c in frame.columns):
                frame = frame.map_partitions(mark_missing, tuple(na_values), meta=frame._meta)
    except Exception as exc:  # pyarrow / fsspec errors of every kind
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read DATA {path!r} with Dask: {first}") from None
    frame.columns = [str(c) for c in frame.columns]
    return frame.map_partitions(_as_read, meta=frame._meta)


def class_counts(before, after) -> tuple[dict, np.ndarray]:
    """({label: rows} of the target ``before`` a drop, the distinct labels ``after`` it), in one pass."""
    counts, kept = dask.compute(before.dropna().value_counts(split_out=1), after.dropna().unique(split_out=1))
    return {k: int(v) for k, v in counts.items()}, np.asarray(kept)


def _kind(name) -> str:
    """``"csv"``, ``"tsv"`` or ``"parquet"`` (anything else: a directory or a glob of Parquet parts) by a
    file's suffixes, a compression suffix after .csv/.tsv/.txt allowed (``data.tsv.gz`` is TSV)."""
    try:
        return table_format(str(name).lower().rstrip("/*"))
    except DataError:
        return "parquet"


def _one_format(path, files) -> str:
    """``"csv"`` (CSV or TSV text) or ``"parquet"``: the one format of ``files`` (DataError naming both
    formats and a file of each when they are mixed; Dask would read only the files of one of them)."""
    if not files:
        return "csv" if _kind(path) != "parquet" else "parquet"
    kinds = {}
    for f in files:
        kinds.setdefault("parquet" if _kind(f) == "parquet" else "csv", f)
    if len(kinds) > 1:
        raise DataError(f"DATA {path!r} mixes CSV and Parquet files (e.g. {kinds['csv']!r} and {kinds['parquet']!r}): "
                        "Dask reads one format; convert the files to one format or point DATA at one of them "
                        "with a glob such as 'DIR/*.parquet'")
    return next(iter(kinds))


def _file_columns(name, fmt, sep=",") -> dict:
    """{column: type text} of one file, read from its header (CSV, separated by ``sep``) or its schema
    (Parquet) only."""
    if fmt == "csv":
        import pandas as pd

        header = pd.read_csv(name, sep=sep, nrows=0)
        return {str(c): "text" for c in header.columns}
    import pyarrow.parquet as pq

    schema = pq.read_schema(name)
    return {str(n): str(t) for n, t in zip(schema.names, schema.types) if not str(n).startswith("__index_level_")}


def _check_schemas(files, fmt) -> None:
    """Every file has the columns of the first (DataError naming the column and the file), CSV files
    the separator of the first (Dask reads them all with one), and no Parquet binary column (bytes
    have no meaning as a feature; Dask's workers fail on them)."""
    import pyarrow as pa

    first = first_sep = None
    for name in files:
        try:
            sep = csv_separator(name) if fmt == "csv" else None
            columns = _file_columns(name, fmt, sep)
        except (OSError, ValueError, pa.ArrowException) as exc:
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DataError(f"cannot read the columns of {name!r}: {first_line}") from None
        binary = [c for c, t in columns.items() if "binary" in t]
        if binary:
            raise DataError(f"column {binary[0]!r} of {name!r} holds Parquet binary values (bytes), which cannot "
                            "be a feature or a target: store it as text, or leave it out of the files")
        if first is None:
            first, first_name, first_sep = columns, name, sep
            continue
        if sep != first_sep:
            raise DataError(f"{name!r} is separated by {sep!r} but the first file {first_name!r} by {first_sep!r}: "
                            "Dask reads every file with one separator; write the files with one separator")
        extra = [c for c in columns if c not in first]
        if extra:
            raise DataError(f"column {extra[0]!r} is in {name!r} but not in the first file {first_name!r}: Dask takes "
                            "the columns of the first file and would drop it; give every file the same columns")
        lacking = [c for c in first if c not in columns]
        if lacking:
            raise DataError(f"column {lacking[0]!r} of the first file {first_name!r} is missing from {name!r}: "
                            "give every file the same columns")


def missing_counts(frame, columns, na_values=()) -> tuple[tuple, dict, dict]:
    """(rows of each partition, {column: missing count} of the columns with gaps, {column: {string: count}}
    of the strings kept as values that other tools read as missing), in one pass.

    The last is :func:`~crossentropy.preprocessing.missing_markers.na_like_counts` of each partition,
    summed, its columns in the table's order (as the in-memory count gives them).
    """
    import pandas as pd

    columns = [c for c in frame.columns if c in set(columns)]
    meta = pd.DataFrame({"column": pd.Series(dtype=object), "value": pd.Series(dtype=object),
                         "count": pd.Series(dtype="int64")})
    like = frame[columns].map_partitions(_na_like_rows, tuple(na_values), meta=meta)
    lengths, missing, like = dask.compute(frame.map_partitions(len), frame[columns].isna().sum(), like)
    total = {}
    for col, value, n in like.itertuples(index=False):
        total.setdefault(col, {})[value] = total.get(col, {}).get(value, 0) + int(n)
    na_like = {c: dict(sorted(total[c].items())) for c in columns if c in total}
    return tuple(int(n) for n in lengths), {c: int(n) for c, n in missing.items() if n}, na_like


def _na_like_rows(part, na_values):
    """:func:`~crossentropy.preprocessing.missing_markers.na_like_counts` of one partition, one row per string."""
    import pandas as pd

    rows = [(col, value, n) for col, values in na_like_counts(part, na_values).items() for value, n in values.items()]
    return pd.DataFrame(rows, columns=["column", "value", "count"]).astype({"column": object, "value": object,
                                                                             "count": "int64"})


def dropna(frame, columns) -> tuple:
    """(the rows of ``frame`` complete in ``columns``, how many each partition keeps)."""
    frame = frame.dropna(subset=list(columns))
    return frame, tuple(int(n) for n in frame.map_partitions(len).compute())


def holdout_counts(lengths, test_size) -> tuple:
    r"""Test rows of each partition: :math:`m_i = \lfloor t\,n_i + 1/2 \rfloor` of its :math:`n_i` rows.

    Examples
    --------
    >>> holdout_counts((4, 10, 1), 0.25)
    (1, 3, 0)
    """
    return tuple(int(np.floor(test_size * n + 0.5)) for n in lengths)


def holdout_positions(n, seed, partition, test_size):
    r"""Sorted positions of the test rows among the ``n`` rows of partition ``partition``.

    The first :math:`m = \lfloor t n + 1/2 \rfloor` entries of a random permutation of
    :math:`0, \dots, n-1` drawn by ``numpy.random.default_rng([seed, partition])``: each partition's
    draw depends only on the seed, its index and its length, so the split can be redrawn from the
    layout recorded in ``split.json``.

    Parameters
    ----------
    n : int
        Rows of the partition.
    seed : int
        The seed of the split.
    partition : int
        0-based index of the partition.
    test_size : float in [0, 1)

    Returns
    -------
    ndarray of int64, shape (m,)

    Examples
    --------
    >>> holdout_positions(8, 0, 0, 0.25)
    array([2, 4])
    >>> import numpy as np
    >>> np.array_equal(holdout_positions(8, 0, 0, 0.25), np.sort(np.random.default_rng([0, 0]).permutation(8)[:2]))
    True

    References
    ----------
    NumPy, *SeedSequence*: https://numpy.org/doc/stable/reference/random/bit_generators/generated/numpy.random.SeedSequence.html
    """
    m = holdout_counts((n,), test_size)[0]
    return np.sort(np.random.default_rng([int(seed), int(partition)]).permutation(int(n))[:m])


def _split_partition(part, seed, test_size, part_name, partition_info=None):
    test = np.zeros(len(part), dtype=bool)
    test[holdout_positions(len(part), seed, partition_info["number"], test_size)] = True
    return part[test] if part_name == "test" else part[~test]


def split(frame, test_size, seed, lengths) -> tuple:
    """(train, test or None, {"train": lengths, "test": lengths}): a partition-wise seeded split.

    Partition ``i`` (``lengths[i]`` rows) sends the rows :func:`holdout_positions` names to the test part
    and the others to the training part.
    """
    counts = holdout_counts(lengths, test_size)
    parts = {"train": tuple(n - m for n, m in zip(lengths, counts)), "test": counts}
    if test_size == 0:
        return frame, None, parts
    train, test = (frame.map_partitions(_split_partition, seed, test_size, name, meta=frame._meta)
                   for name in ("train", "test"))
    return train, test, parts


def client_columns(frame, columns, complete=None):
    """(the ``columns`` of ``frame`` as a pandas DataFrame on the client, 0-based positions of its rows kept).

    With ``complete`` (column names) only the rows without a gap in those columns are kept, as
    ``DataFrame.dropna(subset=complete)`` keeps them; the positions count the rows as read.
    """
    columns = list(dict.fromkeys(columns))
    if complete is None:
        small = frame[columns].compute()
        return small.reset_index(drop=True), np.arange(small.shape[0])
    import pandas as pd

    ok = frame[list(complete)].map_partitions(_complete_rows, meta=pd.Series([], dtype=bool))
    small, ok = dask.compute(frame[columns], ok)
    ok = np.asarray(ok, dtype=bool)
    return small[ok].reset_index(drop=True), np.flatnonzero(ok)


def _complete_rows(part):
    return part.notna().all(axis=1)


def _rows_at(part, positions, test):
    keep = np.zeros(len(part), dtype=bool)
    keep[positions] = True
    return part[keep] if test else part[~keep]


def split_at(frame, test_positions, lengths) -> tuple:
    """(train, test or None, {"train": lengths, "test": lengths}): the test rows at ``test_positions``.

    ``test_positions`` are 0-based positions among all rows of ``frame`` in partition order
    (``lengths[i]`` rows in partition ``i``): the split is one of rows, whatever the partitions.
    Each partition's own positions are sent to the workers once (scattered), not written into the graph.
    """
    import dask.dataframe as dd
    from dask import delayed
    from distributed import default_client

    test_positions = np.asarray(test_positions, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    local = [test_positions[(test_positions >= a) & (test_positions < b)] - a for a, b in zip(offsets[:-1], offsets[1:])]
    counts = {"train": tuple(int(n) - p.size for n, p in zip(lengths, local)), "test": tuple(p.size for p in local)}
    if test_positions.size == 0:
        return frame, None, counts
    futures = default_client().scatter(local)
    parts = frame.to_delayed()
    if len(parts) != len(lengths):
        raise RuntimeError(f"the table has {len(parts)} partitions, its lengths {len(lengths)}")
    train, test = (dd.from_delayed([delayed(_rows_at)(p, f, which) for p, f in zip(parts, futures)],
                                   meta=frame._meta, verify_meta=False) for which in (False, True))
    return train, test, counts


def keep_in_memory(*arrays) -> tuple:
    """``arrays`` persisted on the cluster in one graph when they take at most half the workers' memory.

    The fit and the predictions then share these chunks instead of each recomputing them from the
    read under the same keys; larger data stay lazy (recomputed chunk by chunk: out of core).
    """
    from .training import PERSIST_FRACTION, _cluster_memory

    memory = _cluster_memory()
    if memory is not None and sum(a.nbytes for a in arrays) > PERSIST_FRACTION * memory:
        return arrays
    return tuple(dask.persist(*arrays))


def _transform_partition(part, prep, names):
    import pandas as pd

    return pd.DataFrame(prep.transform(part), columns=names, index=part.index)


def _target_partition(part, prep):
    import pandas as pd

    return pd.Series(prep.target_values(part), index=part.index, name=prep.target)


def feature_arrays(prep, frame, lengths=None) -> tuple:
    """(X, y) of a cleaned Dask DataFrame as Dask arrays with known row chunks ``lengths`` (None: one pass).

    ``X`` has shape (n_rows, n_features) (``prep.transform`` of each partition), ``y`` shape (n_rows,).
    """
    import pandas as pd

    names = prep.feature_names_
    meta_x = pd.DataFrame({n: pd.Series([], dtype=np.float64) for n in names})
    label_dtype = object if prep.classes_dtype_ == "str" else np.asarray(prep.classes_).dtype
    meta_y = pd.Series([], dtype=label_dtype, name=prep.target)
    X = frame.map_partitions(_transform_partition, prep, names, meta=meta_x)
    y = frame.map_partitions(_target_partition, prep, meta=meta_y)
    if lengths is None:
        lengths = tuple(int(v) for v in frame.map_partitions(len).compute())
    return X.to_dask_array(lengths=lengths), y.to_dask_array(lengths=lengths)


def predictions(estimator, X, y) -> tuple:
    """(y, proba, pred) as NumPy arrays on the client: the predictions come back, the features do not."""
    y, proba, pred = dask.compute(y, estimator.predict_proba(X), estimator.predict(X))
    return np.asarray(y), np.asarray(proba), np.asarray(pred)
