r"""
4. The decision boundary moving during training
===============================================

Logistic regression predicts class 1 where :math:`\hat p = \sigma(w^\top x + b) > 1/2`, that is
where :math:`w^\top x + b > 0`: the **decision boundary** is the line :math:`w_1 x_1 + w_2 x_2 + b = 0`.
Each gradient-descent step :math:`w \leftarrow w - \eta\, X^\top(\hat p - y)/n` moves it. The small
multiples below show it after 0, 1, 3, 10, 30 and 300 steps from :math:`w = 0, b = 0` (where every
prediction is 1/2 and there is no boundary yet), with the predicted probability shaded.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs

import crossentropy as ce

X, y = make_blobs(n_samples=120, centers=[[-1.0, -0.5], [1.0, 1.0]], cluster_std=1.0, random_state=3)
X1 = np.column_stack([X, np.ones(len(X))])  # the last weight is the bias b
eta, steps = 0.5, 300
w = np.zeros(3)
history, losses = [w.copy()], [ce.binary_cross_entropy_with_logits(X1 @ w, y)]
for _ in range(steps):
    w = w - eta * X1.T @ (ce.sigmoid(X1 @ w) - y) / len(y)
    history.append(w.copy())
    losses.append(ce.binary_cross_entropy_with_logits(X1 @ w, y))
losses = np.array(losses)

# each step lowers the log loss, and the end is close to the unpenalised maximum-likelihood fit
# (scikit-learn's, the oracle): within 1e-4 in log loss and 0.05 in each weight
assert np.all(np.diff(losses) < 0)
from sklearn.linear_model import LogisticRegression as SkLogisticRegression  # noqa: E402

reference = SkLogisticRegression(C=np.inf, tol=1e-10, max_iter=1000).fit(X, y)
best = ce.binary_cross_entropy_with_logits(X @ reference.coef_.ravel() + reference.intercept_, y)
assert 0 < losses[-1] - best < 1e-4
assert np.allclose(history[-1], np.r_[reference.coef_.ravel(), reference.intercept_], atol=0.05)
print(f"log loss: {losses[0]:.4f} at the start, {losses[-1]:.6f} after {steps} steps, {best:.6f} at the optimum")

shown = [0, 1, 3, 10, 30, 300]
g1, g2 = np.meshgrid(np.linspace(-4, 4, 120), np.linspace(-4, 4, 120))
grid = np.column_stack([g1.ravel(), g2.ravel(), np.ones(g1.size)])
fig, axes = plt.subplots(2, 3, figsize=(10, 6.5), sharex=True, sharey=True, layout="constrained")
for ax, k in zip(axes.ravel(), shown):
    wk = history[k]
    proba = ce.sigmoid(grid @ wk).reshape(g1.shape)
    ax.contourf(g1, g2, proba, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.5)
    if np.any(wk[:2] != 0):
        ax.contour(g1, g2, proba, levels=[0.5], colors="k")
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolor="k", s=14)
    accuracy = np.mean((X1 @ wk > 0) == y)
    ax.set_title(f"step {k}: J = {losses[k]:.3f}, accuracy {accuracy:.2f}", fontsize=9)

# %%
# The first step already points the boundary the right way: from w = 0 the gradient is
# :math:`X^\top(1/2 - y)/n`, which for these balanced classes is a quarter of the difference of the class
# means (class 0 minus class 1), so the first step moves w towards class 1. Later steps mostly sharpen the
# probabilities (the shading) and shift the line a little; the log loss keeps falling long after the
# accuracy has stopped changing, because it also scores how confident each prediction is.
#
# The loss curve of the same run:

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot(losses)
ax.set(xscale="symlog", xlabel="step", ylabel="training log loss", title=f"gradient descent, η = {eta}")
