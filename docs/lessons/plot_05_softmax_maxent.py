r"""
5. Softmax regression, the maximum entropy classifier, temperature and label smoothing
======================================================================================

Three names, one model. **Softmax regression** gives class k the probability

.. math:: \hat p_k(x) = \frac{e^{w_k^\top x + b_k}}{\sum_j e^{w_j^\top x + b_j}}

and is fitted by minimising the cross-entropy, the negative log-likelihood of categorical labels.
Statisticians call the same model **multinomial logistic regression** (statsmodels' ``MNLogit``,
R's ``nnet::multinom``), natural-language processing calls it the **maximum entropy classifier**.
This page shows numerically why the three are one, then two knobs on the softmax: temperature and
label smoothing.

Multinomial logistic regression
-------------------------------

``crossentropy.LogisticRegression`` fits the softmax model whenever there are more than two classes.
Without a penalty it is the maximum-likelihood fit, so its probabilities are those of statsmodels'
``MNLogit`` (which parametrises the model against the first class, one set of weights fewer, and
reaches the same probabilities).
"""

import matplotlib.pyplot as plt
import numpy as np
import statsmodels.api as sm
from sklearn.datasets import make_classification

import crossentropy as ce
from crossentropy import information

X, y = make_classification(n_samples=150, n_features=3, n_informative=3, n_redundant=0, n_classes=3,
                           n_clusters_per_class=1, class_sep=0.8, flip_y=0.3, random_state=1)
clf = ce.LogisticRegression(penalty=None, tol=1e-12, max_iter=200).fit(X, y)
P = clf.predict_proba(X)

mnlogit = sm.MNLogit(y, sm.add_constant(X)).fit(method="newton", tol=1e-12, disp=False)
assert np.allclose(P, mnlogit.predict(sm.add_constant(X)), atol=1e-8)
assert abs(-mnlogit.llf / len(y) - ce.log_loss(y, P)) < 1e-10  # the log loss is -loglik / n
print(f"softmax regression and statsmodels MNLogit: largest probability gap "
      f"{np.abs(P - mnlogit.predict(sm.add_constant(X))).max():.1e}")

# %%
# The maximum entropy classifier
# ------------------------------
#
# Ask a different question: among all conditional distributions :math:`q(k \mid x_i)` whose
# *feature expectations* equal those of the data,
#
# .. math:: \sum_i q(k \mid x_i)\, x_{ij} = \sum_i [y_i = k]\, x_{ij} \quad\text{and}\quad
#           \sum_i q(k \mid x_i) = \sum_i [y_i = k] \qquad\text{for every class } k \text{ and feature } j,
#
# pick the one with the largest entropy :math:`-\sum_i \sum_k q(k \mid x_i)\log q(k \mid x_i)`: the one
# that assumes nothing else. Lagrange multipliers for the constraints give exactly the softmax form
# above, with the multipliers as weights (Berger, Della Pietra & Della Pietra, 1996). Conversely the
# gradient of the cross-entropy with respect to :math:`w_k` is :math:`\frac1n\sum_i (\hat p_{ik} - [y_i = k])\, x_i`,
# so at the maximum-likelihood fit the model's feature expectations equal the data's. Checked: to
# 1e-8 for every class and feature.

Y = np.eye(3)[y]
model_moments = P.T @ np.column_stack([X, np.ones(len(X))]) / len(y)
data_moments = Y.T @ np.column_stack([X, np.ones(len(X))]) / len(y)
gap = np.abs(model_moments - data_moments).max()
assert gap < 1e-8
print("feature expectations, fitted model:\n", np.round(model_moments, 6))
print("feature expectations, data:\n", np.round(data_moments, 6))
print(f"largest difference {gap:.1e}")

# %%
# Other distributions with the same feature expectations have lower entropy. Mix the fitted model
# with any other model that also matches the moments and the entropy drops as we leave it; here the
# other model is the fit perturbed along a direction that keeps every constraint (found as a null
# vector of the constraint matrix).

A = np.column_stack([X, np.ones(len(X))])
rng = np.random.default_rng(0)
# a perturbation D (n x 3) with rows summing to 0 (still distributions) and A^T D = 0 (same moments),
# on the rows where every class has probability above 0.05 (so P + t D stays a distribution)
rows = P.min(axis=1) > 0.05
basis = np.linalg.svd(A[rows].T)[2][A.shape[1]:].T  # columns orthogonal to every column of A[rows]
D = np.zeros_like(P)
D[rows] = basis @ rng.normal(size=(basis.shape[1], 3))
D -= D.mean(axis=1, keepdims=True)
D *= 0.9 * P[rows].min() / np.abs(D).max()
ts = np.linspace(-1, 1, 41)
H = np.array([information.entropy(P + t * D).sum() for t in ts])
assert np.abs(A.T @ D).max() < 1e-10 and np.abs(D.sum(axis=1)).max() < 1e-12
assert np.argmax(H) == 20 and np.all(np.diff(H[:21]) > 0) and np.all(np.diff(H[20:]) < 0)

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot(ts, H)
ax.axvline(0, color="grey", linestyle=":")
ax.set(xlabel="t (distribution P̂ + t D, same feature expectations)", ylabel="total entropy (nats)",
       title="the fitted softmax model has the largest entropy")

# %%
# Softmax temperature
# -------------------
#
# Dividing the logits by a temperature T, :math:`\mathrm{softmax}(z / T)`, keeps the ranking of the
# classes and changes the confidence: T → 0 puts all the mass on the largest logit, T → ∞ spreads it
# evenly, and the entropy rises with T. (Knowledge distillation trains on high-temperature outputs;
# temperature scaling fits one T on validation data to calibrate a network.)

z = np.array([2.0, 1.0, 0.2, -1.0])
temperatures = [0.25, 0.5, 1.0, 2.0, 4.0]
entropies = [information.entropy(ce.softmax(z / T)) for T in temperatures]
assert np.all(np.diff(entropies) > 0) and entropies[-1] < np.log(len(z))
fig, ax = plt.subplots(figsize=(7, 3.5), layout="constrained")
width = 0.15
for i, T in enumerate(temperatures):
    ax.bar(np.arange(4) + (i - 2) * width, ce.softmax(z / T), width, label=f"T = {T}, H = {entropies[i]:.2f}")
ax.set(xticks=range(4), xticklabels=[f"z = {v}" for v in z], ylabel="probability", title="softmax(z / T)")
ax.legend()

# %%
# Label smoothing
# ---------------
#
# With one-hot targets the cross-entropy of a sample keeps falling as its correct logit grows: the
# best logit gap is infinite. **Label smoothing** trains against :math:`(1 - \varepsilon)\,y + \varepsilon / K`
# instead; the loss then has a finite minimum, at the logit gap
# :math:`\log\bigl((1 - \varepsilon + \varepsilon/K) / (\varepsilon / K)\bigr)`. ``label_smoothing=ε`` in
# :func:`crossentropy.cross_entropy` is the cross-entropy against the smoothed target (checked by
# hand below), as in PyTorch.

K, eps = 3, 0.1
gaps = np.linspace(0, 10, 1001)
logits = np.column_stack([gaps, np.zeros_like(gaps), np.zeros_like(gaps)])  # class 0 is right
target = np.zeros(len(gaps), dtype=int)
plain = ce.cross_entropy(logits, target, reduction="none")
smooth = ce.cross_entropy(logits, target, reduction="none", label_smoothing=eps)
soft_target = (1 - eps) * np.eye(K)[target] + eps / K
assert np.allclose(smooth, information.cross_entropy(soft_target, ce.softmax(logits, axis=1)), rtol=1e-12)
best_gap = np.log((1 - eps + eps / K) / (eps / K))
assert np.all(np.diff(plain) < 0) and abs(gaps[np.argmin(smooth)] - best_gap) < 0.01
print(f"with label smoothing {eps}, the best logit gap is {gaps[np.argmin(smooth)]:.2f} "
      f"(formula: {best_gap:.4f})")

fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot(gaps, plain, label="one-hot target")
ax.plot(gaps, smooth, label=f"label smoothing ε = {eps}")
ax.axvline(best_gap, color="grey", linestyle=":")
ax.set(xlabel="logit of the right class minus the others", ylabel="cross-entropy",
       title="label smoothing gives the logits a finite optimum")
ax.legend()
