"""The neural network classifier: ``MLPClassifier`` with its layers and optimisers."""

from ._mlp import MLPClassifier
from ._optim import SGD, Adam

__all__ = ["MLPClassifier", "SGD", "Adam"]
