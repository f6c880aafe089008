"""Write examples/data/anes96.csv, the README's table for an unpenalised logistic regression with inference.

Source: the 1996 American National Election Study subset bundled with statsmodels
(``statsmodels.datasets.anes96``: 944 respondents; "This is public domain." as statsmodels'
``anes96.COPYRIGHT`` states; original source the American National Election Studies,
https://electionstudies.org/). Kept: the expected vote (``vote``: clinton, dole), party identification
(``party``, seven strings from ``PID`` 0..6), education (``education``, seven strings from ``educ``
1..7), ``age`` in years and ``income``, the household income bracket 1..24 of the survey's code (1:
under $3,000, 24: $105,000 and over), in the order of statsmodels' rows. Unlike the wine table the
two votes are not separated by these columns, so the maximum-likelihood estimate without a penalty
exists and has standard errors. The output is the same on every run, so the committed file can be
checked against it:

    python examples/make_anes.py                 # rewrites examples/data/anes96.csv
    python examples/make_anes.py --out DIR       # writes DIR/anes96.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

DEFAULT_OUT = Path(__file__).resolve().parent / "data"
PARTY = ["democrat_strong", "democrat_weak", "independent_democrat", "independent", "independent_republican",
         "republican_weak", "republican_strong"]  # PID 0..6
EDUCATION = ["grade_school", "some_high_school", "high_school", "some_college", "college", "masters", "phd"]  # educ 1..7
VOTE = ["clinton", "dole"]  # vote 0, 1


def anes_table():
    """The 944 rows: ``party``, ``education`` (strings), ``age``, ``income`` (integers), ``vote`` (strings)."""
    import pandas as pd
    from statsmodels.datasets import anes96

    d = anes96.load_pandas().data
    return pd.DataFrame({
        "party": [PARTY[int(v)] for v in d["PID"]],
        "education": [EDUCATION[int(v) - 1] for v in d["educ"]],
        "age": d["age"].astype(int),
        "income": d["income"].astype(int),
        "vote": [VOTE[int(v)] for v in d["vote"]],
    })


def write(out: Path) -> Path:
    """Write ``anes96.csv`` into ``out`` and return its path."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "anes96.csv"
    anes_table().to_csv(path, index=False, lineterminator="\n")
    return path


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"folder (default {DEFAULT_OUT})")
    print(f"wrote {write(parser.parse_args(argv).out)}")


if __name__ == "__main__":
    main()
