"""``crossentropy evaluate``, ``predict`` and ``plot``: the commands that use a saved model or draw a figure."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import UsageError
from .options import decision_options
from .report import compute_metrics, format_metrics_table
from .sources import predictions

__all__ = ["cmd_evaluate", "cmd_predict", "cmd_plot"]

#: the largest split.json read (two lists of row numbers: about 16 bytes a row)
_SPLIT_BYTES = 1 << 30


def _model_dir(model) -> Path:
    p = Path(model)
    return p if p.is_dir() else p.parent


def _check_out(args, *, required: bool):
    """``--out`` checked before any work: writable, not the input table, no file of the model directory."""
    from .paths import check_output_file

    if args.out is None and not required:
        return None
    return check_output_file(args.out, force=getattr(args, "force", False), inputs=[args.data],
                             model_dir=_model_dir(args.model))


def _refuse_gaps(prep, frame, *, with_target):
    """Missing values a saved model cannot take, said without the options only ``train`` has."""
    columns = [c for c in prep.input_columns_ + ([prep.offset] if prep.offset else []) if c in frame.columns]
    if prep.missing == "error":
        counts = {c: int(n) for c, n in frame[columns].isna().sum().items() if n}
        if counts:
            shown = ", ".join(f"{c!r} ({n})" for c, n in list(counts.items())[:10])
            raise UsageError(f"missing values in {len(counts)} column(s): {shown}; this model was trained on "
                             "complete rows only and has no fill values: fill or drop these rows first")
    if with_target and prep.missing == "impute" and prep.target in frame.columns:
        n = int(frame[prep.target].isna().sum())
        if n:
            raise UsageError(f"the target column {prep.target!r} has {n} missing value(s): drop those rows first")


def _load_for_use(args):
    from ..io.model_files import load_model_bundle

    bundle = load_model_bundle(args.model)
    if bundle.preprocessing is None:
        from dataclasses import replace

        from ..preprocessing import TabularPreprocessor

        names = bundle.metadata["feature_names"]
        target = getattr(args, "target", None) or ((bundle.extra or {}).get("metrics") or {}).get("target")
        if names is None or (target is None and args.command == "evaluate"):
            raise UsageError(f"{args.model!r} holds a model saved without feature names or table preprocessing; "
                             "load it with crossentropy.load_model and call predict on arrays")
        prep = TabularPreprocessor.passthrough(names, target or "", bundle.estimator.classes_)
        bundle = replace(bundle, preprocessing=prep)
    from ..io.tables import read_table

    frame = read_table(args.data)
    bundle.preprocessing.check_columns(frame)
    return bundle, frame


def cmd_evaluate(args) -> int:
    """``crossentropy evaluate MODEL DATA``: print (and with ``--out`` write) a saved model's metrics on DATA.

    The baseline is the training run's class frequencies, the positive class and threshold those of
    the run unless ``--pos-label`` / ``--threshold`` say otherwise. ``--report-dir DIR`` writes a new
    directory (refused if it exists, unless ``--force``) with ``report.html``, ``metrics.json`` and,
    with ``--plots``, the reliability diagram and confusion matrix of DATA (``--plots`` needs it:
    evaluate writes no file it was not asked for).
    """
    from ..io.atomic import atomic_write_text

    _check_out(args, required=False)
    report_dir = _report_dir(args)
    bundle, frame = _load_for_use(args)
    prep, est = bundle.preprocessing, bundle.estimator
    if args.target is not None and args.target != prep.target:
        raise UsageError(f"--target {args.target!r} is not the column the model was trained to predict "
                         f"({prep.target!r}): leave --target out, or pass --target {prep.target}")
    clean, y, proba = _scored(prep, est, frame)
    trained = (bundle.extra or {}).get("metrics") or {}
    pos_label, threshold = decision_options(args, est.classes_, trained)
    metrics = compute_metrics(y, proba, est.classes_, prior=trained.get("prior"), pos_label=pos_label,
                              threshold=threshold)
    print(f"{type(est).__name__} from {bundle.path.parent}/ on {args.data}: {clean.shape[0]} rows"
          + (f" ({frame.shape[0] - clean.shape[0]} dropped with missing values)" if clean.shape[0] < frame.shape[0] else ""))
    print(format_metrics_table({"data": metrics}))
    if args.out:
        atomic_write_text(args.out, json.dumps(metrics, indent=1) + "\n", overwrite=bool(args.force))
    if report_dir is not None:
        _evaluation_report(args, bundle, metrics, y, proba, n_rows=int(frame.shape[0]),
                           n_dropped=int(frame.shape[0] - clean.shape[0]), frame=frame)
    return 0


def _scored(prep, est, frame):
    """``(clean, y, proba)``: the labelled rows of ``frame`` through the run's preprocessing and model
    (the target checked, missing values refused, classes the model does not know named)."""
    clean, X, y = labelled_rows(prep, est, frame)
    return clean, y, predictions(est, X, prep.offset_values(clean))[0]


def labelled_rows(prep, est, frame):
    """``(clean, X, y)``: the labelled rows of ``frame`` and their features, as ``evaluate`` reads them."""
    import numpy as np

    prep.check_target(frame)
    _refuse_gaps(prep, frame, with_target=True)
    clean, _ = prep.clean(frame, columns=prep.input_columns_)
    X, y = prep.transform(clean), prep.target_values(clean)
    unknown = sorted(set(np.unique(y).tolist()) - set(np.asarray(est.classes_).tolist()))
    if unknown:
        raise UsageError(f"the target column {prep.target!r} holds classes the model does not know: {unknown[:5]}")
    return clean, X, y


def _report_dir(args):
    """The checked ``--report-dir`` (None without it); ``--plots`` needs it. Checked before any work."""
    from .options import _check_out_dir

    if getattr(args, "plots", False) and not getattr(args, "report_dir", None):
        raise UsageError("--plots needs --report-dir DIR: the figures and report.html are written there")
    if not getattr(args, "report_dir", None):
        return None
    out = Path(args.report_dir)
    _check_out_dir(out, getattr(args, "force", False), "--report-dir", inputs=[args.model, args.data])
    return out


def _scored_figures(est, y, proba, split, pos_label=None, threshold=None, curves=None):
    from .evaluation import decide
    from .report import run_figures

    pred = decide(proba, est.classes_, pos_label=pos_label, threshold=threshold)
    return run_figures(est, y_eval=y, proba_eval=proba, pred_eval=pred, split=split, curves=curves,
                       pos_label=pos_label)


def _evaluation_report(args, bundle, metrics, y, proba, *, n_rows, n_dropped, frame):
    from .report import report_context, write_figures_dir

    est, split = bundle.estimator, Path(args.data).name
    figures = {}
    if args.plots:
        figures = _scored_figures(est, y, proba, split, metrics.get("pos_label"), metrics.get("threshold"))
        figures.pop("training_curve.png", None)  # the training run's figure, not this data's
    summary = {"model": type(est).__name__, "data": str(args.data), "target": bundle.preprocessing.target,
               "n_rows": n_rows, "n_dropped": n_dropped, "n_features": int(getattr(est, "n_features_in_", 0))}
    page = report_context(args, summary, prep=bundle.preprocessing, data=args.data,
                          data_notes={"missing": {str(c): int(v) for c, v in frame.isna().sum().items() if v}},
                          title=f"{type(est).__name__} from {bundle.path.parent} evaluated on {args.data}",
                          splits={split: metrics})
    write_figures_dir(args.report_dir, metrics=metrics, figures=figures, report=page,
                      overwrite=getattr(args, "force", False))
    print(f"wrote {args.report_dir}/: " + ", ".join(sorted(p.name for p in Path(args.report_dir).iterdir())))


def cmd_predict(args) -> int:
    """``crossentropy predict MODEL DATA --out FILE``: one prediction (and with ``--proba`` probabilities) per row."""
    import numpy as np
    import pandas as pd

    from ..io.tables import check_table_suffix, write_table

    _check_out(args, required=True)  # fail before any work
    check_table_suffix(args.out, what="--out")
    bundle, frame = _load_for_use(args)
    prep, est = bundle.preprocessing, bundle.estimator
    _refuse_gaps(prep, frame, with_target=False)
    clean, _ = prep.clean(frame, columns=prep.input_columns_, with_target=False, allow_drop=False)
    X = prep.transform(clean)
    proba, pred = predictions(est, X, prep.offset_values(clean))
    trained = (bundle.extra or {}).get("metrics") or {}
    if trained.get("threshold") is not None and np.size(est.classes_) == 2:  # the run's --threshold decides
        from .evaluation import decide

        pred = decide(proba, est.classes_, pos_label=decision_options(args, est.classes_, trained)[0],
                      threshold=trained["threshold"])
    out = pd.DataFrame({"prediction": pred})
    if args.proba:  # one frame of all the class columns at once (a column at a time fragments the frame)
        names = [f"proba_{c}" for c in np.asarray(est.classes_).tolist()]
        out = pd.concat([out, pd.DataFrame(proba, columns=names, index=out.index)], axis=1)
    write_table(out, args.out, overwrite=bool(args.force))
    print(f"wrote {out.shape[0]} predictions to {args.out}")
    return 0


def cmd_plot(args) -> int:
    """``crossentropy plot log-loss|ce-vs-mse --out FILE``: draw one of the explanatory figures;
    ``plot run RUN_DIR --out DIR``: redraw a run's figures (:func:`_plot_run`)."""
    if args.figure == "run":
        return _plot_run(args)
    from ..plotting import plot_ce_vs_mse, plot_log_loss, save_figure

    from .paths import check_output_file

    suffix = Path(args.out).suffix.lower()
    if suffix not in (".png", ".pdf", ".svg"):
        raise UsageError(f"--out must end in .png, .pdf or .svg, got {args.out!r}")
    check_output_file(args.out, force=True)  # writable, before drawing
    fig = plot_log_loss() if args.figure == "log-loss" else plot_ce_vs_mse()
    save_figure(fig, args.out)
    print(f"wrote {args.out}")
    return 0


def _plot_run(args) -> int:
    """``crossentropy plot run RUN_DIR --out DIR [--data DATA] [--split test|train]``.

    Without ``--data`` the rows are those of the run's own split (``split.json``) in the data file the
    run recorded (or its built-in data set), so the figures are the run's; with ``--data`` every row of
    DATA (labelled, as for ``evaluate``). The training curve is the run's (from ``metrics.json``).
    """
    import numpy as np

    from ..io.model_files import load_model_bundle
    from ..io.tables import read_table
    from .curves import curves_from_json
    from .options import _check_out_dir
    from .report import write_figures_dir

    out = Path(args.out)
    _check_out_dir(out, args.force, inputs=[args.run_dir, args.data])
    bundle = load_model_bundle(args.run_dir)
    trained = (bundle.extra or {}).get("metrics") or {}
    prep, est = bundle.preprocessing, bundle.estimator
    if prep is None:
        raise UsageError(f"{args.run_dir!r} holds a model saved without table preprocessing: no data to score")
    if args.data is not None:
        frame, split = read_table(args.data), Path(args.data).name
    else:
        source = trained.get("data")
        if not source:
            raise UsageError(f"{args.run_dir!r} records no data file: pass --data DATA")
        if source.startswith("builtin:"):
            from ..datasets import load_dataset

            frame = load_dataset(source.split(":", 1)[1])
        else:
            if not Path(source).is_file():
                raise UsageError(f"the run's data file {source!r} is not there any more: pass --data DATA")
            frame = read_table(source)
        split = args.split
        frame = frame.iloc[_split_rows(Path(bundle.path).parent / "split.json", split, frame.shape[0])]
    prep.check_columns(frame)
    clean, y, proba = _scored(prep, est, frame)
    pos_label, threshold = decision_options(args, est.classes_, trained)
    metrics = compute_metrics(y, proba, est.classes_, prior=trained.get("prior"), pos_label=pos_label,
                              threshold=threshold)
    figures = _scored_figures(est, y, proba, split, pos_label, threshold,
                              curves=curves_from_json(trained.get("training_curve")))
    write_figures_dir(out, metrics=metrics, figures=figures, overwrite=args.force)
    print(f"wrote {out}/: " + ", ".join(sorted(p.name for p in out.iterdir())))
    return 0


def _split_rows(split_file, split, n_rows) -> list:
    """The row positions ``split.json`` records for ``split``: a list of distinct integers in [0, n_rows).

    Anything else (not a JSON object, rows that are not a list of integers, negative or repeated row
    numbers, rows beyond the data file) is a UsageError naming the file, before any scoring.
    """
    from ..exceptions import ModelFileError
    from ..io.bounded import read_regular_file, strict_json

    where = repr(str(split_file))
    try:
        record = strict_json(read_regular_file(split_file, _SPLIT_BYTES, "split.json"), where, max_depth=8)
    except (OSError, ModelFileError) as exc:
        raise UsageError(f"cannot read {where}: {exc}; pass --data DATA") from None
    if not isinstance(record, dict):
        raise UsageError(f"{where} must hold a JSON object, got {type(record).__name__}; pass --data DATA")
    rows = record.get(f"{split}_rows")
    if rows is None:
        raise UsageError(f"{where} records no rows for the {split} split; pass --data DATA")
    if not isinstance(rows, list) or not all(isinstance(r, int) and not isinstance(r, bool) for r in rows):
        raise UsageError(f"{where}: {split}_rows must be a list of row numbers (integers); pass --data DATA")
    if not rows:
        raise UsageError(f"the run has no {split} rows (--test-size 0?): use --split train")
    seen = set()
    bad = min(rows) if min(rows) < 0 else next((r for r in rows if r in seen or seen.add(r)), None)
    if bad is not None:
        raise UsageError(f"{where}: {split}_rows must be distinct row numbers from 0, found {bad}; pass --data DATA")
    if max(rows) >= n_rows:
        raise UsageError(f"the run's data file has {n_rows} rows, fewer than its split.json names: "
                         "it changed since the run; pass --data DATA")
    return rows
