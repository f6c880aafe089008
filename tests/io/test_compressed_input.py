"""Truncated or corrupt compressed tables, and .zst without zstandard: a DataError naming the file, never
EOFError, zlib/LZMA errors, BadZipFile or an ImportError (the command line's exit 1)."""

import bz2
import gzip
import io
import lzma
import sys
import zipfile

import pytest

from crossentropy.io.tables import DataError, read_table

CSV = ("a,b,y\n" + "".join(f"{i * 0.1},{i % 3},{'p' if i % 2 else 'n'}\n" for i in range(400))).encode()


def zipped(data):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("t.csv", data)
    return buf.getvalue()


def gz(data):
    return gzip.compress(data, mtime=0)


CODECS = {".gz": gz, ".bz2": bz2.compress, ".xz": lzma.compress, ".zip": zipped}


@pytest.mark.parametrize("suffix", list(CODECS))
@pytest.mark.parametrize("damage", ["truncated", "corrupt"])
def test_damaged_compressed_tables_are_a_data_error(tmp_path, suffix, damage):
    packed = CODECS[suffix](CSV)
    bad = packed[: len(packed) // 2] if damage == "truncated" else packed[:40] + b"\x00" * 40 + packed[80:]
    path = tmp_path / f"t.csv{suffix}"
    path.write_bytes(bad)
    with pytest.raises(DataError, match=r"cannot read DATA file '.*t\.csv" + suffix.replace(".", r"\.")):
        read_table(path)


def test_intact_files_still_read(tmp_path):
    for suffix, pack in CODECS.items():
        path = tmp_path / f"ok.csv{suffix}"
        path.write_bytes(pack(CSV))
        assert read_table(path).shape == (400, 3)


def test_zst_without_zstandard_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "zstandard", None)   # import zstandard raises ImportError
    path = tmp_path / "t.csv.zst"
    path.write_bytes(b"\x28\xb5\x2f\xfd" + b"\x00" * 16)
    with pytest.raises(DataError, match=r"needs the zstandard package: pip install zstandard"):
        read_table(path)
