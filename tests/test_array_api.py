"""Every public loss and special function on arrays of other libraries (array API standard).

Oracles: the NumPy result of the same call (computed by the NumPy code, which the rest of the suite
holds to PyTorch, scikit-learn and float64 definitions). Through a NumPy view the NumPy code itself
runs: equal bit for bit. Through the generic array-API implementation (forced here on array_api_strict
input, and taken by PyTorch tensors that require grad): equal to float64 rounding (a few ulps, 1e-14
relative). Gradients of the generic path under PyTorch autograd are held to the NumPy function's
analytic gradient. The result type is the caller's (array_api_strict.Array, torch.Tensor) and its
device is kept.
"""

from __future__ import annotations

import subprocess
import sys

import array_api_strict as xs
import numpy as np
import pytest
import torch

import crossentropy as ce
import crossentropy._array_api as aa
import crossentropy.losses
import crossentropy.special

RNG = np.random.default_rng(0)
_X = RNG.normal(size=(5, 4)) * 3
_Y = np.array([0, 3, 2, 1, 2])
_P = RNG.uniform(0.01, 0.99, size=(5, 4))
_T = (RNG.uniform(size=(5, 4)) > 0.5).astype(np.float64)
_W = RNG.uniform(0.5, 2.0, size=4)
_Q = RNG.dirichlet(np.ones(4), size=5)
_A, _B = RNG.normal(size=(5, 3)), RNG.normal(size=(4, 3))
_BIAS, _S = RNG.normal(size=4), RNG.uniform(0, 2, size=5)
_X3 = RNG.normal(size=(2, 4, 3))

CASES = [
    ("sigmoid", (_X,), {}),
    ("log_sigmoid", (_X * 100,), {}),
    ("softplus", (_X * 100,), {}),
    ("logsumexp", (_X,), {}),
    ("logsumexp", (_X3,), {"axis": None}),
    ("log_softmax", (_X,), {"axis": 0}),
    ("softmax", (_X3,), {"axis": 1}),
    ("binary_cross_entropy", (_P, _T), {"weight": _W, "reduction": "none"}),
    ("binary_cross_entropy_with_logits", (_X, _T),
     {"weight": _W, "pos_weight": _W, "label_smoothing": 0.1, "return_grad": True}),
    ("cross_entropy", (_X, _Y), {"weight": _W, "ignore_index": 2, "label_smoothing": 0.1, "return_grad": True,
                                 "z_loss": 0.1, "softcap": 2.0, "return_lse": True}),
    ("cross_entropy", (_X3, _Y[:3].reshape(1, 3).repeat(2, 0)), {"axis": 1, "reduction": "sum", "return_grad": True}),
    ("cross_entropy", (_X, _Q), {"weight": _W, "reduction": "none", "return_grad": True}),
    ("nll_loss", (np.log(_Q), _Y), {"weight": _W, "ignore_index": 1}),
    ("sigmoid_focal_loss", (_X, _P), {"reduction": "sum"}),
    ("softmax_focal_loss", (_X, _Y), {"alpha": _W, "ignore_index": 0}),
    ("linear_cross_entropy", (_A, _B, _Y), {"bias": _BIAS, "weight": _W, "sample_weight": _S, "return_grad": True,
                                            "z_loss": 0.1, "return_lse": True, "label_smoothing": 0.1}),
    ("linear_cross_entropy", (_A, _B, _Y), {"bias": _BIAS, "reduction": "none", "return_grad": True,
                                            "block_size": 2}),
]


def _function(name):
    return getattr(crossentropy.losses, name, None) or getattr(crossentropy.special, name)


def _convert(value, to):
    return to(value) if isinstance(value, np.ndarray) else value


def _flat(result):
    if isinstance(result, tuple):
        for r in result:
            yield from _flat(r)
    elif result is not None:
        yield result


def _compare(name, args, kwargs, to, module, exact):
    f = _function(name)
    expected = list(_flat(f(*args, **kwargs)))
    got = list(_flat(f(*[_convert(a, to) for a in args], **{k: _convert(v, to) for k, v in kwargs.items()})))
    assert len(got) == len(expected)
    for e, g in zip(expected, got):
        assert type(g).__module__.split(".")[0] == module
        assert tuple(g.shape) == np.shape(e)
        g_np = g.detach().numpy() if module == "torch" else np.from_dlpack(g)
        assert g_np.dtype == np.asarray(e).dtype
        if exact:
            np.testing.assert_array_equal(g_np, e)
        else:
            # float64 rounding of the array as a whole (sums of products cancel in the linear gradients)
            np.testing.assert_allclose(g_np, e, rtol=1e-14, atol=1e-14 * float(np.max(np.abs(e), initial=0.0)))


def test_cases_cover_every_public_function():
    names = {name for name, _, _ in CASES}
    assert names == set(crossentropy.losses.__all__) | set(crossentropy.special.__all__)


LIBRARIES = {"array_api_strict": xs.asarray, "torch": torch.from_numpy}


@pytest.mark.parametrize("generic", [False, True], ids=["numpy-view", "generic"])
@pytest.mark.parametrize("library", sorted(LIBRARIES))
@pytest.mark.parametrize("name,args,kwargs", CASES, ids=[c[0] for c in CASES])
def test_other_libraries_give_the_numpy_result(name, args, kwargs, library, generic, monkeypatch):
    """Through a NumPy view: the NumPy result bit for bit; through the generic path: to float64 rounding."""
    monkeypatch.setattr(aa, "FORCE_GENERIC", generic)
    _compare(name, args, kwargs, LIBRARIES[library], library, exact=not generic)


def test_results_keep_the_device():
    device = xs.Device("device1")
    x = xs.asarray(_X, device=device)
    y = xs.asarray(_Y, device=device)
    for result in (ce.softmax(x), *ce.cross_entropy(x, y, return_grad=True, return_lse=True)):
        assert result.device == device


def test_views_share_memory_and_run_the_fused_kernel(monkeypatch):
    """A CPU tensor is read without a copy, the fused kernel writes the gradient into ``out``'s memory."""
    import crossentropy._kernels as kernels

    calls = []
    original = kernels.fused_hard_rows
    monkeypatch.setattr(kernels, "fused_hard_rows", lambda *a, **k: calls.append(1) or original(*a, **k))
    x = torch.tensor(_X)
    out = torch.empty_like(x)
    loss, grad = ce.cross_entropy(x, torch.tensor(_Y), return_grad=True, out=out)
    assert grad is out and calls
    expected = ce.cross_entropy(_X, _Y, return_grad=True)
    np.testing.assert_array_equal(out.numpy(), expected[1])
    assert loss.dtype == torch.float64 and loss.item() == expected[0]


def test_tensor_requiring_grad_keeps_autograd():
    """The generic formulas in torch ops: autograd's gradient equals the NumPy function's analytic one."""
    x = torch.tensor(_X, requires_grad=True)
    loss = ce.cross_entropy(x, torch.tensor(_Y), weight=torch.tensor(_W), label_smoothing=0.1, z_loss=0.05,
                            softcap=3.0)
    loss.backward()
    value, grad = ce.cross_entropy(_X, _Y, weight=_W, label_smoothing=0.1, z_loss=0.05, softcap=3.0,
                                   return_grad=True)
    np.testing.assert_allclose(loss.item(), value, rtol=1e-14)
    np.testing.assert_allclose(x.grad.numpy(), grad, rtol=1e-12, atol=1e-15)
    A, B = torch.tensor(_A, requires_grad=True), torch.tensor(_B, requires_grad=True)
    ce.linear_cross_entropy(A, B, torch.tensor(_Y), sample_weight=torch.tensor(_S), softcap=1.5).backward()
    _, (dA, dB, _) = ce.linear_cross_entropy(_A, _B, _Y, sample_weight=_S, softcap=1.5, return_grad=True)
    np.testing.assert_allclose(A.grad.numpy(), dA, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(B.grad.numpy(), dB, rtol=1e-12, atol=1e-15)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device")
def test_cuda_tensors_stay_on_the_device():  # pragma: no cover - needs a GPU
    x = torch.tensor(_X, device="cuda")
    loss, grad = ce.cross_entropy(x, torch.tensor(_Y, device="cuda"), return_grad=True, z_loss=0.1)
    assert loss.device.type == grad.device.type == "cuda"
    expected = ce.cross_entropy(_X, _Y, return_grad=True, z_loss=0.1)
    np.testing.assert_allclose(grad.cpu().numpy(), expected[1], rtol=1e-12, atol=1e-15)


def test_cupy_where_present():  # pragma: no cover - needs CuPy and a GPU
    cp = pytest.importorskip("cupy")
    x = cp.asarray(_X)
    lse = ce.logsumexp(x)
    assert isinstance(lse, cp.ndarray)
    np.testing.assert_allclose(cp.asnumpy(lse), ce.logsumexp(_X), rtol=1e-14)


def test_jax_where_present():
    jnp = pytest.importorskip("jax.numpy")
    np.testing.assert_allclose(np.asarray(ce.softmax(jnp.asarray(_X, dtype=jnp.float32))),
                               ce.softmax(_X.astype(np.float32)), rtol=1e-6)


@pytest.mark.parametrize("call,exc,word", [
    (lambda x, y: ce.cross_entropy(x, y, z_loss=-1.0), ValueError, "z_loss"),
    (lambda x, y: ce.cross_entropy(x, y, softcap=0.0), ValueError, "softcap"),
    (lambda x, y: ce.cross_entropy(x, y + 10), ValueError, "target"),
    (lambda x, y: ce.cross_entropy(x * float("nan"), y), ValueError, "logits"),
    (lambda x, y: ce.cross_entropy(x, y, reduction="avg"), ValueError, "reduction"),
    (lambda x, y: ce.cross_entropy(x, y, return_grad=True, out=x), TypeError, "out"),
    (lambda x, y: ce.linear_cross_entropy(x, x, y, sample_weight=x), ValueError, "sample_weight"),
    (lambda x, y: ce.binary_cross_entropy(x, x), ValueError, "proba"),
])
def test_generic_path_checks_arguments_by_name(call, exc, word, monkeypatch):
    monkeypatch.setattr(aa, "FORCE_GENERIC", True)
    with pytest.raises(exc, match=word):
        call(xs.asarray(_X), xs.asarray(_Y))


def test_mixed_libraries_are_refused():
    with pytest.raises(TypeError):
        ce.cross_entropy(torch.tensor(_X), xs.asarray(_Y))


def test_numpy_only_user_imports_nothing_more():
    code = ("import sys, numpy as np, crossentropy as ce; ce.cross_entropy(np.zeros((2, 3)), np.array([0, 1])); "
            "ce.softmax([1.0, 2.0]); print(sorted(m for m in ('array_api_compat', 'torch', 'array_api_strict') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _bce_definition(x, t, w):
    """Weighted binary cross-entropy with logits, each row evaluated in float64 (the definition)."""
    x, t, w = (np.asarray(v, dtype=np.float64) for v in (x, t, w))
    return w * (np.logaddexp(0.0, x) - x * t)


def _ce_definition(z, y, w):
    z, w = np.asarray(z, dtype=np.float64), np.asarray(w, dtype=np.float64)
    lse = np.log(np.sum(np.exp(z - z.max(axis=1, keepdims=True)), axis=1)) + z.max(axis=1)
    return w[y] * (lse - z[np.arange(len(y)), y])


_X32 = np.array([30.0, -20.0, 5.0], dtype=np.float32)
_T32 = np.array([0.0, 1.0, 1.0], dtype=np.float32)
_Z32 = np.array([[30.0, -20.0, 5.0], [1.0, 2.0, 3.0], [3e38, -3e38, 0.0]], dtype=np.float32)
_Y32 = np.array([1, 0, 1])
EXTREME = [  # float32 inputs whose float32 evaluation overflows or loses the weights: float64 gives the value
    ("binary_cross_entropy_with_logits", (_X32, _T32), {"weight": np.float32([3e38, 3e38, 1.0])}),
    ("binary_cross_entropy_with_logits", (_X32, _T32), {"weight": np.float32([1e-45, 1e-45, 3e-45])}),
    ("cross_entropy", (_Z32[:2], _Y32[:2]), {"weight": np.float32([3e38, 3e38, 1.0])}),
    ("cross_entropy", (_Z32, _Y32), {"weight": np.float32([1.0, 2.0, 1e-45])}),
    ("cross_entropy", (_Z32[2:], _Y32[2:]), {}),
]


@pytest.mark.parametrize("reduction", ["mean", "sum"])
@pytest.mark.parametrize("library", ["array_api_strict", "torch-grad"])
@pytest.mark.parametrize("name,args,kwargs", EXTREME, ids=[f"{c[0]}-{i}" for i, c in enumerate(EXTREME)])
def test_generic_path_computes_extremes_in_float64(name, args, kwargs, library, reduction, monkeypatch):
    """Weights of 3e38 or 1e-45 and logits of 3e38 in float32, on the generic path: the finite value of the
    definition evaluated in float64, never inf nor digits lost (as the NumPy path gives it)."""
    monkeypatch.setattr(aa, "FORCE_GENERIC", True)
    if name == "cross_entropy":
        rows = _ce_definition(args[0], args[1], kwargs.get("weight", np.ones(3, np.float32)))
        den = float(np.sum(np.asarray(kwargs.get("weight", np.ones(3)), np.float64)[args[1]]))
    else:
        rows, den = _bce_definition(*args, kwargs["weight"]), 3.0
    want = rows.sum() if reduction == "sum" else rows.sum() / den
    assert np.isfinite(want)
    if library == "torch-grad":
        to = torch.from_numpy
        x = torch.tensor(args[0], requires_grad=True)
        got = _function(name)(x, *[to(a) for a in args[1:]], reduction=reduction,
                              **{k: to(v) for k, v in kwargs.items()})
        got.backward()
        assert torch.isfinite(x.grad).all()
        value = got.item()
    else:
        got = _function(name)(*[xs.asarray(a) for a in args], reduction=reduction,
                              **{k: xs.asarray(v) for k, v in kwargs.items()})
        value = float(np.from_dlpack(got))
    # float32 inputs: the value to float32's precision (the NumPy path may compute in float32 after scaling
    # the weights by a power of two; this path computes such cases in float64)
    np.testing.assert_allclose(value, want, rtol=1e-6)
    np.testing.assert_allclose(value, _function(name)(*args, reduction=reduction, **kwargs), rtol=1e-6)
