"""The command line's argument parser: subcommands, options and the converters of their values.

Values are checked by :mod:`crossentropy._validation` (the checks every estimator uses); a bad
value is a one-line usage error naming the option.
"""

from __future__ import annotations

import argparse
import json

from .errors import PROG, UsageError

#: the covariance types of the coefficient table (crossentropy.linear_model._covariance.COV_TYPES, not
#: imported here: the parser is built before any numerical module loads)
COV_TYPES = ("nonrobust", "HC0", "HC1", "HC2", "HC3", "cluster")

__all__ = ["build_parser", "MODELS", "MODEL_OPTIONS", "param_value"]

MODELS = {"logistic": ("crossentropy.linear_model", "LogisticRegression"),
          "mlp": ("crossentropy.neural_network", "MLPClassifier"),
          "ordinal": ("crossentropy.linear_model", "OrdinalRegression")}




# The shared checks of crossentropy._validation, imported when a value is converted: building the
# parser (``--help``, ``--version``) imports neither NumPy nor anything heavier.
def check_real(value, name, **bounds):
    from .._validation import check_real as check

    return check(value, name, **bounds)


def check_int(value, name, **bounds):
    from .._validation import check_int as check

    return check(value, name, **bounds)


class _Version(argparse.Action):
    """``--version``: the installed version, looked up only when the option is given."""

    def __init__(self, option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS, help=None):
        super().__init__(option_strings, dest=dest, default=default, nargs=0,
                         help=help or "show the program's version number and exit")

    def __call__(self, parser, namespace, values, option_string=None):
        import sys

        from .. import __version__

        sys.stdout.write(f"{PROG} {__version__}\n")
        parser.exit()


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage block
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _checked(parse, check, expected):
    """An argparse type: ``parse`` the text, then the shared ``check``; one message for both failures."""

    def convert(text):
        try:
            return check(parse(text))
        except (TypeError, ValueError):
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None

    return convert


_positive_float = _checked(float, lambda v: check_real(v, "value", low=0, low_open=True), "a positive number")
_positive_int = _checked(int, lambda v: check_int(v, "value", low=1), "a positive integer")
_test_size = _checked(float, lambda v: check_real(v, "value", low=0, high=1, high_open=True), "a fraction in [0, 1)")
# a uniform target (1) teaches the network nothing: the command line keeps the smoothing below 1
_label_smoothing = _checked(float, lambda v: check_real(v, "value", low=0, high=1, high_open=True),
                            "a number in [0, 1)")
# the seeds NumPy's RandomState (the split, scikit-learn's random_state) accepts
_seed = _checked(int, lambda v: check_int(v, "value", low=0, high=2 ** 32 - 1), "an integer in [0, 4294967295]")


def _sizes(sizes):
    if not sizes:
        raise ValueError("no layer sizes")
    return tuple(check_int(s, "hidden layer size", low=1) for s in sizes)


_layer_sizes = _checked(lambda text: tuple(int(t) for t in text.replace(" ", "").split(",") if t), _sizes,
                        "comma-separated positive integers like 64,32")


def param_value(text):
    """Value of --param KEY=VALUE: JSON (numbers, true/false/null, lists) or else a plain string."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return tuple(value) if isinstance(value, list) else value


# flag, parameter name, argparse type, help, the models that have it
MODEL_OPTIONS = (
    ("--C", "C", _positive_float, "inverse regularisation strength (logistic, ordinal)", ("logistic", "ordinal")),
    ("--penalty", "penalty", str, "l2, l1, elasticnet, none or firth (logistic); none or l2 (ordinal, default none)",
     ("logistic", "ordinal")),
    ("--link", "link", str, "logit, probit or cloglog (ordinal, default logit)", ("ordinal",)),
    ("--l1-ratio", "l1_ratio", float, "elastic-net mixing in [0, 1] (logistic)", ("logistic",)),
    ("--no-intercept", "fit_intercept", None, "fit without an intercept (logistic)", ("logistic",)),
    ("--learning-rate", "learning_rate", _positive_float, "step size of the gd/sgd solvers (logistic)", ("logistic",)),
    ("--hidden-layer-sizes", "hidden_layer_sizes", _layer_sizes, "hidden layer widths, e.g. 64,32 (mlp)", ("mlp",)),
    ("--activation", "activation", str, "relu, tanh or logistic (mlp)", ("mlp",)),
    ("--alpha", "alpha", float, "L2 penalty (mlp)", ("mlp",)),
    ("--learning-rate-init", "learning_rate_init", _positive_float, "initial step size (mlp)", ("mlp",)),
    ("--early-stopping", "early_stopping", None, "stop on the validation log loss (mlp; the default here, --param early_stopping=false turns it off)", ("mlp",)),
    ("--label-smoothing", "label_smoothing", _label_smoothing, "label smoothing in [0, 1) (mlp)", ("mlp",)),
    ("--solver", "solver", str, "solver name (logistic: auto, lbfgs, newton, gd, sgd, ...; mlp: adam, sgd)",
     ("logistic", "mlp")),
    ("--max-iter", "max_iter", _positive_int, "iterations (logistic, ordinal) or epochs (mlp)",
     ("logistic", "mlp", "ordinal")),
    ("--tol", "tol", _positive_float, "convergence tolerance", ("logistic", "mlp", "ordinal")),
    ("--batch-size", "batch_size", _positive_int, "minibatch size (sgd, adam)", ("logistic", "mlp")),
    ("--class-weight", "class_weight", str, "'balanced' to reweight classes", ("logistic", "mlp")),
)


_threshold = _checked(float, lambda v: check_real(v, "value", low=0, high=1, low_open=True, high_open=True),
                      "a probability in (0, 1)")


def _decision_options(group):
    """``--pos-label`` and ``--threshold``, shared by ``train`` and ``evaluate``."""
    group.add_argument("--pos-label", metavar="CLASS", default=None,
                       help="the positive class of a two-class target (ROC AUC, Brier score, --threshold; "
                            "default the second class in sorted order)")
    group.add_argument("--threshold", type=_threshold, default=None, metavar="P",
                       help="two classes: predict the positive class when its probability is >= P "
                            "(default: the most probable class)")


def _objective(text):
    """``f1``, ``balanced_accuracy`` or ``cost:FP,FN`` -> the ``objective`` of ``tune_threshold``."""
    if text in ("f1", "balanced_accuracy"):
        return text
    kind, sep, costs = str(text).partition(":")
    values = costs.split(",")
    if kind != "cost" or not sep or len(values) != 2:
        raise ValueError(text)
    fp, fn = (float(v) for v in values)
    check_real(fp, "value", low=0)
    check_real(fn, "value", low=0)
    if fp + fn == 0:
        raise ValueError(text)
    return ("cost", fp, fn)


def _split_rule(text):
    """``--split``: stratified, random, time:COL or group:COL -> a SplitRule."""
    from ..preprocessing.splits import SplitRule

    try:
        return SplitRule.parse(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"expected stratified, random, time:COL or group:COL, got {text!r}") from None


def _reference(text):
    """``COL=LEVEL`` -> (COL, LEVEL); argparse reports anything else as an invalid value."""
    col, sep, level = str(text).partition("=")
    if not sep or not col or not level:
        raise argparse.ArgumentTypeError(f"expected COL=LEVEL, got {text!r}")
    return col, level


def _na_values(text):
    """``--na-values LIST``: comma-separated strings read as missing besides the empty field."""
    items = [t for t in str(text).split(",") if t]
    if not items:
        raise argparse.ArgumentTypeError(f"expected comma-separated strings like NA,None, got {text!r}")
    return items


def _unknown_option(parser, default):
    parser.add_argument("--unknown", choices=("error", "ignore"), default=default,
                        help="a category not seen in training: stop with an error naming the column and up to five "
                             "values, or encode it as all zeros and count it" +
                             (" (default error; recorded in the model)" if default else
                              " (default: the model's, set by train --unknown)"))


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``crossentropy`` command (subcommands train, evaluate, predict, calibrate, plot).

    Each subcommand sets ``command`` (and ``figure`` for ``plot``); :func:`crossentropy.cli.main`
    runs it. Parse errors raise :class:`~crossentropy.cli.errors.UsageError` (one line, exit code 2).

    Returns
    -------
    argparse.ArgumentParser

    Examples
    --------
    >>> args = build_parser().parse_args(["train", "--dataset", "iris", "--C", "0.5"])
    >>> args.command, args.dataset, args.C, args.test_size
    ('train', 'iris', 0.5, 0.25)
    """
    from ..datasets import DATASETS

    parser = _Parser(prog=PROG, description="Cross-entropy: train and use classifiers, draw the log loss.")
    parser.add_argument("--version", action=_Version)
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
    for flag, dest, typ, help_, _models in MODEL_OPTIONS:
        if typ is None:
            opts.add_argument(flag, dest=dest, action="store_const", const=dest != "fit_intercept", default=None, help=help_)
        else:
            opts.add_argument(flag, dest=dest, type=typ, default=None, help=help_)
    opts.add_argument("--order", metavar="A,B,C", default=None,
                      help="ordinal: the levels of the target, lowest first (default: numeric order of an "
                           "integer target)")
    opts.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                      help="any other estimator parameter (value parsed as JSON when it can be); repeatable")
    from .cv import parse_Cs, parse_ratios

    cvg = train.add_argument_group("cross-validation (logistic): choose C on the training split")
    cvg.add_argument("--cv", type=_checked(int, lambda v: check_int(v, "value", low=2), "an integer >= 2"),
                     metavar="K", help="folds; writes cv_curve.png, coef_path.png and cv_results.csv")
    cvg.add_argument("--Cs", type=_checked(str, parse_Cs, "a count like 20 or values like 0.01,0.1,1"),
                     help="grid of C: a count (log-spaced 1e-4..1e4, default 10) or comma-separated values")
    cvg.add_argument("--l1-ratios", dest="l1_ratios", type=_checked(str, parse_ratios, "values in [0, 1] like 0.2,0.8"),
                     help="elastic-net mixings to try (with --penalty elasticnet)")
    cvg.add_argument("--selection", choices=("best", "1se"), default="best",
                     help="best mean score, or the smallest C within one standard error of it (default best)")
    data = train.add_argument_group("data options")
    data.add_argument("--test-size", type=_test_size, default=0.25, help="held-out fraction (default 0.25; 0: none)")
    data.add_argument("--seed", type=_seed, default=0, help="seed of the split and of the model (default 0)")
    data.add_argument("--split", type=_split_rule, default=None, metavar="RULE",
                      help="how test rows are chosen: stratified (default; by class), random, time:COL (the last "
                           "--test-size share in the order of COL: every test row after every training row) or "
                           "group:COL (each value of COL on one side, as GroupShuffleSplit); --cv uses the matching "
                           "folds (StratifiedKFold, KFold, TimeSeriesSplit, GroupKFold). COL of time: and group: is "
                           "not a feature unless --keep COL")
    missing = data.add_mutually_exclusive_group()
    missing.add_argument("--dropna", action="store_true", help="drop rows with missing values")
    missing.add_argument("--impute", choices=("mean", "median", "most_frequent"),
                         help="fill missing feature values (string columns: most frequent)")
    data.add_argument("--allow-class-loss", action="store_true",
                      help="train even when --dropna removes every row of a class (by default an error naming it)")
    data.add_argument("--na-values", type=_na_values, default=None, metavar="LIST",
                      help="comma-separated strings read as missing values besides empty fields (e.g. NA,None); "
                           "by default NA, None, null, NaN, N/A ... are values; recorded in the model for predict")
    data.add_argument("--categorical", action="append", default=[], metavar="COL",
                      help="one-hot encode the numeric column COL as a factor (integer codes such as 1/2/3); "
                           "repeatable; recorded in the model")
    _unknown_option(data, "error")
    data.add_argument("--ignore", action="append", default=[], metavar="COL[,COL]", help="columns to leave out")
    data.add_argument("--keep", action="append", default=[], metavar="COL",
                      help="use COL as a feature even if it looks like a row ID (rownames, id, index, unique "
                           "strings, evenly spaced integers are left out otherwise); repeatable")
    data.add_argument("--offset", metavar="COL", default=None,
                      help="numeric column added to the logit with coefficient 1 (an exposure, a prior log-odds; "
                           "two-class logistic models): not a feature; evaluate and predict read it from their data")
    data.add_argument("--no-scale", action="store_true", help="do not standardise numeric columns")
    data.add_argument("--reference", action="append", default=[], metavar="COL=LEVEL", type=_reference,
                      help="reference level of the string column COL in the coefficient table (default: its first "
                           "level in sorted order); repeatable")
    data.add_argument("--max-categories", type=_positive_int, default=100,
                      help="most distinct values a string column may have (default 100)")
    _decision_options(data)
    data.add_argument("--tune-threshold", dest="tune_threshold", type=_checked(str, _objective, "f1, balanced_accuracy "
                      "or cost:FP,FN (two non-negative costs)"), default=None, metavar="OBJECTIVE",
                      help="two-class logistic models: choose the decision threshold that maximises OBJECTIVE by "
                           "5-fold cross-validation on the training split (f1, balanced_accuracy, or cost:FP,FN to "
                           "minimise FP*false positives + FN*false negatives); writes threshold_curve.png")
    table = train.add_argument_group("coefficient table (logistic regression without a penalty)")
    table.add_argument("--cov-type", dest="cov_type", choices=COV_TYPES, default=None,
                       help="covariance of the coefficients: nonrobust (default, the inverse observed information), "
                            "HC0..HC3 (heteroscedasticity-robust), cluster (with --cluster)")
    table.add_argument("--cluster", metavar="COL[,COL]", default=None,
                       help="cluster-robust standard errors by one or two columns of DATA (two: Cameron-Gelbach-"
                            "Miller); implies --cov-type cluster; the columns stay features unless --ignore'd")
    out = train.add_argument_group("output")
    out.add_argument("--out", metavar="DIR", help="run directory (default runs/<timestamp>)")
    out.add_argument("--force", action="store_true", help="replace DIR if it exists")
    out.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    out.add_argument("--dask", metavar="ADDRESS",
                     help="train on a Dask cluster: 'local' or tcp://HOST:PORT (DATA may be a Parquet glob)")
    out.add_argument("--dask-timeout", type=_positive_float, default=None, metavar="SECONDS",
                     help="give up connecting to the --dask scheduler after SECONDS (default 10)")

    ev = sub.add_parser("evaluate", help="metrics of a saved model on a table",
                        description="Apply a saved model (with its preprocessing) to DATA and print its metrics.")
    ev.add_argument("model", metavar="MODEL", help="run directory written by train, or its model.json")
    ev.add_argument("data", metavar="DATA", help="CSV or Parquet file")
    ev.add_argument("--target", metavar="COL", help="class column (default: the one used in training)")
    ev.add_argument("--out", metavar="FILE", help="also write the metrics as JSON to FILE")
    _unknown_option(ev, None)
    _decision_options(ev)
    ev.add_argument("--plots", action="store_true",
                    help="draw the reliability diagram and confusion matrix of DATA (needs --report-dir)")
    ev.add_argument("--report-dir", metavar="DIR",
                    help="write report.html (and with --plots the PNGs) into the new directory DIR")
    ev.add_argument("--force", action="store_true", help="replace FILE if it exists")

    pr = sub.add_parser("predict", help="predictions of a saved model, one row per input row",
                        description="Apply a saved model to DATA and write one prediction per input row.")
    pr.add_argument("model", metavar="MODEL", help="run directory written by train, or its model.json")
    pr.add_argument("data", metavar="DATA", help="CSV or Parquet file")
    pr.add_argument("--proba", action="store_true", help="also write one probability column per class")
    _unknown_option(pr, None)
    pr.add_argument("--out", metavar="FILE", help="output .csv or .parquet file (default: CSV on standard output)")
    pr.add_argument("--keep-columns", dest="keep_columns", action="append", default=[], metavar="COL[,COL]",
                    help="copy these input columns into the output, after the identifier columns training left "
                         "out (which always come first) and before the predictions; repeatable")
    pr.add_argument("--force", action="store_true", help="replace FILE if it exists")

    ca = sub.add_parser("calibrate", help="calibrate a saved model's probabilities on held-out labelled rows",
                        description="Fit a calibration map of RUN's probabilities on the labelled rows of DATA (rows "
                                    "the model was not trained on) and write a new run whose predict and evaluate use "
                                    "the calibrated probabilities.")
    ca.add_argument("run", metavar="RUN", help="run directory written by train, or its model.json")
    ca.add_argument("data", metavar="DATA", help="CSV or Parquet file of held-out labelled rows")
    ca.add_argument("--method", choices=("temperature", "sigmoid", "isotonic", "beta", "venn-abers"), required=True,
                    help="temperature scaling, Platt's sigmoid, isotonic regression, beta calibration or Venn-Abers")
    ca.add_argument("--out", metavar="NEW_RUN", required=True, help="the new run directory")
    ca.add_argument("--force", action="store_true", help="replace NEW_RUN if it exists")

    ex = sub.add_parser("export", help="export a run (preprocessing and model) as one ONNX graph",
                        description="Write RUN as one ONNX graph that takes the raw columns as named inputs, after "
                                    "checking it in onnxruntime against the run's own probabilities on its test rows "
                                    "(refused, exit 2, above 1e-6 for a float64 graph or 1e-5 for a float32 one).")
    ex.add_argument("run", metavar="RUN", help="run directory written by train or calibrate, or its model.json")
    ex.add_argument("--onnx", metavar="FILE", required=True, help="the ONNX file to write")
    ex.add_argument("--dtype", choices=("float64", "float32"), default="float64",
                    help="float type of the numeric inputs, weights and probabilities (default float64)")
    ex.add_argument("--opset", type=_checked(int, lambda v: check_int(v, "value", low=13), "an integer >= 13"),
                    default=17, help="ONNX opset, 13 or newer (default 17: onnxruntime 1.12 and newer)")
    rows = ex.add_mutually_exclusive_group()
    rows.add_argument("--split", choices=("test", "train"), default="test",
                      help="the run's rows to check the graph on (default test)")
    rows.add_argument("--data", metavar="DATA", help="check on every row of this CSV or Parquet file instead")
    ex.add_argument("--force", action="store_true", help="replace FILE if it exists")

    pl = sub.add_parser("plot", help="draw a figure", description="Draw one of the explanatory figures.")
    figs = pl.add_subparsers(dest="figure", metavar="FIGURE", parser_class=_Parser, required=True)
    ll = figs.add_parser("log-loss", help="J(w) against φ(z) for y = 1 and y = 0",
                         description="The log loss J(w) of one sample against the predicted probability φ(z).")
    ll.add_argument("--out", metavar="FILE", default="log_loss.png", help="default log_loss.png")
    cm = figs.add_parser("ce-vs-mse", help="why cross-entropy beats squared error for a sigmoid",
                         description="Losses, gradient magnitudes and training curves: cross-entropy vs MSE.")
    cm.add_argument("--out", metavar="FILE", default="ce_vs_mse.png", help="default ce_vs_mse.png")
    rn = figs.add_parser("run", help="redraw a run's figures (training curve, reliability, confusion matrix)",
                         description="Redraw the figures of a run directory written by train: on the run's own "
                                     "split of its data file (split.json), or on every row of --data DATA.")
    rn.add_argument("run_dir", metavar="RUN_DIR", help="run directory written by train, or its model.json")
    rn.add_argument("--data", metavar="DATA", help="labelled CSV or Parquet file to score instead of the run's split")
    rn.add_argument("--split", choices=("test", "train"), default="test", help="the run's rows to use (default test)")
    rn.add_argument("--out", metavar="DIR", required=True, help="new directory for the PNGs and metrics.json")
    rn.add_argument("--force", action="store_true", help="replace DIR if it exists")
    _decision_options(rn)
    return parser
