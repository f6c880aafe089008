r"""
11. Question 5: does cross-entropy prevent overfitting?
=======================================================

**Answer.** No. Cross-entropy rewards confidence on the training rows without limit, so on its own
it overfits as readily as any loss, and on *separable* data it has no minimum at all: the log loss
keeps falling as the weights grow, and an unpenalised fit runs off to infinity. What helps is
something added to it:

* a **penalty** on the weights (``penalty="l2"`` with strength ``1/C``), its strength chosen by
  cross-validation on the held-out log loss (:class:`crossentropy.LogisticRegressionCV`);
* **early stopping** on the validation log loss (lesson 6);
* **label smoothing**, which gives the logits a finite optimum (lesson 5);
* for inference on small separable data, **Firth's penalty** (``penalty="firth"``), which always has
  finite estimates.

Separable data: the weights grow without bound
----------------------------------------------

Two clusters that a line separates. Gradient descent with no penalty and a longer and longer run:
every ten-fold increase of ``max_iter`` adds to the norm of the weights and divides the training
log loss, and no run converges. The fit notices: it warns with a ``PerfectSeparationWarning`` that
names the separating columns.
"""

import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs, make_classification
from sklearn.metrics import log_loss as sk_log_loss
from sklearn.model_selection import train_test_split

import crossentropy as ce
from crossentropy.exceptions import PerfectSeparationWarning

X, y = make_blobs(n_samples=60, centers=[[-2, -2], [2, 2]], cluster_std=0.8, random_state=0)
runs = [10, 100, 1000, 10000]
norms, losses = [], []
for max_iter in runs:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = ce.LogisticRegression(penalty=None, solver="gd", learning_rate=1.0, max_iter=max_iter,
                                     tol=1e-15).fit(X, y)
    separation = [w for w in caught if issubclass(w.category, PerfectSeparationWarning)]
    assert not fit.converged_ and separation
    norms.append(np.linalg.norm(fit.coef_))
    losses.append(sk_log_loss(y, fit.predict_proba(X)))
    print(f"max_iter {max_iter:6d}: |w| = {norms[-1]:6.2f}, training log loss {losses[-1]:.2e}")
assert np.all(np.diff(norms) > 0.5) and np.all(np.diff(np.log10(losses)) < -0.3)
print("the warning:", str(separation[0].message).split(":")[0])

# %%
# Label smoothing on the same data: training against targets 0.05 and 0.95 instead of 0 and 1
# (``label_smoothing=0.1``), the log loss has a minimum at finite weights, and the same gradient
# descent settles there: ten times more steps no longer change the weights.


def smoothed_descent(steps, eta=1.0, smoothing=0.1):
    X1 = np.column_stack([X, np.ones(len(X))])
    w = np.zeros(3)
    for _ in range(steps):
        _, grad_z = ce.binary_cross_entropy_with_logits(X1 @ w, y, label_smoothing=smoothing, return_grad=True)
        w = w - eta * X1.T @ grad_z
    return w


w_1000, w_10000 = smoothed_descent(1000), smoothed_descent(10000)
assert np.abs(w_10000 - w_1000).max() < 1e-6 and np.linalg.norm(w_10000[:2]) < norms[-1]
print(f"label smoothing 0.1: |w| = {np.linalg.norm(w_1000[:2]):.4f} after 1000 steps, "
      f"{np.linalg.norm(w_10000[:2]):.4f} after 10000")

# Firth's penalised likelihood on the same data: finite estimates, converged
firth = ce.LogisticRegression(penalty="firth").fit(X, y)
assert firth.converged_ and np.linalg.norm(firth.coef_) < norms[-1]
print(f"penalty='firth': |w| = {np.linalg.norm(firth.coef_):.4f}, converged in {firth.n_iter_} iterations")

fig, (ax_d, ax_n) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
ax_d.scatter(X[:, 0], X[:, 1], c=y, cmap="RdBu_r", edgecolor="k", s=16)
ax_d.set(title="separable data", xlabel="x₁", ylabel="x₂")
ax_n.plot(runs, norms, "o-", label="no penalty: |w| grows with max_iter")
ax_n.axhline(np.linalg.norm(w_10000[:2]), color="C1", label="label smoothing 0.1: |w| settles")
ax_n.axhline(np.linalg.norm(firth.coef_), color="C2", linestyle="--", label="penalty='firth'")
ax_n.set(xscale="log", xlabel="max_iter (gradient-descent steps)", ylabel="|w|", title="the weights")
ax_n.legend()

# %%
# The penalty, its strength chosen by cross-validation
# ----------------------------------------------------
#
# Few rows for many features (80 training rows, 30 features, 5 of them informative): with 30
# directions to choose from, a hyperplane separates the training rows (the unpenalised fit warns
# again), so the unpenalised fit is perfect on the training rows and poor on new ones.
# :class:`crossentropy.LogisticRegressionCV` fits the whole path of penalties
# :math:`\frac{1}{2C}\|w\|^2` on each of 5 folds and picks the C with the best held-out log loss;
# the figure shows the training and the cross-validated log loss along the path.

X, y = make_classification(n_samples=400, n_features=30, n_informative=5, n_redundant=0, flip_y=0.05,
                           random_state=4)
X_train, X_test, y_train, y_test = train_test_split(X, y, train_size=80, random_state=0, stratify=y)
cv = ce.LogisticRegressionCV(Cs=np.logspace(-3, 3, 13), cv=5).fit(X_train, y_train)
with warnings.catch_warnings():
    warnings.simplefilter("ignore", ce.ConvergenceWarning)
    warnings.simplefilter("ignore", PerfectSeparationWarning)  # 80 rows, 30 features: separable too
    unpenalised = ce.LogisticRegression(penalty=None, max_iter=1000).fit(X_train, y_train)
train_path = [ce.log_loss(y_train, ce.LogisticRegression(C=C).fit(X_train, y_train).predict_proba(X_train))
              for C in cv.Cs_]
cv_loss = -np.asarray(cv.cv_results_["mean_score"])
test_cv = ce.log_loss(y_test, cv.predict_proba(X_test))
test_none = ce.log_loss(y_test, unpenalised.predict_proba(X_test))
assert np.all(np.diff(train_path) < 0)  # the training log loss only falls as the penalty weakens
assert cv.Cs_[0] < cv.C_[0] < cv.Cs_[-1] and cv_loss.min() < cv_loss[-1]  # an interior choice
assert test_cv < test_none
print(f"C chosen by cross-validation: {cv.C_[0]:.3g}; test log loss {test_cv:.3f}, "
      f"unpenalised {test_none:.3f}")

fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
ax.plot(cv.Cs_, train_path, "o-", label="training rows")
ax.plot(cv.Cs_, cv_loss, "s-", label="5-fold cross-validation")
ax.axvline(cv.C_[0], color="grey", linestyle=":", label=f"chosen C = {cv.C_[0]:.3g}")
ax.set(xscale="log", xlabel="C (larger = weaker penalty)", ylabel="log loss", title="the penalty path")
ax.legend()
