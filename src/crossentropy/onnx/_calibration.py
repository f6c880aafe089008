"""A :class:`~crossentropy.calibration.CalibratedClassifier` as ONNX nodes: each (estimator,
calibrator) pair's calibrated probabilities from the estimator's outputs, averaged over the pairs."""

from __future__ import annotations

import numpy as np

from ._models import Outputs, argmax_outputs, model_nodes

__all__ = ["calibrated_nodes"]


def _scores(b, est, out: Outputs, method: str, n_classes: int):
    """The scores the calibrator reads, as :func:`crossentropy.calibration._response.calibration_scores`:
    (N, 1) for two classes, else (N, K). Logits where the estimator has ``decision_function`` (beta
    calibration reads probabilities), else probabilities (temperature scaling: their logarithms)."""
    from ..calibration._response import response_method

    name = response_method(est, prefer_proba=method == "beta")
    if name == "decision_function" and out.logits is not None:
        return out.logits
    p = out.proba
    if method == "temperature":
        eps = b.const("eps", [1e-12])
        logp = b.node("Log", [b.node("Add", [p, eps])])
        if n_classes != 2:
            return logp
        log1m = b.node("Log", [b.node("Add", [b.node("Sub", [b.const("one", [1.0]), b.columns(p, 1, 2)]), eps])])
        return b.node("Sub", [b.columns(logp, 1, 2), log1m])
    return b.columns(p, 1, 2) if n_classes == 2 else p


def _normalise_ovr(b, cols, n_classes):
    """As :func:`crossentropy.calibration._base.normalise_ovr`: (1 - p, p), or rows divided by their
    sum (the uniform distribution where the sum is 0)."""
    if n_classes == 2:
        return b.node("Concat", [b.node("Sub", [b.const("one", [1.0]), cols]), cols], axis=1)
    total = b.row_sum(cols)
    zero = b.node("Equal", [total, b.const("zero", [0.0])])
    return b.node("Where", [zero, b.const("uniform", [1.0 / n_classes]), b.node("Div", [cols, total])])


def _temperature(b, cal, s, n_classes):
    """softmax(z / T), or softmax(a * z + b) with vector scaling; binary logits d as (0, d)."""
    z = s
    if n_classes == 2:
        z = b.node("Pad", [s, b.const("pads", [0, 1, 0, 0], np.int64), b.const("zero", 0.0)])
    if cal.vector:
        z = b.node("Add", [b.node("Mul", [z, b.const("a", cal.coef_)]), b.const("b", cal.intercept_)])
    else:
        z = b.node("Div", [z, b.const("temperature", [cal.temperature_])])
    return b.node("Softmax", [z], axis=1)


def _isotonic_column(b, s, x, y):
    r"""Linear interpolation through the knots (x, y), constant outside them (``np.interp``):
    :math:`y_0 + \sum_k \text{slope}_k \min(\max(s - x_k, 0), x_{k+1} - x_k)`."""
    if x.size == 1:
        return b.node("Add", [b.node("Mul", [s, b.const("zero", [0.0])]), b.const("y0", [y[0]])])
    widths, rises = np.diff(x), np.diff(y)
    t = b.node("Max", [b.node("Sub", [s, b.const("knots", x[:-1])]), b.const("zero", [0.0])])
    t = b.node("Min", [t, b.const("widths", widths)])
    return b.node("Add", [b.node("MatMul", [t, b.const("slopes", (rises / widths).reshape(-1, 1))]),
                          b.const("y0", [y[0]])])


def _venn_abers_column(b, s, table):
    r"""The merged Venn-Abers probability p1 / (1 - p0 + p1), a step function of the score: looked up
    by the key 2 * (number of calibration scores below s) + (s equals one of them).

    A score is taken as equal to the calibration score :math:`c_j` within :math:`\delta_j =
    \min(\tau (1 + |c_j|), (c_{j+1} - c_j)/4, (c_j - c_{j-1})/4)`, :math:`\tau = 10^{-9}` (float64
    graph) or :math:`10^{-5}` (float32): a row of the calibration data scored again gets its own
    score back only to rounding, as the graph sums the same products in another order."""
    from onnx import TensorProto

    from ..calibration.venn_abers import _p0_p1

    c = table[0]
    # one score per key: below, at and between the calibration scores (a key no float64 score reaches,
    # between adjacent floats, takes the value at the next score)
    mids = np.r_[c[0] - 1.0, (c[:-1] + c[1:]) / 2, c[-1] + 1.0]
    probe = np.empty(2 * c.size + 1)
    probe[0::2], probe[1::2] = mids, c
    p = _p0_p1(*table, probe)
    merged = p[:, 1] / (1.0 - p[:, 0] + p[:, 1])
    tau = 1e-9 if b.np_dtype == np.float64 else 1e-5
    gaps = np.diff(c) / 4
    delta = np.minimum(tau * (1.0 + np.abs(c)), np.minimum(np.r_[np.inf, gaps], np.r_[gaps, np.inf]))
    scores = b.const("scores", c[None, :])
    tie = b.node("LessOrEqual", [b.node("Abs", [b.node("Sub", [s, scores])]), b.const("delta", delta[None, :])])
    below = b.node("And", [b.node("Less", [scores, s]), b.node("Not", [tie])])
    count = lambda x: b.row_sum(b.node("Cast", [x], to=TensorProto.INT64))  # noqa: E731
    key = b.node("Add", [b.node("Mul", [count(below), b.const("two", [2], np.int64)]), count(tie)])
    return b.node("Gather", [b.const("merged", merged), b.node("Squeeze", [key, b.axes(1)])], axis=0)


def _one_vs_rest(b, cal, method, s, n_classes):
    """Each score column through its binary map, then :func:`_normalise_ovr`."""
    cols = []
    for k in range(1 if n_classes == 2 else n_classes):
        col = s if n_classes == 2 else b.columns(s, k, k + 1)
        if method == "sigmoid":
            a, c = cal.params_[k]
            cols.append(b.node("Sigmoid", [b.node("Add", [b.node("Mul", [col, b.const("a", [a])]), b.const("b", [c])])]))
        elif method == "beta":
            a, bb, c = cal.params_[k]
            eps = float(np.finfo(np.float64).eps if b.np_dtype == np.float64 else np.finfo(np.float32).eps)
            p = b.node("Clip", [col, b.const("lo", eps), b.const("hi", 1.0 - eps)])
            eta = b.node("Add", [b.node("Mul", [b.node("Log", [p]), b.const("a", [a])]), b.const("c", [c])])
            log1m = b.node("Log", [b.node("Sub", [b.const("one", [1.0]), p])])
            cols.append(b.node("Sigmoid", [b.node("Sub", [eta, b.node("Mul", [log1m, b.const("b", [bb])])])]))
        elif method == "isotonic":
            iso, strict = cal.params_[k]
            if strict is not None:
                raise ValueError("a strictly monotone isotonic calibration cannot be exported")
            cols.append(_isotonic_column(b, col, np.asarray(iso.X_thresholds_, np.float64),
                                         np.asarray(iso.y_thresholds_, np.float64)))
        else:
            cols.append(b.column(_venn_abers_column(b, col, cal.tables_[k])))
    return _normalise_ovr(b, cols[0] if len(cols) == 1 else b.node("Concat", cols, axis=1), n_classes)


def calibrated_nodes(b, clf, design):
    """The :class:`Outputs` of a fitted CalibratedClassifier: the mean of its pairs' calibrated
    probabilities, values in (1, 1 + 1e-5] set to 1 as its ``predict_proba`` does; the predicted
    column is the most probable one."""
    from sklearn.frozen import FrozenEstimator

    n_classes = len(clf.classes_)
    total = None
    for est, cal in clf.calibrated_classifiers_:
        if isinstance(est, FrozenEstimator):  # a prefit estimator given frozen: the fitted model inside
            est = est.estimator
        s = _scores(b, est, model_nodes(b, est, design), clf.method, n_classes)
        if clf.method == "temperature":
            p = _temperature(b, cal, s, n_classes)
        else:
            p = _one_vs_rest(b, cal, clf.method, s, n_classes)
        total = p if total is None else b.node("Add", [total, p])
    pairs = len(clf.calibrated_classifiers_)
    if pairs > 1:
        total = b.node("Div", [total, b.const("pairs", [float(pairs)])])
    return argmax_outputs(b, b.node("Min", [total, b.const("one", [1.0])]))
