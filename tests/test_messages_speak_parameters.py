"""The library's errors and warnings speak its own parameter names, never the command line's flags.

Two checks. Statically, every string written into a ``raise`` or a ``warnings.warn`` call outside
``crossentropy.cli`` is read from the source (Python's own parser, ``ast``) and holds no flag
(``--name``). At run time, a representative set of bad calls across the losses, the estimators, the
preprocessing, the table and model files, the calibration and the id-column warning raises (or
warns) with a message that names the parameter as a Python caller spells it and holds no flag. The
command line's side of the same errors (spelled as flags, one line, exit 2) is
tests/cli/test_cli_flags.py.
"""

from __future__ import annotations

import ast
import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crossentropy as ce
from crossentropy.calibration import PlattScaling, tune_threshold
from crossentropy.exceptions import DataError, ModelFileError
from crossentropy.io.tables import read_table
from crossentropy.preprocessing import TabularPreprocessor

SRC = Path(ce.__file__).resolve().parent
FLAG = re.compile(r"--[a-z]")


def _strings(node):
    """The literal text of every string constant (f-string parts included) under ``node``."""
    return [n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)]


def _message_nodes(tree):
    """The arguments of ``raise X(...)`` and of ``warnings.warn(...)`` / ``warn(...)`` calls."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            yield node.exc
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name == "warn":
                yield from node.args


def test_no_raise_or_warning_outside_the_cli_spells_a_flag():
    found = []
    for path in sorted(SRC.rglob("*.py")):
        if "cli" in path.relative_to(SRC).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _message_nodes(tree):
            found += [f"{path.relative_to(SRC)}:{node.lineno}: {s!r}" for s in _strings(node) if FLAG.search(s)]
    assert found == []


@pytest.fixture(scope="module")
def frame():
    rng = np.random.default_rng(0)
    n = 40
    return pd.DataFrame({"x": rng.normal(size=n), "flat": rng.choice([0.0, 1e-310], n),
                         "colour": rng.choice(["red", "green", "blue"], n), "y": np.repeat(["p", "q"], n // 2)})


def _gaps(frame):
    out = frame.drop(columns="flat").copy()
    out.loc[[1, 3], "x"] = np.nan
    return out


def _bad_model_file(tmp_path):
    (tmp_path / "model.json").write_text("{not json")
    return ce.load_model(tmp_path / "model.json")


X2 = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
Y2 = np.array([0, 1, 1, 0])

# name, the bad call (given the table and tmp_path), the error class, what the message must name
CALLS = [
    ("loss-reduction", lambda f, t: ce.binary_cross_entropy(np.array([0.5]), np.array([1.0]), reduction="avg"),
     ValueError, r"^reduction must be one of"),
    ("loss-label-smoothing", lambda f, t: ce.cross_entropy(np.zeros((2, 3)), np.array([0, 1]), label_smoothing=2.0),
     ValueError, r"^label_smoothing "),
    ("estimator-C", lambda f, t: ce.LogisticRegression(C=0).fit(X2, Y2), ValueError, r"^C must be"),
    ("estimator-l1-ratio", lambda f, t: ce.LogisticRegression(penalty="elasticnet", l1_ratio=2.0).fit(X2, Y2),
     ValueError, r"^l1_ratio must be"),
    ("estimator-penalty", lambda f, t: ce.LogisticRegression(penalty="l3").fit(X2, Y2), ValueError,
     r"^penalty must be one of"),
    ("mlp-alpha", lambda f, t: ce.MLPClassifier(alpha=-1.0).fit(X2, Y2), ValueError, r"^alpha "),
    ("ordinal-link", lambda f, t: ce.OrdinalRegression(link="logid").fit(X2, Y2), ValueError, r"^link "),
    ("missing-values", lambda f, t: TabularPreprocessor("y").clean(_gaps(f)), DataError,
     r"missing='dropna' .* missing='impute'"),
    ("impute-target", lambda f, t: TabularPreprocessor("y", missing="impute", impute_strategy="mean").clean(
        _gaps(f).assign(y=lambda d: d["y"].where(d.index != 0))), DataError, r"missing='impute' fills features only"),
    ("dropna-all", lambda f, t: TabularPreprocessor("y", missing="dropna").check_rows_left(0), DataError,
     r"missing='dropna'"),
    ("max-categories", lambda f, t: TabularPreprocessor("y", max_categories=2, ignore=["flat"]).fit(f), DataError,
     r"max_categories=2.*ignore=\['colour'\]"),
    ("too-flat", lambda f, t: TabularPreprocessor("y").fit(f), DataError, r"ignore=\['flat'\], or pass scale=False"),
    ("ignore-unknown", lambda f, t: TabularPreprocessor("y", ignore=["nope"]).fit(f), DataError,
     r"^ignore names column\(s\) not in the data: \['nope'\]"),
    ("reference-level", lambda f, t: TabularPreprocessor("y", ignore=["flat"], reference={"colour": "pink"}).fit(f),
     DataError, r"^reference "),
    ("read-glob", lambda f, t: read_table(t / "parts" / "*.csv"), DataError, r"glob pattern"),
    ("read-missing", lambda f, t: read_table(t / "none.csv"), DataError, r"file not found"),
    ("model-file", lambda f, t: _bad_model_file(t), ModelFileError, r"model"),
    ("calibration-method", lambda f, t: ce.CalibratedClassifier(ce.LogisticRegression(), method="magic").fit(X2, Y2),
     ValueError, r"method"),
    ("platt-weights", lambda f, t: PlattScaling().fit(np.array([0.2, 0.8]), np.array([0, 1]),
                                                      sample_weight=np.array([1.0, -1.0])),
     ValueError, r"^sample_weight must be non-negative"),
    ("tune-threshold", lambda f, t: tune_threshold(ce.LogisticRegression(), X2, Y2, objective="speed"), ValueError,
     r"objective"),
]


@pytest.mark.parametrize("name, call, error, names", CALLS, ids=[c[0] for c in CALLS])
def test_bad_calls_name_the_parameter_and_no_flag(name, call, error, names, frame, tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(error) as info:
            call(frame, tmp_path)
    message = str(info.value)
    assert re.search(names, message), message
    assert not FLAG.search(message), message


def test_the_id_column_warning_names_keep_as_a_parameter():
    frame = pd.DataFrame({"rownames": np.arange(1, 31), "x": np.linspace(0, 1, 30), "y": np.repeat(["a", "b"], 15)})
    with pytest.warns(UserWarning) as record:
        TabularPreprocessor("y").fit(frame)
    messages = [str(w.message) for w in record if "left out" in str(w.message)]
    assert messages == ["left out column 'rownames' (named like a row index): it looks like a row ID, not a feature; "
                        "pass keep=['rownames'] to use it"]
