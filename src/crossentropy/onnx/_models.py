"""The fitted models as ONNX nodes: logits and probabilities from the feature matrix.

Each function takes the graph's :class:`~crossentropy.onnx._preprocess.Design`, whose ``affine``
gives the model's first linear layer on the preprocessed features, and returns an :class:`Outputs`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Outputs", "model_nodes"]


@dataclass
class Outputs:
    """Names of a model's values: ``proba`` (N, K); ``logits`` (N, 1) for two classes, else (N, K), or
    None (an ordinal model has none); ``index`` (N,) int64, the predicted column."""

    proba: str
    logits: str | None
    index: str


def _binary_proba(b, z):
    """(sigma(-z), sigma(z)) of the (N, 1) logits ``z``: each side from its own Sigmoid, never 1 - p."""
    return b.node("Concat", [b.node("Sigmoid", [b.node("Neg", [z])]), b.node("Sigmoid", [z])], axis=1)


def logit_outputs(b, z, n_columns):
    """Probabilities and predicted column from logits: a sigmoid for one column (the predicted class
    is 1 where z > 0), else the softmax (ONNX ``Softmax`` subtracts the row maximum) and argmax."""
    from onnx import TensorProto

    if n_columns == 1:
        index = b.node("Cast", [b.node("Greater", [z, b.const("zero", [0.0])])], to=TensorProto.INT64)
        return Outputs(_binary_proba(b, z), z, b.node("Squeeze", [index, b.axes(1)]))
    return Outputs(b.node("Softmax", [z], axis=1), z, b.node("ArgMax", [z], axis=1, keepdims=0))


def argmax_outputs(b, proba, logits=None):
    """Outputs whose predicted column is the most probable one (first on ties, as ``np.argmax``)."""
    return Outputs(proba, logits, b.node("ArgMax", [proba], axis=1, keepdims=0, select_last_index=0))


def logistic_nodes(b, est, design):
    """:class:`~crossentropy.LogisticRegression`: :math:`z = X W^T + b`."""
    coef = np.asarray(est.coef_, dtype=np.float64)
    return logit_outputs(b, design.affine(coef.T, est.intercept_), coef.shape[0])


_ACTIVATIONS = {"relu": "Relu", "tanh": "Tanh", "logistic": "Sigmoid"}


def mlp_nodes(b, est, design):
    """:class:`~crossentropy.MLPClassifier`: hidden layers ``f(a W + b)``, then the output logits."""
    coefs = [np.asarray(c, dtype=np.float64) for c in est.coefs_]
    a = design.affine(coefs[0], est.intercepts_[0])
    for i, (w, bias) in enumerate(zip(coefs, est.intercepts_)):
        if i > 0:
            a = b.node("Add", [b.node("MatMul", [a, b.const("weight", w)]),
                               b.const("bias", np.asarray(bias, dtype=np.float64))])
        if i < len(coefs) - 1:
            a = b.node(_ACTIVATIONS[est.activation], [a])
    return logit_outputs(b, a, coefs[-1].shape[1])


def _cdf(b, t, link):
    r"""The link's CDF :math:`F` elementwise: logistic, standard normal or :math:`1 - \exp(-e^t)`."""
    if link == "logit":
        return b.node("Sigmoid", [t])
    if link == "cloglog":
        return b.node("Sub", [b.const("one", [1.0]), b.node("Exp", [b.node("Neg", [b.node("Exp", [t])])])])
    scaled = b.node("Mul", [t, b.const("rsqrt2", [np.sqrt(0.5)])])
    erf = b.node("Erf", [scaled]) if b.np_dtype == np.float32 else _erf64(b, scaled)
    return b.node("Mul", [b.node("Add", [erf, b.const("one", [1.0])]), b.const("half", [0.5])])


#: terms of the series of erf on [0, 3] and levels of the continued fraction of erfc beyond 3: both
#: within 1e-15 of erf (absolute) and erfc (relative) there, against a 40-digit mpmath evaluation
SERIES_DEGREE, FRACTION_DEPTH = 50, 30


def _erf64(b, x):
    r"""erf elementwise from float64 operations (onnxruntime implements ``Erf`` in float32 only).

    For :math:`a = |x| \le 3` the series of positive terms
    :math:`\operatorname{erf}(a) = \frac{2}{\sqrt\pi} e^{-a^2} a \sum_{n \ge 0} \frac{(2a^2)^n}{(2n+1)!!}`
    (Horner, 50 terms), beyond it :math:`1 - \operatorname{erfc}(a)` with the continued fraction
    :math:`\operatorname{erfc}(a) = \frac{e^{-a^2}}{\sqrt\pi}\,\cfrac{1}{a + \cfrac{1/2}{a + \cfrac{1}{a + \cfrac{3/2}{a + \dotsb}}}}`
    (30 levels); the sign of x restored last.
    """
    a = b.node("Abs", [x])
    three = b.const("three", [3.0])
    small, big = b.node("Min", [a, three]), b.node("Max", [a, three])
    # Horner in u = 2a^2 / 18 in [0, 1], coefficients 18^n / (2n+1)!! >= 2e-18: onnxruntime's graph
    # optimiser drops an Add of a constant that rounds to 0 in float32 (1 / 101!! = 4e-81 does)
    coef = [1.0]
    for n in range(1, SERIES_DEGREE + 1):
        coef.append(coef[-1] * 18.0 / (2 * n + 1))
    y = b.node("Mul", [b.node("Mul", [small, small]), b.const("two_18th", [2.0 / 18.0])])
    acc = b.const("c", [coef[-1]])
    for c in reversed(coef[:-1]):
        acc = b.node("Add", [b.node("Mul", [acc, y]), b.const("c", [c])])
    gauss = lambda v: b.node("Exp", [b.node("Neg", [b.node("Mul", [v, v])])])  # noqa: E731
    series = b.node("Mul", [b.node("Mul", [gauss(small), small]), b.node("Mul", [acc, b.const("k", [2 / np.sqrt(np.pi)])])])
    frac = big
    for m in range(FRACTION_DEPTH, 0, -1):
        frac = b.node("Add", [big, b.node("Div", [b.const("m", [m / 2]), frac])])
    tail = b.node("Div", [gauss(big), b.node("Mul", [frac, b.const("sqrtpi", [np.sqrt(np.pi)])])])
    value = b.node("Where", [b.node("LessOrEqual", [a, three]), series, b.node("Sub", [b.const("one", [1.0]), tail])])
    return b.node("Mul", [b.node("Sign", [x]), value])


def ordinal_nodes(b, est, design):
    r""":class:`~crossentropy.OrdinalRegression`: :math:`p_k = F(\theta_k - \eta) - F(\theta_{k-1} - \eta)`,
    :math:`\eta = X\beta`, with :math:`F(\theta_{-1} - \eta) = 0` and :math:`F(\theta_{J-1} - \eta) = 1`
    (differences below 0 from rounding are set to 0)."""
    eta = design.affine(np.asarray(est.coef_, dtype=np.float64).reshape(-1, 1))
    cdf = _cdf(b, b.node("Sub", [b.const("thresholds", np.asarray(est.thresholds_, np.float64)[None, :]), eta]),
               est.link)
    padded = b.node("Pad", [cdf, b.const("pads", [0, 1, 0, 0], np.int64), b.const("zero", 0.0)])
    padded = b.node("Pad", [padded, b.const("pads", [0, 0, 0, 1], np.int64), b.const("one", 1.0)])
    j = len(est.classes_)
    proba = b.node("Sub", [b.columns(padded, 1, j + 1), b.columns(padded, 0, j)])
    return argmax_outputs(b, b.node("Max", [proba, b.const("zero", [0.0])]))


def model_nodes(b, est, design):
    """The :class:`Outputs` of a fitted LogisticRegression, MLPClassifier or OrdinalRegression."""
    from ..linear_model import LogisticRegression, OrdinalRegression
    from ..neural_network import MLPClassifier

    if isinstance(est, LogisticRegression):
        return logistic_nodes(b, est, design)
    if isinstance(est, MLPClassifier):
        return mlp_nodes(b, est, design)
    if isinstance(est, OrdinalRegression):
        return ordinal_nodes(b, est, design)
    raise TypeError(f"model must be a fitted LogisticRegression, MLPClassifier, OrdinalRegression or a "
                    f"CalibratedClassifier of one, got {type(est).__name__}")
