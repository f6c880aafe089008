r"""Any array library for the functional losses and the special functions, through the array API standard.

:func:`array_api` wraps each public function of :mod:`crossentropy.special` and :mod:`crossentropy.losses`.
A call whose arguments are NumPy arrays, scalars or lists goes straight to the NumPy function (one type
check per argument; ``array_api_compat`` is never imported). A call with arrays of another library
(PyTorch, CuPy, JAX, ``array_api_strict``, ... anything ``array_api_compat.array_namespace`` knows):

1. When every such array can be read as a NumPy array without a copy (``Tensor.numpy()`` for a CPU tensor
   that does not require grad, ``numpy.from_dlpack`` for the others on the CPU), the NumPy function runs
   on those views, with its fused kernels, and its arrays come back in the caller's library and on its
   device (``torch.from_numpy`` shares the memory; other libraries receive ``xp.asarray``). An argument
   the NumPy function returns itself (``out``) comes back as the caller's own array.
2. Otherwise (a GPU array, a tensor that requires grad, a dtype NumPy lacks) the generic implementation
   of the same stable formulas runs in the caller's namespace (:mod:`crossentropy._generic`): the
   result stays on its device and, for PyTorch, autograd follows the computation.

Scalar results (``"mean"``, ``"sum"``) come back as 0-d float64 arrays of the caller's library.
"""

from __future__ import annotations

import functools
import numbers

import numpy as np

_PLAIN = (np.ndarray, np.generic, numbers.Number, list, tuple, str, type(None))
_PLAIN_TYPES = frozenset({np.ndarray, float, int, bool, str, list, tuple, type(None)})


def _foreign(value) -> bool:
    """An array of another library than NumPy."""
    if type(value) in _PLAIN_TYPES:  # the usual arguments, in one set lookup
        return False
    return not isinstance(value, _PLAIN) and (hasattr(value, "__array_namespace__") or hasattr(value, "__dlpack__"))


def array_api(generic):
    """Decorator: the NumPy function for NumPy input, else the dispatch described in the module docstring.

    ``generic(xp, *args, **kwargs)``: the same function written with the array API namespace ``xp``.
    """
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            for value in (*args, *kwargs.values()):
                if _foreign(value):
                    return call_foreign(func, generic, args, kwargs)
            return func(*args, **kwargs)

        return wrapper

    return decorate


def namespace(foreign):
    """``(xp, like)``: the array API namespace of the arrays ``foreign`` (via ``array_api_compat``) and the first."""
    try:
        import array_api_compat
    except ImportError:  # pragma: no cover - the `array` extra is not installed
        raise ImportError("arrays of libraries other than NumPy need array-api-compat: "
                          "pip install 'crossentropy[array]'") from None
    return array_api_compat.array_namespace(*foreign), foreign[0]


def numpy_view(value):
    """A NumPy array sharing ``value``'s memory, or None when there is none without a copy (or it would
    lose an autograd graph)."""
    module = type(value).__module__.split(".")[0]
    if module == "torch":
        if value.device.type != "cpu" or value.requires_grad or value.is_conj() or value.is_neg():
            return None
        try:
            return value.numpy()
        except (TypeError, RuntimeError):  # bfloat16 and other dtypes NumPy lacks
            return None
    try:
        return np.from_dlpack(value)
    except (BufferError, TypeError, RuntimeError, ValueError, AttributeError):
        return None


#: tests set this to True to run the generic implementation even where a NumPy view exists
FORCE_GENERIC = False


def call_foreign(func, generic, args, kwargs):
    """Run ``func`` on NumPy views of the foreign arrays, or ``generic`` in their namespace."""
    foreign = [v for v in (*args, *kwargs.values()) if _foreign(v)]
    xp, like = namespace(foreign)
    views = {id(v): numpy_view(v) for v in foreign}
    if FORCE_GENERIC or any(view is None for view in views.values()):
        return generic(xp, *args, **kwargs)
    mapped = {id(v): v for v in foreign}

    def view(v):
        return views[id(v)] if _foreign(v) else v

    result = func(*map(view, args), **{k: view(v) for k, v in kwargs.items()})
    originals = {id(views[key]): mapped[key] for key in views}
    return _wrap(result, xp, like, originals)


def _wrap(result, xp, like, originals):
    """``result`` (NumPy arrays, scalars, tuples of them, None) as arrays of ``like``'s library and device."""
    if isinstance(result, tuple):
        return tuple(_wrap(r, xp, like, originals) for r in result)
    if result is None:
        return None
    if id(result) in originals:
        return originals[id(result)]
    arr = np.asarray(result)
    if type(like).__module__.split(".")[0] == "torch":
        import torch

        return torch.from_numpy(arr if arr.flags.writeable else arr.copy())
    import array_api_compat

    return xp.asarray(arr, device=array_api_compat.device(like))
