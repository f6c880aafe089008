"""The one table from the library's parameter names to the command line's flags, and its use on messages.

The library speaks Python: its errors and warnings name parameters as a caller spells them, a
message about one parameter starts with its name (``"C must be a number in (0, inf), got 0"``), and
advice is written as an assignment (``"pass missing='dropna' to drop those rows"``,
``"leave it out with ignore=['x']"``). When such a message reaches the command line,
:func:`flag_message` respells, from :data:`FLAGS` alone:

- every ``name=value`` of a parameter in the table: ``penalty='elasticnet'`` as ``--penalty elasticnet``,
  ``ignore=['a', 'b']`` as ``--ignore a,b``, ``missing='dropna'`` as ``--dropna`` (a flag that stands
  for one value of its parameter);
- a parameter's bare name when it starts the message, or anywhere when it holds an underscore (no
  English word does): ``max_categories`` as ``--max-categories``;
- Python's ``None`` as ``none``, the value's spelling on the command line (``--penalty none``).

Everything else is left as the library wrote it.
"""

from __future__ import annotations

import ast
import re

from .parser import MODEL_OPTIONS

__all__ = ["FLAGS", "flag_message"]

#: library parameter -> its flag, or {value: flag} where a flag stands for one value of the parameter
FLAGS: dict[str, str | dict] = {
    **{dest: flag for flag, dest, *_ in MODEL_OPTIONS},
    "fit_intercept": {False: "--no-intercept"},
    "early_stopping": {True: "--early-stopping"},
    "random_state": "--seed",
    "order": "--order",
    # LogisticRegressionCV (train --cv)
    "cv": "--cv", "Cs": "--Cs", "l1_ratios": "--l1-ratios", "selection": "--selection",
    # TabularPreprocessor and the split (train's data options)
    "missing": {"dropna": "--dropna", "impute": "--impute"},
    "impute_strategy": "--impute",
    "scale": {False: "--no-scale"},
    "ignore": "--ignore", "keep": "--keep", "offset": "--offset", "reference": "--reference",
    "max_categories": "--max-categories", "test_size": "--test-size", "na_values": "--na-values",
    "categorical": "--categorical", "unknown": "--unknown",
    # decisions, calibration, export
    "pos_label": "--pos-label", "threshold": "--threshold", "method": "--method", "dtype": "--dtype",
    "opset": "--opset",
}

_VALUE = r"'[^']*'|\"[^\"]*\"|\[[^\]]*\]|\([^)]*\)|\{[^}]*\}|[\w.+-]+"


def _literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def _shown(value) -> str:
    """A value as the command line spells it: lists joined by commas, None as ``none``."""
    if isinstance(value, (list, tuple)):
        return ",".join(_shown(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}={_shown(v)}" for k, v in value.items())
    return "none" if value is None else str(value)


def flag_message(text: str, names=None) -> str:
    """``text``, a library message, with the parameters of :data:`FLAGS` spelled as flags.

    Parameters
    ----------
    text : str
        The message of a library error or warning.
    names : collection of str, optional
        Respell only these parameters (default all of the table): those the user set with
        ``--param KEY=VALUE`` keep their Python spelling.

    Returns
    -------
    str

    Examples
    --------
    >>> flag_message("l1_ratio must be a number in [0, 1] for penalty='elasticnet', got None")
    '--l1-ratio must be a number in [0, 1] for --penalty elasticnet, got none'
    >>> flag_message("missing values in 1 column(s): 'b' (2); pass missing='dropna' to drop those rows")
    "missing values in 1 column(s): 'b' (2); pass --dropna to drop those rows"
    >>> flag_message("column 'x' has 200 levels, more than max_categories=100; leave it out with ignore=['x']")
    "column 'x' has 200 levels, more than --max-categories 100; leave it out with --ignore x"
    >>> flag_message("C must be a number in (0, inf), got 0", names={"penalty"})
    'C must be a number in (0, inf), got 0'
    """
    keys = sorted((k for k in FLAGS if names is None or k in names), key=len, reverse=True)
    text = re.sub(r"(?<![\w'\"])None(?![\w'\"])", "none", text)
    if not keys:
        return text
    pattern = re.compile(rf"(?<![\w.'\"-])({'|'.join(map(re.escape, keys))})(?:=({_VALUE}))?(?![\w=-])")

    def respell(match) -> str:
        name, value = match.group(1), match.group(2)
        spec = FLAGS[name]
        if value is None:  # a bare name: at the start of the message, or one no word is spelled like
            bare = isinstance(spec, str) and (match.start() == 0 or "_" in name)
            return spec if bare else match.group(0)
        value = _literal(value)
        if isinstance(spec, dict):
            flag = next((f for v, f in spec.items() if type(v) is type(value) and v == value), None)
            return match.group(0) if flag is None else flag
        return f"{spec} {_shown(value)}"

    return pattern.sub(respell, text)
