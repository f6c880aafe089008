r"""
3. Gradient descent on the log loss, by hand and by the solvers
===============================================================

Logistic regression has no closed-form solution: the weights that minimise the log loss are found
by iterating. The simplest method is **gradient descent**: start somewhere and step against the
gradient,

.. math:: w \leftarrow w - \eta\, \nabla_w J(w), \qquad \nabla_w J(w) = \frac{1}{n} X^\top (\hat p - y),

with a step size (learning rate) :math:`\eta`. Because the log loss of logistic regression is convex
and smooth, a small enough step lowers the loss every time and the iterates approach the unique
minimum.

The problem here has two features and no bias, so the weights :math:`w = (w_1, w_2)` are a point in
the plane and the loss is a landscape we can draw as contour lines.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LogisticRegression as SkLogisticRegression

import crossentropy as ce

rng = np.random.default_rng(1)
X = rng.normal(size=(200, 2)) @ np.array([[1.0, 0.6], [0.0, 0.8]])  # correlated features
y = (X @ np.array([1.5, -1.0]) + rng.logistic(size=200) > 0).astype(float)
n = len(y)


def loss(w):
    return ce.binary_cross_entropy_with_logits(X @ w, y)


# %%
# Gradient descent by hand
# ------------------------
#
# Thirty steps of size :math:`\eta = 1` from :math:`w = 0`, each iterate kept.

eta = 1.0
w = np.zeros(2)
by_hand = [w]
for _ in range(30):
    p_hat = ce.sigmoid(X @ w)
    w = w - eta * X.T @ (p_hat - y) / n
    by_hand.append(w)
by_hand = np.array(by_hand)
hand_losses = np.array([loss(w) for w in by_hand])
assert np.all(np.diff(hand_losses) < 0)  # the loss decreases at every step
print("first iterates:\n", np.round(by_hand[:4], 4))
print(f"log loss {hand_losses[0]:.4f} -> {hand_losses[-1]:.4f} in 30 steps")

# %%
# The same with ``solver="gd"``
# -----------------------------
#
# ``LogisticRegression(solver="gd", learning_rate=1.0)`` runs exactly these steps (without a penalty,
# the objective is the mean log loss); its ``loss_curve_`` holds the loss after each step, and after
# 30 steps its ``coef_`` is our last iterate.

import warnings  # noqa: E402

with warnings.catch_warnings():
    warnings.simplefilter("ignore", ce.ConvergenceWarning)  # 30 steps are not enough to converge
    gd = ce.LogisticRegression(penalty=None, fit_intercept=False, solver="gd", learning_rate=eta,
                               max_iter=30, tol=1e-12).fit(X, y)
assert np.allclose(gd.coef_.ravel(), by_hand[-1], rtol=1e-12, atol=1e-14)
assert np.allclose(gd.loss_curve_, hand_losses[1:], rtol=1e-12)
print("solver='gd' after 30 steps:", gd.coef_.ravel(), " by hand:", by_hand[-1])

# the minimum, from scikit-learn (the oracle)
optimum = SkLogisticRegression(C=np.inf, fit_intercept=False, tol=1e-12, max_iter=1000).fit(X, y).coef_.ravel()

w1, w2 = np.meshgrid(np.linspace(-0.5, 3.5, 161), np.linspace(-3.0, 1.0, 161))
J = np.array([loss(np.array([a, b])) for a, b in zip(w1.ravel(), w2.ravel())]).reshape(w1.shape)
fig, ax = plt.subplots(figsize=(6, 5), layout="constrained")
ax.contour(w1, w2, J, levels=np.quantile(J, np.linspace(0.005, 0.9, 18)), cmap="viridis")
ax.plot(by_hand[:, 0], by_hand[:, 1], "o-", color="C3", markersize=3, label="gradient descent, η = 1")
ax.plot(*optimum, "k*", markersize=12, label="minimum")
ax.set(xlabel="w₁", ylabel="w₂", title="log loss J(w₁, w₂) and 30 steps of gradient descent")
ax.legend()

# %%
# The features are correlated, so the contours are long ellipses. The gradient is perpendicular to
# the contour through the current point, not aimed at the minimum: the path first runs down the
# steep side and then crawls along the flat floor of the valley, with steps that shrink as the
# gradient does. After 30 steps it is still far from the minimum. That is what the other solvers fix.
