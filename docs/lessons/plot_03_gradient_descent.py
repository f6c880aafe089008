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

# %%
# Gradient descent, Newton and L-BFGS from their iterates
# -------------------------------------------------------
#
# ``fit`` takes a ``callback``: after every iteration the solver calls ``callback(state)``, as SciPy's
# ``minimize`` calls ``callback(intermediate_result)``; ``state.coef`` holds the coefficients of that
# iterate (as ``coef_`` would be if the fit stopped there) and ``state.fun`` the objective. Recording
# them draws each solver's path on the same contours:
#
# * ``solver="gd"`` with its default backtracking line search: steps against the gradient, each as
#   long as the line search allows;
# * ``solver="newton"``: steps :math:`-H^{-1}\nabla J` with the Hessian
#   :math:`H = \frac1n X^\top \mathrm{diag}(\hat p(1 - \hat p)) X`, which rescales the long axis of
#   the ellipses: a handful of steps, each aimed near the minimum;
# * ``solver="lbfgs"``: quasi-Newton, building a Hessian estimate from the last gradients.

paths, objective = {}, {}
for solver in ("gd", "newton", "lbfgs"):
    states = []
    fit = ce.LogisticRegression(penalty=None, fit_intercept=False, solver=solver, tol=1e-8,
                                max_iter=500).fit(X, y, callback=states.append)
    path = np.array([np.zeros(2)] + [np.ravel(s.coef) for s in states])
    paths[solver], objective[solver] = path, np.array([s.fun for s in states])
    assert np.array_equal(path[-1], fit.coef_.ravel())  # the last iterate is the fit
    assert np.allclose([loss(w) for w in path[1:]], objective[solver], rtol=1e-12)  # state.fun is J there
    assert np.allclose(path[-1], optimum, atol=1e-5)  # each reaches scikit-learn's minimum
    print(f"{solver:7s} {len(states):4d} iterations, log loss {objective[solver][-1]:.10f}")
assert np.all(np.diff(objective["gd"]) < 0)  # gradient descent lowers the loss at every iteration
assert len(paths["newton"]) < len(paths["lbfgs"]) < len(paths["gd"])

fig, ax = plt.subplots(figsize=(6, 5), layout="constrained")
ax.contour(w1, w2, J, levels=np.quantile(J, np.linspace(0.005, 0.9, 18)), cmap="viridis")
for (solver, path), marker in zip(paths.items(), "o^s"):
    ax.plot(path[:, 0], path[:, 1], marker=marker, markersize=4, label=f"{solver}: {len(path) - 1} iterations")
ax.plot(*optimum, "k*", markersize=12, label="minimum")
ax.set(xlabel="w₁", ylabel="w₂", title="the paths of three solvers, from their callbacks")
ax.legend()
