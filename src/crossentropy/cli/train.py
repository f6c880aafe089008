"""``crossentropy train``: one pipeline, whatever the data source.

read → missing-value policy → split → fit the preprocessor on the training rows → fit the model →
metrics of each split → figures → the run directory (written atomically; with the coefficient table
of a logistic regression in ``coefficients.csv``) → the summary on stdout.
The source (:class:`~crossentropy.cli.sources.MemorySource` or
:class:`~crossentropy.cli.sources.DaskSource`) is chosen up front; everything else is written here once.
"""

from __future__ import annotations

import contextlib
import sys
import time

import numpy as np

from .errors import PROG, UsageError
from .flags import flag_message
from .options import decision_options, json_int, make_estimator, make_preprocessor, out_dir_for, progress_for
from .report import compute_metrics, format_metrics_table, report_context, run_figures, write_run
from .sources import DaskSource, MemorySource

__all__ = ["cmd_train", "run_train", "train_dask"]


def cmd_train(config) -> int:
    """Run ``crossentropy train`` with the source the settings ask for (``--dask``: a Dask cluster)."""
    return train_dask(config) if config.dask else run_train(config, MemorySource(config))


def train_dask(config) -> int:
    r"""Run ``crossentropy train`` on a Dask cluster: read, preprocess and fit there; report here.

    The model minimises the same objective as in memory,

    .. math::
        C \sum_i s_i\,\ell_i(w, b) + \tfrac12\lVert w\rVert^2,

    and the run directory, metrics table and model file are those of the in-memory command.

    Parameters
    ----------
    config : TrainConfig
        The ``train`` settings; ``config.dask`` is ``"local"`` or ``"tcp://HOST:PORT"``, optional
        ``config.dask_timeout`` (seconds to wait for the scheduler, default 10).

    Returns
    -------
    int
        0 on success; 2 when the scheduler cannot be reached (one line on stderr). Other problems
        raise ``UsageError`` or ``DataError``, which :func:`crossentropy.cli.main` turns into one line.

    Examples
    --------
    >>> from crossentropy.cli.parser import parse_config
    >>> config = parse_config(["train", "data/*.parquet", "--target", "y",
    ...                        "--dask", "tcp://127.0.0.1:9", "--dask-timeout", "0.5"])
    >>> train_dask(config)   # nothing listens on port 9: one line on stderr, exit code 2
    2

    References
    ----------
    Rocklin, *Dask: parallel computation with blocked algorithms and task scheduling*, SciPy (2015).
    """
    return run_train(config, DaskSource(config))


def _fit(estimator, X, y, parts=None, offset=None):
    """Fit (with the rows' logit ``offset`` when there is one); with ``parts`` (in-memory (X, y) per
    split) the fit's callback records the log loss on them after every epoch or solver iteration."""
    from .curves import EpochRecorder, IterateRecorder

    progress = progress_for(estimator)
    callback = progress
    if parts is not None:
        recorder = EpochRecorder if hasattr(estimator, "hidden_layer_sizes") else IterateRecorder
        callback = recorder(estimator, parts, progress)
    start = time.perf_counter()
    try:
        estimator.fit(X, y, callback=callback, **({} if offset is None else {"offset": offset}))
    except (TypeError, ValueError) as exc:
        raise UsageError(f"cannot fit {type(estimator).__name__}: {flag_message(str(exc))}") from None
    finally:
        if callback is not None:
            callback.close()
    return time.perf_counter() - start, callback if callback is not progress else None


def run_train(config, source) -> int:
    """The ``train`` pipeline on ``source`` (a :class:`MemorySource` or a :class:`DaskSource`).

    Parameters
    ----------
    config : TrainConfig
        The ``train`` command's settings.
    source : MemorySource or DaskSource
        Built from ``config`` (usage errors are raised there, before any work).

    Returns
    -------
    int
        0, or 2 when the source's cluster cannot be reached (one line on stderr).
    """
    out = out_dir_for(config)
    estimator = make_estimator(config)
    if config.offset is not None and config.model != "logistic":
        raise UsageError(f"--offset applies to --model logistic, got --model {config.model}")
    cov_type, cluster_columns = _table_options(config, source)
    if config.tune_threshold is not None:
        from .report_calibration import check_tune_options

        check_tune_options(config, source)
    prep = make_preprocessor(config, source.target)
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(source.session())
        except (ConnectionError, ValueError) as exc:  # the cluster cannot be reached: nothing was done
            sys.stderr.write(f"{PROG}: error: {' '.join(str(exc).split())}\n")
            return 2
        return _run(config, source, out, estimator, prep, cov_type=cov_type, cluster_columns=cluster_columns)


def _in_memory(X):
    return isinstance(X, np.ndarray) or hasattr(X, "tocsr")


def _run(config, source, out, estimator, prep, *, cov_type, cluster_columns) -> int:
    from .curves import curves_to_json
    from .evaluation import class_prior

    n_rows, n_dropped = source.load(prep)
    groups = _cluster_groups(cluster_columns, source)  # the --cluster column(s) checked before the fit
    prep = source.fit_preprocessing(prep)
    ordinal = config.model == "ordinal"
    if ordinal:  # the levels' order, checked against the training labels before the fit
        from .ordinal import resolve_order

        estimator.set_params(order=resolve_order(config, prep))
    pos_label, threshold = decision_options(prep.classes_, pos_label=config.pos_label,
                                           threshold=config.threshold)
    X_train, y_train = source.arrays(prep, "train")
    test = source.arrays(prep, "test")
    o_train, o_test = _offsets(source, prep)
    parts = None
    if _in_memory(X_train) and not config.no_plots and o_train is None:  # the curve's predictions take no offset
        parts = {"train": (X_train, y_train)} | ({} if test is None else {"test": test})
    fit_seconds, recorder = _fit(estimator, X_train, y_train, parts, o_train)
    cv = None
    if hasattr(estimator, "cv_results_"):  # --cv: the model saved is the LogisticRegression refit at the chosen C
        from .cv import cv_outputs

        estimator, *cv = cv_outputs(estimator, feature_names=prep.feature_names_, plots=not config.no_plots)
    name, classes = type(estimator).__name__, np.asarray(estimator.classes_)
    tuning = None
    if config.tune_threshold is not None:
        from .report_calibration import tuned_threshold

        tuning = tuned_threshold(config, estimator, X_train, y_train, o_train, pos_label)
        threshold = tuning["threshold"]
    y_eval, proba_eval, _ = source.predictions(estimator, X_train, y_train, *_given(o_train))
    prior = class_prior(y_eval, classes)
    decision = {"prior": prior, "pos_label": pos_label, "threshold": threshold}
    columns = {"train": compute_metrics(y_eval, proba_eval, classes, **decision), "test": None}
    split = "train"
    n_train, n_test = int(X_train.shape[0]), 0 if test is None else int(test[0].shape[0])
    if test is not None:
        y_eval, proba_eval, _ = source.predictions(estimator, *test, *_given(o_test))
        columns["test"] = compute_metrics(y_eval, proba_eval, classes, **decision)
        split = "test"
    pred_eval = None if config.no_plots else _decide(proba_eval, classes, pos_label, threshold)
    classes_json = [c.item() if hasattr(c, "item") else c for c in classes]
    metrics = {
        "model": name, "data": source.label, "target": prep.target, "classes": classes_json,
        "n_rows": n_rows, "n_dropped": n_dropped, "n_features": int(X_train.shape[1]),
        "test_size": config.test_size, "seed": config.seed, "fit_seconds": round(fit_seconds, 4),
        "n_iter": json_int(getattr(estimator, "n_iter_", None)), "prior": prior,
        "pos_label": _json(pos_label if pos_label is not None or classes.size != 2 else classes[1]),
        "threshold": threshold, "train": columns["train"], "test": columns["test"],
        **source.extra_metrics(estimator),
        **({"cv": cv[0]} if cv else {}),
        **({"threshold_tuning": tuning} if tuning else {}),
    }
    figures, curve = {}, None
    if recorder is not None and any(len(v) for v in recorder.curves.values()):
        curve = dict(recorder.curves)
    metrics["training_curve"] = curves_to_json(curve)
    if not config.no_plots:
        figures = run_figures(estimator, y_eval=y_eval, proba_eval=proba_eval, pred_eval=pred_eval,
                              two_features=None if o_train is not None else source.two_features(prep),
                              split=split, curves=curve,
                              pos_label=metrics["pos_label"])
    page = report_context(config.argv, metrics, prep=prep, estimator=estimator, data=config.data,
                          summary_data=(X_train, y_train, o_train) if _in_memory(X_train) and not ordinal else None,
                          data_notes=getattr(source, "notes", None),
                          cov_type=cov_type, groups=groups)
    if columns["test"] is not None and np.isin(y_eval, classes).all():  # every test label one the model knows
        from .report_calibration import calibration_figures, calibration_summary

        pos = metrics["pos_label"] if classes.size == 2 else None
        page["calibration"] = calibration_summary(
            y_eval, proba_eval, classes, _decide(proba_eval, classes, pos_label, threshold), rows="the test split",
            prior_log_loss=(columns["test"].get("baseline") or {}).get("log_loss"), pos_label=pos, seed=config.seed)
        metrics["calibration_report"] = page["calibration"]
        if not config.no_plots:
            figures.update(calibration_figures(page["calibration"], y_eval, proba_eval, classes, pos_label=pos))
    if tuning:
        from .report_calibration import threshold_figure

        page["threshold_tuning"] = tuning
        if not config.no_plots:
            figures["threshold_curve.png"] = threshold_figure(tuning)
    files = {"split.json": source.split_record(n_train, n_test)}
    coefficients = page.get("coefficients") or {}
    if coefficients.get("csv"):
        files["coefficients.csv"] = coefficients["csv"]
    if coefficients.get("term_tests_csv"):
        files["term_tests.csv"] = coefficients["term_tests_csv"]
    note = None
    if ordinal:  # its coefficient table: the ordinal summary in the units of the data's columns
        from .ordinal import page_table

        page["coefficients"] = table = page_table(estimator, prep, X_train, y_train)
        files.update({"coefficients.csv": table["csv"]} if "csv" in table else {})
        note = table["error"] if "error" in table else table["notes"][0] if table["notes"] else None
    if cv:
        figures.update(cv[1])
        files.update(cv[2])
    write_run(out, estimator=estimator, metrics=metrics, figures=figures, preprocessing=prep,
              files=files, overwrite=config.force, report=page)
    print(f"{name} on {source.label}{source.where}: {n_rows - n_dropped} rows ({n_train} train, {n_test} test), "
          f"{int(X_train.shape[1])} features, {classes.size} classes; fitted in {fit_seconds:.2f} s")
    if cv:
        print(cv[3])
    print(format_metrics_table(columns))
    if note:
        print(f"note: {note}")
    if classes.size == 2:
        print(f"(ROC AUC and Brier score take {metrics['pos_label']!r} as the positive class"
              + (f"; predicted {metrics['pos_label']!r} when its probability is >= {threshold:g})" if threshold is not None
                 else ")"))
    print(f"wrote {out}/: " + ", ".join(sorted(p.name for p in out.iterdir())))
    return 0


def _table_options(config, source):
    """``--cov-type`` and ``--cluster`` checked (consistent, for a logistic model in memory): the covariance
    type of the coefficient table and the cluster column names (None without ``--cluster``)."""
    cluster = config.cluster
    if config.cov_type not in (None, "nonrobust") and config.model != "logistic":
        raise UsageError(f"--cov-type applies to --model logistic (its coefficient table), got --model {config.model}")
    if cluster is None:
        if config.cov_type == "cluster":
            raise UsageError("--cov-type cluster needs --cluster COL[,COL] (the column(s) of DATA that group the rows)")
        return config.cov_type or "nonrobust", None
    names = [c.strip() for c in cluster.split(",")]
    if not 1 <= len(names) <= 2 or not all(names):
        raise UsageError(f"--cluster takes one or two column names (COL or COL,COL), got {cluster!r}")
    if config.cov_type not in (None, "cluster"):
        raise UsageError(f"--cluster gives clustered standard errors; it cannot be combined with --cov-type {config.cov_type}")
    if config.model != "logistic":
        raise UsageError(f"--cluster applies to --model logistic, got --model {config.model}")
    if not isinstance(source, MemorySource):
        raise UsageError("--cluster is not available with --dask; train in memory")
    return "cluster", names


def _cluster_groups(names, source):
    """The training rows' cluster labels for ``--cluster`` (one column, or two as an (n, 2) array), or None."""
    if names is None:
        return None
    rows = source.parts["train"]
    missing = [c for c in names if c not in rows.columns]
    if missing:
        raise UsageError(f"--cluster names column(s) not in the data: {', '.join(map(repr, missing))}")
    values = rows[names].to_numpy(dtype=object)
    return values[:, 0] if len(names) == 1 else values


def _offsets(source, prep):
    """The train and test rows' logit offsets (``--offset``; two-class targets only), or (None, None)."""
    if getattr(prep, "offset", None) is None:
        return None, None
    if len(prep.classes_) != 2:
        raise UsageError(f"--offset {prep.offset} gives one logit offset per row, for a two-class target; "
                         f"{prep.target!r} has {len(prep.classes_)} classes")
    return source.offset(prep, "train"), source.offset(prep, "test")


def _given(offset):
    """``(offset,)`` when there is one, else ``()``: the sources' ``predictions`` take it only then."""
    return () if offset is None else (offset,)


def _json(value):
    return value.item() if hasattr(value, "item") else value


def _decide(proba, classes, pos_label, threshold):
    from .evaluation import decide

    return decide(proba, classes, pos_label=pos_label, threshold=threshold)
