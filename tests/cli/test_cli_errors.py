"""Every error of the command line: one line on stderr, no traceback, the right exit code, no partial files."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from crossentropy.cli import main


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def assert_one_line_error(err, *needles):
    assert err.startswith("crossentropy: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, (needle, err)


def write(path, text):
    path.write_text(text)
    return path


@pytest.fixture
def good_csv(tmp_path):
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40), "c": rng.choice(["u", "v"], 40)})
    df["y"] = np.where(df["a"] + rng.normal(size=40) > 0, "pos", "neg")
    path = tmp_path / "good.csv"
    df.to_csv(path, index=False)
    return path


@pytest.fixture
def run_dir(tmp_path, good_csv, capsys):
    out = tmp_path / "model"
    assert run(capsys, "train", good_csv, "--target", "y", "--out", out, "--no-plots")[0] == 0
    return out


def _listing(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# ------------------------------------------------------------------------------------ bad data: exit 2
@pytest.mark.parametrize("content, needles", [
    (None, ["DATA file not found", "nope.csv"]),
    ("", ["is empty"]),
    ("a,b,y\n", ["no data rows"]),
    ("a,b,y\n1,2,x\n3,4,z\n", ["target column 'target' not found", "['a', 'b', 'y']"]),
    ("a,b,target\n1,abc,z\n3,4,x\n5,6,x\n", ["column 'b' mixes numbers and text", "'abc'", "cannot be encoded"]),
    ("a,b,target\n1,,x\n,4,z\n5,6,\n", ["missing values in 3 column(s)", "'a' (1)", "'b' (1)", "'target' (1)"]),
    ("a,b,target\n1,2,x\n1,2,x\n", ["single class"]),
    ("a,target\n1,0.5\n2,1.5\n3,2.25\n4,0.5\n", ["non-integer numbers", "class labels"]),
])
def test_bad_data_exits_2_with_one_line(tmp_path, capsys, content, needles):
    data = tmp_path / "nope.csv" if content is None else write(tmp_path / "d.csv", content)
    rc, out, err = run(capsys, "train", data, "--target", "target", "--out", tmp_path / "run")
    assert rc == 2
    assert_one_line_error(err, *needles)
    assert not (tmp_path / "run").exists() and out == ""
    assert _listing(tmp_path) == ([] if content is None else ["d.csv"])


def test_too_many_categories_and_unsupported_files(tmp_path, capsys):
    ids = write(tmp_path / "ids.csv", "name,x,t\n" + "".join(f"id{i},{i},{i % 2}\n" for i in range(30)))
    # both columns look like row IDs (unique strings, a row number) and are left out unless kept
    rc, _, err = run(capsys, "train", ids, "--target", "t", "--max-categories", "10", "--out", tmp_path / "r")
    assert rc == 2 and "left out columns 'name'" in err and "--keep" in err
    rc, _, err = run(capsys, "train", ids, "--target", "t", "--max-categories", "10", "--out", tmp_path / "r",
                     "--keep", "name", "--keep", "x")
    assert rc == 2
    assert_one_line_error(err, "column 'name' holds 22 distinct strings in the training rows", "--ignore name")
    assert run(capsys, "train", ids, "--target", "t", "--ignore", "name", "--keep", "x", "--out", tmp_path / "r",
               "--no-plots")[0] == 0
    for name, needles in [("x.xlsx", ["cannot tell the format"]), ("bad.parquet", ["cannot read", "parquet"])]:
        write(tmp_path / name, "not really")
        rc, _, err = run(capsys, "train", tmp_path / name, "--target", "t", "--out", tmp_path / "r2")
        assert rc == 2
        assert_one_line_error(err, *needles)
    rc, _, err = run(capsys, "train", tmp_path, "--target", "t", "--out", tmp_path / "r2")
    assert rc == 2
    assert_one_line_error(err, "must be a file")
    assert not (tmp_path / "r2").exists()


# ------------------------------------------------------------------------------------ bad usage: exit 2
@pytest.mark.parametrize("argv, needles", [
    ([], ["the following arguments are required"]),
    (["fly"], ["invalid choice: 'fly'"]),
    (["train", "--C", "-1"], ["--C", "positive"]),
    (["train", "--test-size", "1.5"], ["--test-size", "[0, 1)"]),
    (["train", "--dropna", "--impute", "mean"], ["not allowed with argument"]),
    (["train", "--model", "tree"], ["invalid choice: 'tree'"]),
    (["train", "--hidden-layer-sizes", "8"], ["--hidden-layer-sizes does not apply to --model logistic"]),
    (["train", "--model", "mlp", "--C", "2"], ["--C does not apply to --model mlp"]),
    (["train", "--param", "nonsense=1"], ["has no parameter 'nonsense'"]),
    (["train", "--param", "C"], ["KEY=VALUE"]),
    (["train", "--solver", "magic", "--dataset", "iris"], ["bad model option", "--solver", "'magic'"]),
    (["train", "--model", "mlp", "--hidden-layer-sizes", "8,x"], ["comma-separated"]),
    (["train", "--dataset", "iris", "--target", "species"], ["built-in data sets have the target column"]),
    (["train", "x.csv"], ["--target COL is required"]),
    (["train", "x.csv", "--target", "t", "--dataset", "iris"], ["either DATA or --dataset"]),
    (["predict", "m", "d.csv"], ["model not found"]),  # without --out: CSV on stdout, once the model is found
    (["predict", "m", "d.csv", "--out", "p.xlsx"], ["cannot tell the format of --out 'p.xlsx'"]),
    (["plot", "log-loss", "--out", "figure.txt"], [".png, .pdf or .svg"]),
    (["plot", "pie"], ["invalid choice: 'pie'"]),
])
def test_bad_usage_exits_2_with_one_line(tmp_path, capsys, monkeypatch, argv, needles):
    monkeypatch.chdir(tmp_path)
    rc, out, err = run(capsys, *argv)
    assert rc == 2
    assert_one_line_error(err, *needles)
    assert _listing(tmp_path) == []


def test_existing_output_directory_is_not_overwritten(tmp_path, capsys, good_csv):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    rc, _, err = run(capsys, "train", good_csv, "--target", "y", "--out", out)
    assert rc == 2
    assert_one_line_error(err, "already exists", "--force")
    assert _listing(out) == ["keep.txt"]


# ------------------------------------------------------------------------------- saved models: exit 2
def test_model_from_a_different_feature_set_is_refused(tmp_path, capsys, run_dir, good_csv):
    other = pd.read_csv(good_csv).drop(columns=["b"]).rename(columns={"c": "colour"})
    other.to_csv(tmp_path / "other.csv", index=False)
    for argv in (["evaluate", run_dir, tmp_path / "other.csv"],
                 ["predict", run_dir, tmp_path / "other.csv", "--out", tmp_path / "p.csv"]):
        rc, _, err = run(capsys, *argv)
        assert rc == 2
        assert_one_line_error(err, "lack 2 column(s)", "'b'", "'c'")
    assert not (tmp_path / "p.csv").exists()


def test_numeric_column_holding_text_at_predict_time(tmp_path, capsys, run_dir, good_csv):
    df = pd.read_csv(good_csv).astype({"a": object})
    df.loc[3, "a"] = "oops"
    df.to_csv(tmp_path / "text.csv", index=False)
    rc, _, err = run(capsys, "predict", run_dir, tmp_path / "text.csv", "--out", tmp_path / "p.csv")
    assert rc == 2
    assert_one_line_error(err, "column 'a' was numeric in training", "'oops'")
    assert not (tmp_path / "p.csv").exists()


@pytest.mark.parametrize("damage, needles", [
    (lambda d: (d / "model.safetensors").write_bytes((d / "model.safetensors").read_bytes()[:50]), ["SHA-256"]),
    (lambda d: (d / "model.json").write_text((d / "model.json").read_text()[:200]), ["not valid model JSON"]),
    (lambda d: (d / "model.json").unlink(), ["not found"]),
])
def test_damaged_model_files_exit_2(tmp_path, capsys, run_dir, good_csv, damage, needles):
    damage(run_dir)
    rc, _, err = run(capsys, "evaluate", run_dir, good_csv)
    assert rc == 2
    assert_one_line_error(err, *needles)
    rc, _, err = run(capsys, "predict", run_dir / "model.json", good_csv, "--out", tmp_path / "p.csv")
    assert rc == 2 and not (tmp_path / "p.csv").exists()


def test_evaluate_with_unknown_target_or_classes(tmp_path, capsys, run_dir, good_csv):
    rc, _, err = run(capsys, "evaluate", run_dir, good_csv, "--target", "nope")
    assert rc == 2
    assert_one_line_error(err, "--target 'nope' is not the column the model was trained to predict ('y')")
    df = pd.read_csv(good_csv)
    df.loc[0, "y"] = "maybe"
    df.to_csv(tmp_path / "new.csv", index=False)
    rc, _, err = run(capsys, "evaluate", run_dir, tmp_path / "new.csv")
    assert rc == 2
    assert_one_line_error(err, "classes the model does not know", "'maybe'")


# --------------------------------------------------------------------- unexpected failures: exit 1
def test_unexpected_failure_while_writing_exits_1_and_leaves_nothing(tmp_path, capsys, good_csv, monkeypatch):
    import crossentropy.report.figures as figures

    calls = []

    def broken_render(fig, **kwargs):
        calls.append(fig)
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(figures, "png_bytes", broken_render)
    rc, out, err = run(capsys, "train", good_csv, "--target", "y", "--out", tmp_path / "run")
    assert rc == 1 and calls  # it failed after the model had been written into the temporary directory
    assert_one_line_error(err, "unexpected RuntimeError: renderer exploded")
    assert _listing(tmp_path) == ["good.csv"]


def test_unexpected_failure_in_predict_leaves_no_output(tmp_path, capsys, run_dir, good_csv, monkeypatch):
    import pandas.core.generic

    def broken(self, path, *args, **kwargs):
        with open(path, "w") as fh:
            fh.write("prediction\npos\n")  # half the file, then a crash
        raise MemoryError("out of memory")

    monkeypatch.setattr(pandas.core.generic.NDFrame, "to_csv", broken)
    rc, _, err = run(capsys, "predict", run_dir, good_csv, "--out", tmp_path / "p.csv")
    assert rc == 1
    assert_one_line_error(err, "unexpected MemoryError")
    assert not (tmp_path / "p.csv").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".p.csv")]


# ---------------------------------------------------------------------------------------- subprocess
def test_module_entry_point_in_a_subprocess(tmp_path):
    ok = subprocess.run([sys.executable, "-m", "crossentropy", "--help"], capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0 and "train" in ok.stdout and "evaluate" in ok.stdout and "plot" in ok.stdout
    for sub in (["train", "--help"], ["plot", "log-loss", "--help"]):
        assert main(sub) == 0
    bad = subprocess.run([sys.executable, "-m", "crossentropy", "evaluate", str(tmp_path / "m"), "d.csv"],
                         capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert bad.returncode == 2 and bad.stdout == ""
    assert_one_line_error(bad.stderr, "model not found")


def test_help_of_every_subcommand(capsys):
    for argv in (["--help"], ["train", "--help"], ["evaluate", "--help"], ["predict", "--help"], ["plot", "--help"],
                 ["plot", "log-loss", "--help"], ["plot", "ce-vs-mse", "--help"], ["--version"]):
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert out.startswith("usage: crossentropy") or out.startswith("crossentropy ")
