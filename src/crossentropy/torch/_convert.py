"""Tensors to NumPy arrays and back without copies, and the checks that come before them."""

from __future__ import annotations

import numpy as np
import torch

_FLOATS = (torch.float32, torch.float64)


def check_cpu(tensor, name: str, alternative: str) -> None:
    """A tensor on any device other than the CPU is refused, with the PyTorch function to use there."""
    if not isinstance(tensor, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, got {type(tensor).__name__}")
    if tensor.device.type != "cpu":
        raise ValueError(
            f"{name} is on device {str(tensor.device)!r}: crossentropy.torch runs the CPU kernels only; "
            f"use {alternative} for tensors on {tensor.device.type!r}")


def float_array(tensor, name: str, alternative: str) -> np.ndarray:
    """The NumPy view of a float32/float64 CPU tensor (made contiguous once when it is not)."""
    check_cpu(tensor, name, alternative)
    if tensor.dtype not in _FLOATS:
        raise TypeError(f"{name} must be a float32 or float64 tensor, got {tensor.dtype}")
    return tensor.detach().contiguous().numpy()


def any_array(tensor, name: str, alternative: str) -> np.ndarray:
    """The NumPy view of a CPU tensor of any dtype (targets: int64 class indices or float probabilities)."""
    check_cpu(tensor, name, alternative)
    return tensor.detach().contiguous().numpy()


def optional_array(tensor, name: str, alternative: str):
    """:func:`float_array` of an optional tensor (None stays None)."""
    return None if tensor is None else float_array(tensor, name, alternative)


def to_tensor(value, dtype: torch.dtype) -> torch.Tensor:
    """A kernel's result as a tensor: scalars (float64) in ``dtype``, arrays shared with NumPy."""
    if isinstance(value, np.ndarray) and value.ndim:
        out = torch.from_numpy(value)
        return out if out.dtype == dtype else out.to(dtype)
    return torch.tensor(float(value), dtype=dtype)


def check_grad_output(grad_output: torch.Tensor) -> None:
    """The incoming gradient must be finite: it multiplies the saved gradients."""
    if not bool(torch.isfinite(grad_output).all()):
        raise ValueError("grad_output must be finite, found NaN or inf in the gradient flowing into the loss")


def scale_(grad: torch.Tensor, grad_output: torch.Tensor, row_shape=None) -> torch.Tensor:
    """``grad`` times ``grad_output`` in place: a scalar, or one factor per row (``row_shape``: its view)."""
    if grad_output.ndim == 0:
        factor = float(grad_output)
        if factor != 1.0:
            grad.mul_(factor)
        return grad
    return grad.mul_(grad_output.to(grad.dtype).reshape(row_shape))
