"""``train --dask``: one split for one file, and tables whose files disagree refused before the workers fail.

Oracles: the in-memory ``crossentropy train`` of the same file (its ``split.json`` rows), scikit-learn's
``GroupShuffleSplit`` on the same rows, and pandas' reading of the files.
"""

import json

import numpy as np
import pytest

pd = pytest.importorskip("pandas")
distributed = pytest.importorskip("distributed")
dd = pytest.importorskip("dask.dataframe")

from helpers import run_cli as run  # noqa: E402
from crossentropy.distributed.tables import read_table, split_at  # noqa: E402
from crossentropy.io.tables import DataError  # noqa: E402
from crossentropy.preprocessing.splits import SplitRule, holdout_rows  # noqa: E402


def _table(n=300, seed=2):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x1": rng.normal(size=n), "x2": rng.normal(size=n),
                          "store": rng.choice([f"s{i}" for i in range(15)], n)})
    frame["y"] = np.where(frame.x1 + rng.logistic(size=n) > 0.8, "yes", "no")  # unbalanced: stratification shows
    frame.loc[rng.random(n) < 0.08, "x2"] = np.nan
    return frame


def test_dask_local_on_one_file_takes_the_in_memory_rows(tmp_path, capsys):
    frame = _table()
    path = tmp_path / "one.csv"
    frame.to_csv(path, index=False)
    opts = ["--target", "y", "--dropna", "--seed", "4", "--no-plots"]
    rc, _, err = run(capsys, "train", path, *opts, "--out", tmp_path / "mem")
    assert rc == 0, err
    rc, out, err = run(capsys, "train", path, *opts, "--dask", "local", "--out", tmp_path / "dask")
    assert rc == 0, err
    assert "split: stratified on the rows of the one file" in out
    mem, dask_split = (json.loads((tmp_path / r / "split.json").read_text()) for r in ("mem", "dask"))
    assert dask_split["test_rows"] == mem["test_rows"] and dask_split["train_rows"] == mem["train_rows"]
    assert dask_split["method"] == mem["method"] == "stratified"
    dropped = set(np.flatnonzero(frame["x2"].isna()))
    assert not dropped & set(mem["test_rows"] + mem["train_rows"])
    m_mem, m_dask = (json.loads((tmp_path / r / "metrics.json").read_text()) for r in ("mem", "dask"))
    assert m_dask["test"]["n"] == m_mem["test"]["n"] == len(mem["test_rows"])
    assert m_dask["test"]["log_loss"] == pytest.approx(m_mem["test"]["log_loss"], rel=1e-4)


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1",
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as c:
        yield c


def test_split_at_takes_the_rows_at_positions_whatever_the_partitions(client):
    frame = _table().dropna().reset_index(drop=True)
    ddf = dd.from_pandas(frame, npartitions=4)
    lengths = tuple(int(n) for n in ddf.map_partitions(len).compute())
    _, test_pos, _ = holdout_rows(SplitRule("group", "store"), frame, frame["y"].to_numpy(), test_size=0.3, seed=1)
    from sklearn.model_selection import GroupShuffleSplit

    oracle = np.sort(next(GroupShuffleSplit(n_splits=1, test_size=0.3, random_state=1)
                          .split(frame, groups=frame["store"]))[1])
    assert test_pos.tolist() == oracle.tolist()
    train, test, counts = split_at(ddf, test_pos, lengths)
    got_test, got_train = test.compute(), train.compute()
    pd.testing.assert_frame_equal(got_test, frame.iloc[oracle], check_dtype=False)
    pd.testing.assert_frame_equal(got_train, frame.drop(index=oracle), check_dtype=False)
    assert sum(counts["test"]) == oracle.size and sum(counts["train"]) == len(frame) - oracle.size


def _parquet(frame, path):
    frame.to_parquet(path, index=False)


def test_mixed_formats_are_refused_naming_both(tmp_path):
    frame = _table(40)
    (tmp_path / "d").mkdir()
    frame.iloc[:20].to_csv(tmp_path / "d" / "a.csv", index=False)
    _parquet(frame.iloc[20:], tmp_path / "d" / "b.parquet")
    with pytest.raises(DataError, match="mixes CSV and Parquet") as info:
        read_table(str(tmp_path / "d"))
    assert "a.csv" in str(info.value) and "b.parquet" in str(info.value)


def test_a_column_only_in_a_later_file_is_refused_naming_it_and_the_file(tmp_path):
    frame = _table(40)
    _parquet(frame.iloc[:20], tmp_path / "p0.parquet")
    _parquet(frame.iloc[20:].assign(extra=1.0), tmp_path / "p1.parquet")
    with pytest.raises(DataError, match="column 'extra' is in .*p1.parquet.* not in the first file"):
        read_table(str(tmp_path / "*.parquet"))


def test_a_file_lacking_a_column_is_refused(tmp_path):
    frame = _table(40)
    frame.iloc[:20].to_csv(tmp_path / "p0.csv", index=False)
    frame.iloc[20:].drop(columns="x1").to_csv(tmp_path / "p1.csv", index=False)
    with pytest.raises(DataError, match="column 'x1' of the first file .* is missing from .*p1.csv"):
        read_table(str(tmp_path / "*.csv"))


def test_a_parquet_binary_column_is_one_line_exit_2(tmp_path, capsys, client):
    frame = _table(40)
    _parquet(frame.iloc[:20], tmp_path / "p0.parquet")
    _parquet(frame.iloc[20:].assign(store=frame["store"].iloc[20:].str.encode("utf-8")), tmp_path / "p1.parquet")
    rc, _, err = run(capsys, "train", tmp_path / "*.parquet", "--target", "y", "--dropna", "--dask",
                     client.scheduler.address, "--out", tmp_path / "run", "--no-plots")
    assert rc == 2 and "column 'store'" in err and "binary" in err and "Traceback" not in err, err
    assert len([line for line in err.splitlines() if line.startswith("crossentropy: error")]) == 1
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("column", [[[1, 2], [3]] * 20, [{"a": 1}, {"a": 2}] * 20])
def test_a_nested_parquet_column_is_refused_as_in_memory(tmp_path, capsys, client, column):
    """A list or struct column is refused naming the column, as the in-memory run refuses it (its oracle):
    never encoded through the text of its values."""
    frame = _table(40).assign(tags=column)
    frame.to_parquet(tmp_path / "t.parquet")
    rc, _, mem_err = run(capsys, "train", tmp_path / "t.parquet", "--target", "y", "--dropna", "--out",
                         tmp_path / "mem", "--no-plots")
    assert rc == 2 and "column 'tags' holds nested values" in mem_err
    rc, _, err = run(capsys, "train", tmp_path / "t.parquet", "--target", "y", "--dropna", "--dask",
                     client.scheduler.address, "--out", tmp_path / "run", "--no-plots")
    assert rc == 2 and "column 'tags' holds nested values" in err and "Traceback" not in err, err
    assert len([line for line in err.splitlines() if line.startswith("crossentropy: error")]) == 1
    assert not (tmp_path / "run").exists()
    rc, _, err = run(capsys, "train", tmp_path / "t.parquet", "--target", "y", "--dropna", "--ignore", "tags",
                     "--dask", client.scheduler.address, "--out", tmp_path / "ignored", "--no-plots")
    assert rc == 0, err


def test_csv_files_with_different_separators_are_refused_naming_both(tmp_path):
    """Dask reads a set of CSV files with one separator: a file written with another is refused before
    any read (the oracle: pandas reads each file with its own separator into the same columns)."""
    frame = _table(40)
    frame.iloc[:20].to_csv(tmp_path / "p0.csv", index=False)
    frame.iloc[20:].to_csv(tmp_path / "p1.csv", index=False, sep=";")
    back = pd.concat([pd.read_csv(tmp_path / "p0.csv"), pd.read_csv(tmp_path / "p1.csv", sep=";")])
    assert list(back.columns) == list(frame.columns) and len(back) == 40
    with pytest.raises(DataError, match=r"p1.csv' is separated by ';' but the first file .*p0.csv' by ','"):
        read_table(str(tmp_path / "*.csv"))
    frame.iloc[20:].to_csv(tmp_path / "p1.csv", index=False)
    assert len(read_table(str(tmp_path / "*.csv")).compute()) == 40
