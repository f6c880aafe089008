"""What ``train``'s options build: the estimator, the preprocessor, the run directory, a progress bar."""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

from .errors import UsageError
from .parser import MODEL_OPTIONS, MODELS, param_value

__all__ = ["make_estimator", "make_preprocessor", "out_dir_for", "progress_for", "json_int"]


class _Progress:
    """A one-line progress bar on a terminal stream, redrawn at most 20 times a second."""

    def __init__(self, label, total, stream):
        self.label, self.total, self.stream, self.last = label, total, stream, 0.0
        self.shown = False

    def __call__(self, iteration, loss=None, *args):
        if loss is None:  # a solver's IterationState (LogisticRegression), not an MLP's (epoch, loss)
            iteration, loss = iteration.n_iter, iteration.fun
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
    """The estimator that ``train``'s options ask for (UsageError for options the model does not have).

    Parameters
    ----------
    args : argparse.Namespace
        The ``train`` command's arguments (``model``, the model options, ``param``, ``seed``).

    Returns
    -------
    LogisticRegression or MLPClassifier
        Unfitted; ``random_state`` is ``--seed`` unless ``--param random_state=...`` says otherwise;
        an MLP stops early on its validation log loss unless ``--param early_stopping=false``.

    Examples
    --------
    >>> from crossentropy.cli.parser import build_parser
    >>> make_estimator(build_parser().parse_args(["train", "--C", "2", "--max-iter", "50"]))
    LogisticRegression(C=2.0, max_iter=50, random_state=0)
    """
    from importlib import import_module

    from .ordinal import check_ordinal_options

    check_ordinal_options(args)
    module, name = MODELS[args.model]
    cls = getattr(import_module(module), name)
    known = cls().get_params(deep=False)
    params = {}
    for flag, dest, _typ, _help, models in MODEL_OPTIONS:
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
        params[key] = param_value(text)
    if "random_state" in known and "random_state" not in params:
        params["random_state"] = args.seed
    args.default_early_stopping = args.model == "mlp" and "early_stopping" not in params
    if args.default_early_stopping:  # the command line stops on the validation log loss
        params["early_stopping"] = True
    cv = getattr(args, "cv", None) is not None  # --cv: the search's own checks (cli/cv.py)
    if not cv and params.get("penalty") == "elasticnet" and params.get("l1_ratio") is None:
        raise UsageError("--penalty elasticnet needs --l1-ratio R, the share of l1 in the penalty (a number in [0, 1])")
    try:
        estimator = cls(**params)
        with warnings.catch_warnings():  # fit warns about ignored options; here only errors count
            warnings.simplefilter("ignore")
            if not cv:
                estimator._check_params()  # every parameter checked now, before the data are read or a fit starts
    except (TypeError, ValueError) as exc:
        raise UsageError(f"bad model option: {_cli_spelling(str(exc), set(params) - _from_param(args))}") from None
    if cv:
        from .cv import cv_estimator

        return cv_estimator(args, estimator)
    if getattr(args, "Cs", None) is not None or getattr(args, "l1_ratios", None) is not None:
        raise UsageError("--Cs and --l1-ratios need --cv K")
    return estimator


def _from_param(args) -> set:
    return {item.partition("=")[0] for item in args.param}


def _cli_spelling(message: str, names) -> str:
    """``message`` with the Python spellings of the options the user gave as flags in the CLI's.

    ``penalty='elasticnet'`` becomes ``--penalty elasticnet``, ``l1_ratio`` ``--l1-ratio``, ``None``
    ``none``; names given with ``--param`` keep their Python spelling.

    Examples
    --------
    >>> _cli_spelling("l1_ratio must be a number in [0, 1] for penalty='elasticnet', got None", {"penalty", "l1_ratio"})
    '--l1-ratio must be a number in [0, 1] for --penalty elasticnet, got none'
    """
    import re

    flags = {dest: flag for flag, dest, *_ in MODEL_OPTIONS if dest in names}
    for dest, flag in flags.items():
        message = re.sub(rf"(?<![\w-]){re.escape(dest)}=(['\"]?)([^'\",\s)]*)\1", rf"{flag} \2", message)
    message = re.sub(r"\bNone\b", "none", message)
    for dest, flag in flags.items():
        message = re.sub(rf"(?<![\w-]){re.escape(dest)}\b(?!=)", flag, message)
    return message


def out_dir_for(args) -> Path:
    """The run directory of ``train``: ``--out`` or a fresh ``runs/<timestamp>``; UsageError if taken.

    A taken directory is refused unless it is empty or ``--force`` is given, and a path that cannot
    be written (empty, too long, below a file, no permission) is refused before any work
    (:func:`crossentropy.cli.paths.check_run_dir`); nothing is left behind here. The temporaries of
    dead runs beside it are removed first (:func:`crossentropy.io.atomic.clean_stale`).
    """
    from ..io.atomic import clean_stale
    from .paths import check_run_dir

    out = _default_run_dir() if args.out is None else args.out
    if str(out) and Path(out).parent.is_dir():
        clean_stale(Path(out).parent)  # a run killed mid-swap is restored before the path is judged
    return check_run_dir(out, force=args.force, inputs=[getattr(args, "data", None)])


def make_preprocessor(args, target):
    """The unfitted :class:`~crossentropy.preprocessing.TabularPreprocessor` that ``train``'s data options ask for.

    ``--dropna`` / ``--impute STRATEGY`` / neither give ``missing="dropna"`` / ``"impute"`` /
    ``"error"``; ``--no-scale``, ``--max-categories``, ``--ignore COL[,COL]``, ``--keep COL``,
    ``--offset COL``, ``--reference COL=LEVEL``, ``--na-values LIST``, ``--categorical COL`` and
    ``--unknown`` are passed on (the column of ``--split time:COL`` or ``group:COL`` is ignored unless
    ``--keep COL`` names it); ``--model ordinal`` gets
    treatment-coded string columns (``drop_reference=True``: its thresholds are its intercepts), and so
    does ``--penalty firth`` (whose penalty needs a design of full rank: an intercept and every level's
    indicator would make its information singular).
    """
    from ..preprocessing import TabularPreprocessor

    ignore = [c for item in args.ignore for c in item.split(",") if c]
    keep = [c for item in getattr(args, "keep", []) for c in item.split(",") if c]
    split_column = getattr(getattr(args, "split", None), "column", None)
    if split_column is not None and split_column not in keep + ignore + [target]:
        ignore.append(split_column)  # the time or group column arranges the rows; not a feature unless kept
    return TabularPreprocessor(target, missing="dropna" if args.dropna else "impute" if args.impute else "error",
                               impute_strategy=args.impute, scale=not args.no_scale,
                               max_categories=args.max_categories, ignore=ignore,
                               keep=keep,
                               offset=getattr(args, "offset", None),
                               reference=_references(getattr(args, "reference", [])),
                               drop_reference=getattr(args, "model", None) == "ordinal" or
                               getattr(args, "penalty", None) == "firth",
                               na_values=getattr(args, "na_values", None),
                               categorical=[c for item in getattr(args, "categorical", []) for c in item.split(",") if c],
                               unknown=getattr(args, "unknown", None) or "error")


def _references(pairs) -> dict | None:
    """``--reference COL=LEVEL`` pairs as a dict; UsageError for a column named twice with two levels."""
    out = {}
    for col, level in pairs:
        if out.get(col, level) != level:
            raise UsageError(f"--reference names two levels for column {col!r}: {out[col]!r} and {level!r}")
        out[col] = level
    return out or None


def progress_for(estimator):
    """A progress-bar callback when stderr is a terminal, else None.

    It takes either form of the package's callbacks: a solver's ``callback(state)`` (an
    :class:`~crossentropy.solvers.IterationState`) and an MLP's ``callback(epoch, loss)``.
    """
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


def _check_out_dir(out, force, what="--out", inputs=()):
    """A run or report directory checked before any work (:func:`crossentropy.cli.paths.check_run_dir`):
    never one that holds ``inputs``, the files the command reads."""
    from .paths import check_run_dir

    check_run_dir(out, force=force, what=what, inputs=inputs)


def json_int(value):
    """The largest entry of an int or array of ints (e.g. ``n_iter_``) as an int, or None."""
    import numpy as np

    if value is None:
        return None
    arr = np.asarray(value)
    return int(arr.max()) if arr.size else None


def decision_options(args, classes, trained=None):
    """(pos_label, threshold) from ``--pos-label`` / ``--threshold``, else those of the training run
    (``trained``: its metrics), checked against ``classes``; a UsageError names the option."""
    import numpy as np

    trained = trained or {}
    text = getattr(args, "pos_label", None)
    if text is None and np.size(classes) == 2 and trained.get("pos_label") is not None:
        text = trained["pos_label"]
    threshold = getattr(args, "threshold", None)
    if threshold is None and np.size(classes) == 2:
        threshold = trained.get("threshold")
    try:
        pos_label = resolve_pos_label(text, classes)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if threshold is not None and np.size(classes) != 2:
        raise UsageError(f"--threshold applies to two classes; the target has {np.size(classes)}")
    return pos_label, threshold


def resolve_pos_label(text, classes):
    """The class named by ``--pos-label TEXT`` (matched by its text), or None for ``text=None``.

    ValueError when the model has more than two classes or no class is spelled ``text``.

    Examples
    --------
    >>> resolve_pos_label("0", [0, 1])
    0
    """
    if text is None:
        return None
    import numpy as np

    classes = np.asarray(classes)
    if classes.size != 2:
        raise ValueError(f"--pos-label applies to two classes; the target has {classes.size}")
    for c in classes:
        if str(_plain(c)) == str(text):
            return _plain(c)
    raise ValueError(f"--pos-label {text!r} is not a class; the classes are {[_plain(c) for c in classes]}")


def _plain(value):
    return value.item() if hasattr(value, "item") else value
