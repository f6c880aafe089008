"""Faults of the third adversarial round on the command line: one line on stderr, the right exit code,
nothing left behind, checked before any data is read."""

import numpy as np
import pandas as pd
import pytest

from crossentropy.cli import main


def run(capsys, *argv):
    rc = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


@pytest.fixture
def table(tmp_path):
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"a": rng.normal(size=40), "b": rng.normal(size=40)})
    df["y"] = np.where(df["a"] + rng.normal(size=40) > 0, "pos", "neg")
    path = tmp_path / "t.csv"
    df.to_csv(path, index=False)
    return path


@pytest.mark.parametrize("flag, value, needle", [
    ("--seed", "-5", "an integer in [0, 4294967295]"),
    ("--seed", str(2 ** 32), "an integer in [0, 4294967295]"),
    ("--label-smoothing", "1", "a number in [0, 1)"),
])
def test_flags_are_checked_before_the_data_is_read(capsys, tmp_path, flag, value, needle):
    # the data file does not exist: the flag's error comes first, before any reading
    rc, _, err = run(capsys, "train", tmp_path / "absent.csv", "--target", "y", "--model", "mlp", flag, value,
                     "--out", tmp_path / "run")
    assert rc == 2 and err.count("\n") == 1 and flag in err and needle in err, err
    assert not (tmp_path / "run").exists()
