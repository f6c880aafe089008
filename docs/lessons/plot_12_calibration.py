r"""
12. Calibration and proper scoring rules: why cross-entropy and not accuracy
============================================================================

A **scoring rule** S(q, y) charges a forecast q for the outcome y. It is **proper** if, when the
outcome really has probability p, the expected charge :math:`\mathbb E_{y\sim p}\,S(q, y)` is
smallest at the honest forecast q = p, and **strictly proper** if q = p is the only minimum. The log
loss :math:`-\log q_y` and the Brier score :math:`(q - y)^2` are strictly proper. The 0–1 loss
behind accuracy (charge 1 when the more likely class by q is not y) is proper but not strictly: every
q on the right side of 1/2 scores the same, so accuracy cannot tell an honest 0.7 from a reckless 0.99.
Training or choosing models on a strictly proper rule rewards **calibrated** probabilities: among
the rows given probability 0.7, seven in ten are positive.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.calibration import calibration_curve
from sklearn.datasets import make_classification
from sklearn.metrics import accuracy_score, brier_score_loss
from sklearn.model_selection import train_test_split

import crossentropy as ce

p = 0.7
q = np.linspace(0.001, 0.999, 999)
expected_log = -(p * np.log(q) + (1 - p) * np.log(1 - q))
expected_brier = p * (1 - q) ** 2 + (1 - p) * q**2
expected_01 = np.where(q > 0.5, 1 - p, p)
assert abs(q[np.argmin(expected_log)] - p) < 1e-9 and abs(q[np.argmin(expected_brier)] - p) < 1e-9
assert np.ptp(expected_01[q > 0.5]) == 0.0  # flat: every q above 1/2 is "best"

fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
ax.plot(q, expected_log, label="log loss (strictly proper)")
ax.plot(q, expected_brier, label="Brier score (strictly proper)")
ax.plot(q, expected_01, label="0–1 loss = 1 − accuracy (not strictly)")
ax.axvline(p, color="grey", linestyle=":")
ax.set(xlabel="forecast q", ylabel=f"expected score when p = {p}", ylim=(0, 1.5),
       title="only strictly proper rules point at the truth")
ax.legend()

# %%
# Same accuracy, different log loss
# ---------------------------------
#
# A fitted logistic regression, and the same model made overconfident by multiplying its logits by
# 4. Every prediction stays on the same side of 1/2, so the accuracy is identical; the log loss and
# the Brier score see the damage, and the reliability diagram (the observed frequency of positives
# among rows binned by predicted probability) shows it: the honest model follows the diagonal, the
# overconfident one does not.

X, y = make_classification(n_samples=2000, n_features=5, n_informative=5, n_redundant=0, flip_y=0.05,
                           random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.5, random_state=0)
clf = ce.LogisticRegression().fit(X_train, y_train)
z = clf.decision_function(X_test)
models = {"fitted": ce.sigmoid(z), "logits × 4 (overconfident)": ce.sigmoid(4 * z)}
scores = {}
for name, proba in models.items():
    scores[name] = (accuracy_score(y_test, proba > 0.5), ce.log_loss(y_test, proba), brier_score_loss(y_test, proba))
    print(f"{name:28s} accuracy {scores[name][0]:.3f}  log loss {scores[name][1]:.3f}  Brier {scores[name][2]:.3f}")
honest, reckless = scores.values()
assert honest[0] == reckless[0] and honest[1] < reckless[1] and honest[2] < reckless[2]

fig, ax = plt.subplots(figsize=(5, 5), layout="constrained")
ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfectly calibrated")
gaps = {}
for name, proba in models.items():
    observed, predicted = calibration_curve(y_test, proba, n_bins=8, strategy="quantile")
    gaps[name] = np.abs(observed - predicted).mean()
    ax.plot(predicted, observed, "o-", label=name)
for name, gap in gaps.items():
    print(f"{name:28s} mean |observed - predicted| over the bins: {gap:.3f}")
assert gaps["fitted"] < 0.05 < gaps["logits × 4 (overconfident)"]
ax.set(xlabel="predicted probability (bin mean)", ylabel="observed frequency of y = 1",
       title="reliability diagram, test rows")
ax.legend()
