"""``crossentropy export RUN --onnx FILE`` end to end: a run trained by the command line, exported, its
file run in onnxruntime against ``load_pipeline``; the refusal (exit 2, the figure, no file)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

import crossentropy.onnx as ce_onnx
from crossentropy import load_pipeline
from crossentropy.cli import main
from crossentropy.io.tables import read_table
from crossentropy.onnx import input_feed, session

DATA = Path(__file__).resolve().parents[2] / "examples" / "data"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    out = tmp_path_factory.mktemp("export") / "wine"
    argv = ["train", str(DATA / "train.csv"), "--target", "cultivar", "--impute", "median", "--no-plots", "--out",
            str(out)]
    assert main(argv) == 0
    return out


def test_export_runs_in_onnxruntime_as_the_run(run, tmp_path, capsys):
    rows = json.loads((run / "split.json").read_text())["test_rows"]
    frame = read_table(DATA / "train.csv").iloc[rows]
    want = load_pipeline(run).predict_proba(frame)
    for dtype, tol in (("float64", 1e-12), ("float32", 1e-5)):
        target = tmp_path / f"wine-{dtype}.onnx"
        capsys.readouterr()
        assert main(["export", str(run), "--onnx", str(target), "--dtype", dtype]) == 0
        said = capsys.readouterr().out
        assert f"on its {len(rows)} test rows" in said and f"wrote {target}" in said
        model = onnx.load(target)
        got = session(model).run(["probabilities"], input_feed(model, frame))[0]
        assert got.dtype == np.dtype(dtype)
        assert np.max(np.abs(got - want)) <= tol
        shown = float(said.split("test rows: ")[1].split()[0])
        assert shown == pytest.approx(np.max(np.abs(got - want)), rel=1e-2, abs=1e-300)


def test_export_on_other_rows(run, tmp_path, capsys):
    assert main(["export", str(run), "--onnx", str(tmp_path / "m.onnx"), "--data", str(DATA / "test.csv")]) == 0
    assert f"the {len(read_table(DATA / 'test.csv'))} rows of" in capsys.readouterr().out


def test_refused_above_the_tolerance(run, tmp_path, capsys, monkeypatch):
    target = tmp_path / "m.onnx"
    monkeypatch.setitem(ce_onnx.TOLERANCES, "float64", 0.0)  # every graph differs from NumPy by some ulps
    capsys.readouterr()
    assert main(["export", str(run), "--onnx", str(target)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "largest probability difference" in err and "no file written" in err
    assert not target.exists() and not list(tmp_path.iterdir())


def test_refused_with_a_corrupted_weight(run, tmp_path, capsys, monkeypatch):
    real = ce_onnx.to_onnx

    def corrupted(*args, **kwargs):
        model = real(*args, **kwargs)
        for init in model.graph.initializer:
            if "weight" in init.name:
                w = numpy_helper.to_array(init).copy()
                w[0, 0] += 1e-2
                init.CopyFrom(numpy_helper.from_array(w, init.name))
        return model

    monkeypatch.setattr(ce_onnx, "to_onnx", corrupted)
    target = tmp_path / "m.onnx"
    assert main(["export", str(run), "--onnx", str(target), "--dtype", "float32"]) == 2
    err = capsys.readouterr().err
    figure = float(err.split("test rows: ")[1].split()[0])
    assert figure > 1e-5 and "tolerance 1e-05 for a float32 graph" in err
    assert not target.exists()


@pytest.mark.parametrize("argv, says", [
    (["--opset", "12"], "--opset: expected an integer >= 13"),
    (["--opset", "1000"], "--opset must be an integer in [13,"),
    (["--dtype", "float16"], "--dtype"),
])
def test_bad_options(run, tmp_path, capsys, argv, says):
    assert main(["export", str(run), "--onnx", str(tmp_path / "m.onnx"), *argv]) == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())


def test_without_onnxruntime_the_error_names_the_extra(run, tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "onnxruntime", None)  # import onnxruntime raises ImportError
    assert main(["export", str(run), "--onnx", str(tmp_path / "m.onnx")]) == 2
    err = capsys.readouterr().err
    assert "pip install 'crossentropy[onnx]'" in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())
