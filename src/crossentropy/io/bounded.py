"""Reading files nobody vouches for: regular files only, bounded in size, strict JSON.

A model file may be anything a user (or an attacker) put at its path: a FIFO that never ends, a
device such as ``/dev/zero``, a sparse file of a terabyte, JSON nested thousands deep or with a key
given twice. :func:`read_regular_file` opens without blocking, checks with ``fstat`` that the path
is a regular file whose size is within a bound, and reads at most that many bytes;
:func:`strict_json` parses JSON with a depth limit (the parser's recursion guard, then a walk of the result), refusing
duplicate keys and non-finite numbers. Both raise :class:`~crossentropy.exceptions.ModelFileError`.
"""

from __future__ import annotations

import json
import math
import os
import stat

from ..exceptions import ModelFileError

__all__ = ["read_regular_file", "read_prefix", "file_size", "strict_json", "json_depth"]

_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")


def _open(path, what):
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        return os.open(path, flags)
    except FileNotFoundError:
        raise ModelFileError(f"model {what} not found: {str(path)!r}") from None
    except OSError as exc:
        raise ModelFileError(f"cannot read model {what} {str(path)!r}: {exc.strerror or exc}") from None


def _kind(mode) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def file_size(path, what) -> int:
    """The size in bytes of the regular file at ``path``; ModelFileError for anything else.

    Examples
    --------
    >>> file_size("/dev/zero", "metadata")
    Traceback (most recent call last):
    ...
    crossentropy.exceptions.ModelFileError: model metadata '/dev/zero' is a character device, not a regular file

    References
    ----------
    POSIX.1-2017, ``fstat()`` and ``<sys/stat.h>``: ``S_ISREG``, ``S_ISFIFO``, ``S_ISCHR``.
    """
    fd = _open(path, what)
    try:
        st = os.fstat(fd)
    finally:
        os.close(fd)
    if not stat.S_ISREG(st.st_mode):
        raise ModelFileError(f"model {what} {str(path)!r} is {_kind(st.st_mode)}, not a regular file")
    return int(st.st_size)


def read_prefix(path, n: int, what: str) -> bytes:
    """The first ``n`` bytes (or fewer, for a shorter file) of the regular file at ``path``.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "m.safetensors")
    >>> _ = open(path, "wb").write(bytes([2, 0, 0, 0, 0, 0, 0, 0]) + b"{}")
    >>> int.from_bytes(read_prefix(path, 8, "arrays"), "little")
    2

    References
    ----------
    POSIX.1-2017, ``read()``: "shall attempt to read nbyte bytes"; fewer at the end of the file.
    """
    fd = _open(path, what)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ModelFileError(f"model {what} {str(path)!r} is {_kind(st.st_mode)}, not a regular file")
        try:
            return os.read(fd, n)
        except OSError as exc:
            raise ModelFileError(f"cannot read model {what} {str(path)!r}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_regular_file(path, limit: int, what: str, *, exact: int | None = None) -> bytes:
    """The bytes of the regular file at ``path``, refused before reading if it is larger than ``limit``.

    The file is opened with ``O_NONBLOCK`` (a FIFO does not block the open), checked with ``fstat``
    (regular file, ``st_size <= limit``, or ``== exact`` when given), then read with at most
    ``limit + 1`` bytes requested, so a file that grows while it is read is refused too.

    Parameters
    ----------
    path : str or path-like
    limit : int
        The most bytes the file may hold.
    what : str
        Which part of the model the file is, for the message.
    exact : int, optional
        The size the file must have (known in advance, e.g. from a header).

    Returns
    -------
    bytes of length at most ``limit``

    Raises
    ------
    ModelFileError
        Missing, unreadable, not a regular file, too large, or not of the ``exact`` size.

    Examples
    --------
    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
    >>> _ = open(path, "w").write("{}")
    >>> read_regular_file(path, 10, "metadata")
    b'{}'
    >>> read_regular_file(path, 1, "metadata")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crossentropy.exceptions.ModelFileError: model metadata '...m.json' holds 2 bytes, more than the 1 a model file may hold

    References
    ----------
    POSIX.1-2017, ``open()``: with ``O_NONBLOCK``, "an open() for reading-only shall return without
    delay" on a FIFO; ``fstat()``: ``S_ISREG``, ``st_size``.
    """
    fd = _open(path, what)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ModelFileError(f"model {what} {str(path)!r} is {_kind(st.st_mode)}, not a regular file")
        if st.st_size > limit:
            raise ModelFileError(f"model {what} {str(path)!r} holds {st.st_size} bytes, more than the {limit} "
                                 "a model file may hold")
        if exact is not None and st.st_size != exact:
            raise ModelFileError(f"model {what} {str(path)!r} holds {st.st_size} bytes, its header declares {exact} "
                                 "(truncated or corrupted?)")
        chunks, left = [], limit + 1
        while left > 0:
            try:
                chunk = os.read(fd, min(left, 1 << 24))
            except OSError as exc:
                raise ModelFileError(f"cannot read model {what} {str(path)!r}: {exc.strerror or exc}") from None
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    raw = b"".join(chunks)
    if len(raw) > limit or (exact is not None and len(raw) != exact):
        raise ModelFileError(f"model {what} {str(path)!r} changed size while it was read")
    return raw


def json_depth(value) -> int:
    """The deepest nesting of lists and dicts in the parsed JSON ``value`` (a scalar has depth 0).

    Iterative, so any depth the parser produced can be measured.

    Examples
    --------
    >>> json_depth({"a": [1, {"b": "[[["}]})
    3

    References
    ----------
    IETF RFC 8259, §9: "An implementation may set limits on the maximum depth of nesting".
    """
    deepest, todo = 0, [(value, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, level)
        todo.extend((v, level + 1) for v in item if isinstance(v, (list, dict)))
    return deepest


def _pairs(where):
    def hook(pairs):
        out = {}
        for key, value in pairs:
            if key in out:
                raise ModelFileError(f"{where} gives the key {key!r:.80} twice in one object")
            out[key] = value
        return out

    return hook


def _no_constant(text):
    raise ModelFileError(f"non-finite number {text} is not allowed")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise ModelFileError(f"number {text:.40} is out of the float64 range")
    return value


def strict_json(raw: bytes, where: str, *, max_depth: int):
    """Parse UTF-8 JSON refusing nesting deeper than ``max_depth``, duplicate keys and non-finite numbers.

    Parameters
    ----------
    raw : bytes
    where : str
        The file, for the message.
    max_depth : int
        The deepest nesting of arrays and objects allowed (deeper text is stopped by the parser's
        recursion guard or found by a walk of the parsed value).

    Returns
    -------
    object

    Raises
    ------
    ModelFileError
        Not UTF-8, not JSON, too deep, a key twice in an object, NaN/Infinity or a number beyond
        the float64 range.

    Examples
    --------
    >>> strict_json(b'{"a": [1, 2.5]}', "'m.json'", max_depth=4)
    {'a': [1, 2.5]}
    >>> strict_json(b'{"a": 1, "a": 2}', "'m.json'", max_depth=4)
    Traceback (most recent call last):
    ...
    crossentropy.exceptions.ModelFileError: 'm.json' is not valid model JSON: 'm.json' gives the key 'a' twice in one object

    References
    ----------
    IETF RFC 8259, *The JavaScript Object Notation (JSON) Data Interchange Format* (2017), §4: "The
    names within an object SHOULD be unique"; §6: Infinity and NaN are not permitted.
    """
    too_deep = ModelFileError(f"{where} nests JSON more than {max_depth} levels deep, more than a model file may")
    try:
        value = json.loads(raw.decode("utf-8"), object_pairs_hook=_pairs(where), parse_constant=_no_constant,
                           parse_float=_finite_float)
    except ModelFileError as exc:
        raise ModelFileError(f"{where} is not valid model JSON: {exc}") from None
    except RecursionError:  # the parser's own guard (the interpreter's recursion limit) stopped it
        raise too_deep from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise ModelFileError(f"{where} is not valid model JSON (truncated or corrupted?): {exc}") from None
    # few brackets in all: no need to walk the parsed value
    if len(raw.translate(None, _NOT_BRACKETS)) > 2 * max_depth and json_depth(value) > max_depth:
        raise too_deep
    return value
