r"""
10. Question 4: how are cross-entropy and the log-likelihood related?
=====================================================================

**Answer.** They are the same function up to sign and scale. For n independent labels,

.. math:: J(w) = -\frac{1}{n}\log L(w), \qquad \text{the log loss is the mean negative log-likelihood,}

so minimising the cross-entropy and maximising the likelihood give the same weights, and every
statement about one is a statement about the other: the log loss at the optimum is
:math:`-\ell_{\max}/n`; the difference in log loss between two nested models, times 2n, is the
likelihood-ratio statistic; the Hessian of the mean log loss, times n, is the observed Fisher
information whose inverse gives the standard errors.

Numerically: the classic *spector* data (32 students; did a new teaching method, PSI, raise the
grade?) fitted twice: by ``crossentropy.LogisticRegression(penalty=None)``, which minimises the
log loss, and by statsmodels' ``Logit``, which maximises the log-likelihood by Newton's method.
"""

import matplotlib.pyplot as plt
import numpy as np
import statsmodels.api as sm

import crossentropy as ce

data = sm.datasets.spector.load_pandas()
X, y = data.exog.to_numpy(dtype=float), data.endog.to_numpy(dtype=float)
clf = ce.LogisticRegression(penalty=None, tol=1e-10).fit(X, y)
mle = sm.Logit(y, sm.add_constant(X)).fit(method="newton", tol=1e-12, disp=False)

ours = np.r_[clf.intercept_, clf.coef_.ravel()]
assert np.allclose(ours, mle.params, rtol=1e-6, atol=1e-8)
J = ce.log_loss(y, clf.predict_proba(X))
assert abs(J - (-mle.llf / len(y))) < 1e-10
print(f"{'':10s} {'crossentropy':>14s} {'statsmodels':>14s}")
for name, a, b in zip(["intercept", *data.exog.columns], ours, mle.params):
    print(f"{name:10s} {a:14.6f} {b:14.6f}")
print(f"log loss {J:.8f} = -loglik / n = {-mle.llf / len(y):.8f}")

# %%
# The figure moves one weight (that of PSI) with the others held at the optimum: the log loss
# (left axis) bottoms out where the log-likelihood (right axis) peaks, at statsmodels' estimate.
# The curvature there, :math:`n\,\partial^2 J / \partial w^2`, is the Fisher information of that weight
# with the others held fixed.

k = 3  # the PSI column, after the intercept
grid = mle.params[k] + np.linspace(-3, 3, 301)
J_profile, loglik = [], []
for value in grid:
    params = mle.params.copy()
    params[k] = value
    z = sm.add_constant(X) @ params
    J_profile.append(ce.binary_cross_entropy_with_logits(z, y))
    loglik.append(mle.model.loglike(params))
J_profile, loglik = np.array(J_profile), np.array(loglik)
assert np.allclose(J_profile, -loglik / len(y), rtol=1e-12)
assert np.argmin(J_profile) == np.argmax(loglik) == 150
step = grid[1] - grid[0]
curvature = len(y) * (J_profile[151] - 2 * J_profile[150] + J_profile[149]) / step**2
fisher = -mle.model.hessian(mle.params)[k, k]  # statsmodels' analytic Hessian of the log-likelihood
assert abs(curvature - fisher) < 1e-3 * fisher
print(f"n * d2J/dw2 = {curvature:.5f}; statsmodels' information of the PSI weight: {fisher:.5f}")

fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
ax.plot(grid, J_profile, label="log loss J")
ax.set(xlabel="weight of PSI", ylabel="log loss J (mean negative log-likelihood)")
right = ax.twinx()
right.plot(grid, loglik, color="C1", linestyle="--", label="log-likelihood")
right.set_ylabel("log-likelihood")
ax.axvline(mle.params[k], color="grey", linestyle=":")
ax.set_title("one optimum: min J = max log L")
fig.legend(loc="upper center", bbox_to_anchor=(0.5, 0.85))
