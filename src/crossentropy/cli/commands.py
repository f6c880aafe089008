"""``crossentropy evaluate``, ``predict`` and ``plot``: the commands that use a saved model or draw a figure."""

from __future__ import annotations

import json
from pathlib import Path

from .errors import UsageError
from .report import compute_metrics, format_metrics_table
from .sources import predictions

__all__ = ["cmd_evaluate", "cmd_predict", "cmd_plot"]


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
    columns = [c for c in prep.input_columns_ if c in frame.columns]
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
    """``crossentropy evaluate MODEL DATA``: print (and with ``--out`` write) a saved model's metrics on DATA."""
    import numpy as np

    from ..io.atomic import atomic_write_text
    
    _check_out(args, required=False)
    bundle, frame = _load_for_use(args)
    prep, est = bundle.preprocessing, bundle.estimator
    if args.target is not None and args.target != prep.target:
        raise UsageError(f"--target {args.target!r} is not the column the model was trained to predict "
                         f"({prep.target!r}): leave --target out, or pass --target {prep.target}")
    prep.check_target(frame)
    _refuse_gaps(prep, frame, with_target=True)
    clean, _ = prep.clean(frame, columns=prep.input_columns_)
    X, y = prep.transform(clean), prep.target_values(clean)
    unknown = sorted(set(np.unique(y).tolist()) - set(np.asarray(est.classes_).tolist()))
    if unknown:
        raise UsageError(f"the target column {prep.target!r} holds classes the model does not know: {unknown[:5]}")
    proba, pred = predictions(est, X)
    metrics = compute_metrics(y, proba, est.classes_, pred)
    print(f"{type(est).__name__} from {bundle.path.parent}/ on {args.data}: {clean.shape[0]} rows"
          + (f" ({frame.shape[0] - clean.shape[0]} dropped with missing values)" if clean.shape[0] < frame.shape[0] else ""))
    print(format_metrics_table({"data": metrics}))
    if args.out:
        atomic_write_text(args.out, json.dumps(metrics, indent=1) + "\n")
    return 0


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
    proba, pred = predictions(est, X)
    out = pd.DataFrame({"prediction": pred})
    if args.proba:
        for j, c in enumerate(np.asarray(est.classes_).tolist()):
            out[f"proba_{c}"] = proba[:, j]
    write_table(out, args.out)
    print(f"wrote {out.shape[0]} predictions to {args.out}")
    return 0


def cmd_plot(args) -> int:
    """``crossentropy plot log-loss|ce-vs-mse --out FILE``: draw one of the explanatory figures."""
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
