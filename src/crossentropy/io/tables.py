"""Data tables on disk: read and write CSV/TSV (optionally compressed) and Parquet files.

The format is told by the file name (``.csv``, ``.tsv``, ``.txt``, ``.parquet``, ``.pq``, with an
optional ``.gz``/``.bz2``/``.zip``/``.xz``/``.zst`` after a text suffix). Every problem with a table
raises :class:`DataError` with a message that names the file and the fix; writes are atomic.
"""

from __future__ import annotations

from pathlib import Path

from ..exceptions import DataError

__all__ = ["DataError", "CSV_SUFFIXES", "PARQUET_SUFFIXES", "table_format", "check_table_suffix", "read_table",
           "write_table", "csv_separator"]

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
PARQUET_SUFFIXES = (".parquet", ".pq")
_COMPRESSION = (".gz", ".bz2", ".zip", ".xz", ".zst")


def table_format(path) -> str:
    """The format of a table file from its name: ``"csv"``, ``"tsv"`` or ``"parquet"``.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    str

    Raises
    ------
    DataError
        The suffix is none of the known ones.

    Examples
    --------
    >>> table_format("runs/data.csv.gz"), table_format("part-0.parquet")
    ('csv', 'parquet')
    """
    suffixes = [s.lower() for s in Path(path).suffixes]
    if suffixes and suffixes[-1] in _COMPRESSION:
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in PARQUET_SUFFIXES:
        return "parquet"
    if last in CSV_SUFFIXES:
        return "tsv" if last == ".tsv" else "csv"
    raise DataError(f"cannot tell the format of {str(path)!r}: use a .csv, .tsv or .parquet file")


def check_table_suffix(path, *, what: str = "DATA") -> str:
    """:func:`table_format` of ``path``, with a message naming the argument ``what`` when unknown.

    Examples
    --------
    >>> check_table_suffix("out.txt", what="--out")
    'csv'
    >>> check_table_suffix("out.xlsx", what="--out")
    Traceback (most recent call last):
    ...
    crossentropy.exceptions.DataError: cannot tell the format of --out 'out.xlsx': use a .csv, .tsv or .parquet file
    """
    try:
        return table_format(path)
    except DataError:
        raise DataError(f"cannot tell the format of {what} {str(path)!r}: use a .csv, .tsv or .parquet file") from None


def _first_line(exc) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


#: the separators a ``.csv``/``.txt`` file may use besides the comma
_OTHER_SEPARATORS = (";", "\t", "|")


def _first_lines(p: Path, n_lines: int = 20) -> str:
    """Up to ``n_lines`` lines of the (decompressed) text file ``p``; "" when it cannot be read here
    (the reader that follows reports the problem)."""
    import bz2
    import gzip
    import io
    import lzma
    import zipfile

    suffix = p.suffix.lower()
    try:
        if suffix == ".zip":
            with zipfile.ZipFile(p) as z:
                names = z.namelist()
                raw = z.open(names[0]).read(1 << 16) if names else b""
        elif suffix == ".zst":
            import zstandard

            with open(p, "rb") as f, zstandard.ZstdDecompressor().stream_reader(f) as r:
                raw = r.read(1 << 16)
        else:
            opener = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}.get(suffix, open)
            with opener(p, "rb") as f:
                raw = f.read(1 << 16)
    except (OSError, EOFError, ImportError, ValueError, zipfile.BadZipFile, lzma.LZMAError):
        return ""
    text = io.TextIOWrapper(io.BytesIO(raw), encoding="utf-8", errors="replace", newline="").read()
    return "".join(text.splitlines(keepends=True)[:n_lines])


def csv_separator(path) -> str:
    """The field separator of a CSV/TSV file: ``\\t`` for ``.tsv``; else ``,`` unless the header
    holds no comma and :class:`csv.Sniffer` finds ``;``, a tab or ``|`` in the first lines.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.tsv`` or ``.txt`` file, optionally compressed.

    Returns
    -------
    str
        One of ``,``, ``;``, ``\\t``, ``|``.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "semicolons.csv")
    >>> _ = open(path, "w").write("x1;x2;colour;y\\n1;2;red;yes\\n3;4;blue;no\\n")
    >>> csv_separator(path)
    ';'
    """
    import csv

    p = Path(path)
    if table_format(p) == "tsv":
        return "\t"
    sample = _first_lines(p)
    header = sample.splitlines()[0] if sample else ""
    if "," in header or not any(c in header for c in _OTHER_SEPARATORS):
        return ","
    try:
        return csv.Sniffer().sniff(sample, delimiters=_OTHER_SEPARATORS).delimiter
    except csv.Error:
        return ","


def _header(p: Path, kind: str, sep: str = ",") -> list:
    """The column names as the file spells them (pandas renames a repeated CSV name ``a`` to ``a.1``)."""
    import pandas as pd

    if kind == "parquet":
        import pyarrow.parquet as pq

        return [str(n) for n in pq.read_schema(p).names if not str(n).startswith("__index_level_")]
    first = pd.read_csv(p, sep=sep, header=None, nrows=1, dtype=str, keep_default_na=False)
    return [str(v) for v in first.iloc[0].tolist()] if first.shape[0] else []


def _codec_errors() -> tuple:
    """What the decompressors raise on a truncated or corrupt stream (an EOFError, zlib's and lzma's errors,
    a bad zip archive)."""
    import lzma
    import zipfile
    import zlib

    return (EOFError, zlib.error, lzma.LZMAError, zipfile.BadZipFile)


def _check_codec(p: Path, name: str) -> None:
    """A ``.zst`` file needs the optional ``zstandard`` package: DataError saying so when it is missing."""
    if p.suffix.lower() == ".zst":
        try:
            import zstandard  # noqa: F401
        except ImportError:
            raise DataError(f"{name} file {str(p)!r} is compressed with Zstandard, which needs the zstandard "
                            "package: pip install zstandard (or decompress the file first)") from None


def _refuse_duplicates(columns, name, p) -> None:
    seen, dup = set(), []
    for c in columns:
        if c in seen and c not in dup:
            dup.append(c)
        seen.add(c)
    if dup:
        raise DataError(f"{name} file {str(p)!r} has duplicate column names: {dup[:10]}; rename them so that each "
                        "column has its own name")


def read_table(path, *, name: str = "DATA", na_values=None):
    """Read a CSV/TSV (optionally compressed) or Parquet file into a DataFrame; DataError if unusable.

    CSV floats are parsed exactly (``float_precision="round_trip"`` on pandas < 3, the default since),
    so that numbers written by pandas or Python read back bit for bit. Only empty fields (and Parquet
    nulls, and empty strings in Parquet text columns) are missing values, plus the strings named in
    ``na_values``: ``NA``, ``None``, ``NaN`` and the other strings pandas reads as missing by default
    are kept as values (:mod:`crossentropy.preprocessing.missing_markers`). A ``.csv``/``.txt`` file whose header
    holds no comma may be separated by ``;``, a tab or ``|`` (:func:`csv_separator`). Column names
    become strings.

    Parameters
    ----------
    path : str or path-like
    name : str, default "DATA"
        What the file is called in messages.
    na_values : str or sequence of str, optional
        More strings read as missing values (in text columns, and in CSV fields of any column).

    Returns
    -------
    pandas.DataFrame of shape (n_rows, n_columns)
        At least one row and one column, distinct column names.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "t.csv")
    >>> _ = open(path, "w").write("a,b\\n0.1,x\\n,y\\n")
    >>> read_table(path)
         a  b
    0  0.1  x
    1  NaN  y
    """
    import pandas as pd

    from ..preprocessing.missing_markers import check_na_values, mark_missing

    markers = check_na_values(na_values)
    p = Path(path)
    if not p.exists():
        if any(c in str(p) for c in "*?["):
            raise DataError(f"{name} {str(p)!r} is a glob pattern: globs need --dask (crossentropy train --dask "
                            "local ...); without it, name one file")
        raise DataError(f"{name} file not found: {str(p)!r}")
    if p.is_dir():
        raise DataError(f"{name} must be a file, got the directory {str(p)!r}")
    kind = table_format(p)
    _check_codec(p, name)
    try:
        sep = "," if kind == "parquet" else csv_separator(p)
        header = _header(p, kind, sep)
        _refuse_duplicates(header, name, p)
        if kind == "parquet":
            frame = mark_missing(pd.read_parquet(p), markers)
        else:
            # pandas >= 3 parses floats exactly by default (and deprecates the option); older pandas needs it
            exact = {} if int(pd.__version__.split(".")[0]) >= 3 else {"float_precision": "round_trip"}
            frame = pd.read_csv(p, sep=sep, low_memory=False, keep_default_na=False, na_values=["", *markers],
                                **exact)
    except DataError:
        raise
    except pd.errors.EmptyDataError:
        raise DataError(f"{name} file {str(p)!r} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError, OSError) as exc:
        raise DataError(f"cannot read {name} file {str(p)!r} as {kind}: {_first_line(exc)}") from None
    except _codec_errors() as exc:  # a truncated or corrupt compressed file
        raise DataError(f"cannot read {name} file {str(p)!r}: the {p.suffix.lower()} file is truncated or corrupt "
                        f"({type(exc).__name__}: {_first_line(exc)})") from None
    except Exception as exc:  # pyarrow's ArrowInvalid and friends
        if type(exc).__module__.startswith("pyarrow"):
            raise DataError(f"cannot read {name} file {str(p)!r} as parquet: {_first_line(exc)}") from None
        raise
    if frame.shape[1] == 0:
        raise DataError(f"{name} file {str(p)!r} has no columns")
    if frame.shape[0] == 0:
        raise DataError(f"{name} file {str(p)!r} has a header but no data rows")
    frame.columns = [str(c) for c in frame.columns]
    _refuse_duplicates(frame.columns, name, p)  # e.g. 1 and "1" in a Parquet file
    return frame


def write_table(frame, path, *, overwrite: bool = True) -> None:
    """Write ``frame`` to ``path`` (.csv/.tsv or .parquet by suffix) atomically, without the index.

    Parameters
    ----------
    frame : pandas.DataFrame of shape (n_rows, n_columns)
    path : str or path-like
        A text suffix may be followed by a compression suffix (``out.csv.gz``).
    overwrite : bool, default True
        False: a file at ``path`` is never replaced, not even one created while the table was written
        (:func:`crossentropy.io.atomic.atomic_path`).

    Examples
    --------
    >>> import os, tempfile, pandas as pd
    >>> path = os.path.join(tempfile.mkdtemp(), "p.csv")
    >>> write_table(pd.DataFrame({"prediction": ["a", "b"]}), path)
    >>> open(path).read()
    'prediction\\na\\nb\\n'
    """
    from .atomic import atomic_path

    p = Path(path)
    try:
        kind = table_format(p)
    except DataError as exc:
        raise DataError(str(exc).replace("cannot tell the format of", "cannot tell the output format of")) from None
    with atomic_path(p, overwrite=overwrite) as tmp:
        if kind == "parquet":
            frame.to_parquet(tmp, index=False)
        else:
            frame.to_csv(tmp, sep="\t" if kind == "tsv" else ",", index=False,
                         compression="infer" if p.suffix.lower() in _COMPRESSION else None)
