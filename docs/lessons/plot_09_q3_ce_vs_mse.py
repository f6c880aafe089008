r"""
9. Question 3: cross-entropy or squared error?
==============================================

**Answer.** For a sigmoid (or softmax) output, cross-entropy. Three reasons, each shown below:

1. **The gradient does not vanish on a confident mistake.** With :math:`\varphi = \sigma(z)`, the
   gradients of one sample's loss with respect to the logit are

   .. math:: \frac{\partial}{\partial z}\bigl[-y\log\varphi - (1 - y)\log(1 - \varphi)\bigr] = \varphi - y,
             \qquad \frac{\partial}{\partial z}(\varphi - y)^2 = 2(\varphi - y)\,\varphi(1 - \varphi).

   The squared error's gradient carries the factor :math:`\varphi(1 - \varphi)`, the slope of the
   sigmoid, which is near zero when the sigmoid is saturated, that is, when the model is
   confidently right *or confidently wrong*. A sample with y = 1 and :math:`\varphi = 0.001` gets a
   gradient of −0.999 from cross-entropy and about −0.002 from squared error.
2. **Convexity.** The log loss of logistic regression is convex in the weights: one minimum, and
   gradient descent or Newton's method finds it. The squared error of a sigmoid is not convex: it
   has flat plateaus where the sigmoid saturates.
3. **It is the likelihood** of a Bernoulli label (lesson 1), so its minimiser is the maximum
   likelihood estimate, with the statistics that come with it.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification

import crossentropy as ce
from crossentropy.plotting import plot_ce_vs_mse


def ce_loss(z, y):
    return ce.binary_cross_entropy_with_logits(z, y, reduction="none")


def mse_loss(z, y):
    return (ce.sigmoid(z) - y) ** 2


z = np.linspace(-8, 8, 161)
h = 1e-5
for y_value in (0.0, 1.0):
    y = np.full(z.shape, y_value)
    phi = ce.sigmoid(z)
    for loss, formula in ((ce_loss, phi - y), (mse_loss, 2 * (phi - y) * phi * (1 - phi))):
        numeric = (loss(z + h, y) - loss(z - h, y)) / (2 * h)  # central finite differences
        assert np.allclose(formula, numeric, rtol=1e-6, atol=1e-10)
wrong = ce.sigmoid(np.log(0.001 / 0.999))  # phi = 0.001 for a y = 1 sample
print(f"y = 1, phi = 0.001: dJ/dz = {wrong - 1:.4f} (cross-entropy), "
      f"{2 * (wrong - 1) * wrong * (1 - wrong):.5f} (squared error)")

fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
phi = ce.sigmoid(z)
ax.plot(phi, np.abs(phi - 1), label="cross-entropy: |φ − 1|")
ax.plot(phi, np.abs(2 * (phi - 1) * phi * (1 - phi)), "--", label="squared error: |2(φ − 1)φ(1 − φ)|")
ax.set(xlabel="φ(z), for a sample with y = 1", ylabel="|∂J/∂z|", title="the gradient on a wrong answer (φ → 0)")
ax.legend()

# %%
# Convexity in the weights
# ------------------------
#
# One feature, one weight w, no bias: both losses as functions of w on the same data. The second
# differences of the log loss are positive everywhere (convex); those of the squared error change
# sign (not convex), and far from the optimum its curve is nearly flat.

rng = np.random.default_rng(0)
x = rng.normal(size=200)
y = (x + 0.8 * rng.normal(size=200) > 0).astype(float)
w = np.linspace(-15, 15, 601)
J_ce = np.array([ce_loss(wi * x, y).mean() for wi in w])
J_mse = np.array([mse_loss(wi * x, y).mean() for wi in w])
assert np.all(np.diff(J_ce, 2) > 0)
assert np.diff(J_mse, 2).min() < 0 < np.diff(J_mse, 2).max()
fig, ax = plt.subplots(figsize=(6, 3.8), layout="constrained")
ax.plot(w, J_ce, label="log loss (convex)")
ax.plot(w, J_mse, "--", label="squared error of σ(wx) (not convex)")
ax.set(xlabel="w", ylabel="J(w)", title="the two losses as functions of the weight")
ax.legend()

# %%
# Training from a zero start and from a bad start
# -----------------------------------------------
#
# Plain gradient descent on two-feature data (standardised), step 0.5, 200 steps, once minimising
# the log loss and once the squared error, and the *log loss* of both runs plotted. Two starts:
#
# * **zero start** (all weights and the bias 0, every prediction 1/2): the sigmoid is in its steep
#   middle, the squared error's gradient is half the cross-entropy's, and both runs get
#   there, squared error more slowly;
# * **bad start** (weights 0, bias −6, every prediction about 0.0025): half the samples are
#   confidently wrong, the squared error's gradient is about 200 times smaller (1 / (2φ(1 − φ))) than the
#   cross-entropy's, and its run barely moves for many steps.
#
# This bad start is the one of ``crossentropy plot ce-vs-mse`` (its right panel); the runs below are
# the same numbers (checked).

X, y = make_classification(n_samples=300, n_features=2, n_redundant=0, n_informative=2, n_clusters_per_class=1,
                           class_sep=1.5, random_state=0)
X1 = np.column_stack([(X - X.mean(axis=0)) / X.std(axis=0), np.ones(len(X))])


def descend(gradient_of_z, bias, steps=200, eta=0.5):
    w = np.zeros(3)
    w[-1] = bias
    curve = [ce.binary_cross_entropy_with_logits(X1 @ w, y)]
    for _ in range(steps):
        zz = X1 @ w
        w = w - eta * X1.T @ gradient_of_z(zz) / len(y)
        curve.append(ce.binary_cross_entropy_with_logits(X1 @ w, y))
    return np.array(curve)


def ce_grad(z):
    return ce.sigmoid(z) - y


def mse_grad(z):
    return 2 * (ce.sigmoid(z) - y) * ce.sigmoid(z) * (1 - ce.sigmoid(z))


runs = {(start, name): descend(g, bias) for start, bias in (("zero start", 0.0), ("bad start, bias −6", -6.0))
        for name, g in (("cross-entropy", ce_grad), ("squared error", mse_grad))}
library_axes = plot_ce_vs_mse(n_iter=200).axes[2]
library = [line.get_ydata() for line in library_axes.get_lines()]
assert "from w = 0, b = -6" in library_axes.get_title()  # the figure states its start
assert f"{float(ce.sigmoid(-6.0)):.2g}" == "0.0025" and "0.0025" in library_axes.get_title()
assert np.allclose(library[0], runs["bad start, bias −6", "cross-entropy"], rtol=1e-10)
assert np.allclose(library[1], runs["bad start, bias −6", "squared error"], rtol=1e-10)
plt.close("all")

zero_gap = runs["zero start", "squared error"][50] - runs["zero start", "cross-entropy"][50]
bad_gap = runs["bad start, bias −6", "squared error"][50] - runs["bad start, bias −6", "cross-entropy"][50]
assert 0 < zero_gap < 0.1 < 1.0 < bad_gap
# after 200 steps (the numbers the README quotes): zero start 0.12 (CE) and 0.16 (MSE); bad start 0.12 and 2.75
assert [round(float(curve[-1]), 2) for curve in runs.values()] == [0.12, 0.16, 0.12, 2.75]
for (start, name), curve in runs.items():
    print(f"{start:20s} trained on {name:14s}: log loss {curve[0]:.3f} -> {curve[50]:.3f} (step 50) "
          f"-> {curve[-1]:.3f} (step 200)")

fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
for (start, name), curve in runs.items():
    ax.plot(curve, color="C0" if name == "cross-entropy" else "C1",
            linestyle="-" if start == "zero start" else "--", label=f"{name}, {start}")
ax.set(xlabel="gradient-descent step", ylabel="training log loss", yscale="log",
       title="the squared error stalls from a saturated (bad) start")
ax.legend()
