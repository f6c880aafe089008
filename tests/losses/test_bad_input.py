"""Every bad input raises ValueError or TypeError whose message names the argument at fault."""

from __future__ import annotations

import numpy as np
import pytest

import crossentropy as ce
from crossentropy import information

X = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0]])  # (N=2, C=3)
Y = np.array([0, 2])
Q = np.array([[0.7, 0.2, 0.1], [0.0, 0.5, 0.5]])  # probability targets
Z = np.array([0.5, -1.0, 3.0])  # binary logits
T = np.array([1.0, 0.0, 1.0])  # binary targets
P = np.array([0.9, 0.2, 0.6])  # binary probabilities
NAN, INF = np.nan, np.inf

CASES = [
    # cross_entropy: class indices
    ("ce-index-too-large", lambda: ce.cross_entropy(X, np.array([0, 3])), ValueError, "target.*class indices"),
    ("ce-index-negative", lambda: ce.cross_entropy(X, np.array([-1, 0])), ValueError, "target.*class indices"),
    ("ce-index-negative-not-ignored", lambda: ce.cross_entropy(X, np.array([-1, -100]), ignore_index=-100), ValueError,
     "target"),
    ("ce-index-too-large-with-ignore", lambda: ce.cross_entropy(X, np.array([5, 1]), ignore_index=1), ValueError, "target"),
    ("ce-index-float", lambda: ce.cross_entropy(X, np.array([0.0, 2.0])), TypeError, "target.*integer"),
    ("ce-index-bool", lambda: ce.cross_entropy(X, np.array([True, False])), TypeError, "target"),
    ("ce-index-strings", lambda: ce.cross_entropy(X, np.array(["a", "b"])), TypeError, "target"),
    ("ce-index-shape", lambda: ce.cross_entropy(X, np.array([0, 1, 2])), ValueError, "target.*shape"),
    ("ce-index-shape-kdim", lambda: ce.cross_entropy(np.zeros((2, 3, 4)), np.zeros((2, 3), int), axis=1), ValueError,
     "target.*shape"),
    ("ce-int-onehot", lambda: ce.cross_entropy(X, np.eye(3, dtype=int)[Y]), ValueError, "target.*shape"),
    ("ce-proba-shape", lambda: ce.cross_entropy(X, np.full((2, 4), 0.25)), TypeError, "target.*probabilities"),
    ("ce-proba-above-1", lambda: ce.cross_entropy(X, Q * 2), ValueError, "target.*\\[0, 1\\]"),
    ("ce-proba-below-0", lambda: ce.cross_entropy(X, -Q), ValueError, "target.*\\[0, 1\\]"),
    ("ce-proba-nan", lambda: ce.cross_entropy(X, np.where(Q == 0, NAN, Q)), ValueError, "target.*finite"),
    ("ce-proba-inf", lambda: ce.cross_entropy(X, np.where(Q == 0, INF, Q)), ValueError, "target.*finite"),
    ("ce-proba-ignore", lambda: ce.cross_entropy(X, Q, ignore_index=-100), ValueError, "ignore_index"),
    ("ce-ignore-float", lambda: ce.cross_entropy(X, Y, ignore_index=1.5), TypeError, "ignore_index"),
    ("ce-logits-nan", lambda: ce.cross_entropy(np.where(X > 2, NAN, X), Y), ValueError, "logits.*finite"),
    ("ce-logits-inf", lambda: ce.cross_entropy(np.where(X > 2, -INF, X), Y), ValueError, "logits.*finite"),
    ("ce-logits-strings", lambda: ce.cross_entropy(np.array([["a", "b"]]), np.array([0])), TypeError, "logits"),
    ("ce-logits-ragged", lambda: ce.cross_entropy([[1.0, 2.0], [3.0]], [0, 1]), TypeError, "logits"),
    ("ce-logits-scalar", lambda: ce.cross_entropy(1.0, 0), ValueError, "logits"),
    ("ce-logits-no-classes", lambda: ce.cross_entropy(np.zeros((2, 0)), np.array([0, 0])), ValueError, "logits.*class"),
    ("ce-weight-length", lambda: ce.cross_entropy(X, Y, weight=[1.0, 2.0]), ValueError, "weight.*per class"),
    ("ce-weight-2d", lambda: ce.cross_entropy(X, Y, weight=np.ones((1, 3))), ValueError, "weight"),
    ("ce-weight-negative", lambda: ce.cross_entropy(X, Y, weight=[1.0, -2.0, 1.0]), ValueError, "weight.*non-negative"),
    ("ce-weight-nan", lambda: ce.cross_entropy(X, Y, weight=[1.0, NAN, 1.0]), ValueError, "weight.*finite"),
    ("ce-smoothing-negative", lambda: ce.cross_entropy(X, Y, label_smoothing=-0.1), ValueError, "label_smoothing"),
    ("ce-smoothing-above-1", lambda: ce.cross_entropy(X, Y, label_smoothing=1.5), ValueError, "label_smoothing"),
    ("ce-smoothing-nan", lambda: ce.cross_entropy(X, Y, label_smoothing=NAN), ValueError, "label_smoothing"),
    ("ce-smoothing-string", lambda: ce.cross_entropy(X, Y, label_smoothing="0.1"), TypeError, "label_smoothing"),
    ("ce-reduction", lambda: ce.cross_entropy(X, Y, reduction="avg"), ValueError, "reduction"),
    ("ce-reduction-none-object", lambda: ce.cross_entropy(X, Y, reduction=None), ValueError, "reduction"),
    ("ce-axis-range", lambda: ce.cross_entropy(X, Y, axis=2), ValueError, "axis"),
    ("ce-axis-float", lambda: ce.cross_entropy(X, Y, axis=1.0), TypeError, "axis"),
    ("ce-empty-mean-index", lambda: ce.cross_entropy(np.zeros((0, 3)), np.zeros(0, int)), ValueError, "empty"),
    ("ce-empty-mean-proba", lambda: ce.cross_entropy(np.zeros((0, 3)), np.zeros((0, 3))), ValueError, "empty"),
    # nll_loss
    ("nll-index-too-large", lambda: ce.nll_loss(ce.log_softmax(X), np.array([3, 0])), ValueError, "target"),
    ("nll-index-float", lambda: ce.nll_loss(ce.log_softmax(X), np.array([0.0, 1.0])), TypeError, "target"),
    ("nll-index-shape", lambda: ce.nll_loss(ce.log_softmax(X), np.array([0])), ValueError, "target.*shape"),
    ("nll-log-proba-nan", lambda: ce.nll_loss(np.full((2, 3), NAN), Y), ValueError, "log_proba"),
    ("nll-weight-length", lambda: ce.nll_loss(ce.log_softmax(X), Y, weight=[1.0]), ValueError, "weight"),
    ("nll-weight-negative", lambda: ce.nll_loss(ce.log_softmax(X), Y, weight=[1, -1, 1]), ValueError, "weight"),
    ("nll-reduction", lambda: ce.nll_loss(ce.log_softmax(X), Y, reduction="max"), ValueError, "reduction"),
    ("nll-empty-mean", lambda: ce.nll_loss(np.zeros((0, 3)), np.zeros(0, int)), ValueError, "empty"),
    ("nll-no-classes", lambda: ce.nll_loss(np.zeros((2, 0)), np.zeros(2, int)), ValueError, "log_proba.*class"),
    ("nll-no-classes-empty", lambda: ce.nll_loss(np.zeros((0, 0)), np.zeros(0, int)), ValueError, "log_proba.*class"),
    # binary_cross_entropy on probabilities
    ("bce-proba-above-1", lambda: ce.binary_cross_entropy([0.5, 1.2], [1, 0]), ValueError, "proba.*\\[0, 1\\]"),
    ("bce-proba-below-0", lambda: ce.binary_cross_entropy([-0.1, 0.5], [1, 0]), ValueError, "proba.*\\[0, 1\\]"),
    ("bce-proba-nan", lambda: ce.binary_cross_entropy([NAN, 0.5], [1, 0]), ValueError, "proba.*finite"),
    ("bce-target-above-1", lambda: ce.binary_cross_entropy(P, [1, 0, 2]), ValueError, "target.*\\[0, 1\\]"),
    ("bce-target-nan", lambda: ce.binary_cross_entropy(P, [1, NAN, 0]), ValueError, "target.*finite"),
    ("bce-target-inf", lambda: ce.binary_cross_entropy(P, [1, INF, 0]), ValueError, "target.*finite"),
    ("bce-shape", lambda: ce.binary_cross_entropy(P, [1, 0]), ValueError, "target.*shape"),
    ("bce-weight-negative", lambda: ce.binary_cross_entropy(P, T, weight=[1, -1, 1]), ValueError, "weight.*non-negative"),
    ("bce-weight-shape", lambda: ce.binary_cross_entropy(P, T, weight=[1, 1]), ValueError, "weight.*broadcast"),
    ("bce-weight-too-big", lambda: ce.binary_cross_entropy(P, T, weight=np.ones((2, 3))), ValueError, "weight.*broadcast"),
    ("bce-reduction", lambda: ce.binary_cross_entropy(P, T, reduction="Mean"), ValueError, "reduction"),
    ("bce-empty-mean", lambda: ce.binary_cross_entropy([], []), ValueError, "empty"),
    # binary_cross_entropy_with_logits
    ("bcel-logits-nan", lambda: ce.binary_cross_entropy_with_logits([NAN, 1.0, 0.0], T), ValueError, "logits.*finite"),
    ("bcel-logits-inf", lambda: ce.binary_cross_entropy_with_logits([INF, 1.0, 0.0], T), ValueError, "logits.*finite"),
    ("bcel-target-above-1", lambda: ce.binary_cross_entropy_with_logits(Z, [2.0, 0.0, 1.0]), ValueError, "target"),
    ("bcel-target-below-0", lambda: ce.binary_cross_entropy_with_logits(Z, [-1.0, 0.0, 1.0]), ValueError, "target"),
    ("bcel-target-nan", lambda: ce.binary_cross_entropy_with_logits(Z, [NAN, 0.0, 1.0]), ValueError, "target.*finite"),
    ("bcel-shape", lambda: ce.binary_cross_entropy_with_logits(Z, T[:2]), ValueError, "target.*shape"),
    ("bcel-weight-negative", lambda: ce.binary_cross_entropy_with_logits(Z, T, weight=[-1, 1, 1]), ValueError, "weight"),
    ("bcel-weight-shape", lambda: ce.binary_cross_entropy_with_logits(Z, T, weight=[1, 1]), ValueError, "weight"),
    ("bcel-pos-weight-negative", lambda: ce.binary_cross_entropy_with_logits(Z, T, pos_weight=[-1.0]), ValueError,
     "pos_weight.*non-negative"),
    ("bcel-pos-weight-shape", lambda: ce.binary_cross_entropy_with_logits(Z, T, pos_weight=[1, 2]), ValueError,
     "pos_weight.*broadcast"),
    ("bcel-pos-weight-nan", lambda: ce.binary_cross_entropy_with_logits(Z, T, pos_weight=[NAN]), ValueError, "pos_weight"),
    ("bcel-smoothing", lambda: ce.binary_cross_entropy_with_logits(Z, T, label_smoothing=2.0), ValueError,
     "label_smoothing"),
    ("bcel-reduction", lambda: ce.binary_cross_entropy_with_logits(Z, T, reduction="batchmean"), ValueError, "reduction"),
    ("bcel-empty-mean", lambda: ce.binary_cross_entropy_with_logits(np.zeros(0), np.zeros(0)), ValueError, "empty"),
    # focal losses
    ("sfocal-gamma-negative", lambda: ce.sigmoid_focal_loss(Z, T, gamma=-1.0), ValueError, "gamma"),
    ("sfocal-gamma-nan", lambda: ce.sigmoid_focal_loss(Z, T, gamma=NAN), ValueError, "gamma"),
    ("sfocal-alpha-above-1", lambda: ce.sigmoid_focal_loss(Z, T, alpha=1.5), ValueError, "alpha"),
    ("sfocal-alpha-nan", lambda: ce.sigmoid_focal_loss(Z, T, alpha=NAN), ValueError, "alpha"),
    ("sfocal-alpha-array", lambda: ce.sigmoid_focal_loss(Z, T, alpha=np.array([0.1, 0.2])), ValueError, "alpha"),
    ("sfocal-target", lambda: ce.sigmoid_focal_loss(Z, [1.0, 0.0, 3.0]), ValueError, "target"),
    ("sfocal-logits-nan", lambda: ce.sigmoid_focal_loss([NAN, 0.0, 0.0], T), ValueError, "logits"),
    ("sfocal-shape", lambda: ce.sigmoid_focal_loss(Z, T[:1]), ValueError, "target.*shape"),
    ("sfocal-reduction", lambda: ce.sigmoid_focal_loss(Z, T, reduction="all"), ValueError, "reduction"),
    ("sfocal-empty-mean", lambda: ce.sigmoid_focal_loss(np.zeros(0), np.zeros(0)), ValueError, "empty"),
    ("mfocal-alpha-negative", lambda: ce.softmax_focal_loss(X, Y, alpha=-0.5), ValueError, "alpha"),
    ("mfocal-alpha-nan", lambda: ce.softmax_focal_loss(X, Y, alpha=NAN), ValueError, "alpha"),
    ("mfocal-alpha-length", lambda: ce.softmax_focal_loss(X, Y, alpha=[0.5, 0.5]), ValueError, "alpha"),
    ("mfocal-alpha-negative-entry", lambda: ce.softmax_focal_loss(X, Y, alpha=[0.5, -0.5, 1]), ValueError, "alpha"),
    ("mfocal-gamma", lambda: ce.softmax_focal_loss(X, Y, gamma=-2), ValueError, "gamma"),
    ("mfocal-index-range", lambda: ce.softmax_focal_loss(X, np.array([0, 3])), ValueError, "target"),
    ("mfocal-index-float", lambda: ce.softmax_focal_loss(X, np.array([0.0, 1.0])), TypeError, "target"),
    ("mfocal-no-classes", lambda: ce.softmax_focal_loss(np.zeros((2, 0)), np.zeros(2, int)), ValueError, "logits.*class"),
    ("mfocal-empty-mean", lambda: ce.softmax_focal_loss(np.zeros((0, 3)), np.zeros(0, int)), ValueError, "empty"),
    # special functions
    ("sigmoid-strings", lambda: ce.sigmoid(np.array(["a"])), TypeError, "z"),
    ("softmax-complex", lambda: ce.softmax(np.array([1j, 2])), TypeError, "z"),
    ("logsumexp-object", lambda: ce.logsumexp(np.array([None, 1.0])), TypeError, "z"),
    # information
    ("entropy-outside", lambda: information.entropy([0.5, 1.5]), ValueError, "p.*\\[0, 1\\]"),
    ("entropy-nan", lambda: information.entropy([0.5, NAN]), ValueError, "p.*finite"),
    ("cross-entropy-q-outside", lambda: information.cross_entropy([0.5, 0.5], [-0.5, 1.5]), ValueError, "q"),
    ("kl-q-nan", lambda: information.kl_divergence([0.5, 0.5], [NAN, 0.5]), ValueError, "q.*finite"),
    ("kl-shapes", lambda: information.kl_divergence(np.full(3, 1 / 3), np.full(2, 0.5)), ValueError, "p and q"),
    ("entropy-base-1", lambda: information.entropy([0.5, 0.5], base=1), ValueError, "base"),
    ("entropy-base-negative", lambda: information.entropy([0.5, 0.5], base=-2), ValueError, "base"),
]


@pytest.mark.parametrize("call, exc, match", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_raises_naming_the_argument(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_bad_value_is_shown_in_the_message():
    with pytest.raises(ValueError, match=r"\[7\]"):
        ce.cross_entropy(X, np.array([0, 7]))
    with pytest.raises(ValueError, match=r"1\.2"):
        ce.binary_cross_entropy([0.5, 1.2], [1, 0])
    with pytest.raises(ValueError, match=r"-2\.0"):
        ce.cross_entropy(X, Y, weight=[1.0, -2.0, 1.0])


@pytest.mark.parametrize("reduction", ["sum", "none"])
def test_empty_input_is_fine_without_a_mean(reduction):
    loss, grad = ce.cross_entropy(np.zeros((0, 3)), np.zeros(0, int), reduction=reduction, return_grad=True)
    assert grad.shape == (0, 3)
    assert (loss == 0.0) if reduction == "sum" else loss.shape == (0,)
    loss, grad = ce.binary_cross_entropy_with_logits(np.zeros(0), np.zeros(0), reduction=reduction, return_grad=True)
    assert grad.shape == (0,)


def test_index_targets_of_any_integer_dtype_are_accepted():
    """PyTorch insists on int64; any integer dtype is fine here (and equal)."""
    ref = ce.cross_entropy(X, Y)
    for dtype in (np.int8, np.uint8, np.int16, np.int32, np.uint32, np.int64, np.uint64):
        assert ce.cross_entropy(X, Y.astype(dtype)) == ref
    assert ce.cross_entropy(X, np.array([0, 200], dtype=np.uint8), ignore_index=200) == ce.cross_entropy(X[:1], Y[:1])
