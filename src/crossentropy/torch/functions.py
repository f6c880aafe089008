r"""Softmax and binary cross-entropy as ``torch.autograd.Function``\ s over the fused CPU kernels."""

from __future__ import annotations

import torch

from .._validation import check_option, check_softcap, check_z_loss
from ..losses.binary import binary_cross_entropy_with_logits as _bce_kernel
from ..losses.multiclass import cross_entropy as _ce_kernel
from ._convert import any_array, check_grad_output, float_array, optional_array, scale_, to_tensor

__all__ = ["cross_entropy", "binary_cross_entropy_with_logits"]

_CE_GPU = "torch.nn.functional.cross_entropy"
_BCE_GPU = "torch.nn.functional.binary_cross_entropy_with_logits"


def _saved_or_again(ctx, compute):
    """The gradient the forward saved, handed over once (so autograd takes it without a copy); a second
    backward of the same graph (``retain_graph=True``, gradcheck) computes it again."""
    grad, ctx.grad = ctx.grad, None
    return grad if grad is not None else compute()


def _forward(ctx, kernel, arrays, kwargs, dtype):
    """The loss of ``kernel(*arrays, **kwargs)`` as a tensor of ``dtype`` (and the log-sum-exps, not
    differentiable, when ``kwargs`` ask for them); the gradient of the first array, when it is needed,
    computed in the same pass and kept on ``ctx`` (``ctx.compute`` makes it again)."""

    def compute():
        return torch.from_numpy(kernel(*arrays, return_grad=True, **kwargs)[-1])

    ctx.compute, ctx.grad = compute, None
    if ctx.needs_input_grad[0]:
        out = kernel(*arrays, return_grad=True, **kwargs)
        ctx.grad = torch.from_numpy(out[-1])
        out = out[:-1]
    else:
        out = kernel(*arrays, **kwargs)
        out = out if isinstance(out, tuple) else (out,)
    value = to_tensor(out[0], dtype)
    if len(out) == 1:
        return value
    lse = to_tensor(out[1], dtype)
    ctx.mark_non_differentiable(lse)
    return value, lse


class _CrossEntropy(torch.autograd.Function):
    """Loss and gradient in one pass of :func:`crossentropy.cross_entropy`; backward scales the saved gradient."""

    @staticmethod
    def forward(ctx, logits, target, weight, ignore_index, label_smoothing, reduction, z_loss, softcap, return_lse):
        x = float_array(logits, "input", _CE_GPU)
        t = any_array(target, "target", _CE_GPU)
        w = optional_array(weight, "weight", _CE_GPU)
        soft = t.dtype.kind == "f"
        axis = 1 if x.ndim >= 2 else 0
        kwargs = dict(weight=w, ignore_index=None if soft else ignore_index, label_smoothing=label_smoothing,
                      reduction=reduction, axis=axis, z_loss=z_loss, softcap=softcap, return_lse=return_lse)
        ctx.axis, ctx.reduction = axis, reduction
        return _forward(ctx, _ce_kernel, (x, t), kwargs, logits.dtype)

    @staticmethod
    def backward(ctx, grad_output, *_grad_lse):  # the log-sum-exps are not differentiable
        check_grad_output(grad_output)
        grad = _saved_or_again(ctx, ctx.compute)
        rows = None
        if ctx.reduction == "none":
            rows = list(grad_output.shape)
            rows.insert(ctx.axis, 1)
        return (scale_(grad, grad_output, rows),) + (None,) * 8


class _BinaryCrossEntropyWithLogits(torch.autograd.Function):
    """Loss and gradient of :func:`crossentropy.binary_cross_entropy_with_logits`; backward scales the gradient."""

    @staticmethod
    def forward(ctx, logits, target, weight, pos_weight, reduction):
        x = float_array(logits, "input", _BCE_GPU)
        t = float_array(target, "target", _BCE_GPU)
        w = optional_array(weight, "weight", _BCE_GPU)
        pw = optional_array(pos_weight, "pos_weight", _BCE_GPU)
        ctx.reduction = reduction
        return _forward(ctx, _bce_kernel, (x, t), dict(weight=w, pos_weight=pw, reduction=reduction), logits.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        check_grad_output(grad_output)
        grad = _saved_or_again(ctx, ctx.compute)
        return scale_(grad, grad_output, grad.shape if ctx.reduction == "none" else None), None, None, None, None


def _check_common(reduction, target, name="target"):
    reduction = check_option(reduction, "reduction", ("mean", "sum", "none"))
    if isinstance(target, torch.Tensor) and target.requires_grad:
        raise ValueError(f"{name} requires grad: crossentropy.torch differentiates the loss with respect to "
                         "input (and the linear weight and bias) only; detach the target")
    return reduction


def cross_entropy(input, target, *, weight=None, ignore_index=-100, reduction="mean", label_smoothing=0.0,
                  z_loss=0.0, softcap=None, return_lse=False):
    r"""Softmax cross-entropy of CPU tensors, ``torch.nn.functional.cross_entropy``'s values, on the fused kernel.

    .. math::
        \ell_n = k_n\Big[-(1-\varepsilon)\,w_{y_n}\log p_{n y_n}
                 - \frac{\varepsilon}{C}\sum_c w_c \log p_{nc}\Big],\qquad
        \frac{\partial \ell_n}{\partial x_{nc}} = \Big(\sum_j q_{nj}\Big) p_{nc} - q_{nc}

    with :math:`p = \mathrm{softmax}(x_n)`, :math:`k_n` the not-ignored mask and :math:`q` the weighted,
    smoothed targets (:func:`crossentropy.cross_entropy`, also for ``z_loss``, ``softcap`` and
    ``return_lse``: :math:`x \to c\tanh(x/c)` first, then :math:`\lambda k_n w_{y_n}\mathrm{lse}_n^2` added). The forward pass computes the loss and its
    gradient in one pass and keeps the gradient; the backward pass multiplies it by ``grad_output``
    in place (per row for ``reduction="none"``) and hands it to autograd, so ``input.grad`` is that
    array, not a copy. The input is read through ``Tensor.numpy()`` (no copy when it is contiguous).

    Parameters
    ----------
    input : torch.Tensor of shape (C,), (N, C) or (N, C, d1, ...), float32 or float64, on the CPU
        Logits; the class axis is 1 (0 for a 1-D input), as in PyTorch.
    target : torch.Tensor
        int64 class indices of ``input``'s shape without the class axis, or class probabilities of
        ``input``'s shape (no gradient is taken with respect to them).
    weight : torch.Tensor of shape (C,), optional
        Non-negative class weights.
    ignore_index : int, default -100
        Class-index targets equal to it contribute neither loss nor gradient.
    reduction : {"mean", "sum", "none"}, default "mean"
    label_smoothing : float in [0, 1], default 0
    z_loss : float >= 0, default 0
        Coefficient of the z-loss :math:`\mathrm{lse}_n^2` (PaLM); 0 is off.
    softcap : float > 0, optional
        Soft-cap :math:`c` of the logits (Gemma); None is off.
    return_lse : bool, default False
        Also return the log-sum-exp of each row of the (capped) logits (not differentiable).

    Returns
    -------
    torch.Tensor
        A scalar in ``input``'s dtype, or the per-target losses for ``"none"``; with ``return_lse``, the
        pair ``(loss, lse)``, ``lse`` of the target's shape.

    Raises
    ------
    ValueError
        For a tensor on another device than the CPU (use ``torch.nn.functional.cross_entropy`` there).

    Notes
    -----
    One difference from PyTorch: a ``"mean"`` over targets that are all ignored is 0 with a zero
    gradient (PyTorch gives NaN). Second derivatives are not available.

    Examples
    --------
    >>> import torch, crossentropy.torch as cet
    >>> x = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]], requires_grad=True)
    >>> loss = cet.cross_entropy(x, torch.tensor([0, 2]))
    >>> round(loss.item(), 6)
    0.175456
    >>> loss.backward()
    >>> x.grad.round(decimals=4)  # torch.nn.functional.cross_entropy's gradient
    tensor([[-0.1072,  0.0876,  0.0196],
            [ 0.0247,  0.0272, -0.0519]])

    References
    ----------
    PyTorch documentation, ``torch.nn.functional.cross_entropy`` and ``torch.autograd.Function``;
    Goodfellow, Bengio & Courville, *Deep Learning* (2016), §6.2.2.3.
    """
    reduction = _check_common(reduction, target)
    return _CrossEntropy.apply(input, target, weight, ignore_index, label_smoothing, reduction,
                               check_z_loss(z_loss), check_softcap(softcap), bool(return_lse))


def binary_cross_entropy_with_logits(input, target, *, weight=None, pos_weight=None, reduction="mean"):
    r"""Binary cross-entropy of CPU tensors from logits, ``torch.nn.functional.binary_cross_entropy_with_logits``'s values.

    .. math::
        \ell_n = w_n\,[\,p_w\,t_n\,\mathrm{sp}(-x_n) + (1 - t_n)\,\mathrm{sp}(x_n)\,],\qquad
        \frac{\partial \ell_n}{\partial x_n} = w_n\,[\,(1 - t_n)\,\sigma(x_n) - p_w\,t_n\,\sigma(-x_n)\,]

    with :math:`\mathrm{sp}(x) = \log(1 + e^x)` (:func:`crossentropy.binary_cross_entropy_with_logits`).
    The forward pass computes the loss and the gradient together and keeps the gradient; the backward
    pass scales it in place by ``grad_output`` (element by element for ``reduction="none"``).

    Parameters
    ----------
    input : torch.Tensor of shape (...), float32 or float64, on the CPU
    target : torch.Tensor of ``input``'s shape and dtype kind
        Labels or soft targets in [0, 1] (no gradient is taken with respect to them).
    weight : torch.Tensor broadcastable to ``input``, optional
    pos_weight : torch.Tensor broadcastable to ``input``, optional
    reduction : {"mean", "sum", "none"}, default "mean"

    Returns
    -------
    torch.Tensor
        A scalar in ``input``'s dtype, or the element-wise losses for ``"none"``.

    Raises
    ------
    ValueError
        For a tensor on another device than the CPU (use
        ``torch.nn.functional.binary_cross_entropy_with_logits`` there).

    Examples
    --------
    >>> import torch, crossentropy.torch as cet
    >>> x = torch.tensor([0.0, 2.0], dtype=torch.float64, requires_grad=True)
    >>> cet.binary_cross_entropy_with_logits(x, torch.tensor([1.0, 0.0], dtype=torch.float64)).backward()
    >>> x.grad.round(decimals=4)
    tensor([-0.2500,  0.4404], dtype=torch.float64)

    References
    ----------
    PyTorch documentation, ``torch.nn.BCEWithLogitsLoss``.
    """
    reduction = _check_common(reduction, target)
    return _BinaryCrossEntropyWithLogits.apply(input, target, weight, pos_weight, reduction)
