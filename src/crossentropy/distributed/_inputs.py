"""Dask input to row-chunked arrays: X as a 2-D float array chunked by rows only, y and the sample
weights as 1-D arrays with the same row chunks, plus the one validation pass over the data."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

from .._validation import as_float_array
from ._dask import da, dask

__all__ = ["as_row_chunked", "align_rows", "align_offset", "check_offset_classes", "summarise", "DataSummary",
           "feature_names_of"]


def _is_frame(x) -> bool:
    return hasattr(x, "to_dask_array") and getattr(x, "ndim", None) == 2


def _is_series(x) -> bool:
    return hasattr(x, "to_dask_array") and getattr(x, "ndim", None) == 1


def feature_names_of(X):
    """Column names of a Dask DataFrame as an object ndarray of str (None for arrays or non-str names)."""
    if not _is_frame(X):
        return None
    names = list(X.columns)
    if not names or not all(isinstance(c, str) for c in names):
        return None
    return np.asarray(names, dtype=object)


def _float_dtype(dtype, name):
    dtype = np.dtype(dtype)
    if dtype in (np.float32, np.float64):
        return dtype
    if dtype.kind in "biuf":
        return np.dtype(np.float64)
    raise TypeError(f"{name} must hold real numbers, got dtype {dtype}")


def as_row_chunked(X, *, name="X", lengths=True):
    """Return X as a 2-D Dask array of float32 or float64, chunked along rows only.

    Dask DataFrames become arrays (their columns must be numeric; ``lengths=True`` computes the
    partition lengths, which aligning y needs). Integer and boolean data become float64; float32 and
    float64 are kept. Chunks across columns are merged, so that each chunk holds whole rows.
    """
    if _is_frame(X):
        bad = [f"{c!r} ({t})" for c, t in X.dtypes.items() if np.dtype(t).kind not in "biuf"]
        if bad:
            raise TypeError(f"{name} must hold numeric columns only; encode these first: {', '.join(bad[:5])}")
        X = X.to_dask_array(lengths=True if lengths else None)
    elif _is_series(X):
        raise ValueError(f"{name} must be 2-D (n_samples, n_features); got a Dask Series: use series.to_frame()")
    elif not isinstance(X, da.Array):
        raise TypeError(f"{name} must be a Dask array or Dask DataFrame, got {type(X).__name__}")
    if X.ndim != 2:
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got a Dask array of shape {X.shape}")
    dtype = _float_dtype(X.dtype, name)
    if X.dtype != dtype:
        X = X.astype(dtype)
    if lengths and any(math.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if X.shape[1] == 0:
        raise ValueError(f"{name} must have at least one feature column, got shape {X.shape}")
    if len(X.chunks[1]) > 1:
        X = X.rechunk({1: -1})
    return X


def align_rows(v, row_chunks, *, name, n_samples):
    """Return the 1-D ``v`` (Dask array or Series, NumPy, pandas, list) as a Dask array with ``row_chunks``."""
    if _is_frame(v):
        if len(v.columns) != 1:
            raise ValueError(f"{name} must be 1-D; got a Dask DataFrame with {len(v.columns)} columns")
        v = v[v.columns[0]]
    if _is_series(v):
        with warnings.catch_warnings():  # pandas' string dtype becomes object labels: what we want
            warnings.filterwarnings("ignore", message="Dask currently has limited support for converting pandas")
            v = v.to_dask_array(lengths=True)
    if isinstance(v, da.Array):
        if any(math.isnan(c) for c in v.chunks[0]):
            v = v.compute_chunk_sizes()
    else:
        v = np.asarray(v)
        if v.ndim == 2 and v.shape[1] == 1:
            v = v.ravel()
        if v.ndim != 1:
            raise ValueError(f"{name} must be 1-D, got shape {v.shape}")
        if v.shape[0] != n_samples:
            raise ValueError(f"{name} has {v.shape[0]} rows but X has {n_samples}: they must have the same length")
        return da.from_array(v, chunks=(row_chunks,))
    if v.ndim == 2 and v.shape[1] == 1:
        v = v[:, 0]
    if v.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got a Dask array of shape {v.shape}")
    if v.shape[0] != n_samples:
        raise ValueError(f"{name} has {v.shape[0]} rows but X has {n_samples}: they must have the same length")
    if v.chunks[0] != tuple(row_chunks):
        v = v.rechunk((row_chunks,))
    return v


def align_offset(offset, row_chunks, *, n_samples):
    """The logit offsets (Dask or in-memory, shape (n,) or (n, m)) as a float64 Dask array with
    ``row_chunks`` (one chunk across the columns), checked numeric and finite (a Dask array by one
    pass over it). The number of columns is checked against the classes by :func:`check_offset_classes`."""
    if _is_frame(offset) or _is_series(offset):
        offset = offset.to_dask_array(lengths=True)
    if isinstance(offset, da.Array):
        if any(math.isnan(c) for c in offset.chunks[0]):
            offset = offset.compute_chunk_sizes()
        dtype = _float_dtype(offset.dtype, "offset")
        offset = offset.astype(np.float64) if dtype != np.float64 or offset.dtype != np.float64 else offset
    else:
        offset = as_float_array(offset, "offset").astype(np.float64, copy=False)
    if offset.ndim not in (1, 2) or offset.shape[0] != n_samples:
        raise ValueError(f"offset must have shape ({n_samples},) or ({n_samples}, n_classes) (one row per row of X), "
                         f"got shape {offset.shape}")
    chunks = (tuple(row_chunks),) + ((offset.shape[1],) if offset.ndim == 2 else ())
    if isinstance(offset, da.Array):
        if offset.chunks != chunks:
            offset = offset.rechunk(chunks)
        if not bool(da.isfinite(offset).all().compute()):
            raise ValueError("offset must be finite, found NaN or inf in the Dask input")
        return offset
    return da.from_array(offset, chunks=chunks)


def check_offset_classes(offset, n_classes):
    """The aligned offsets for ``n_classes`` classes: shape (n,) for two (a single column is accepted),
    (n, K) otherwise; ValueError naming ``offset`` and its shape else."""
    n = offset.shape[0]
    if n_classes == 2:
        if offset.ndim == 2 and offset.shape[1] == 1:
            return offset[:, 0]
        if offset.ndim != 1:
            raise ValueError(f"offset must have shape ({n},) or ({n}, 1) (one logit offset per row, two classes), "
                             f"got shape {offset.shape}")
        return offset
    if offset.shape != (n, n_classes):
        raise ValueError(f"offset must have shape ({n}, {n_classes}) (one column per class, {n_classes} classes), "
                         f"got shape {offset.shape}")
    return offset


@dataclass
class DataSummary:
    """What one pass over the training data tells: classes, their counts and weight sums, data checks."""

    classes: np.ndarray
    class_counts: np.ndarray
    class_weight_sums: np.ndarray
    x_finite: bool
    weight_min: float
    weight_finite: bool


def _chunk_summary(X, y, sample_weight):
    """Per-chunk classes, counts, weight sums per class and the data checks (runs on a worker)."""
    classes, inv, counts = np.unique(y, return_inverse=True, return_counts=True)
    inv = inv.ravel()
    if sample_weight is None:
        wsum, wmin, wfin = counts.astype(np.float64), 1.0, True
    else:
        sw = np.asarray(sample_weight, dtype=np.float64)
        wfin = bool(np.isfinite(sw).all())
        wmin = float(sw.min()) if sw.size else 1.0
        wsum = np.bincount(inv, weights=np.where(np.isfinite(sw), sw, 0.0), minlength=classes.size)
    return classes, counts.astype(np.int64), wsum, bool(np.isfinite(X).all()), wmin, wfin


def _merge_summaries(*parts):
    parts = [p for p in parts if len(p[0])]
    if not parts:
        return np.array([]), np.array([], np.int64), np.array([]), True, 1.0, True
    classes, inv = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
    inv = inv.ravel()
    counts = np.bincount(inv, weights=np.concatenate([p[1] for p in parts]), minlength=classes.size)
    wsum = np.bincount(inv, weights=np.concatenate([p[2] for p in parts]), minlength=classes.size)
    return (classes, np.rint(counts).astype(np.int64), wsum, all(p[3] for p in parts),
            min(p[4] for p in parts), all(p[5] for p in parts))


def summarise(X, y, sample_weight, *, split_every=8):
    """One pass over the data (a single ``dask.compute``): classes with counts and weight sums, checks."""
    xs = X.to_delayed().ravel().tolist()
    ys = y.to_delayed().ravel().tolist()
    ss = [None] * len(xs) if sample_weight is None else sample_weight.to_delayed().ravel().tolist()
    parts = [dask.delayed(_chunk_summary, pure=False)(a, b, c) for a, b, c in zip(xs, ys, ss)]
    while len(parts) > split_every:
        parts = [dask.delayed(_merge_summaries, pure=False)(*parts[i:i + split_every])
                 for i in range(0, len(parts), split_every)]
    (out,) = dask.compute(dask.delayed(_merge_summaries, pure=False)(*parts))
    return DataSummary(*out)
