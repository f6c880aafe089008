"""The ``crossentropy`` command: train, evaluate, predict, plot.

``main(argv) -> int`` never raises: problems with the command line or the data print one line
``crossentropy: error: ...`` on stderr and return 2; anything unexpected prints one line and returns
1. Files are written atomically (a failed run leaves nothing behind).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
import warnings
from pathlib import Path

from .. import __version__

__all__ = ["build_parser", "main", "make_estimator", "make_preprocessor", "out_dir_for", "progress_for"]

PROG = "crossentropy"
MODELS = {"logistic": ("crossentropy.linear_model", "LogisticRegression"),
          "mlp": ("crossentropy.neural_network", "MLPClassifier")}


class UsageError(Exception):
    """Bad command-line usage: exit code 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage block
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0 or value != value or value == float("inf"):
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _test_size(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1), got {text!r}") from None
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction in [0, 1), got {text!r}")
    return value


def _layer_sizes(text):
    try:
        sizes = tuple(int(t) for t in text.replace(" ", "").split(",") if t)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers like 64,32, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"expected comma-separated positive integers like 64,32, got {text!r}")
    return sizes


def _param_value(text):
    """Value of --param KEY=VALUE: JSON (numbers, true/false/null, lists) or else a plain string."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return tuple(value) if isinstance(value, list) else value


# flag, parameter name, argparse type, help, the models that have it
_MODEL_OPTIONS = (
    ("--C", "C", _positive_float, "inverse regularisation strength (logistic)", ("logistic",)),
    ("--penalty", "penalty", str, "l2, l1, elasticnet or none (logistic)", ("logistic",)),
    ("--l1-ratio", "l1_ratio", float, "elastic-net mixing in [0, 1] (logistic)", ("logistic",)),
    ("--no-intercept", "fit_intercept", None, "fit without an intercept (logistic)", ("logistic",)),
    ("--learning-rate", "learning_rate", _positive_float, "step size of the gd/sgd solvers (logistic)", ("logistic",)),
    ("--hidden-layer-sizes", "hidden_layer_sizes", _layer_sizes, "hidden layer widths, e.g. 64,32 (mlp)", ("mlp",)),
    ("--activation", "activation", str, "relu, tanh or logistic (mlp)", ("mlp",)),
    ("--alpha", "alpha", float, "L2 penalty (mlp)", ("mlp",)),
    ("--learning-rate-init", "learning_rate_init", _positive_float, "initial step size (mlp)", ("mlp",)),
    ("--early-stopping", "early_stopping", None, "stop on the validation log loss (mlp)", ("mlp",)),
    ("--label-smoothing", "label_smoothing", float, "label smoothing in [0, 1) (mlp)", ("mlp",)),
    ("--solver", "solver", str, "solver name (logistic: auto, lbfgs, newton, gd, sgd, ...; mlp: adam, sgd)",
     ("logistic", "mlp")),
    ("--max-iter", "max_iter", _positive_int, "iterations (logistic) or epochs (mlp)", ("logistic", "mlp")),
    ("--tol", "tol", _positive_float, "convergence tolerance", ("logistic", "mlp")),
    ("--batch-size", "batch_size", _positive_int, "minibatch size (sgd, adam)", ("logistic", "mlp")),
    ("--class-weight", "class_weight", str, "'balanced' to reweight classes", ("logistic", "mlp")),
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``crossentropy`` command (subcommands train, evaluate, predict, plot)."""
    from ..datasets import DATASETS

    parser = _Parser(prog=PROG, description="Cross-entropy: train and use classifiers, draw the log loss.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser, required=True)

    train = sub.add_parser("train", help="train a classifier on a table (or a built-in data set)",
                           description="Train a classifier, print train/test metrics and write the model, "
                                       "metrics.json and plots to a run directory.")
    train.add_argument("data", nargs="?", metavar="DATA", help="CSV or Parquet file (default: a built-in data set)")
    train.add_argument("--target", metavar="COL", help="class column (required with DATA)")
    train.add_argument("--dataset", choices=DATASETS, default=None,
                       help="built-in data set used when DATA is not given (default breast_cancer)")
    train.add_argument("--model", choices=sorted(MODELS), default="logistic", help="default logistic")
    opts = train.add_argument_group("model options")
    for flag, dest, typ, help_, _models in _MODEL_OPTIONS:
        if typ is None:
            opts.add_argument(flag, dest=dest, action="store_const", const=dest != "fit_intercept", default=None, help=help_)
        else:
            opts.add_argument(flag, dest=dest, type=typ, default=None, help=help_)
    opts.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                      help="any other estimator parameter (value parsed as JSON when it can be); repeatable")
    data = train.add_argument_group("data options")
    data.add_argument("--test-size", type=_test_size, default=0.25, help="held-out fraction (default 0.25; 0: none)")
    data.add_argument("--seed", type=int, default=0, help="seed of the split and of the model (default 0)")
    missing = data.add_mutually_exclusive_group()
    missing.add_argument("--dropna", action="store_true", help="drop rows with missing values")
    missing.add_argument("--impute", choices=("mean", "median", "most_frequent"),
                         help="fill missing feature values (string columns: most frequent)")
    data.add_argument("--ignore", action="append", default=[], metavar="COL[,COL]", help="columns to leave out")
    data.add_argument("--no-scale", action="store_true", help="do not standardise numeric columns")
    data.add_argument("--max-categories", type=_positive_int, default=100,
                      help="most distinct values a string column may have (default 100)")
    out = train.add_argument_group("output")
    out.add_argument("--out", metavar="DIR", help="run directory (default runs/<timestamp>)")
    out.add_argument("--force", action="store_true", help="replace DIR if it exists")
    out.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    out.add_argument("--dask", metavar="ADDRESS",
                     help="train on a Dask cluster: 'local' or tcp://HOST:PORT (DATA may be a Parquet glob)")
    out.add_argument("--dask-timeout", type=_positive_float, default=None, metavar="SECONDS",
                     help="give up connecting to the --dask scheduler after SECONDS (default 10)")
    train.set_defaults(func=_cmd_train)

    ev = sub.add_parser("evaluate", help="metrics of a saved model on a table",
                        description="Apply a saved model (with its preprocessing) to DATA and print its metrics.")
    ev.add_argument("model", metavar="MODEL", help="run directory written by train, or its model.json")
    ev.add_argument("data", metavar="DATA", help="CSV or Parquet file")
    ev.add_argument("--target", metavar="COL", help="class column (default: the one used in training)")
    ev.add_argument("--out", metavar="FILE", help="also write the metrics as JSON to FILE")
    ev.set_defaults(func=_cmd_evaluate)

    pr = sub.add_parser("predict", help="predictions of a saved model, one row per input row",
                        description="Apply a saved model to DATA and write one prediction per input row.")
    pr.add_argument("model", metavar="MODEL", help="run directory written by train, or its model.json")
    pr.add_argument("data", metavar="DATA", help="CSV or Parquet file")
    pr.add_argument("--proba", action="store_true", help="also write one probability column per class")
    pr.add_argument("--out", metavar="FILE", required=True, help="output .csv or .parquet file")
    pr.set_defaults(func=_cmd_predict)

    pl = sub.add_parser("plot", help="draw a figure", description="Draw one of the explanatory figures.")
    figs = pl.add_subparsers(dest="figure", metavar="FIGURE", parser_class=_Parser, required=True)
    ll = figs.add_parser("log-loss", help="J(w) against φ(z) for y = 1 and y = 0",
                         description="The log loss J(w) of one sample against the predicted probability φ(z).")
    ll.add_argument("--out", metavar="FILE", default="log_loss.png", help="default log_loss.png")
    ll.set_defaults(func=_cmd_plot)
    cm = figs.add_parser("ce-vs-mse", help="why cross-entropy beats squared error for a sigmoid",
                         description="Losses, gradient magnitudes and training curves: cross-entropy vs MSE.")
    cm.add_argument("--out", metavar="FILE", default="ce_vs_mse.png", help="default ce_vs_mse.png")
    cm.set_defaults(func=_cmd_plot)
    return parser


# ------------------------------------------------------------------------------------------- helpers
class _Progress:
    """A one-line progress bar on a terminal stream, redrawn at most 20 times a second."""

    def __init__(self, label, total, stream):
        self.label, self.total, self.stream, self.last = label, total, stream, 0.0
        self.shown = False

    def __call__(self, iteration, loss, *args):
        now = time.monotonic()
        if now - self.last < 0.05 and not (self.total and iteration >= self.total):
            return
        self.last, self.shown = now, True
        if self.total:
            done = min(int(iteration), self.total)
            fill = int(30 * done / self.total)
            bar = f"[{'#' * fill}{'.' * (30 - fill)}] {done}/{self.total}"
        else:
            bar = f"iteration {int(iteration)}"
        self.stream.write(f"\r{self.label} {bar}  loss {float(loss):.6g}\033[K")
        self.stream.flush()

    def close(self):
        if self.shown:
            self.stream.write("\r\033[K")
            self.stream.flush()


def make_estimator(args):
    """The estimator that ``train``'s options ask for (UsageError for options the model does not have)."""
    from importlib import import_module

    module, name = MODELS[args.model]
    cls = getattr(import_module(module), name)
    known = cls().get_params(deep=False)
    params = {}
    for flag, dest, _typ, _help, models in _MODEL_OPTIONS:
        value = getattr(args, dest)
        if value is None:
            continue
        if args.model not in models or dest not in known:
            raise UsageError(f"{flag} does not apply to --model {args.model}")
        params[dest] = None if (dest == "penalty" and value == "none") else value
    for item in args.param:
        key, sep, text = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--param expects KEY=VALUE, got {item!r}")
        if key not in known:
            raise UsageError(f"--param {key}: {name} has no parameter {key!r}; it has {sorted(known)}")
        params[key] = _param_value(text)
    if "random_state" in known and "random_state" not in params:
        params["random_state"] = args.seed
    try:
        return cls(**params)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"bad model option: {exc}") from None


def out_dir_for(args) -> Path:
    """The run directory of ``train``: ``--out`` or a fresh ``runs/<timestamp>``; UsageError if taken."""
    out = Path(args.out) if args.out else _default_run_dir()
    _check_out_dir(out, args.force)
    return out


def make_preprocessor(args, target):
    """The unfitted :class:`~crossentropy.preprocessing.TabularPreprocessor` that ``train``'s data options ask for."""
    from ..preprocessing import TabularPreprocessor

    ignore = [c for item in args.ignore for c in item.split(",") if c]
    return TabularPreprocessor(target, missing="dropna" if args.dropna else "impute" if args.impute else "error",
                               impute_strategy=args.impute, scale=not args.no_scale,
                               max_categories=args.max_categories, ignore=ignore)


def progress_for(estimator):
    """A progress-bar callback ``(iteration, loss)`` when stderr is a terminal, else None."""
    if not sys.stderr.isatty():
        return None
    return _Progress(f"fitting {type(estimator).__name__}", estimator.get_params().get("max_iter"), sys.stderr)


def _default_run_dir() -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    path, i = Path("runs") / stamp, 1
    while path.exists():
        i += 1
        path = Path("runs") / f"{stamp}-{i}"
    return path


def _check_out_dir(out, force):
    if out.exists() and not force and not (out.is_dir() and not any(out.iterdir())):
        raise UsageError(f"output directory {str(out)!r} already exists; pass --force to replace it")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {str(out)!r} is a file, not a directory")


def _split(n, y, test_size, seed):
    import numpy as np
    from sklearn.model_selection import train_test_split

    rows = np.arange(n)
    if test_size == 0:
        return rows, rows[:0]
    _, counts = np.unique(y, return_counts=True)
    n_test = int(np.ceil(test_size * n))
    stratify = y if counts.min() >= 2 and n_test >= counts.size and n - n_test >= counts.size else None
    try:
        train, test = train_test_split(rows, test_size=test_size, random_state=seed, stratify=stratify)
    except ValueError as exc:
        raise UsageError(f"cannot split {n} rows with --test-size {test_size}: {exc}") from None
    return np.sort(train), np.sort(test)


def _predict(estimator, X):
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None:  # fitted on a DataFrame: give it one, with the columns in its order
        import pandas as pd

        X = pd.DataFrame(X, columns=list(names))
    proba = estimator.predict_proba(X)
    return proba, estimator.predict(X)


# ------------------------------------------------------------------------------------------- commands
def _load_training_table(args):
    from ..preprocessing import read_table
    from ..datasets import TARGET_COLUMN, load_dataset

    if args.data is None:
        name = args.dataset or "breast_cancer"
        if args.target not in (None, TARGET_COLUMN):
            raise UsageError(f"built-in data sets have the target column {TARGET_COLUMN!r}, got --target {args.target!r}")
        return load_dataset(name), TARGET_COLUMN, f"builtin:{name}"
    if args.dataset is not None:
        raise UsageError("give either DATA or --dataset, not both")
    if args.target is None:
        raise UsageError("--target COL is required with DATA")
    return read_table(args.data), args.target, str(args.data)


def _cmd_train(args) -> int:
    import numpy as np

    from .report import compute_metrics, format_metrics_table, run_figures, write_run

    if args.dask:
        from ..distributed.cli import train_dask

        return train_dask(args)
    out = out_dir_for(args)
    estimator = make_estimator(args)
    frame, target, source = _load_training_table(args)
    prep = make_preprocessor(args, target)
    prep.check_target(frame)
    clean, rows = prep.clean(frame)
    labels = np.asarray(clean[target].astype(str))
    train_pos, test_pos = _split(clean.shape[0], labels, args.test_size, args.seed)
    train_df, test_df = clean.iloc[train_pos], clean.iloc[test_pos]
    prep.fit(train_df)
    X_train, y_train = prep.transform(train_df), prep.target_values(train_df)
    name = type(estimator).__name__
    progress = progress_for(estimator)
    start = time.perf_counter()
    try:
        estimator.fit(X_train, y_train, callback=progress)
    except (TypeError, ValueError) as exc:
        raise UsageError(f"cannot fit {name}: {exc}") from None
    finally:
        if progress is not None:
            progress.close()
    fit_seconds = time.perf_counter() - start
    classes = np.asarray(estimator.classes_)
    proba_tr, pred_tr = _predict(estimator, X_train)
    columns = {"train": compute_metrics(y_train, proba_tr, classes, pred_tr), "test": None}
    y_eval, proba_eval, pred_eval = y_train, proba_tr, pred_tr
    if test_pos.size:
        X_test, y_test = prep.transform(test_df), prep.target_values(test_df)
        y_eval, (proba_eval, pred_eval) = y_test, _predict(estimator, X_test)
        columns["test"] = compute_metrics(y_test, proba_eval, classes, pred_eval)
    classes_json = [c.item() if hasattr(c, "item") else c for c in classes]
    metrics = {
        "model": name, "data": source, "target": target, "classes": classes_json,
        "n_rows": int(frame.shape[0]), "n_dropped": int(frame.shape[0] - clean.shape[0]),
        "n_features": int(X_train.shape[1]), "test_size": args.test_size, "seed": args.seed,
        "fit_seconds": round(fit_seconds, 4), "n_iter": _json_int(getattr(estimator, "n_iter_", None)),
        "train": columns["train"], "test": columns["test"],
    }
    figures = {}
    if not args.no_plots:
        two = None
        numeric = [s for s in prep.columns_ if s["kind"] == "numeric"]
        if len(prep.columns_) == 2 and len(numeric) == 2:
            names = [s["name"] for s in numeric]
            X2 = clean[names].to_numpy(dtype=np.float64, na_value=np.nan)
            ok = ~np.isnan(X2).any(axis=1)

            def transform(grid, names=names):
                import pandas as pd

                return prep.transform(pd.DataFrame(grid, columns=names))

            two = (X2[ok], prep.target_values(clean)[ok], names, transform)
        figures = run_figures(estimator, y_eval=y_eval, proba_eval=proba_eval, pred_eval=pred_eval, two_features=two)
    split = {"rows": "0-based positions of the data rows in DATA", "train_rows": rows[train_pos].tolist(),
             "test_rows": rows[test_pos].tolist()}
    write_run(out, estimator=estimator, metrics=metrics, figures=figures, preprocessing=prep,
              files={"split.json": split}, overwrite=args.force)
    n_classes = classes.size
    print(f"{name} on {source}: {clean.shape[0]} rows ({train_pos.size} train, {test_pos.size} test), "
          f"{X_train.shape[1]} features, {n_classes} classes; fitted in {fit_seconds:.2f} s")
    print(format_metrics_table(columns))
    if n_classes == 2:
        print(f"(ROC AUC and Brier score take {classes_json[1]!r} as the positive class)")
    print(f"wrote {out}/: " + ", ".join(sorted(p.name for p in out.iterdir())))
    return 0


def _json_int(value):
    import numpy as np

    if value is None:
        return None
    arr = np.asarray(value)
    return int(arr.max()) if arr.size else None


def _load_for_use(args):
    from ..preprocessing import read_table
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
    frame = read_table(args.data)
    bundle.preprocessing.check_columns(frame)
    return bundle, frame


def _cmd_evaluate(args) -> int:
    import numpy as np

    from ..io.atomic import atomic_write_text
    from .report import compute_metrics, format_metrics_table

    bundle, frame = _load_for_use(args)
    prep, est = bundle.preprocessing, bundle.estimator
    if args.target is not None and args.target != prep.target:
        prep.target = args.target
    prep.check_target(frame)
    clean, _ = prep.clean(frame, columns=prep.input_columns_)
    X, y = prep.transform(clean), prep.target_values(clean)
    unknown = sorted(set(np.unique(y).tolist()) - set(np.asarray(est.classes_).tolist()))
    if unknown:
        raise UsageError(f"the target column {prep.target!r} holds classes the model does not know: {unknown[:5]}")
    proba, pred = _predict(est, X)
    metrics = compute_metrics(y, proba, est.classes_, pred)
    print(f"{type(est).__name__} from {bundle.path.parent}/ on {args.data}: {clean.shape[0]} rows"
          + (f" ({frame.shape[0] - clean.shape[0]} dropped with missing values)" if clean.shape[0] < frame.shape[0] else ""))
    print(format_metrics_table({"data": metrics}))
    if args.out:
        atomic_write_text(args.out, json.dumps(metrics, indent=1) + "\n")
    return 0


def _cmd_predict(args) -> int:
    import numpy as np
    import pandas as pd

    from ..preprocessing import check_table_suffix, write_table

    check_table_suffix(args.out, what="--out")  # fail before any work
    bundle, frame = _load_for_use(args)
    prep, est = bundle.preprocessing, bundle.estimator
    clean, _ = prep.clean(frame, columns=prep.input_columns_, with_target=False, allow_drop=False)
    X = prep.transform(clean)
    proba, pred = _predict(est, X)
    out = pd.DataFrame({"prediction": pred})
    if args.proba:
        for j, c in enumerate(np.asarray(est.classes_).tolist()):
            out[f"proba_{c}"] = proba[:, j]
    write_table(out, args.out)
    print(f"wrote {out.shape[0]} predictions to {args.out}")
    return 0


def _cmd_plot(args) -> int:
    from ..plotting import plot_ce_vs_mse, plot_log_loss, save_figure

    fig = plot_log_loss() if args.figure == "log-loss" else plot_ce_vs_mse()
    suffix = Path(args.out).suffix.lower()
    if suffix not in (".png", ".pdf", ".svg"):
        raise UsageError(f"--out must end in .png, .pdf or .svg, got {args.out!r}")
    save_figure(fig, args.out)
    print(f"wrote {args.out}")
    return 0


# ------------------------------------------------------------------------------------------- entry point
def _one_line(exc) -> str:
    text = " ".join(str(exc).split())
    return text or type(exc).__name__


@contextlib.contextmanager
def _warnings_to_stderr():
    def show(message, category, filename, lineno, file=None, line=None):
        sys.stderr.write(f"{PROG}: warning: {' '.join(str(message).split())}\n")

    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = show
        yield


def main(argv=None) -> int:
    """Run the ``crossentropy`` command with ``argv`` (default ``sys.argv[1:]``); return the exit code.

    Exit codes: 0 success; 2 bad usage or bad data (one line ``crossentropy: error: ...`` on stderr);
    1 anything unexpected (also one line).
    """
    from ..preprocessing import DataError
    from ..exceptions import ModelFileError

    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        sys.stderr.write(f"{PROG}: error: {_one_line(exc)}\n")
        return 2
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    try:
        with _warnings_to_stderr():
            return int(args.func(args) or 0)
    except (UsageError, DataError, ModelFileError, FileExistsError) as exc:
        sys.stderr.write(f"{PROG}: error: {_one_line(exc)}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write(f"{PROG}: error: interrupted\n")
        return 130
    except Exception as exc:  # the promise: one line, never a traceback
        sys.stderr.write(f"{PROG}: error: unexpected {type(exc).__name__}: {_one_line(exc)}\n")
        return 1
