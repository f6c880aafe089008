"""The command line as a shell: one frozen configuration from the parser, library errors spelled as flags.

- Only the parser and the entry point (``cli/parser.py``, ``cli/__init__.py``) import argparse or touch
  its ``Namespace``; no module below reads an argument with ``getattr(..., default)``.
- :func:`crossentropy.cli.parse_config` gives each subcommand's frozen dataclass, field for field
  the values argparse parsed (argparse is the oracle), each of its annotated type.
- Every flag of :data:`crossentropy.cli.flags.FLAGS` is an option of a subcommand (argparse's own list).
- The library errors of tests/test_messages_speak_parameters.py, reached from the command line, are
  one line on stderr with the parameters spelled as flags, exit code 2, nothing written.
"""

from __future__ import annotations

import ast
import dataclasses
import re
import types
import typing
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import crossentropy.cli as cli
from crossentropy.cli import build_parser, main, parse_config
from crossentropy.cli.config import CONFIGS
from crossentropy.cli.flags import FLAGS
from crossentropy.preprocessing.splits import SplitRule

CLI = Path(cli.__file__).resolve().parent
ENTRY = {"__init__.py", "parser.py"}


def _offences(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "argparse" for a in node.names):
            found.append(f"{node.lineno}: import argparse")
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "argparse":
            found.append(f"{node.lineno}: from argparse")
        elif isinstance(node, ast.Name) and node.id in ("Namespace", "argparse"):
            found.append(f"{node.lineno}: {node.id}")
        elif isinstance(node, ast.Attribute) and node.attr in ("Namespace", "parse_args", "parse_known_args"):
            found.append(f"{node.lineno}: .{node.attr}")
        elif (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "getattr" and len(node.args) == 3
              and isinstance(node.args[0], ast.Name) and node.args[0].id in ("args", "config")):
            found.append(f"{node.lineno}: getattr({node.args[0].id}, ..., default)")
    return found


def test_only_the_parser_and_the_entry_point_read_argparse():
    modules = sorted(p for p in CLI.glob("*.py") if p.name not in ENTRY)
    assert len(modules) >= 10
    offences = {p.name: _offences(p) for p in modules}
    assert {name: found for name, found in offences.items() if found} == {}
    assert _offences(CLI / "parser.py"), "the check finds argparse where it is"


COMMAND_LINES = [
    ["train", "data.csv", "--target", "y", "--C", "0.5", "--penalty", "elasticnet", "--l1-ratio", "0.3",
     "--ignore", "a,b", "--ignore", "c", "--keep", "id", "--reference", "colour=red", "--param", "verbose=0",
     "--hidden-layer-sizes", "8,4", "--no-intercept", "--tune-threshold", "cost:1,5", "--Cs", "0.1,1", "--seed", "7",
     "--split", "time:week", "--na-values", "NA,-99", "--categorical", "race", "--unknown", "ignore"],
    ["train", "--dataset", "iris", "--cv", "3", "--Cs", "5", "--no-plots", "--dropna", "--allow-class-loss"],
    ["evaluate", "run", "t.csv", "--pos-label", "b", "--threshold", "0.3", "--plots", "--report-dir", "rep",
     "--unknown", "ignore"],
    ["predict", "run", "t.csv", "--out", "p.csv", "--proba", "--force", "--keep-columns", "id,name"],
    ["predict", "run", "t.csv"],
    ["export", "run", "--onnx", "m.onnx", "--dtype", "float32", "--opset", "15", "--split", "train"],
    ["calibrate", "run", "t.csv", "--method", "isotonic", "--out", "new"],
    ["plot", "log-loss"],
    ["plot", "run", "run", "--out", "figs", "--split", "train", "--data", "t.csv"],
]


def _is_instance(value, annotation) -> bool:
    """``value`` fits the annotation (``X | None``, ``tuple[X, ...]``, ``tuple[X, Y]``, plain classes)."""
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(_is_instance(value, a) for a in typing.get_args(annotation))
    if origin is tuple:
        args = typing.get_args(annotation)
        if not isinstance(value, tuple):
            return False
        if len(args) == 2 and args[1] is Ellipsis:
            return all(_is_instance(v, args[0]) for v in value)
        return len(args) == len(value) and all(_is_instance(v, a) for v, a in zip(value, args))
    if annotation is type(None):
        return value is None
    if annotation is float:
        return isinstance(value, float)
    return isinstance(value, annotation)


@pytest.mark.parametrize("argv", COMMAND_LINES, ids=[" ".join(a[:2]) for a in COMMAND_LINES])
def test_parse_config_is_the_frozen_parsed_arguments(argv):
    parsed = vars(build_parser().parse_args(argv))
    config = parse_config(argv)
    assert type(config) is CONFIGS[argv[0]] and config.argv == tuple(argv)
    fields = {f.name: f for f in dataclasses.fields(config) if f.name != "argv"}
    values = {name: getattr(config, name) for name in fields}
    assert set(parsed) <= set(fields)
    assert {k: values[k] for k in parsed} == {k: tuple(v) if isinstance(v, list) else v for k, v in parsed.items()}
    assert {k: values[k] for k in fields if k not in parsed} == {k: fields[k].default for k in fields if k not in parsed}
    hints = typing.get_type_hints(type(config), localns={"SplitRule": SplitRule})
    wrong = {name: (value, hints[name]) for name, value in values.items() if not _is_instance(value, hints[name])}
    assert wrong == {}
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.out = "elsewhere"


def test_plot_figures_without_a_run_have_the_plot_defaults():
    config = parse_config(["plot", "ce-vs-mse"])
    assert (config.figure, config.out, config.run_dir, config.split) == ("ce-vs-mse", "ce_vs_mse.png", None, "test")


def test_every_flag_of_the_table_is_an_option_of_a_subcommand():
    commands = build_parser()._subparsers._group_actions[0].choices
    options = {s for command in commands.values() for a in command._actions for s in a.option_strings}
    flags = {f for spec in FLAGS.values() for f in (spec.values() if isinstance(spec, dict) else [spec])}
    assert flags - options == set()


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    root = tmp_path_factory.mktemp("flags")
    rng = np.random.default_rng(1)
    n = 40
    good = pd.DataFrame({"x": rng.normal(size=n), "colour": rng.choice(["red", "green", "blue"], n),
                         "y": np.tile(["p", "q"], n // 2)})
    good.to_csv(root / "good.csv", index=False)
    good.assign(flat=rng.choice([0.0, 1e-310], n)).to_csv(root / "flat.csv", index=False)
    gaps = good.copy()
    gaps.loc[[1, 3], "x"] = np.nan
    gaps.to_csv(root / "gaps.csv", index=False)
    gaps.assign(y=gaps["y"].where(gaps.index != 0)).to_csv(root / "target_gap.csv", index=False)
    return root


TRAIN = ["train", "good.csv", "--target", "y", "--out", "run"]
# argv, what stderr must say (the parameter as a flag), what it must not (a regex: the Python spelling)
ERRORS = [
    ("l1-ratio", TRAIN + ["--penalty", "elasticnet", "--l1-ratio", "2"], "--l1-ratio must be a number in [0, 1]",
     "l1_ratio"),
    ("alpha", TRAIN + ["--model", "mlp", "--alpha", "-1"], "--alpha must be a number in [0.0, inf)",
     r"(?<!-)alpha must"),
    ("link", TRAIN + ["--model", "ordinal", "--link", "logid"], "--link must be one of", r"(?<!-)link must"),
    ("missing", ["train", "gaps.csv", "--target", "y", "--out", "run"],
     "pass --dropna to drop those rows or --impute to fill them (--impute one of 'mean', 'median', 'most_frequent')",
     "missing="),
    ("impute-target", ["train", "target_gap.csv", "--target", "y", "--impute", "mean", "--out", "run"],
     "--impute fills features only: pass --dropna to drop those rows", "missing="),
    ("max-categories", TRAIN + ["--max-categories", "2"],
     "more than --max-categories 2: it cannot be one-hot encoded sensibly; leave it out with --ignore colour",
     "max_categories"),
    ("too-flat", ["train", "flat.csv", "--target", "y", "--out", "run"],
     "leave it out with --ignore flat, or pass --no-scale", "scale="),
    ("ignore-unknown", TRAIN + ["--ignore", "nope"], "--ignore names column(s) not in the data: ['nope']",
     "ignore="),
    ("reference", TRAIN + ["--reference", "colour=pink"], "--reference level 'pink' of column 'colour'",
     "reference="),
]


@pytest.mark.parametrize("name, argv, said, unsaid", ERRORS, ids=[e[0] for e in ERRORS])
def test_library_errors_reach_stderr_spelled_as_flags(name, argv, said, unsaid, workspace, capsys, monkeypatch):
    monkeypatch.chdir(workspace)
    before = sorted(p.name for p in workspace.iterdir())
    rc = main(argv)
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.startswith("crossentropy: error: ") and err.count("\n") == 1, err
    assert said in err and not re.search(unsaid, err), err
    assert sorted(p.name for p in workspace.iterdir()) == before


def test_a_parameter_given_with_param_keeps_its_python_spelling(workspace, capsys, monkeypatch):
    monkeypatch.chdir(workspace)
    rc = main(TRAIN + ["--penalty", "elasticnet", "--param", "l1_ratio=2"])
    err = capsys.readouterr().err
    assert rc == 2 and "l1_ratio must be a number in [0, 1]" in err and "--l1-ratio" not in err, err
    assert re.search(r"for --penalty elasticnet\b", err) or "--penalty" not in err, err
