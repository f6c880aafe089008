r"""
8. Question 2: which problems does cross-entropy suit?
======================================================

**Answer.** Problems whose output is a *probability distribution over outcomes*: probabilistic
classification. Binary (sigmoid + binary cross-entropy), multiclass (softmax + cross-entropy),
multi-label (one sigmoid per label), and soft or smoothed targets. It is the right loss there
because the expected log loss is smallest exactly when the predicted probability equals the true
one (left panel: for a label that is 1 with probability p, the expected loss
:math:`-p\log q - (1 - p)\log(1 - q)` is smallest at q = p).

It does not suit

* **regression**: a number is not a distribution over classes. The likelihood argument still works,
  with a Gaussian instead of a Bernoulli, and gives the squared error
  (:math:`-\log \mathcal N(y; \hat y, \sigma^2) = (y - \hat y)^2 / 2\sigma^2 + \text{const}`), not
  the log loss; the binary cross-entropy refuses a target of 3.7;
* **ranking**, where only the order of the scores matters. The right panel rescales the logits of
  one model by a factor s: the order, hence the ROC AUC, never changes, while the log loss does.
  Cross-entropy asks for calibrated probabilities, which a ranking task does not need; ranking
  losses (pairwise, listwise) or the AUC itself measure what ranking needs.
"""

import matplotlib.pyplot as plt
import numpy as np
from scipy import stats
from sklearn.datasets import make_classification
from sklearn.metrics import roc_auc_score

import crossentropy as ce

q = np.linspace(0.001, 0.999, 999)
fig, (ax_p, ax_r) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
for p in (0.1, 0.5, 0.8):
    expected = p * ce.binary_cross_entropy(q, np.ones_like(q), reduction="none") + \
        (1 - p) * ce.binary_cross_entropy(q, np.zeros_like(q), reduction="none")
    assert abs(q[np.argmin(expected)] - p) < 1e-9  # minimised at the true probability
    ax_p.plot(q, expected, label=f"p = {p}")
ax_p.set(xlabel="predicted probability q", ylabel="expected log loss", ylim=(0, 2.5),
         title="smallest where q equals the true p")
ax_p.legend()

# regression: the Gaussian negative log-likelihood is the squared error up to constants
y_num, y_hat, sigma = np.array([3.7, 1.2, -0.4]), np.array([3.0, 1.5, 0.1]), 1.0
gauss_nll = -stats.norm.logpdf(y_num, loc=y_hat, scale=sigma)
assert np.allclose(gauss_nll, (y_num - y_hat) ** 2 / 2 + 0.5 * np.log(2 * np.pi), rtol=1e-14)
try:
    ce.binary_cross_entropy([0.5], [3.7])
    raise AssertionError("a target of 3.7 should be refused")
except ValueError as error:
    print("binary_cross_entropy with a target of 3.7:", error)

# ranking: scaling the logits keeps the order (the AUC) and changes the log loss
X, y = make_classification(n_samples=300, n_features=4, random_state=0)
z = ce.LogisticRegression().fit(X, y).decision_function(X)
scales = np.geomspace(0.1, 10, 41)
aucs = [roc_auc_score(y, s * z) for s in scales]
losses = [ce.binary_cross_entropy_with_logits(s * z, y) for s in scales]
assert np.ptp(aucs) == 0.0 and max(losses) > 2 * min(losses)
print(f"ROC AUC {aucs[0]:.4f} at every scale; log loss from {min(losses):.3f} to {max(losses):.3f}")
ax_r.plot(scales, losses, label="log loss")
ax_r.plot(scales, aucs, label="ROC AUC")
ax_r.set(xscale="log", xlabel="scale s of the logits", title="same ranking, different log loss")
ax_r.legend()
