"""Tables on a Dask cluster for ``crossentropy train --dask``: read, clean, split, transform, predict.

The command line reaches these functions through :mod:`crossentropy.dispatch` only. The table is
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

import numpy as np

from ..io.tables import DataError
from ._cluster import DEFAULT_TIMEOUT, connect
from ._dask import dask

__all__ = ["cluster_session", "cluster_info", "read_table", "missing_counts", "dropna", "split", "feature_arrays",
           "predictions"]


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


def read_table(path):
    """The table at ``path`` (file, directory or glob; Parquet or CSV) as a Dask DataFrame.

    Parameters
    ----------
    path : str
        A local path is made absolute (the workers may not share this process's working directory);
        an URL (``s3://...``) is passed on.

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
    crossentropy.io.tables.DataError: DATA '/nonexistent/*.parquet' matches no file
    """
    import dask.dataframe as dd

    if "://" not in path:
        if not sorted(glob.glob(path)):
            raise DataError(f"DATA {path!r} matches no file")
        path = os.path.abspath(path)
    low = path.lower().rstrip("/*")
    try:
        if low.endswith((".csv", ".tsv", ".txt", ".csv.gz")):
            frame = dd.read_csv(path, sep="\t" if low.endswith(".tsv") else ",")
        else:
            frame = dd.read_parquet(path)
    except Exception as exc:  # pyarrow / fsspec errors of every kind
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(f"cannot read DATA {path!r} with Dask: {first}") from None
    frame.columns = [str(c) for c in frame.columns]
    return frame


def missing_counts(frame, columns) -> tuple[int, dict]:
    """(number of rows, {column: missing count} of the columns with gaps), in one pass."""
    n_rows, missing = dask.compute(frame.shape[0], frame[list(columns)].isna().sum())
    return int(n_rows), {c: int(n) for c, n in missing.items() if n}


def dropna(frame, columns) -> tuple:
    """(the rows of ``frame`` complete in ``columns``, how many there are)."""
    frame = frame.dropna(subset=list(columns))
    return frame, int(frame.shape[0].compute())


def split(frame, test_size, seed) -> tuple:
    """(train, test or None): ``dask.dataframe.random_split``, a seeded random share of each partition."""
    if test_size > 0:
        return tuple(frame.random_split([1 - test_size, test_size], random_state=seed))
    return frame, None


def _transform_partition(part, prep, names):
    import pandas as pd

    return pd.DataFrame(prep.transform(part), columns=names, index=part.index)


def _target_partition(part, prep):
    import pandas as pd

    return pd.Series(prep.target_values(part), index=part.index, name=prep.target)


def feature_arrays(prep, frame) -> tuple:
    """(X, y) of a cleaned Dask DataFrame as Dask arrays with known row chunks (one pass for the lengths).

    ``X`` has shape (n_rows, n_features) (``prep.transform`` of each partition), ``y`` shape (n_rows,).
    """
    import pandas as pd

    names = prep.feature_names_
    meta_x = pd.DataFrame({n: pd.Series([], dtype=np.float64) for n in names})
    label_dtype = object if prep.classes_dtype_ == "str" else np.asarray(prep.classes_).dtype
    meta_y = pd.Series([], dtype=label_dtype, name=prep.target)
    X = frame.map_partitions(_transform_partition, prep, names, meta=meta_x)
    y = frame.map_partitions(_target_partition, prep, meta=meta_y)
    lengths = tuple(int(v) for v in frame.map_partitions(len).compute())
    return X.to_dask_array(lengths=lengths), y.to_dask_array(lengths=lengths)


def predictions(estimator, X, y) -> tuple:
    """(y, proba, pred) as NumPy arrays on the client: the predictions come back, the features do not."""
    y, proba, pred = dask.compute(y, estimator.predict_proba(X), estimator.predict(X))
    return np.asarray(y), np.asarray(proba), np.asarray(pred)
