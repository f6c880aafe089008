"""Write the example tables of the README (examples/data/*.csv) from scikit-learn's wine data set.

The wine data (178 wines of three Piedmont cultivars, 13 chemical measurements; Forina et al., UCI
Machine Learning Repository) become a table such as a newcomer brings: string labels (``cultivar``:
barolo, grignolino, barbera), a string column derived from ``color_intensity`` (``colour``: pale,
ruby, deep) and a few missing values at fixed rows (``magnesium`` in every 25th row from row 3,
``colour`` in every 40th from row 11). The rows are split per cultivar with a seeded NumPy generator,
70 % for ``train.csv`` and 30 % for ``test.csv``; ``new.csv`` is the first eight test rows without
the label. The output is the same on every run, so the committed files can be checked against it:

    python examples/make_data.py                 # rewrites examples/data/
    python examples/make_data.py --out DIR       # writes elsewhere
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

CULTIVARS = np.array(["barolo", "grignolino", "barbera"])  # wine's class_0, class_1, class_2
DEFAULT_OUT = Path(__file__).resolve().parent / "data"


def wine_table():
    """The whole table: 178 rows, 13 numeric columns, ``colour`` and ``cultivar`` (strings), a few gaps."""
    import pandas as pd
    from sklearn.datasets import load_wine

    wine = load_wine(as_frame=True)
    frame = wine.data.rename(columns={"od280/od315_of_diluted_wines": "od280_od315"}).copy()
    bands = pd.cut(frame["color_intensity"], bins=[0.0, 3.5, 7.0, np.inf], labels=["pale", "ruby", "deep"])
    frame.insert(frame.columns.get_loc("color_intensity") + 1, "colour", bands.astype(object))
    rows = np.arange(frame.shape[0])
    frame.loc[rows % 25 == 3, "magnesium"] = np.nan
    frame.loc[rows % 40 == 11, "colour"] = np.nan
    frame["cultivar"] = CULTIVARS[wine.target.to_numpy()]
    return frame


def split(frame, test_share=0.3, seed=0):
    """(train, test): ``test_share`` of each cultivar's rows, drawn with ``numpy.random.default_rng(seed)``."""
    rng = np.random.default_rng(seed)
    test_rows = []
    for label in CULTIVARS:
        rows = np.flatnonzero(frame["cultivar"].to_numpy() == label)
        test_rows.extend(rng.permutation(rows)[: int(round(test_share * rows.size))])
    is_test = np.zeros(frame.shape[0], dtype=bool)
    is_test[test_rows] = True
    return frame[~is_test], frame[is_test]


def write(out: Path) -> list[Path]:
    """Write train.csv, test.csv and new.csv into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    train, test = split(wine_table())
    paths = {"train.csv": train, "test.csv": test, "new.csv": test.drop(columns="cultivar").head(8)}
    for name, table in paths.items():
        table.to_csv(out / name, index=False, lineterminator="\n")
    return [out / name for name in paths]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"folder (default {DEFAULT_OUT})")
    for path in write(parser.parse_args(argv).out):
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
