"""crossentropy.torch with z_loss, softcap, return_lse and (linear) sample_weight.

Oracles: ``torch.autograd.gradcheck`` in float64 (central differences of our forward) for every option and
reduction, and the PyTorch composition (``torch.tanh``, ``torch.logsumexp``, ``F.cross_entropy``) with
torch autograd for values and gradients (float64, 1e-12 relative).
"""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

import crossentropy.torch as cet

REDUCTIONS = ("mean", "sum", "none")
OPTIONS = [dict(z_loss=0.05), dict(softcap=2.0), dict(return_lse=True), dict(z_loss=0.1, softcap=1.5, return_lse=True)]
F64 = torch.float64


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def _loss(out):
    return out[0] if isinstance(out, tuple) else out


def _composition(z, y, reduction, *, z_loss=0.0, softcap=None, s=None, weight=None, ignore_index=-100,
                 label_smoothing=0.0, **_):
    if softcap is not None:
        z = softcap * torch.tanh(z / softcap)
    rows = F.cross_entropy(z, y, weight=weight, ignore_index=ignore_index, label_smoothing=label_smoothing,
                           reduction="none")
    lse = torch.logsumexp(z, dim=1)
    a = (y != ignore_index).to(z.dtype) * (1.0 if weight is None else weight[torch.where(y != ignore_index, y, 0)])
    if s is not None:
        rows, a = rows * s, a * s
    rows = rows + z_loss * a * lse ** 2
    return (rows.sum() / a.sum() if reduction == "mean" else rows.sum() if reduction == "sum" else rows), lse


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", OPTIONS)
def test_cross_entropy_options_gradcheck(opts, reduction):
    x = torch.randn(5, 4, generator=_gen(), dtype=F64, requires_grad=True)
    y = torch.tensor([0, 2, 3, 1, 2])
    w = torch.tensor([0.5, 2.0, 1.0, 3.0], dtype=F64)
    assert torch.autograd.gradcheck(
        lambda a: _loss(cet.cross_entropy(a, y, weight=w, ignore_index=1, reduction=reduction, **opts)), (x,))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", OPTIONS)
def test_cross_entropy_options_equal_composition(opts, reduction):
    x = (3 * torch.randn(6, 5, generator=_gen(1), dtype=F64)).requires_grad_()
    x2 = x.detach().clone().requires_grad_()
    y = torch.tensor([0, 4, 3, 1, 2, 1])
    kw = dict(weight=torch.tensor([0.5, 2.0, 1.0, 3.0, 1.5], dtype=F64), ignore_index=3, label_smoothing=0.1)
    out = cet.cross_entropy(x, y, reduction=reduction, **kw, **opts)
    total, lse = _composition(x2, y, reduction, **kw, **opts)
    g = torch.randn(total.shape, generator=_gen(2), dtype=F64)
    (_loss(out) * g).sum().backward()
    (total * g).sum().backward()
    torch.testing.assert_close(_loss(out), total, rtol=1e-12, atol=1e-14)
    torch.testing.assert_close(x.grad, x2.grad, rtol=1e-12, atol=1e-14)
    if opts.get("return_lse"):
        torch.testing.assert_close(out[1], lse.detach(), rtol=1e-13, atol=0)
        assert not out[1].requires_grad


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [dict(sample_weight=True)] + OPTIONS + [dict(OPTIONS[-1], sample_weight=True)])
def test_linear_options_gradcheck(opts, reduction):
    X = torch.randn(6, 3, generator=_gen(), dtype=F64, requires_grad=True)
    W = torch.randn(4, 3, generator=_gen(1), dtype=F64, requires_grad=True)
    b = torch.randn(4, generator=_gen(2), dtype=F64, requires_grad=True)
    y = torch.tensor([0, 2, 3, 1, 2, 0])
    kw = dict(opts)
    if kw.pop("sample_weight", False):
        kw["sample_weight"] = torch.rand(6, generator=_gen(3), dtype=F64) * 2
    assert torch.autograd.gradcheck(
        lambda a, w, c: _loss(cet.linear_cross_entropy(a, w, y, linear_bias=c, reduction=reduction, **kw)), (X, W, b))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [{}] + OPTIONS)
def test_linear_options_and_sample_weight_equal_composition(opts, reduction):
    X = torch.randn(7, 4, generator=_gen(4), dtype=F64, requires_grad=True)
    W = (2 * torch.randn(6, 4, generator=_gen(5), dtype=F64)).requires_grad_()
    b = torch.randn(6, generator=_gen(6), dtype=F64, requires_grad=True)
    X2, W2, b2 = (t.detach().clone().requires_grad_() for t in (X, W, b))
    y = torch.tensor([0, 5, 3, 1, 2, 1, 4])
    s = torch.rand(7, generator=_gen(7), dtype=F64) * 2
    kw = dict(weight=torch.rand(6, generator=_gen(8), dtype=F64) + 0.5, ignore_index=1, label_smoothing=0.1)
    out = cet.linear_cross_entropy(X, W, y, linear_bias=b, sample_weight=s, reduction=reduction, **kw, **opts)
    total, lse = _composition(X2 @ W2.T + b2, y, reduction, s=s, **kw, **opts)
    g = torch.randn(total.shape, generator=_gen(9), dtype=F64)
    (_loss(out) * g).sum().backward()
    (total * g).sum().backward()
    torch.testing.assert_close(_loss(out), total, rtol=1e-12, atol=1e-14)
    for ours, theirs in ((X, X2), (W, W2), (b, b2)):
        torch.testing.assert_close(ours.grad, theirs.grad, rtol=1e-11, atol=1e-13)
    if opts.get("return_lse"):
        torch.testing.assert_close(out[1], lse.detach(), rtol=1e-13, atol=0)


def test_module_options_equal_function():
    torch.manual_seed(0)
    head = torch.nn.Linear(4, 9, dtype=F64)
    crit = cet.LinearCrossEntropyLoss(head, z_loss=1e-3, softcap=4.0)
    h, y, s = torch.randn(5, 4, dtype=F64), torch.randint(0, 9, (5,)), torch.rand(5, dtype=F64)
    total, _ = _composition(h @ head.weight.T + head.bias, y, "mean", z_loss=1e-3, softcap=4.0, s=s)
    torch.testing.assert_close(crit(h, y, sample_weight=s), total.detach(), rtol=1e-12, atol=0)


@pytest.mark.parametrize("kwargs,exc,word", [
    (dict(z_loss=-1.0), ValueError, "z_loss"), (dict(z_loss=float("inf")), ValueError, "z_loss"),
    (dict(softcap=0.0), ValueError, "softcap"), (dict(softcap=float("nan")), ValueError, "softcap"),
])
def test_bad_options_refused(kwargs, exc, word):
    x, y = torch.zeros(2, 3), torch.tensor([0, 1])
    with pytest.raises(exc, match=word):
        cet.cross_entropy(x, y, **kwargs)
    with pytest.raises(exc, match=word):
        cet.linear_cross_entropy(x, torch.ones(3, 3), y, **kwargs)
    with pytest.raises(exc, match=word):
        cet.LinearCrossEntropyLoss(**kwargs)
    with pytest.raises(ValueError, match="sample_weight"):
        cet.linear_cross_entropy(x, torch.ones(3, 3), y, sample_weight=torch.tensor([1.0, -2.0]))
