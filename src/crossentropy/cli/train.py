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
import warnings

import numpy as np

from ..exceptions import DataError
from .errors import PROG, UsageError
from .flags import flag_message
from .options import (decision_options, json_int, make_estimator, make_preprocessor, out_dir_for, progress_for,
                      stops_early_by_default)
from .report import run_provenance, write_run
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
    split) the fit's callback records the log loss on them after every epoch or solver iteration.

    Returns ``(fit_seconds, recorder, load_seconds)``: the fit's own wall time, the recorder, and the
    one-off loading inside the fit (modules imported, numba kernels loaded on first use), apart."""
    from ..report.curves import EpochRecorder, IterateRecorder
    from .loading import one_off_loading

    progress = progress_for(estimator)
    callback = progress
    if parts is not None:
        recorder = EpochRecorder if hasattr(estimator, "hidden_layer_sizes") else IterateRecorder
        callback = recorder(estimator, parts, progress)
    start = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught, one_off_loading() as loading:
            warnings.simplefilter("always")
            estimator.fit(X, y, callback=callback, **({} if offset is None else {"offset": offset}))
    except (TypeError, ValueError) as exc:
        raise UsageError(f"cannot fit {type(estimator).__name__}: {flag_message(str(exc))}") from None
    finally:
        if callback is not None:
            callback.close()
    recorder = callback if callback is not progress else None
    for w in caught:  # passed on, an MLP's convergence warning pointed at a rising validation curve
        message = _rising_hint(estimator, recorder, w)
        warnings.warn(message if message is not None else w.message,
                      w.category, stacklevel=2)
    return time.perf_counter() - start - loading.seconds, recorder, loading.seconds


def _rising_hint(estimator, recorder, caught):
    """The text of an MLP's ConvergenceWarning when its held-out log loss has risen since its minimum
    (more epochs would overfit further), else None.

    The held-out curve is ``validation_loss_curve_`` with early stopping, else the test curve the
    run records.
    """
    from ..exceptions import ConvergenceWarning

    if not (issubclass(caught.category, ConvergenceWarning) and hasattr(estimator, "hidden_layer_sizes")):
        return None
    curve, what = getattr(estimator, "validation_loss_curve_", None), "validation"
    if not curve and recorder is not None:
        curve, what = recorder.curves.get("test"), "test"
    if curve is None or len(curve) < 2:
        return None
    curve = np.asarray(curve, dtype=np.float64)
    best = int(np.argmin(curve))
    if best == curve.size - 1 or curve[-1] <= curve[best] * (1 + 1e-3):
        return None
    return (f"MLPClassifier stopped at max_iter={estimator.max_iter} epochs, but its {what} log loss has been rising "
            f"since epoch {best + 1} ({curve[best]:.4g} there, {curve[-1]:.4g} at epoch {curve.size}): more epochs "
            f"overfit further, so raising max_iter will not help; see the {what} curve (training_curve.png) and "
            "prefer early stopping, a larger alpha or a smaller network")


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
        from .tuning import check_tune_options

        check_tune_options(config.model, cv=config.cv, threshold=config.threshold,
                           offset=config.offset, dask=config.dask)
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
    from ..report import Report
    from ..report.curves import curves_to_json
    from ..report.figures import format_metrics_table
    from ..report.metrics import class_prior

    n_rows, n_dropped = source.load(prep)
    groups = _cluster_groups(cluster_columns, source)  # the --cluster column(s) checked before the fit
    prep = source.fit_preprocessing(prep)
    _check_metadata_size(prep)
    if config.model == "ordinal":  # the levels' order, checked against the training labels before the fit
        from .ordinal import resolve_order

        estimator.set_params(order=resolve_order(config, prep, getattr(source, "target_order", None)))
    pos_label, threshold = decision_options(prep.classes_, pos_label=config.pos_label, threshold=config.threshold)
    X_train, y_train = source.arrays(prep, "train")
    test = source.arrays(prep, "test")
    o_train, o_test = _offsets(source, prep)
    folds = None
    if config.cv is not None:
        from .cv import rule_folds

        folds = rule_folds(config, source, estimator, y_train)
    parts = None
    if _in_memory(X_train) and not config.no_plots and o_train is None:  # the curve's predictions take no offset
        parts = {"train": (X_train, y_train)} | ({} if test is None else {"test": test})
    try:
        fit_seconds, recorder, load_seconds = _fit(estimator, X_train, y_train, parts, o_train)
    except UsageError as exc:  # the command line's own early stopping on a table too small for a validation set
        if not (stops_early_by_default(config) and "validation_fraction" in str(exc)):
            raise
        estimator.set_params(early_stopping=False)
        warnings.warn(f"{int(X_train.shape[0])} training rows leave no usable validation set: the MLP trains "
                      "without early stopping", UserWarning, stacklevel=2)
        fit_seconds, recorder, load_seconds = _fit(estimator, X_train, y_train, parts, o_train)
    cv = None
    if hasattr(estimator, "cv_results_"):  # --cv: the model saved is the LogisticRegression refit at the chosen C
        from .cv import cv_outputs, refit_start

        start = refit_start(estimator) if recorder is not None else None
        if start is not None:  # the refit's curve starts where the refit did: a one-step refit is a line, not a dot
            recorder.record_start(start)

        estimator, *cv = cv_outputs(estimator, feature_names=prep.feature_names_, plots=not config.no_plots)
    name, classes = type(estimator).__name__, np.asarray(estimator.classes_)
    tuning = None
    if config.tune_threshold is not None:
        from .tuning import tuned_threshold

        tuning = tuned_threshold(config.tune_threshold, config.seed, estimator, X_train, y_train, pos_label)
        threshold = tuning["threshold"]
    y_fit, proba_fit, _ = source.predictions(estimator, X_train, y_train, *_given(o_train))
    y_test = proba_test = None
    if test is not None:
        y_test, proba_test, _ = source.predictions(estimator, *test, *_given(o_test))
    curve = None
    if recorder is not None and any(len(v) for v in recorder.curves.values()):
        curve = dict(recorder.curves)
    report = Report.from_predictions(
        estimator, y_test, proba_test, y_train=y_fit, proba_train=proba_fit,
        X_train=X_train if _in_memory(X_train) else None, offset=o_train, preprocessor=prep,
        missing=(getattr(source, "notes", None) or {}).get("missing"),
        missing_values=_data_record(source).get("missing_values"), pos_label=pos_label, threshold=threshold,
        curves=curve, cov_type=cov_type, groups=groups, seed=config.seed, threshold_tuning=tuning,
        plots=not config.no_plots)
    columns = {"train": report.splits["train"], "test": report.splits.get("test")}
    n_train, n_test = int(X_train.shape[0]), 0 if test is None else int(test[0].shape[0])
    classes_json = [c.item() if hasattr(c, "item") else c for c in classes]
    metrics = {
        "model": name, "data": source.label, "target": prep.target, "classes": classes_json,
        "n_rows": n_rows, "n_dropped": n_dropped, "n_features": int(X_train.shape[1]),
        "test_size": config.test_size, "seed": config.seed, "fit_seconds": round(fit_seconds, 4),
        "load_seconds": round(load_seconds, 4),
        "n_iter": json_int(getattr(estimator, "n_iter_", None)), "prior": class_prior(y_fit, classes),
        "pos_label": _json(pos_label if pos_label is not None or classes.size != 2 else classes[1]),
        "threshold": threshold, "train": columns["train"], "test": columns["test"],
        **source.extra_metrics(estimator),
        **({"cv": cv[0]} if cv else {}),
        **({"threshold_tuning": tuning} if tuning else {}),
        "offset": getattr(prep, "offset", None), "cov_type": cov_type, "cluster": cluster_columns,
        **_data_record(source),
        "training_curve": curves_to_json(curve),
    }
    if "calibration" in report.context:
        metrics["calibration_report"] = report.context["calibration"]
    two = None if o_train is not None or config.no_plots else source.two_features(prep)
    if two is not None:
        from ..plotting import plot_decision_boundary

        X2, y2, names, transform = two
        report.figures["decision_boundary.png"] = plot_decision_boundary(estimator, X2, y2, feature_names=names,
                                                                         transform=transform)
    files = {"split.json": source.split_record(n_train, n_test) | ({"cv_folds": folds} if folds else {})}
    section = report.context.get("coefficients") or {}
    if section.get("csv"):
        files["coefficients.csv"] = section["csv"]
    if section.get("term_tests_csv"):
        files["term_tests.csv"] = section["term_tests_csv"]
    note = None
    if config.model == "ordinal":
        note = section["error"] if "error" in section else section["notes"][0] if section.get("notes") else None
    if cv:
        report.figures.update(cv[1])
        files.update(cv[2])
    provenance = run_provenance(f"{name} on {source.label}", argv=config.argv, data=config.data,
                                seed=config.seed, n_rows=n_rows, n_dropped=n_dropped)
    write_run(out, estimator=estimator, metrics=metrics, report=report, provenance=provenance, preprocessing=prep,
              files=files, overwrite=config.force)
    print(f"{name} on {source.label}{source.where}: {n_rows - n_dropped} rows ({n_train} train, {n_test} test), "
          f"{int(X_train.shape[1])} features, {classes.size} classes; fitted in {fit_seconds:.2f} s"
          + (f" (and {load_seconds:.2f} s loading code on first use)" if load_seconds >= 0.005 else ""))
    if getattr(source, "split_note", None):
        print(source.split_note)
    if cv:
        print(cv[3])
    for line in _data_lines(metrics, source):
        print(line)
    print(format_metrics_table(columns))
    if note:
        print(f"note: {note}")
    if classes.size == 2:
        print(f"(ROC AUC and Brier score take {metrics['pos_label']!r} as the positive class"
              + (f"; predicted {metrics['pos_label']!r} when its probability is >= {threshold:g})" if threshold is not None
                 else ")"))
    print(f"wrote {out}/: " + ", ".join(sorted(p.name for p in out.iterdir())))
    return 0


def _check_metadata_size(prep) -> None:
    """Before the fit: refuse a table whose names alone would not fit in ``model.json``."""
    from ..io import model_schema
    from ..io.model_files import metadata_floor

    floor = metadata_floor(prep)
    if floor > model_schema.MAX_JSON_BYTES:
        raise DataError(f"the table's column names, categories and classes would take at least {floor} bytes of "
                        f"model metadata, more than the {model_schema.MAX_JSON_BYTES} a model file may hold: "
                        "shorten the column names, or leave columns out with --ignore")


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


def _data_record(source) -> dict:
    """``missing_values`` (rows dropped and values imputed per column) and ``unseen_in_test`` (test
    values of categorical columns the training rows lack, encoded as all zeros) for ``metrics.json``."""
    notes = getattr(source, "notes", None) or {}
    return {k: notes[k] for k in ("missing_values", "unseen_in_test") if notes.get(k)}


def _data_lines(metrics, source) -> list[str]:
    from .data_notes import describe_factors, missing_lines

    lines = missing_lines(metrics.get("missing_values") or {})
    factors = (getattr(source, "notes", None) or {}).get("factors")
    if factors:
        lines.append(describe_factors(factors))
    unseen = metrics.get("unseen_in_test") or {}
    if unseen:
        parts = "; ".join(f"{c!r}: " + ", ".join(f"{v!r} ({n})" for v, n in list(values.items())[:5])
                          for c, values in unseen.items())
        lines.append(f"test split: {sum(sum(v.values()) for v in unseen.values())} value(s) of categories the "
                     f"training rows lack were encoded as all zeros ({parts})")
    return lines


def _json(value):
    return value.item() if hasattr(value, "item") else value
