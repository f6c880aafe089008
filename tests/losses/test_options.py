"""z_loss, softcap, return_lse (cross_entropy, linear_cross_entropy) and sample_weight (linear_cross_entropy).

Oracles: a float64 evaluation of each definition written out here in NumPy (soft-cap c tanh(x/c), the
log-sum-exp, PaLM's z-loss lambda * lse^2 weighted like the row, per-token weights in the weighted mean),
and the PyTorch composition that computes it (torch.tanh, torch.logsumexp, F.cross_entropy) with torch
autograd for the gradients. float64 agrees to 1e-12 relative; float32 to 1e-5.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import crossentropy as ce

REDUCTIONS = ("mean", "sum", "none")
OPTIONS = [dict(z_loss=1e-2), dict(softcap=2.5), dict(return_lse=True), dict(z_loss=0.3, softcap=1.5, return_lse=True)]


def _definition(x, y, *, z_loss=0.0, softcap=None, s=None, weight=None, ignore_index=None):
    """Per-row losses, row weights a_n and lse of the options' definition, in float64, without our code."""
    z = x.astype(np.float64)
    if softcap is not None:
        z = softcap * np.tanh(z / softcap)
    m = z.max(axis=1)
    lse = m + np.log(np.exp(z - m[:, None]).sum(axis=1))
    keep = np.ones(len(y)) if ignore_index is None else (y != ignore_index).astype(float)
    safe = np.where(keep > 0, y, 0)
    w_y = np.ones(len(y)) if weight is None else weight[safe]
    s = np.ones(len(y)) if s is None else s
    a = keep * w_y * s
    rows = a * (lse - z[np.arange(len(y)), safe]) + z_loss * a * lse ** 2
    return rows, a, lse


def _reduce(rows, a, reduction):
    return rows.sum() / a.sum() if reduction == "mean" else rows.sum() if reduction == "sum" else rows


def _torch_rows(z, y, *, z_loss=0.0, softcap=None, s=None, weight=None, ignore_index=None, label_smoothing=0.0,
                reduction="mean"):
    """The PyTorch composition: capped logits, F.cross_entropy rows, z-loss, the weighted mean."""
    if softcap is not None:
        z = softcap * torch.tanh(z / softcap)
    yt = torch.as_tensor(y)
    ii = -100 if ignore_index is None else ignore_index
    wt = None if weight is None else torch.as_tensor(weight, dtype=z.dtype)
    rows = F.cross_entropy(z, yt, weight=wt, ignore_index=ii, label_smoothing=label_smoothing, reduction="none")
    lse = torch.logsumexp(z, dim=1)
    keep = (yt != ii).to(z.dtype)
    a = keep * (1.0 if wt is None else wt[torch.where(yt != ii, yt, 0)])
    if s is not None:
        st = torch.as_tensor(s, dtype=z.dtype)
        rows, a = rows * st, a * st
    rows = rows + z_loss * a * lse ** 2
    total = rows.sum() / a.sum() if reduction == "mean" else rows.sum() if reduction == "sum" else rows
    return total, lse


@pytest.fixture(scope="module")
def problem():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(9, 6)) * 3
    y = rng.integers(0, 6, size=9)
    y[2] = 1
    return x, y, rng.uniform(0.5, 2.0, size=6)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", OPTIONS)
def test_cross_entropy_options_equal_their_definition(problem, opts, reduction):
    x, y, w = problem
    rows, a, lse = _definition(x, y, z_loss=opts.get("z_loss", 0.0), softcap=opts.get("softcap"), weight=w,
                               ignore_index=1)
    out = ce.cross_entropy(x, y, weight=w, ignore_index=1, reduction=reduction, **opts)
    value = out[0] if opts.get("return_lse") else out
    np.testing.assert_allclose(value, _reduce(rows, a, reduction), rtol=1e-12, atol=1e-14)
    if opts.get("return_lse"):
        np.testing.assert_allclose(out[1], lse, rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", OPTIONS)
def test_cross_entropy_options_equal_torch_composition_with_gradients(problem, opts, reduction, dtype):
    x, y, w = problem
    x = x.astype(dtype)
    kw = dict(weight=w, ignore_index=1, label_smoothing=0.1)
    value, *rest = ce.cross_entropy(x, y, reduction=reduction, return_grad=True, **kw, **opts)
    xt = torch.tensor(x, requires_grad=True)
    total, lse = _torch_rows(xt, y, z_loss=opts.get("z_loss", 0.0), softcap=opts.get("softcap"), reduction=reduction,
                             **kw)
    total.sum().backward()
    tol = dict(rtol=1e-12, atol=1e-14) if dtype == np.float64 else dict(rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(value, total.detach().numpy(), **tol)
    np.testing.assert_allclose(rest[-1], xt.grad.numpy(), **tol)
    assert rest[-1].dtype == dtype
    if opts.get("return_lse"):
        np.testing.assert_allclose(rest[0], lse.detach().numpy(), **tol)
        assert rest[0].dtype == dtype


def test_cross_entropy_options_on_probability_targets_and_other_axis():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(2, 5, 3)) * 4
    q = rng.dirichlet(np.ones(5), size=(2, 3)).transpose(0, 2, 1)
    value, lse, grad = ce.cross_entropy(x, q, axis=1, z_loss=0.05, softcap=3.0, return_lse=True, return_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    z = 3.0 * torch.tanh(xt / 3.0)
    lse_t = torch.logsumexp(z, dim=1)
    total = F.cross_entropy(z, torch.tensor(q)) + 0.05 * (lse_t ** 2).mean()
    total.backward()
    np.testing.assert_allclose(value, total.item(), rtol=1e-12)
    np.testing.assert_allclose(lse, lse_t.detach().numpy(), rtol=1e-13)
    np.testing.assert_allclose(grad, xt.grad.numpy(), rtol=1e-11, atol=1e-15)


def test_cross_entropy_z_loss_gradient_in_place():
    """out=logits: the gradient overwrites the logits, which the z-loss still needs (central differences)."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(4, 7))
    y = rng.integers(0, 7, size=4)
    f = lambda a: ce.cross_entropy(a, y, z_loss=0.2, softcap=2.0)  # noqa: E731
    h = 1e-6
    fd = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[i] = h
        fd[i] = (f(x + e) - f(x - e)) / (2 * h)
    work = x.copy()
    _, grad = ce.cross_entropy(work, y, z_loss=0.2, softcap=2.0, return_grad=True, out=work)
    assert grad is work
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("block", [None, 3, (3, 2)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [{}] + OPTIONS)
def test_linear_options_and_sample_weight_equal_torch(opts, reduction, block):
    rng = np.random.default_rng(6)
    n, d, c = 8, 3, 5
    X, W, b = rng.normal(size=(n, d)), rng.normal(size=(c, d)) * 2, rng.normal(size=c)
    y, w, s = rng.integers(0, c, size=n), rng.uniform(0.5, 2, size=c), rng.uniform(0, 2, size=n)
    y[0] = 2
    kw = dict(weight=w, ignore_index=2, label_smoothing=0.1)
    value, *rest = ce.linear_cross_entropy(X, W, y, bias=b, sample_weight=s, reduction=reduction, return_grad=True,
                                           block_size=block, **kw, **opts)
    Xt, Wt, bt = (torch.tensor(a, requires_grad=True) for a in (X, W, b))
    total, lse = _torch_rows(Xt @ Wt.T + bt, y, z_loss=opts.get("z_loss", 0.0), softcap=opts.get("softcap"), s=s,
                             reduction=reduction, **kw)
    total.sum().backward()
    np.testing.assert_allclose(value, total.detach().numpy(), rtol=1e-12, atol=1e-14)
    for ours, theirs in zip(rest[-1], (Xt, Wt, bt)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-11, atol=1e-13)
    if opts.get("return_lse"):
        np.testing.assert_allclose(rest[0], lse.detach().numpy(), rtol=1e-13)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_linear_options_equal_their_definition(reduction):
    rng = np.random.default_rng(7)
    X, W = rng.normal(size=(6, 4)), rng.normal(size=(9, 4))
    y, s = rng.integers(0, 9, size=6), rng.uniform(0, 3, size=6)
    rows, a, lse = _definition(X @ W.T, y, z_loss=0.1, softcap=1.0, s=s)
    value, lse_ours = ce.linear_cross_entropy(X, W, y, sample_weight=s, z_loss=0.1, softcap=1.0, return_lse=True,
                                              reduction=reduction)
    np.testing.assert_allclose(value, _reduce(rows, a, reduction), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(lse_ours, lse, rtol=1e-13)


def test_linear_float32_options_against_torch():
    rng = np.random.default_rng(8)
    X, W = rng.normal(size=(40, 16)).astype(np.float32), rng.normal(size=(300, 16)).astype(np.float32)
    y = rng.integers(0, 300, size=40)
    value, lse, (dX, dW, _) = ce.linear_cross_entropy(X, W, y, z_loss=1e-3, softcap=5.0, return_lse=True,
                                                      return_grad=True)
    Xt, Wt = torch.tensor(X, requires_grad=True), torch.tensor(W, requires_grad=True)
    total, lse_t = _torch_rows(Xt @ Wt.T, y, z_loss=1e-3, softcap=5.0)
    total.backward()
    assert lse.dtype == dX.dtype == np.float32
    np.testing.assert_allclose(value, total.item(), rtol=1e-5)
    np.testing.assert_allclose(lse, lse_t.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(dX, Xt.grad.numpy(), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(dW, Wt.grad.numpy(), rtol=1e-4, atol=1e-6)


def test_options_off_are_the_plain_losses():
    """z_loss=0 and softcap=None change nothing: the same numbers, bit for bit."""
    rng = np.random.default_rng(9)
    X, W = rng.normal(size=(20, 5)), rng.normal(size=(7, 5))
    y = rng.integers(0, 7, size=20)
    plain = ce.linear_cross_entropy(X, W, y, return_grad=True)
    again = ce.linear_cross_entropy(X, W, y, z_loss=0.0, softcap=None, sample_weight=np.ones(20), return_grad=True)
    assert plain[0] == again[0]
    for p, a in zip(plain[1][:2], again[1][:2]):
        np.testing.assert_array_equal(p, a)
    assert ce.cross_entropy(X @ W.T, y) == ce.cross_entropy(X @ W.T, y, z_loss=0.0, softcap=None)


BAD = [
    (dict(z_loss=-0.1), ValueError, "z_loss"), (dict(z_loss=np.inf), ValueError, "z_loss"),
    (dict(z_loss=np.nan), ValueError, "z_loss"), (dict(z_loss="big"), TypeError, "z_loss"),
    (dict(softcap=0.0), ValueError, "softcap"), (dict(softcap=-3.0), ValueError, "softcap"),
    (dict(softcap=np.inf), ValueError, "softcap"), (dict(softcap=np.nan), ValueError, "softcap"),
]


@pytest.mark.parametrize("kwargs,exc,word", BAD)
def test_bad_options_are_refused_by_name(kwargs, exc, word):
    x, y = np.zeros((2, 3)), np.array([0, 1])
    with pytest.raises(exc, match=word):
        ce.cross_entropy(x, y, **kwargs)
    with pytest.raises(exc, match=word):
        ce.linear_cross_entropy(x, np.ones((3, 3)), y, **kwargs)


@pytest.mark.parametrize("sw,exc", [([1.0, -1.0], ValueError), ([1.0, np.nan], ValueError), ([1.0], ValueError)])
def test_bad_sample_weight_is_refused_by_name(sw, exc):
    with pytest.raises(exc, match="sample_weight"):
        ce.linear_cross_entropy(np.zeros((2, 3)), np.ones((3, 3)), np.array([0, 1]), sample_weight=sw)
