"""``--dask`` reads the table as the in-memory run does: missing-value markers, ``--categorical``, class loss.

Oracle: the in-memory ``crossentropy train`` of the same rows (the preprocessing state it records)
and counts computed here from the rows the test builds.
"""

import json

import numpy as np
import pytest

pd = pytest.importorskip("pandas")

from crossentropy.cli import main  # noqa: E402
from test_dask_cli import address  # noqa: E402, F401  (the module's LocalCluster, shared)


def _table(n=240, seed=5):
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(size=n), "race": rng.choice([1, 2, 3], n),
                          "region": rng.choice(["NA", "EU", "ASIA"], n),
                          "label": rng.choice(["None", "Some", "Marked", "Mild"], n)})
    frame.loc[frame.label == "Some", "x"] = np.nan
    return frame


def test_dask_reads_markers_factors_and_refuses_class_loss_like_memory(address, tmp_path, capsys):
    frame = _table()
    (tmp_path / "data").mkdir()
    for i, rows in enumerate(np.array_split(np.arange(len(frame)), 2)):
        frame.iloc[rows].to_parquet(tmp_path / "data" / f"part-{i}.parquet", index=False)
    opts = ["--target", "label", "--na-values", "None", "--categorical", "race", "--dropna", "--test-size", "0",
            "--no-plots"]
    assert main(["train", str(tmp_path / "data" / "*.parquet"), *opts, "--dask", address,
                 "--out", str(tmp_path / "lost")]) == 2
    err = capsys.readouterr().err
    assert f"removed every row of class(es) 'Some' ({int((frame.label == 'Some').sum())} rows)" in err
    runs = {}
    frame.to_parquet(tmp_path / "all.parquet", index=False)
    for name, data, extra in (("dask", str(tmp_path / "data" / "*.parquet"), ["--dask", address]),
                              ("memory", str(tmp_path / "all.parquet"), [])):
        assert main(["train", data, *opts, "--allow-class-loss", *extra, "--out", str(tmp_path / name)]) == 0
        runs[name] = {f: json.loads((tmp_path / name / f).read_text()) for f in ("model.json", "metrics.json")}
        kept_line = [x for x in capsys.readouterr().err.splitlines() if "kept as values" in x]
        assert len(kept_line) == 1 and "--na-values" in kept_line[0] and "na_values=" not in kept_line[0]
        assert f"'NA' ({int((frame.region == 'NA').sum())} rows) in column 'region'" in kept_line[0]
    dask_state, memory_state = (runs[k]["model.json"]["preprocessing"] for k in ("dask", "memory"))
    (dx, *dask_rest), (mx, *memory_rest) = dask_state["columns"], memory_state["columns"]
    assert dask_rest == memory_rest  # race (1, 2, 3) and region with 'NA' kept as a value, exactly
    assert [c["categories"] for c in dask_rest] == [["1", "2", "3"], ["ASIA", "EU", "NA"]]
    np.testing.assert_allclose([dx["mean"], dx["scale"]], [mx["mean"], mx["scale"]], rtol=1e-12)
    assert dask_state["categorical"] == ["race"] and dask_state["na_values"] == ["None"]
    kept = frame[(frame.label != "None") & frame.x.notna()]
    for run in runs.values():
        assert run["metrics.json"]["classes"] == sorted(set(kept.label)) == ["Marked", "Mild"]
        assert run["metrics.json"]["n_dropped"] == len(frame) - len(kept)
        assert run["metrics.json"]["missing_values"]["kept_as_values"] == {"region": {"NA": int((frame.region == "NA").sum())}}
        assert run["metrics.json"]["missing_values"]["dropped_by_column"] == {
            "x": int(frame.x.isna().sum()), "label": int((frame.label == "None").sum())}
