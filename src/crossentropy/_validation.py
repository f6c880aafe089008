"""Input checks shared by every public function, estimator and the command line.

Validation happens once, at the public boundary; the private kernels trust their inputs.
Every error names the argument and the bad value. This is the one place where scalar parameters,
sample weights and class weights are checked:

- :func:`check_real`, :func:`check_int`, :func:`check_bool`, :func:`check_option`: scalar
  parameters (a bool is never a number here);
- :func:`check_sample_weight`: one finite, non-negative weight per row;
- :func:`check_offset`: the fixed logit offsets, one per row (two classes) or per row and class;
- :func:`class_weight_vector`: one weight per class from ``None``, a dict or ``"balanced"``
  (scikit-learn's rule, with the sample weights in the class counts).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

REDUCTIONS = ("none", "mean", "sum")


def _interval(low, high, low_open, high_open) -> str:
    lo = "-inf" if low is None else repr(low)
    hi = "inf" if high is None else repr(high)
    return f"{'(' if low_open or low is None else '['}{lo}, {hi}{')' if high_open or high is None else ']'}"


def check_real(value, name: str, *, low=None, high=None, low_open=False, high_open=False, allow_none=False,
               finite=True):
    """Return ``value`` as a float after checking it is a real number in the given interval.

    Parameters
    ----------
    value : object
        The user's value. A bool is refused (``True`` is not a step size); NumPy scalars are accepted.
    name : str
        The parameter's name, as the user spells it, for the message.
    low, high : float, optional
        Bounds (None: unbounded); ``low_open``/``high_open`` exclude the bound itself.
    allow_none : bool, default False
        Return None for None instead of refusing it.
    finite : bool, default True
        Refuse NaN and +-inf (NaN is always refused).

    Returns
    -------
    float or None

    Raises
    ------
    TypeError
        ``value`` is not a real number (or None where allowed).
    ValueError
        ``value`` is NaN, infinite where ``finite``, or outside the interval.

    Examples
    --------
    >>> check_real(0.5, "tol", low=0)
    0.5
    >>> check_real(0, "C", low=0, low_open=True)
    Traceback (most recent call last):
    ...
    ValueError: C must be a number in (0, inf), got 0
    """
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number{' or None' if allow_none else ''}, got {_shown(value)!r}")
    v = float(value)
    if math.isnan(v) or (finite and math.isinf(v)):
        raise ValueError(f"{name} must be a finite number, got {_shown(value)!r}")
    if (low is not None and (v < low or (low_open and v == low))) or (
            high is not None and (v > high or (high_open and v == high))):
        raise ValueError(f"{name} must be a number in {_interval(low, high, low_open, high_open)}, got {_shown(value)!r}")
    return v


def check_int(value, name: str, *, low=None, high=None, allow_none=False):
    """Return ``value`` as an int after checking it is an integer in ``[low, high]``.

    A bool is refused; NumPy integers are accepted.

    Examples
    --------
    >>> check_int(3, "max_iter", low=1)
    3
    >>> check_int(True, "max_iter", low=1)
    Traceback (most recent call last):
    ...
    TypeError: max_iter must be an integer, got True
    """
    if value is None and allow_none:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer{' or None' if allow_none else ''}, got {_shown(value)!r}")
    v = int(value)
    if (low is not None and v < low) or (high is not None and v > high):
        raise ValueError(f"{name} must be an integer in {_interval(low, high, False, False)}, got {_shown(value)!r}")
    return v


def check_bool(value, name: str) -> bool:
    """Return ``value`` as a bool; only ``True``/``False`` (or NumPy's) are accepted.

    Examples
    --------
    >>> check_bool(False, "fit_intercept")
    False
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {_shown(value)!r}")
    return bool(value)


def check_option(value, name: str, options):
    """Return ``value`` if it is one of ``options`` (compared by equality, strings by type too).

    Examples
    --------
    >>> check_option("l2", "penalty", ("l2", "l1", None))
    'l2'
    """
    for option in options:
        if (value is None and option is None) or (
                value is not None and option is not None and type(value) is type(option) and value == option):
            return value
    raise ValueError(f"{name} must be one of {tuple(options)}, got {_shown(value)!r}")


def check_sample_weight(sample_weight, n_samples: int, *, name: str = "sample_weight",
                        positive_sum: bool = True) -> np.ndarray:
    """Return the row weights as a float64 array of shape ``(n_samples,)``.

    None gives ones; a scalar is repeated. Entries must be finite and non-negative and, with
    ``positive_sum``, not all zero.

    Examples
    --------
    >>> check_sample_weight(None, 3).tolist()
    [1.0, 1.0, 1.0]
    >>> check_sample_weight([1, -1], 2)
    Traceback (most recent call last):
    ...
    ValueError: sample_weight must be non-negative, found [-1.0]
    """
    n = int(n_samples)
    if sample_weight is None:
        return np.ones(n)
    try:
        sw = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be an array of numbers, got {type(sample_weight).__name__}") from None
    if sw.ndim == 0:
        sw = np.full(n, float(sw))
    if sw.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},) (one weight per row of X), got {sw.shape}")
    if not np.isfinite(sw).all():
        raise ValueError(f"{name} must be finite, found NaN or inf: {_preview(sw[~np.isfinite(sw)])}")
    if (sw < 0).any():
        raise ValueError(f"{name} must be non-negative, found {_preview(sw[sw < 0])}")
    if positive_sum and n and not sw.max() > 0:
        raise ValueError(f"{name} must have a positive sum, got all zeros")
    return sw


def check_offset(offset, n_samples: int, n_classes: int, *, name: str = "offset"):
    r"""Return the logit offsets as float64, shape ``(n_samples,)`` for two classes, else ``(n_samples, n_classes)``.

    An offset :math:`o_i` is a fixed term of row :math:`i`'s logits, :math:`z_i = x_i^\top\theta + o_i`,
    with coefficient one (an exposure, a prior log-odds). Two classes take one column, shape (n,) or
    (n, 1); softmax one per class, shape (n, K). None stays None. Entries must be finite real numbers.

    Examples
    --------
    >>> check_offset([0.5, -1], 2, 2).tolist()
    [0.5, -1.0]
    >>> check_offset([[0.5], [-1]], 2, 3)
    Traceback (most recent call last):
    ...
    ValueError: offset must have shape (2, 3) (one column per class, 3 classes), got shape (2, 1)
    """
    if offset is None:
        return None
    if hasattr(offset, "toarray"):
        raise TypeError(f"{name} must be a dense array of real numbers, got the sparse {type(offset).__name__}")
    arr = as_float_array(offset, name).astype(np.float64, copy=False)
    n, k = int(n_samples), int(n_classes)
    if k == 2:
        if arr.shape not in ((n,), (n, 1)):
            raise ValueError(f"{name} must have shape ({n},) or ({n}, 1) (one logit offset per row, two classes), "
                             f"got shape {arr.shape}")
        return np.ascontiguousarray(arr.reshape(n))
    if arr.shape != (n, k):
        raise ValueError(f"{name} must have shape ({n}, {k}) (one column per class, {k} classes), got shape {arr.shape}")
    return np.ascontiguousarray(arr)


def class_weight_vector(class_weight, classes, weighted_counts, *, name: str = "class_weight") -> np.ndarray:
    r"""One weight per class from ``class_weight`` (None, a dict label -> weight, or ``"balanced"``).

    ``"balanced"`` is scikit-learn's rule with the sample weights counted:

    .. math::
        w_k = \frac{S}{K_+\,S_k}, \qquad S_k = \sum_{i: y_i = k} s_i,\quad S = \sum_k S_k

    with :math:`K_+` the number of classes present (:math:`S_k > 0`); an absent class gets 1. A dict
    gives the weights of the labels it names and 1 to the others.

    Parameters
    ----------
    class_weight : None, dict or "balanced"
    classes : array-like of shape (K,)
        The labels, in the order of the returned weights.
    weighted_counts : array-like of shape (K,)
        :math:`S_k`: the sample-weighted count of each class (``np.bincount(y_enc, weights=sw)``); only
        read for ``"balanced"``. The in-memory and the Dask fits both pass it.
    name : str
        The parameter's name for the messages.

    Returns
    -------
    ndarray of shape (K,), float64, finite and non-negative

    Examples
    --------
    >>> class_weight_vector("balanced", ["a", "b"], [3.0, 1.0]).tolist()
    [0.6666666666666666, 2.0]
    >>> class_weight_vector({"b": 5}, ["a", "b"], [3.0, 1.0]).tolist()
    [1.0, 5.0]

    References
    ----------
    King and Zeng, *Logistic regression in rare events data*, Political Analysis 9 (2001);
    scikit-learn, ``sklearn.utils.class_weight.compute_class_weight``.
    """
    classes = np.asarray(classes)
    K = len(classes)
    cw = np.ones(K)
    if class_weight is None:
        return cw
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"{name} must be a dict, 'balanced' or None, got {_shown(class_weight)!r}")
        counts = np.asarray(weighted_counts, dtype=np.float64)
        if counts.shape != (K,):
            raise ValueError(f"weighted_counts must have one entry per class ({K}), got shape {counts.shape}")
        present = counts > 0
        top = counts.max() if present.any() else 1.0
        rel = counts / top  # normalised first: any finite weights give a finite ratio
        cw[present] = rel.sum() / (present.sum() * rel[present])
        return cw
    if not isinstance(class_weight, dict):
        raise ValueError(f"{name} must be a dict, 'balanced' or None, got {_shown(class_weight)!r}")
    labels = classes.tolist()
    for label, weight in class_weight.items():
        hit = [i for i, c in enumerate(labels) if c == label]
        if not hit:
            raise ValueError(f"{name} has a label not in the classes {labels}: {_shown(label)!r}")
        cw[hit[0]] = check_real(weight, f"{name}[{_shown(label)!r}]", low=0)
    return cw


def _shown(value):
    """``value`` as the user would write it: a NumPy scalar becomes the Python scalar it holds
    (``np.str_('same')`` is shown as ``'same'``, ``np.float64(2.0)`` as ``2.0``).

    Examples
    --------
    >>> repr(_shown(np.str_("same"))), repr(_shown(np.float64(2.0)))
    ("'same'", '2.0')
    """
    return value.item() if isinstance(value, np.generic) else value


def _preview(x, limit: int = 5) -> str:
    flat = np.ravel(np.asarray(x))
    body = ", ".join(repr(v.item() if hasattr(v, "item") else v) for v in flat[:limit])
    return f"[{body}{', ...' if flat.size > limit else ''}]"


def check_reduction(reduction) -> str:
    """Return ``reduction`` if it is one of ``"none"``, ``"mean"``, ``"sum"``, else raise ValueError."""
    if not isinstance(reduction, str) or reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {_shown(reduction)!r}")
    return reduction


def check_label_smoothing(label_smoothing) -> float:
    """Return ``label_smoothing`` as a float in [0, 1], else raise."""
    if isinstance(label_smoothing, bool) or not isinstance(label_smoothing, numbers.Real):
        raise TypeError(f"label_smoothing must be a real number, got {_shown(label_smoothing)!r}")
    value = float(label_smoothing)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1], got {_shown(label_smoothing)!r}")
    return value


def as_float_array(x, name: str, *, finite: bool = True) -> np.ndarray:
    """Convert ``x`` to a floating ndarray, keeping float16/32/64 and turning ints/bools into float64.

    Raises TypeError for non-numeric data and ValueError for NaN or inf when ``finite``.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} must be array-like of numbers, got {type(x).__name__}: {exc}") from None
    if arr.dtype.kind in "biu":
        arr = arr.astype(np.float64)
    elif arr.dtype.kind != "f":
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}")
    elif arr.dtype == np.longdouble and arr.dtype != np.float64:
        arr = arr.astype(np.float64)
    if finite and arr.size and not np.isfinite(arr).all():
        bad = arr[~np.isfinite(arr)]
        raise ValueError(f"{name} must be finite, found {bad.size} NaN or inf value(s): {_preview(bad)}")
    return arr


def check_unit_interval(arr: np.ndarray, name: str) -> None:
    """Raise ValueError if any entry of ``arr`` lies outside [0, 1]."""
    if arr.size:
        bad = arr[(arr < 0) | (arr > 1)]
        if bad.size:
            raise ValueError(f"{name} must lie in [0, 1], found {bad.size} value(s) outside: {_preview(bad)}")


def check_same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    """Raise ValueError unless ``a`` and ``b`` have the same shape."""
    if a.shape != b.shape:
        raise ValueError(f"{name_b} must have the same shape as {name_a}: got {b.shape} and {a.shape}")


def check_broadcastable(arr, shape: tuple, name: str, *, nonnegative: bool = True) -> np.ndarray:
    """Return ``arr`` as a float64 array that broadcasts to ``shape`` (finite, optionally >= 0)."""
    out = as_float_array(arr, name).astype(np.float64, copy=False)
    try:
        fits = np.broadcast_shapes(out.shape, shape) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"{name} of shape {out.shape} does not broadcast to the input shape {tuple(shape)}")
    if nonnegative and (out < 0).any():
        raise ValueError(f"{name} must be non-negative, found {_preview(out[out < 0])}")
    return out


def check_class_weight(weight, n_classes: int, name: str = "weight") -> np.ndarray | None:
    """Return a float64 vector of length ``n_classes`` with non-negative finite entries, or None."""
    if weight is None:
        return None
    w = as_float_array(weight, name).astype(np.float64, copy=False)
    if w.ndim != 1 or w.shape[0] != n_classes:
        raise ValueError(f"{name} must be a 1-D array with one entry per class ({n_classes}), got shape {w.shape}")
    if (w < 0).any():
        raise ValueError(f"{name} must be non-negative, found {_preview(w[w < 0])}")
    return w


def check_index_target(target: np.ndarray, n_classes: int, ignore_index, name: str = "target") -> np.ndarray:
    """Check integer class indices lie in [0, n_classes) except where equal to ``ignore_index``.

    Returns a boolean mask of the positions that count (not ignored).
    """
    if ignore_index is not None and (isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral)):
        raise TypeError(f"ignore_index must be an integer or None, got {_shown(ignore_index)!r}")
    keep = np.ones(target.shape, dtype=bool) if ignore_index is None else target != ignore_index
    kept = target[keep]
    if kept.size:
        bad = kept[(kept < 0) | (kept >= n_classes)]
        if bad.size:
            raise ValueError(
                f"{name} holds class indices outside [0, {n_classes}) (ignore_index={ignore_index!r}): {_preview(bad)}"
            )
    return keep


def check_nonempty_for_mean(size: int, reduction: str, name: str) -> None:
    """Raise ValueError when a mean is asked of an empty input."""
    if size == 0 and reduction == "mean":
        raise ValueError(f"{name} is empty: reduction='mean' is undefined for an empty input")


def check_z_loss(z_loss) -> float:
    """``z_loss`` as a float, finite and >= 0 (ValueError/TypeError naming it otherwise)."""
    if type(z_loss) is float and 0.0 <= z_loss < math.inf:  # the usual case, without check_real's work
        return z_loss
    return check_real(z_loss, "z_loss", low=0)


def check_softcap(softcap):
    """``softcap`` as a float, finite and > 0, or None (off)."""
    return check_real(softcap, "softcap", low=0, low_open=True, allow_none=True)


def check_alpha_scalar(alpha, **bounds):
    """The focal losses' scalar ``alpha`` (or None) as a float; an array where a scalar is asked is a ValueError."""
    if alpha is not None and np.ndim(alpha) != 0:
        raise ValueError(f"alpha must be a number or None, got an array of shape {np.shape(alpha)}")
    return check_real(alpha, "alpha", allow_none=True, **bounds)


def check_block_size(block_size):
    """None, a positive int (rows), or a pair of positive ints (rows, classes)."""
    if block_size is None:
        return None
    parts = block_size if isinstance(block_size, tuple) else (block_size,)
    if len(parts) not in (1, 2):
        raise TypeError(f"block_size must be a positive int or a pair of positive ints (rows, classes), "
                        f"got {block_size!r}")
    checked = tuple(check_int(p, f"block_size {block_size!r}: each entry") for p in parts)
    if any(p < 1 for p in checked):
        raise ValueError(f"block_size must be positive, got {block_size!r}")
    return checked if len(checked) == 2 else checked[0]
