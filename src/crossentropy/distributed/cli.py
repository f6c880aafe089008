r"""``crossentropy train DATA --target COL --dask local|tcp://HOST:PORT``: training on a Dask cluster.

The run is the one of ``crossentropy train`` (same preprocessing, model options, printed table and
run directory), with the table read by the workers (``dask.dataframe.read_parquet`` of a file or a
glob such as ``'data/*.parquet'``; CSV globs work too) and the model fitted on the cluster. The
preprocessing is fitted with Dask reductions on the training rows (missing counts, categories,
means and standard deviations, fill values) into the same JSON state as
:class:`crossentropy.preprocessing.TabularPreprocessor`, whose ``transform`` then runs on each partition.

Differences from the in-memory path: the train/test split is ``dask.dataframe.random_split`` (a
seeded random share of each partition, not stratified); ``--impute median`` is refused (an exact
median needs a sort of the whole column); string columns are one-hot encoded by their dtype
(a Parquet string column of numbers stays categorical). The metrics and plots need the predicted
probabilities, which are brought to the client (n × K floats per split); the training data are not.
Paths are read by the workers: a remote cluster needs them on a shared file system or an URL.
"""

from __future__ import annotations

import glob
import os
import sys
import time

import numpy as np

from ._cluster import DEFAULT_TIMEOUT, connect
from ._dask import dask

__all__ = ["train_dask"]


def _cli():
    from .. import cli

    return cli


def _read(path):
    """The table at ``path`` (file, directory or glob) as a Dask DataFrame; DataError when unusable."""
    import dask.dataframe as dd

    from ..preprocessing import DataError

    remote = "://" in path
    if not remote:
        matches = sorted(glob.glob(path))
        if not matches:
            raise DataError(f"DATA {path!r} matches no file")
        path = os.path.abspath(path)  # the workers may not share this process's working directory
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


def _is_numeric(dtype):
    try:
        return np.dtype(dtype).kind in "biuf"
    except TypeError:  # pandas extension dtypes (string, category, nullable ints)
        return getattr(dtype, "kind", "O") in "biuf"


def _column_kinds(frame, columns):
    from ..preprocessing import DataError

    kinds = {}
    for col in columns:
        dtype = frame.dtypes[col]
        name = str(dtype)
        if _is_numeric(dtype):
            kinds[col] = "numeric"
        elif name in ("object", "category", "string", "str") or name.startswith("string"):
            kinds[col] = "categorical"
        else:
            raise DataError(f"column {col!r} has dtype {dtype}, which cannot be encoded as a feature; "
                            f"drop it with --ignore {col}")
    return kinds


def _str_values(series):
    return series.dropna().astype(str)


def _most_frequent(counts):
    """The most frequent value, the smallest among ties (scikit-learn's SimpleImputer rule)."""
    top = counts.max()
    return sorted(counts.index[counts == top].tolist())[0]


def fit_preprocessing(prep, train, kinds):
    """Fitted :class:`TabularPreprocessor` state from Dask reductions on ``train`` (missing policy applied)."""
    from ..preprocessing import DataError, TabularPreprocessor, _class_dtype, labels_to_json

    columns = list(kinds)
    todo = {"classes": train[prep.target].dropna().unique(split_out=1)}
    for col in columns:
        if kinds[col] == "categorical":
            todo[f"cats:{col}"] = _str_values(train[col]).unique(split_out=1)
            if prep.missing == "impute":
                todo[f"vc:{col}"] = _str_values(train[col]).value_counts(split_out=1)
        elif prep.missing == "impute":
            todo[f"vc:{col}" if prep.impute_strategy == "most_frequent" else f"fill:{col}"] = (
                train[col].dropna().value_counts(split_out=1) if prep.impute_strategy == "most_frequent" else train[col].mean())
    got = dict(zip(todo, dask.compute(*todo.values())))
    fills = {}
    for col in columns:
        if prep.missing != "impute":
            fills[col] = None
        elif f"vc:{col}" in got:
            if len(got[f"vc:{col}"]) == 0:
                raise DataError(f"column {col!r} has no values at all in the training rows: nothing to impute from")
            v = _most_frequent(got[f"vc:{col}"])
            fills[col] = str(v) if kinds[col] == "categorical" else float(v)
        else:
            if not np.isfinite(got[f"fill:{col}"]):
                raise DataError(f"column {col!r} has no values at all in the training rows: nothing to impute from")
            fills[col] = float(got[f"fill:{col}"])
    numeric = [c for c in columns if kinds[c] == "numeric"]
    moments = {}
    if numeric and prep.scale:  # standardisation of the filled training columns (population std)
        filled = {c: train[c] if fills[c] is None else train[c].fillna(fills[c]) for c in numeric}
        out = dask.compute(*[(s.mean(), s.std(ddof=0)) for s in filled.values()])
        moments = dict(zip(numeric, out))
    specs = []
    for col in columns:
        spec = {"name": col, "kind": kinds[col]}
        if kinds[col] == "categorical":
            cats = sorted(set(np.asarray(got[f"cats:{col}"]).tolist()))
            if not cats:
                raise DataError(f"column {col!r} has no values at all in the training rows")
            if len(cats) > prep.max_categories:
                raise DataError(f"column {col!r} holds {len(cats)} distinct strings, more than --max-categories "
                                f"{prep.max_categories}: it cannot be one-hot encoded sensibly; drop it with --ignore {col}")
            spec["categories"] = cats
            spec["fill"] = fills[col]
        else:
            spec["fill"] = fills[col]
            mean, std = moments.get(col, (0.0, 1.0))
            spec["mean"] = float(mean) if np.isfinite(mean) else 0.0
            spec["scale"] = float(std) if np.isfinite(std) and std > 0 else 1.0
        specs.append(spec)
    labels, dtype = _class_dtype(np.asarray(got["classes"]))
    classes = np.unique(labels)
    if classes.size < 2:
        raise DataError(f"the target column {prep.target!r} holds a single class ({classes[0]!r}) in the training "
                        "rows; a classifier needs at least two")
    if dtype == "float":
        raise DataError(f"the target column {prep.target!r} holds non-integer numbers ({classes.size} distinct "
                        "values): a classifier needs class labels")
    cl, cl_dtype = labels_to_json(classes)
    state = {"version": 1, "target": prep.target, "missing": prep.missing, "impute_strategy": prep.impute_strategy,
             "scale": prep.scale, "max_categories": prep.max_categories, "ignore": list(prep.ignore),
             "columns": specs, "classes": cl, "classes_dtype": cl_dtype}
    return TabularPreprocessor.from_state(state)


def _transform_partition(part, prep, names):
    import pandas as pd

    return pd.DataFrame(prep.transform(part), columns=names, index=part.index)


def _target_partition(part, prep):
    import pandas as pd

    return pd.Series(prep.target_values(part), index=part.index, name=prep.target)


def _arrays(prep, part_frame):
    """(X, y) of a cleaned Dask DataFrame as Dask arrays with known row chunks (one pass for the lengths)."""
    import pandas as pd

    names = prep.feature_names_
    meta_x = pd.DataFrame({n: pd.Series([], dtype=np.float64) for n in names})
    label_dtype = object if prep.classes_dtype_ == "str" else np.asarray(prep.classes_).dtype
    meta_y = pd.Series([], dtype=label_dtype, name=prep.target)
    X = part_frame.map_partitions(_transform_partition, prep, names, meta=meta_x)
    y = part_frame.map_partitions(_target_partition, prep, meta=meta_y)
    lengths = tuple(int(v) for v in part_frame.map_partitions(len).compute())
    return X.to_dask_array(lengths=lengths), y.to_dask_array(lengths=lengths)


def _predictions(estimator, X, y):
    """(y, proba, pred) on the client: the predictions are brought back, the features are not."""
    y, proba, pred = dask.compute(y, estimator.predict_proba(X), estimator.predict(X))
    return np.asarray(y), np.asarray(proba), np.asarray(pred)


def _run(args, client):
    from ..cli.report import compute_metrics, format_metrics_table, run_figures, write_run
    from ..preprocessing import DataError, _describe_counts

    cli = _cli()
    out = cli.out_dir_for(args)
    estimator = cli.make_estimator(args)
    frame = _read(args.data)
    prep = cli.make_preprocessor(args, args.target)
    prep.check_target(frame)
    columns = prep.feature_columns(frame)
    kinds = _column_kinds(frame, columns)
    # pass 1: row count and missing values of the whole table
    n_rows, missing = dask.compute(frame.shape[0], frame[columns + [prep.target]].isna().sum())
    missing = {c: int(n) for c, n in missing.items() if n}
    feat_missing = {c: n for c, n in missing.items() if c != prep.target}
    n_dropped = 0
    if prep.missing == "error" and missing:
        raise DataError(f"missing values in {len(missing)} column(s): {_describe_counts(missing)}; "
                        "pass --dropna to drop those rows or --impute mean|most_frequent to fill them")
    if prep.missing == "impute" and prep.target in missing:
        raise DataError(f"the target column {prep.target!r} has {missing[prep.target]} missing value(s); "
                        "--impute fills features only: pass --dropna to drop those rows")
    if prep.missing == "dropna" and (feat_missing or prep.target in missing):
        frame = frame.dropna(subset=columns + [prep.target])
        kept = int(frame.shape[0].compute())
        n_dropped = int(n_rows) - kept
        if kept == 0:
            raise DataError("no rows left after --dropna: every row has a missing value")
    if args.test_size > 0:
        train, test = frame.random_split([1 - args.test_size, args.test_size], random_state=args.seed)
    else:
        train, test = frame, None
    prep = fit_preprocessing(prep, train, kinds)
    X_train, y_train = _arrays(prep, train)
    if X_train.shape[0] == 0:
        raise DataError(f"no training rows: {n_rows} rows with --test-size {args.test_size}")
    name = type(estimator).__name__
    progress = cli.progress_for(estimator)
    start = time.perf_counter()
    try:
        estimator.fit(X_train, y_train, callback=progress)
    except (TypeError, ValueError) as exc:
        raise cli.UsageError(f"cannot fit {name}: {exc}") from None
    finally:
        if progress is not None:
            progress.close()
    fit_seconds = time.perf_counter() - start
    classes = np.asarray(estimator.classes_)
    y_tr, proba_tr, pred_tr = _predictions(estimator, X_train, y_train)
    columns_out = {"train": compute_metrics(y_tr, proba_tr, classes, pred_tr), "test": None}
    y_eval, proba_eval, pred_eval = y_tr, proba_tr, pred_tr
    n_test = 0
    if test is not None:
        X_test, y_test = _arrays(prep, test)
        n_test = int(X_test.shape[0])
        if n_test:
            y_eval, proba_eval, pred_eval = _predictions(estimator, X_test, y_test)
            columns_out["test"] = compute_metrics(y_eval, proba_eval, classes, pred_eval)
    workers = client.scheduler_info(n_workers=-1)["workers"]
    metrics = {
        "model": name, "data": str(args.data), "target": prep.target,
        "classes": [c.item() if hasattr(c, "item") else c for c in classes],
        "n_rows": int(n_rows), "n_dropped": n_dropped, "n_features": int(X_train.shape[1]),
        "test_size": args.test_size, "seed": args.seed, "fit_seconds": round(fit_seconds, 4),
        "n_iter": int(estimator.n_iter_), "train": columns_out["train"], "test": columns_out["test"],
        "dask": {"scheduler": args.dask if args.dask == "local" else client.scheduler.address,
                 "n_workers": len(workers), "n_partitions": int(frame.npartitions),
                 "passes_over_data": int(getattr(estimator, "n_passes_", 0))},
    }
    figures = {} if args.no_plots else run_figures(estimator, y_eval=y_eval, proba_eval=proba_eval,
                                                   pred_eval=pred_eval)
    split = {"method": "dask.dataframe.random_split", "seed": args.seed, "test_size": args.test_size,
             "n_train": int(X_train.shape[0]), "n_test": n_test}
    write_run(out, estimator=estimator, metrics=metrics, figures=figures, preprocessing=prep,
              files={"split.json": split}, overwrite=args.force)
    print(f"{name} on {args.data} (Dask, {len(workers)} workers, {frame.npartitions} partitions): "
          f"{int(n_rows) - n_dropped} rows ({int(X_train.shape[0])} train, {n_test} test), "
          f"{int(X_train.shape[1])} features, {classes.size} classes; fitted in {fit_seconds:.2f} s")
    print(format_metrics_table(columns_out))
    if classes.size == 2:
        print(f"(ROC AUC and Brier score take {metrics['classes'][1]!r} as the positive class)")
    print(f"wrote {out}/: " + ", ".join(sorted(p.name for p in out.iterdir())))
    return 0


def train_dask(args) -> int:
    r"""Run ``crossentropy train`` on a Dask cluster: read, preprocess and fit there; report here.

    ``args`` is the ``train`` command's :class:`argparse.Namespace` (``data``, ``target``, model
    options, ``test_size``, ``seed``, ``out``, ``dask``, ...). The data are read by the workers,
    the model minimises the same objective as in memory,

    .. math::
        C \sum_i s_i\,\ell_i(w, b) + \tfrac12\lVert w\rVert^2,

    and the run directory, metrics table and model file are those of the in-memory command.

    Parameters
    ----------
    args : argparse.Namespace
        ``args.dask`` is ``"local"`` (a :class:`distributed.LocalCluster` on this machine, closed at
        the end) or a scheduler address ``"tcp://HOST:PORT"``; optional ``args.dask_timeout``
        (seconds to wait for the scheduler, default 10).

    Returns
    -------
    int
        0 on success; 2 when the scheduler cannot be reached within the timeout (one line on
        stderr). Other problems raise the command line's exceptions (``UsageError``, ``DataError``),
        which ``crossentropy.cli.main`` turns into one line and exit code 2.

    Examples
    --------
    >>> import argparse
    >>> from crossentropy.distributed.cli import train_dask
    >>> args = argparse.Namespace(dask="tcp://127.0.0.1:9", dask_timeout=0.5, model="logistic",
    ...                           data="data/*.parquet", target="y", out=None, force=False)
    >>> train_dask(args)   # nothing listens on port 9: one line on stderr, exit code 2
    2

    References
    ----------
    Rocklin, *Dask: parallel computation with blocked algorithms and task scheduling*, SciPy (2015).
    """
    cli = _cli()
    if getattr(args, "model", "logistic") != "logistic":
        raise cli.UsageError(f"--dask trains --model logistic only, got --model {args.model}")
    if getattr(args, "data", None) is None:
        raise cli.UsageError("--dask needs DATA: a Parquet file, directory or glob such as 'data/*.parquet'")
    if getattr(args, "target", None) is None:
        raise cli.UsageError("--target COL is required with DATA")
    if getattr(args, "dataset", None) is not None:
        raise cli.UsageError("give either DATA or --dataset, not both")
    if getattr(args, "impute", None) == "median":
        raise cli.UsageError("--impute median is not available with --dask (an exact median needs a sort of "
                             "the whole column); use --impute mean or most_frequent")
    if args.out:
        cli.out_dir_for(args)  # refuse a taken --out before connecting
    timeout = getattr(args, "dask_timeout", None) or DEFAULT_TIMEOUT
    try:
        client = connect(args.dask, timeout=timeout)
    except (ConnectionError, ValueError) as exc:
        sys.stderr.write(f"{cli.PROG}: error: {' '.join(str(exc).split())}\n")
        return 2
    cluster = client.cluster if args.dask == "local" else None
    try:
        with client.as_current():
            return _run(args, client)
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
