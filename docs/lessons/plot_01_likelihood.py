r"""
1. Cross-entropy from the likelihood
====================================

Where does the **log loss** come from? From the likelihood of the labels. This page derives the
binary cross-entropy, then the softmax one, then their gradients, and ends with the
information-theory reading (entropy, KL divergence, bits, perplexity).

The binary case
---------------

A classifier's *hypothesis* is a predicted probability. For logistic regression

.. math:: \hat p_i = h_w(x_i) = \sigma(z_i) = \frac{1}{1 + e^{-z_i}}, \qquad z_i = w^\top x_i + b .

If the labels :math:`y_i \in \{0, 1\}` are independent Bernoulli draws, the **likelihood** of the
parameters is the probability of the observed labels,

.. math:: L(w) = \prod_i \hat p_i^{\,y_i} (1 - \hat p_i)^{1 - y_i} .

A product of many numbers below one underflows and is awkward to differentiate, so take its
logarithm, the **log-likelihood** :math:`\log L(w) = \sum_i y_i \log \hat p_i + (1 - y_i)\log(1 - \hat p_i)`.
Optimisers minimise, so flip the sign and divide by n: the **negative log-likelihood** per sample is
the **binary cross-entropy** (the log loss)

.. math:: J(w) = -\frac{1}{n}\sum_i \bigl[y_i \log \hat p_i + (1 - y_i) \log(1 - \hat p_i)\bigr] .

Below, ten coin flips with seven heads: the likelihood of a constant probability p, and the log loss
of that p. Both peak (or bottom out) at the observed frequency 0.7, the maximum-likelihood estimate.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats
from scipy.special import log_softmax

import crossentropy as ce
from crossentropy import information

flips = np.array([1, 1, 0, 1, 1, 0, 1, 1, 0, 1], dtype=float)  # seven heads in ten
p = np.linspace(0.001, 0.999, 999)
likelihood = np.array([np.prod(stats.bernoulli.pmf(flips, q)) for q in p])
log_loss = np.array([ce.binary_cross_entropy(np.full(flips.size, q), flips) for q in p])

# the log loss is the mean negative Bernoulli log-likelihood (scipy's logpmf is the oracle)
assert np.allclose(log_loss, [-stats.bernoulli.logpmf(flips, q).mean() for q in p], rtol=1e-12)
best = p[np.argmin(log_loss)]
assert abs(best - 0.7) < 1e-12 and p[np.argmax(likelihood)] == best
print(f"the log loss is smallest at p = {best:.3f}, the frequency of heads")

fig, (ax_l, ax_j) = plt.subplots(1, 2, figsize=(9, 3.5), layout="constrained")
ax_l.plot(p, likelihood)
ax_l.set(xlabel="p", ylabel="L(p)", title="likelihood of 7 heads in 10")
ax_j.plot(p, log_loss)
ax_j.set(xlabel="p", ylabel="J(p)", ylim=(0, 3), title="log loss = −log L(p) / n")
for ax in (ax_l, ax_j):
    ax.axvline(0.7, color="grey", linestyle=":")

# %%
# Softmax: K classes
# ------------------
#
# With K classes the model gives one logit per class, :math:`z_{ik}`, and the **softmax** turns them
# into probabilities, :math:`\hat p_{ik} = e^{z_{ik}} / \sum_j e^{z_{ij}}`. The labels are categorical
# draws, the likelihood is :math:`\prod_i \hat p_{i, y_i}`, and the negative log-likelihood per
# sample is the **cross-entropy**
#
# .. math:: J = -\frac{1}{n} \sum_i \log \hat p_{i, y_i} = -\frac{1}{n} \sum_i \sum_k y_{ik} \log \hat p_{ik}
#
# with :math:`y_{ik}` the one-hot labels. With K = 2 it is the binary cross-entropy of the logit
# difference. :func:`crossentropy.cross_entropy` computes it from the logits (the numbers of
# PyTorch's ``F.cross_entropy``); here it is checked against SciPy's ``log_softmax``.

rng = np.random.default_rng(0)
logits = rng.normal(size=(6, 3))
labels = np.array([0, 2, 1, 1, 0, 2])
J = ce.cross_entropy(logits, labels)
oracle = -log_softmax(logits, axis=1)[np.arange(6), labels].mean()
assert abs(J - oracle) < 1e-14
binary = ce.cross_entropy(np.column_stack([np.zeros(6), logits[:, 0]]), labels % 2)
assert abs(binary - ce.binary_cross_entropy_with_logits(logits[:, 0], labels % 2)) < 1e-14
print(f"softmax cross-entropy {J:.6f} (SciPy: {oracle:.6f})")

# %%
# The gradient, per sample and for the weights
# --------------------------------------------
#
# Differentiate one sample's loss with respect to its **logits**: for the sigmoid and for the
# softmax alike,
#
# .. math:: \frac{\partial}{\partial z_i}\Bigl[-\log \hat p_{i, y_i}\Bigr] = \hat p_i - y_i ,
#
# the predicted probabilities minus the one-hot label. This is the gradient *per sample, with
# respect to the logits*. The mean loss J has :math:`(\hat p_i - y_i)/n` there, and by the chain rule
# (:math:`z = Xw`) the gradient with respect to the **weights** is
#
# .. math:: \nabla_w J = \frac{1}{n} X^\top (\hat p - y) .
#
# Both are checked against central finite differences of the loss.

X = np.column_stack([rng.normal(size=(40, 2)), np.ones(40)])  # last column: the bias
y = (X[:, 0] + 0.5 * rng.normal(size=40) > 0).astype(float)
w = np.array([0.3, -0.2, 0.1])


def J_of_w(w):
    return ce.binary_cross_entropy_with_logits(X @ w, y)


_, grad_z = ce.binary_cross_entropy_with_logits(X @ w, y, return_grad=True)
assert np.allclose(grad_z, (ce.sigmoid(X @ w) - y) / y.size, rtol=1e-12)
grad_w = X.T @ (ce.sigmoid(X @ w) - y) / y.size
h = 1e-6
numeric = np.array([(J_of_w(w + h * e) - J_of_w(w - h * e)) / (2 * h) for e in np.eye(3)])
assert np.allclose(grad_w, numeric, rtol=1e-6, atol=1e-9)
print("X^T (p - y) / n =", np.round(grad_w, 6), " finite differences:", np.round(numeric, 6))

# %%
# The information-theory view
# ---------------------------
#
# For two distributions p (the truth) and q (the model) over K outcomes, the **entropy**
# :math:`H(p) = -\sum_k p_k \log p_k` is the average surprise of outcomes drawn from p, the
# **cross-entropy** :math:`H(p, q) = -\sum_k p_k \log q_k` the average surprise when we expect q, and
# the **Kullback–Leibler divergence** :math:`\mathrm{KL}(p\,\|\,q) = H(p, q) - H(p) \ge 0` the
# extra cost of being wrong. In base 2 the unit is the **bit**: the length of an optimal code.
# The log loss of a sample is the cross-entropy between its one-hot label and the prediction;
# since :math:`H(p)` does not depend on the model, minimising cross-entropy minimises the KL
# divergence from the data to the model. :math:`\exp(J)` is the **perplexity**: the model is as
# unsure as a uniform choice among that many classes.

truth = np.array([0.7, 0.2, 0.1])
models = {"q = p": truth, "q uniform": np.full(3, 1 / 3), "q = (0.2, 0.3, 0.5)": np.array([0.2, 0.3, 0.5])}
for name, q in models.items():
    Hpq = information.cross_entropy(truth, q, base=2)
    KL = information.kl_divergence(truth, q, base=2)
    assert abs(Hpq - (information.entropy(truth, base=2) + KL)) < 1e-14
    assert abs(KL - stats.entropy(truth, q, base=2)) < 1e-14  # SciPy's KL is the oracle
    print(f"{name:22s} H(p, q) = {Hpq:.4f} bits = H(p) {information.entropy(truth, base=2):.4f} + KL {KL:.4f}")

uniform = np.zeros((1, 4))
perplexity = np.exp(ce.cross_entropy(uniform, [2]))
assert abs(perplexity - 4.0) < 1e-12
print(f"a uniform guess among 4 classes: perplexity {perplexity:.1f}")

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
names = list(models)
H = [information.entropy(truth, base=2)] * 3
K = [information.kl_divergence(truth, models[n], base=2) for n in names]
ax.bar(names, H, label="H(p): the data's own surprise")
ax.bar(names, K, bottom=H, label="KL(p‖q): the model's extra cost")
ax.set(ylabel="bits", title="cross-entropy H(p, q) = H(p) + KL(p‖q)")
ax.legend(loc="upper left")
