r"""Checks of an ``MLPClassifier`` fit made before any work: the row weights and the memory it needs.

- :func:`usable_weights`: sample and class weights that give at least one row a positive weight, and
  whose products stay in a range where the objective
  :math:`J = [\sum_i s_i c_{y_i} \ell_i + \tfrac{\alpha}{2}\lVert W\rVert^2] / \sum_i s_i c_{y_i}` is finite;
- :func:`check_memory`: the network's parameters, their gradients and optimiser state and one
  minibatch's activations must fit in the memory the machine has available.
"""

from __future__ import annotations

import os

import numpy as np

from ..losses._reduction import normalise_weights

__all__ = ["WEIGHT_RANGE", "usable_weights", "training_bytes", "available_memory", "check_memory"]

#: Row weights whose largest entry lies outside [1/WEIGHT_RANGE, WEIGHT_RANGE] are taken relative to it
#: (divided by a power of two): beyond 2**512 the squares of the weighted sums overflow float64, and the
#: penalty's share of the objective would be 1e154 times too large or too small to train.
WEIGHT_RANGE = 2.0 ** 512


def usable_weights(y_int, sample_weight, class_weight):
    r"""``(sample_weight, class_weight)`` for training, after checking that some row has a positive weight.

    The row weight is :math:`s_i c_{y_i}`. When every row weight is 0 (for example a ``class_weight``
    of 0 for every class in ``y``) a ValueError names ``class_weight`` and ``sample_weight``. Weights of
    ordinary size are returned unchanged; when the largest row weight lies outside
    [1/:data:`WEIGHT_RANGE`, :data:`WEIGHT_RANGE`] (``sample_weight=1e-320``, ``class_weight`` of 1e308),
    the sample and class weights are divided by powers of two so that it lies in [1, 2): such weights
    are read as relative weights (``alpha`` then applies to weights of order one).

    Parameters
    ----------
    y_int : ndarray of int, shape (n,)
    sample_weight : ndarray of shape (n,) or None
    class_weight : ndarray of shape (K,) or None

    Returns
    -------
    (ndarray or None, ndarray or None)

    Examples
    --------
    >>> import numpy as np
    >>> sw, cw = usable_weights(np.array([0, 1]), np.array([1e-320, 1e-320]), None)
    >>> sw.tolist()   # 1e-320 = 1.9765625 * 2**-1064
    [1.9765625, 1.9765625]
    """
    s = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    c = None if class_weight is None else np.asarray(class_weight, dtype=np.float64)
    s_n = np.ones(y_int.shape[0]) if s is None else normalise_weights(s)[0]
    c_n = None if c is None else normalise_weights(c)[0]
    rows = s_n if c_n is None else s_n * c_n[y_int]
    if not rows.size or not rows.max() > 0:
        raise ValueError("sample_weight times class_weight is zero on every row: at least one class present in y "
                         "needs a positive class_weight (and some of its rows a positive sample_weight)")
    top = _largest_row_weight(s, c, y_int)
    if 1.0 / WEIGHT_RANGE <= top <= WEIGHT_RANGE:
        return sample_weight, class_weight
    if c is None:
        return normalise_weights(rows)[0], None
    return _split(s_n, c_n, rows), c_n


def _split(s_n, c_n, rows):
    """Sample weights that, times the class weights ``c_n``, give ``rows`` divided by a power of two."""
    _, r_scale = normalise_weights(rows)
    return s_n / r_scale


def _largest_row_weight(s, c, y_int) -> float:
    """:math:`\\max_i s_i c_{y_i}` in float64 (inf when it overflows, 0 when it underflows)."""
    with np.errstate(over="ignore", under="ignore"):
        rows = (np.ones(y_int.shape[0]) if s is None else s) * (1.0 if c is None else c[y_int])
    return float(rows.max()) if rows.size else 0.0


def training_bytes(units, batch: int, itemsize: int, optimizer_copies: int) -> int:
    r"""Bytes a training run holds: parameters, gradient and optimiser state, and one minibatch's activations.

    .. math::
        P = \sum_l (u_{l-1} + 1)\,u_l, \qquad
        \text{bytes} = \big[(2 + k)\,P + 3\,b\sum_l u_l\big] \times \text{itemsize}

    with :math:`u` the layer widths (input and output included), :math:`k` the optimiser's copies
    (2 for Adam's moments, 1 for momentum) and :math:`b` the minibatch size (activations, their
    pre-activations and the backpropagated deltas).

    Examples
    --------
    >>> training_bytes((4, 10, 3), 200, 8, 2)   # P = 5*10 + 11*3 = 83: (4*83 + 3*200*13) * 8
    65056
    """
    units = [int(u) for u in units]
    params = sum((a + 1) * b for a, b in zip(units[:-1], units[1:]))
    return ((2 + int(optimizer_copies)) * params + 3 * int(batch) * sum(units[1:])) * int(itemsize)


def available_memory() -> int | None:
    """Bytes of memory available to a new allocation: ``MemAvailable`` of ``/proc/meminfo``, else the
    physical memory, else None (unknown).

    Examples
    --------
    >>> m = available_memory()
    >>> m is None or m > 0
    True
    """
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def check_memory(hidden, units, batch: int, dtype, optimizer_copies: int) -> None:
    """Refuse, before anything is allocated, a network whose training needs more memory than is available.

    Raises ValueError naming ``hidden_layer_sizes`` with the estimate and the memory available.

    Examples
    --------
    >>> check_memory((10,), (4, 10, 3), 200, np.float64, 2)   # a few kB: fine
    """
    need = training_bytes(units, batch, np.dtype(dtype).itemsize, optimizer_copies)
    have = available_memory()
    if have is not None and need > have:
        params = sum((int(a) + 1) * int(b) for a, b in zip(units[:-1], units[1:]))
        raise ValueError(f"hidden_layer_sizes={tuple(hidden)!r} needs about {need / 2**30:.1f} GiB to train "
                         f"({params:,} parameters in {np.dtype(dtype).name}, with their gradients, the optimiser's "
                         f"state and a minibatch of {batch} rows), but only {have / 2**30:.1f} GiB of memory are "
                         "available; use smaller hidden layers")
