"""``crossentropy evaluate``, ``predict`` and ``plot``: the commands that use a saved model or draw a figure."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import UsageError
from .options import decision_options
from .sources import predictions

__all__ = ["cmd_evaluate", "cmd_predict", "cmd_plot"]

#: the largest split.json read (two lists of row numbers: about 16 bytes a row)


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

    frame = read_table(args.data, na_values=bundle.preprocessing.na_values)
    bundle.preprocessing.check_columns(frame)
    return bundle, frame


def _encoded(prep, frame, unknown):
    """``prep.transform`` with the library's parameter words in its messages turned into the option's."""
    from ..exceptions import DataError

    try:
        return prep.transform(frame, unknown=unknown)
    except DataError as exc:
        raise DataError(str(exc).replace("unknown='ignore'", "--unknown ignore")) from None


def _unknown(args, prep, frame) -> str:
    """The unknown-category policy of this command (``--unknown``, else the model's); with ``ignore``,
    one warning line on stderr counting the values encoded as all zeros (stdout may carry the predictions)."""
    import warnings

    unknown = getattr(args, "unknown", None) or prep.unknown
    if unknown == "ignore":
        unseen = prep.unseen_values(frame)
        if unseen:
            parts = "; ".join(f"{c!r}: " + ", ".join(f"{v!r} ({n})" for v, n in list(values.items())[:5])
                              for c, values in unseen.items())
            warnings.warn(f"{sum(sum(v.values()) for v in unseen.values())} value(s) not seen in training encoded "
                          f"as all zeros ({parts})", UserWarning, stacklevel=2)
    return unknown


def cmd_evaluate(args) -> int:
    """``crossentropy evaluate MODEL DATA``: print (and with ``--out`` write) a saved model's metrics on DATA.

    The baseline is the training run's class frequencies, the positive class and threshold those of
    the run unless ``--pos-label`` / ``--threshold`` say otherwise. ``--report-dir DIR`` writes a new
    directory (refused if it exists, unless ``--force``) with ``report.html``, ``metrics.json`` and,
    with ``--plots``, the reliability diagram and confusion matrix of DATA (``--plots`` needs it:
    evaluate writes no file it was not asked for).
    """
    from ..io.atomic import atomic_write_text
    from ..report.figures import format_metrics_table
    from ..report.metrics import split_metrics

    _check_out(args, required=False)
    report_dir = _report_dir(args)
    bundle, frame = _load_for_use(args)
    prep, est = bundle.preprocessing, bundle.estimator
    if args.target is not None and args.target != prep.target:
        raise UsageError(f"--target {args.target!r} is not the column the model was trained to predict "
                         f"({prep.target!r}): leave --target out, or pass --target {prep.target}")
    if prep.target not in frame.columns:
        raise UsageError(f"{str(args.data)!r} has no column {prep.target!r}, the target the model was trained to "
                         "predict: evaluate compares predictions with these labels; for the predictions of "
                         f"unlabelled rows run: crossentropy predict {args.model} {args.data}")
    clean, y, proba = _scored(prep, est, frame, unknown=_unknown(args, prep, frame))
    trained = (bundle.extra or {}).get("metrics") or {}
    pos_label, threshold = decision_options(args, est.classes_, trained)
    metrics = split_metrics(y, proba, est.classes_, prior=trained.get("prior"), pos_label=pos_label,
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


def _scored(prep, est, frame, unknown=None):
    """``(clean, y, proba)``: the labelled rows of ``frame`` through the run's preprocessing and model
    (the target checked, missing values refused, classes the model does not know named)."""
    clean, X, y = labelled_rows(prep, est, frame, unknown=unknown)
    return clean, y, predictions(est, X, prep.offset_values(clean))[0]


def labelled_rows(prep, est, frame, unknown=None):
    """``(clean, X, y)``: the labelled rows of ``frame`` and their features, as ``evaluate`` reads them
    (``unknown``: the unknown-category policy, default the model's)."""
    import numpy as np

    prep.check_target(frame)
    _refuse_gaps(prep, frame, with_target=True)
    clean, _ = prep.clean(frame, columns=prep.input_columns_)
    y = prep.target_values(clean)
    X = _encoded(prep, clean, unknown)
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
    from ..report.figures import run_figures
    from ..report.metrics import decide

    pred = decide(proba, est.classes_, pos_label=pos_label, threshold=threshold)
    return run_figures(est, y_eval=y, proba_eval=proba, pred_eval=pred, split=split, curves=curves,
                       pos_label=pos_label)


def _evaluation_report(args, bundle, metrics, y, proba, *, n_rows, n_dropped, frame):
    from ..report import Report
    from ..report.page import page_context
    from .report import run_provenance, write_figures_dir

    est, split = bundle.estimator, Path(args.data).name
    figures = {}
    if args.plots:
        figures = _scored_figures(est, y, proba, split, metrics.get("pos_label"), metrics.get("threshold"))
        figures.pop("training_curve.png", None)  # the training run's figure, not this data's
    missing = {str(c): int(v) for c, v in frame.isna().sum().items() if v}
    context = page_context({split: metrics}, estimator=est, prep=bundle.preprocessing, missing=missing,
                           n_features=int(getattr(est, "n_features_in_", 0)))
    prov = run_provenance(f"{type(est).__name__} from {bundle.path.parent} evaluated on {args.data}",
                          argv=getattr(args, "argv", None), data=args.data, n_rows=n_rows, n_dropped=n_dropped)
    write_figures_dir(args.report_dir, metrics=metrics, report=Report({split: metrics}, figures=figures, context=context),
                      provenance=prov, overwrite=getattr(args, "force", False))
    print(f"wrote {args.report_dir}/: " + ", ".join(sorted(p.name for p in Path(args.report_dir).iterdir())))


def cmd_predict(args) -> int:
    """``crossentropy predict MODEL DATA [--out FILE]``: one prediction (and with ``--proba`` probabilities) per row.

    The output's columns: the identifier columns training left out (row names, ID columns) that DATA
    holds, unchanged; the ``--keep-columns`` columns of DATA; ``prediction``; ``proba_CLASS`` for each
    class with ``--proba``. Without ``--out`` the table is CSV on standard output and nothing else is
    printed there.
    """
    import sys

    import numpy as np
    import pandas as pd

    from ..io.tables import check_table_suffix, write_table

    if args.out is not None:
        _check_out(args, required=True)  # fail before any work
        check_table_suffix(args.out, what="--out")
    bundle, frame = _load_for_use(args)
    prep, est = bundle.preprocessing, bundle.estimator
    carried = _carried_columns(args, prep, frame)
    _refuse_gaps(prep, frame, with_target=False)
    clean, _ = prep.clean(frame, columns=prep.input_columns_, with_target=False, allow_drop=False)
    X = _encoded(prep, clean, _unknown(args, prep, clean))
    proba, pred = predictions(est, X, prep.offset_values(clean))
    trained = (bundle.extra or {}).get("metrics") or {}
    if trained.get("threshold") is not None and np.size(est.classes_) == 2:  # the run's --threshold decides
        from ..report.metrics import decide

        pred = decide(proba, est.classes_, pos_label=decision_options(args, est.classes_, trained)[0],
                      threshold=trained["threshold"])
    columns = _carried_values(args.data, carried, frame)
    columns["prediction"] = pred
    if args.proba:  # the class columns in the one dict the frame is built from (never a column at a time)
        columns.update({f"proba_{c}": proba[:, j] for j, c in enumerate(np.asarray(est.classes_).tolist())})
    clash = [c for c in carried if c == "prediction" or (args.proba and c.startswith("proba_") and
                                                          c in {f"proba_{k}" for k in np.asarray(est.classes_).tolist()})]
    if clash:
        raise UsageError(f"--keep-columns names {clash[0]!r}, a column the predictions are written to")
    out = pd.DataFrame(columns, index=pd.RangeIndex(frame.shape[0]))
    if args.out is None:
        out.to_csv(sys.stdout, index=False)
        sys.stdout.flush()
        return 0
    write_table(out, args.out, overwrite=bool(args.force))
    print(f"wrote {out.shape[0]} predictions to {args.out}")
    return 0


def _carried_values(path, carried, frame) -> dict:
    """{column: values} of the carried columns as DATA writes them: a CSV/TSV file's fields as their text
    (an ID ``007`` stays ``007``, ``NA`` stays ``NA``), a Parquet file's values as read."""
    from ..io.tables import table_format

    if not carried:
        return {}
    if table_format(path) == "parquet":
        return {c: frame[c].to_numpy() for c in carried}
    import pandas as pd

    text = pd.read_csv(path, sep="\t" if table_format(path) == "tsv" else ",", usecols=list(carried), dtype=str,
                       keep_default_na=False, low_memory=False)
    return {c: text[c].to_numpy() for c in carried}


def _carried_columns(args, prep, frame) -> list:
    """The input columns ``predict`` copies into its output: the identifier columns training left out
    that ``frame`` holds (in its order), then the ``--keep-columns`` ones (UsageError naming an absent one)."""
    ids = [c for c in frame.columns if c in (getattr(prep, "id_columns_", None) or {})]
    asked = [c.strip() for item in getattr(args, "keep_columns", []) or [] for c in item.split(",") if c.strip()]
    absent = [c for c in asked if c not in frame.columns]
    if absent:
        raise UsageError(f"--keep-columns names column(s) not in {str(args.data)!r}: {absent[:5]}; "
                         f"columns are {[str(c) for c in frame.columns][:20]}")
    return list(dict.fromkeys(ids + asked))


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
    from ..report import Report
    from ..report.curves import curves_from_json
    from ..report.metrics import split_metrics
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
        frame, split = read_table(args.data, na_values=prep.na_values), Path(args.data).name
    else:
        from .run_rows import run_split_rows

        frame, split = run_split_rows(bundle, args.split, args.run_dir), args.split
    prep.check_columns(frame)
    clean, y, proba = _scored(prep, est, frame)
    pos_label, threshold = decision_options(args, est.classes_, trained)
    metrics = split_metrics(y, proba, est.classes_, prior=trained.get("prior"), pos_label=pos_label,
                            threshold=threshold)
    figures = _scored_figures(est, y, proba, split, pos_label, threshold,
                              curves=curves_from_json(trained.get("training_curve")))
    write_figures_dir(out, metrics=metrics, report=Report({split: metrics}, figures=figures), overwrite=args.force)
    print(f"wrote {out}/: " + ", ".join(sorted(p.name for p in out.iterdir())))
    return 0
