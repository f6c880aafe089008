"""Compressed CSV/TSV tables under Dask are read as CSV (never handed to read_parquet).

Oracle: pandas' own reading of the same files.
"""

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("dask.dataframe")

from crossentropy.distributed.tables import read_table  # noqa: E402


@pytest.mark.parametrize("name, sep", [("t.tsv.gz", "\t"), ("t.csv.bz2", ","), ("t.csv.xz", ","), ("t.txt.gz", ",")])
def test_compressed_text_tables_read_as_pandas_reads_them(tmp_path, name, sep):
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"a": rng.normal(size=30), "c": rng.choice(["u", "v"], 30), "y": np.arange(30) % 2})
    df.to_csv(tmp_path / name, sep=sep, index=False)
    got = read_table(str(tmp_path / name)).compute(scheduler="synchronous").reset_index(drop=True)
    ref = pd.read_csv(tmp_path / name, sep=sep)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)
