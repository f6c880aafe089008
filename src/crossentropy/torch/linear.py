r"""Linear cross-entropy as a ``torch.autograd.Function`` and an ``nn.Module``: the (N, C) logits are never formed."""

from __future__ import annotations

import numpy as np
import torch

from .._validation import check_label_smoothing, check_sample_weight, check_softcap, check_z_loss
from ..losses._linear_rows import linear_rows
from ..losses._targets import index_target
from ..losses.linear import linear_cross_entropy as _lce_kernel
from ._convert import any_array, check_grad_output, float_array, optional_array, scale_, to_tensor
from .functions import _check_common, _saved_or_again

__all__ = ["linear_cross_entropy", "LinearCrossEntropyLoss"]

_GPU = "torch.nn.functional.linear_cross_entropy"


def _none_grads(X, W, b, y, weight, ignore_index, eps, row_factor, opts):
    r"""Gradients of :math:`\sum_n g_n \ell_n` (``reduction="none"``): the rows with the row factors
    :math:`k_n s_n g_n` (``row_factor``: :math:`s_n g_n`)."""
    t = index_target(y, (X.shape[0],), W.shape[0], ignore_index=ignore_index, reduction="none",
                     shape_hint="one class index per row of input")
    r = t.keep.astype(np.float64) * row_factor.astype(np.float64)
    w = None if weight is None else weight.astype(np.float64)
    _, _, dX, dW, db = linear_rows(X, W, b, t.safe, r, w, eps, 1.0, need_grad=True, opts=opts[:2] + (False,))
    return dX, dW, None if db is None else db.astype(X.dtype)


class _LinearCrossEntropy(torch.autograd.Function):
    """Loss and (dX, dW, db) in one blocked pass of :func:`crossentropy.linear_cross_entropy`."""

    @staticmethod
    def forward(ctx, X, W, bias, target, weight, ignore_index, label_smoothing, reduction, sample_weight, z_loss,
                softcap, return_lse):
        x = float_array(X, "input", _GPU)
        w = float_array(W, "linear_weight", _GPU)
        b = optional_array(bias, "linear_bias", _GPU)
        y = any_array(target, "target", _GPU)
        cw = optional_array(weight, "weight", _GPU)
        sw = None if sample_weight is None else check_sample_weight(
            any_array(sample_weight, "sample_weight", _GPU), x.shape[0], positive_sum=False)
        kwargs = dict(bias=b, weight=cw, ignore_index=ignore_index, label_smoothing=label_smoothing,
                      reduction=reduction, sample_weight=sw, z_loss=z_loss, softcap=softcap)
        need = any(ctx.needs_input_grad[:3])

        def compute():
            return tuple(None if g is None else torch.from_numpy(g)
                         for g in _lce_kernel(x, w, y, return_grad=True, return_lse=return_lse, **kwargs)[-1])

        ctx.reduction, ctx.compute, ctx.grad = reduction, compute, None
        ctx.arrays = (x, w, b, y, cw, ignore_index, label_smoothing, sw, (z_loss, softcap))
        if need and reduction != "none":
            out = _lce_kernel(x, w, y, return_grad=True, return_lse=return_lse, **kwargs)
            ctx.grad = tuple(None if g is None else torch.from_numpy(g) for g in out[-1])
            out = out[:-1]
        else:  # "none": the gradients depend on grad_output row by row, computed in backward
            out = _lce_kernel(x, w, y, return_lse=return_lse, **kwargs)
            out = out if isinstance(out, tuple) else (out,)
        value = to_tensor(out[0], X.dtype)
        if not return_lse:
            return value
        lse = to_tensor(out[1], X.dtype)
        ctx.mark_non_differentiable(lse)
        return value, lse

    @staticmethod
    def backward(ctx, grad_output, *_grad_lse):  # the log-sum-exps are not differentiable
        check_grad_output(grad_output)
        if ctx.reduction == "none":
            x, w, b, y, cw, ignore_index, eps, sw, opts = ctx.arrays
            g = grad_output.detach().contiguous().numpy()
            if sw is not None:
                g = g * sw
            grads = tuple(None if a is None else torch.from_numpy(a)
                          for a in _none_grads(x, w, b, y, cw, ignore_index, eps, g, opts))
        else:
            grads = tuple(None if g is None else scale_(g, grad_output) for g in _saved_or_again(ctx, ctx.compute))
        dX, dW, db = (g if need else None for g, need in zip(grads, ctx.needs_input_grad[:3]))
        return (dX, dW, db) + (None,) * 9


def _check_shapes(input, linear_weight, target, linear_bias):
    if isinstance(input, torch.Tensor) and input.ndim != 2:
        raise ValueError(f"input must be 2-D (N, in_features), got shape {tuple(input.shape)}; "
                         "flatten the leading dimensions (input.reshape(-1, in_features), target.reshape(-1))")
    if isinstance(target, torch.Tensor) and target.is_floating_point():
        raise TypeError("target must hold int64 class indices: class-probability targets are not supported "
                        f"by the linear kernel (use {_GPU} or crossentropy.torch.cross_entropy on the logits)")
    if isinstance(input, torch.Tensor) and isinstance(linear_weight, torch.Tensor) \
            and input.dtype != linear_weight.dtype:
        raise TypeError(f"input and linear_weight must have the same dtype, got {input.dtype} and "
                        f"{linear_weight.dtype}")
    if isinstance(linear_bias, torch.Tensor) and isinstance(input, torch.Tensor) and linear_bias.dtype != input.dtype:
        raise TypeError(f"linear_bias must have input's dtype {input.dtype}, got {linear_bias.dtype}")


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None, reduction="mean",
                         ignore_index=-100, label_smoothing=0.0, sample_weight=None, z_loss=0.0, softcap=None,
                         return_lse=False):
    r"""Softmax cross-entropy of :math:`Z = X W^\top + b` for CPU tensors, without forming the (N, C) logits.

    The value is ``F.cross_entropy(input @ linear_weight.T + linear_bias, target, ...)``, PyTorch's
    ``torch.nn.functional.linear_cross_entropy``:

    .. math::
        \ell_n = k_n\Big[(1-\varepsilon)\,w_{y_n}(\mathrm{lse}_n - z_{n y_n})
                 + \frac{\varepsilon}{C}\sum_c w_c(\mathrm{lse}_n - z_{nc})\Big],\qquad
        dX = G W,\quad dW = G^\top X,\quad db = \mathbf 1^\top G,\quad G = \partial L/\partial Z.

    The blocked engine of :func:`crossentropy.linear_cross_entropy` computes the loss and the three
    gradients in one pass; the forward keeps them and the backward scales them in place by
    ``grad_output`` and hands them to autograd (no copies: the tensors' memory is read through
    ``Tensor.numpy()``). With ``reduction="none"`` the gradients depend on ``grad_output`` row by
    row: the backward runs the engine again with the row factors :math:`g_n`. ``sample_weight``,
    ``z_loss``, ``softcap`` and ``return_lse`` are those of :func:`crossentropy.linear_cross_entropy`
    (per-token weights :math:`s_n`; :math:`\lambda k_n s_n w_{y_n}\mathrm{lse}_n^2`; :math:`Z \to c\tanh(Z/c)`).

    Parameters
    ----------
    input : torch.Tensor of shape (N, d), float32 or float64, on the CPU
    linear_weight : torch.Tensor of shape (C, d), ``input``'s dtype
        ``nn.Linear(d, C).weight``.
    target : torch.Tensor of shape (N,), int64
        Class indices (class-probability targets are not supported on this path).
    linear_bias : torch.Tensor of shape (C,), optional
    weight : torch.Tensor of shape (C,), optional
        Non-negative class weights (no gradient).
    reduction : {"mean", "sum", "none"}, default "mean"
    ignore_index : int, default -100
    label_smoothing : float in [0, 1], default 0
    sample_weight : torch.Tensor of shape (N,), optional
        Non-negative per-token weights (no gradient); ``"mean"`` divides by :math:`\sum_n k_n s_n w_{y_n}`.
    z_loss : float >= 0, default 0
        Coefficient of the z-loss :math:`\mathrm{lse}_n^2` (PaLM); 0 is off.
    softcap : float > 0, optional
        Soft-cap :math:`c` of the logits (Gemma); None is off.
    return_lse : bool, default False
        Also return the (N,) log-sum-exps of the (capped) logits (not differentiable).

    Returns
    -------
    torch.Tensor
        A scalar in ``input``'s dtype, or the (N,) per-row losses for ``"none"``; with ``return_lse``,
        the pair ``(loss, lse)``.

    Raises
    ------
    ValueError
        For a tensor on another device than the CPU (use ``torch.nn.functional.linear_cross_entropy``
        there), or an input that is not 2-D.
    TypeError
        For float (class-probability) targets, or mixed dtypes.

    Notes
    -----
    Not supported: PyTorch's ``options`` (chunking is chosen by the engine), K-dimensional
    ``out_features``, class-probability targets, second derivatives. A ``"mean"`` over targets that
    are all ignored is 0 with zero gradients (PyTorch gives NaN).

    Examples
    --------
    >>> import torch, crossentropy.torch as cet
    >>> X = torch.tensor([[1.0, 2.0], [0.5, -1.0], [0.0, 1.0]], dtype=torch.float64, requires_grad=True)
    >>> W = torch.tensor([[0.2, -0.1], [0.0, 0.3], [-0.5, 0.1]], dtype=torch.float64, requires_grad=True)
    >>> loss = cet.linear_cross_entropy(X, W, torch.tensor([0, 2, 1]))
    >>> round(loss.item(), 6)
    1.171136
    >>> loss.backward()
    >>> W.grad.round(decimals=4)
    tensor([[-0.1634, -0.5424],
            [ 0.2168,  0.0489],
            [-0.0533,  0.4935]], dtype=torch.float64)

    References
    ----------
    Wijmans et al., *Cut Your Losses in Large-Vocabulary Language Models*, ICLR 2025
    (arXiv:2411.09009); PyTorch documentation, ``torch.nn.functional.linear_cross_entropy``.
    """
    reduction = _check_common(reduction, target)
    label_smoothing = check_label_smoothing(label_smoothing)
    _check_shapes(input, linear_weight, target, linear_bias)
    if isinstance(sample_weight, torch.Tensor) and sample_weight.requires_grad:
        raise ValueError("sample_weight requires grad: no gradient is taken with respect to it; detach it")
    return _LinearCrossEntropy.apply(input, linear_weight, linear_bias, target, weight, ignore_index,
                                     label_smoothing, reduction, sample_weight, check_z_loss(z_loss),
                                     check_softcap(softcap), bool(return_lse))


class LinearCrossEntropyLoss(torch.nn.Module):
    r"""The loss of a linear output layer as a module: :func:`linear_cross_entropy` with fixed options.

    Unlike ``torch.nn.LinearCrossEntropyLoss``, which creates its own ``nn.Linear``, this module uses
    the caller's: give it ``linear`` (an ``nn.Linear(d, C)`` of the model, whose weight and bias are
    then used) or pass ``linear_weight`` (and ``linear_bias``) to :meth:`forward`.

    .. math::
        L = \mathrm{reduce}_n\,\ell_n\big(X W^\top + b,\ y\big)\quad\text{(see :func:`linear_cross_entropy`)}

    Parameters
    ----------
    linear : torch.nn.Linear, optional
        The layer whose ``weight`` (C, d) and ``bias`` (C,) give the logits.
    weight : torch.Tensor of shape (C,), optional
        Class weights (a buffer of the module).
    reduction : {"mean", "sum", "none"}, default "mean"
    ignore_index : int, default -100
    label_smoothing : float in [0, 1], default 0
    z_loss : float >= 0, default 0
        Coefficient of the z-loss (PaLM); 0 is off.
    softcap : float > 0, optional
        Soft-cap of the logits (Gemma); None is off.

    Examples
    --------
    >>> import torch, crossentropy.torch as cet
    >>> _ = torch.manual_seed(0)
    >>> head = torch.nn.Linear(4, 10, bias=False)
    >>> criterion = cet.LinearCrossEntropyLoss(head)
    >>> hidden, target = torch.randn(6, 4, requires_grad=True), torch.randint(0, 10, (6,))
    >>> loss = criterion(hidden, target)
    >>> loss.backward()
    >>> head.weight.grad.shape
    torch.Size([10, 4])

    References
    ----------
    PyTorch documentation, ``torch.nn.LinearCrossEntropyLoss``.
    """

    def __init__(self, linear=None, *, weight=None, reduction="mean", ignore_index=-100, label_smoothing=0.0,
                 z_loss=0.0, softcap=None):
        super().__init__()
        if linear is not None and not isinstance(linear, torch.nn.Linear):
            raise TypeError(f"linear must be a torch.nn.Linear or None, got {type(linear).__name__}")
        self.linear = linear
        self.register_buffer("weight", weight)
        self.reduction = _check_common(reduction, None)
        self.ignore_index = int(ignore_index)
        self.label_smoothing = check_label_smoothing(label_smoothing)
        self.z_loss = check_z_loss(z_loss)
        self.softcap = check_softcap(softcap)

    def forward(self, input, target, linear_weight=None, linear_bias=None, sample_weight=None):
        """The loss of ``input`` (N, d) and ``target`` (N,) with the layer's (or the given) weight and bias,
        and optional per-token weights ``sample_weight`` (N,)."""
        if linear_weight is None:
            if self.linear is None:
                raise ValueError("linear_weight is None and the module holds no linear layer: pass "
                                 "linear_weight (C, d) or build the module with linear=nn.Linear(d, C)")
            linear_weight, linear_bias = self.linear.weight, self.linear.bias
        elif self.linear is not None:
            raise ValueError("linear_weight was passed but the module already uses its linear layer's weight")
        return linear_cross_entropy(input, linear_weight, target, linear_bias=linear_bias, weight=self.weight,
                                    reduction=self.reduction, ignore_index=self.ignore_index,
                                    label_smoothing=self.label_smoothing, sample_weight=sample_weight,
                                    z_loss=self.z_loss, softcap=self.softcap)
