r"""The losses as PyTorch autograd functions over the project's CPU kernels (``import crossentropy.torch as cet``).

:func:`cross_entropy`, :func:`binary_cross_entropy_with_logits` and :func:`linear_cross_entropy` take
CPU tensors (float32 or float64), read them as NumPy arrays without copies, compute the loss and its
gradient in one pass of the fused kernels and return tensors that share memory with the kernels'
results. :class:`LinearCrossEntropyLoss` is the module form of :func:`linear_cross_entropy`.
Importing this module imports PyTorch; ``import crossentropy`` does not.

References
----------
PyTorch documentation, ``torch.autograd.Function`` (extending autograd).
"""

from __future__ import annotations

from .functions import binary_cross_entropy_with_logits, cross_entropy
from .linear import LinearCrossEntropyLoss, linear_cross_entropy

__all__ = ["cross_entropy", "binary_cross_entropy_with_logits", "linear_cross_entropy", "LinearCrossEntropyLoss"]
