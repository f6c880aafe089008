"""Cross-entropy losses with their gradients: binary, multiclass, focal, linear (logits never held)."""

from .binary import binary_cross_entropy, binary_cross_entropy_with_logits
from .focal import sigmoid_focal_loss, softmax_focal_loss
from .linear import linear_cross_entropy
from .multiclass import cross_entropy, nll_loss

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
    "sigmoid_focal_loss",
    "softmax_focal_loss",
    "linear_cross_entropy",
]
