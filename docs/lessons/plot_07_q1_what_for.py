r"""
7. Question 1: what is cross-entropy for?
=========================================

**Answer.** Cross-entropy scores *probabilities* against what happened. A model that says
"class k with probability q" pays :math:`-\log q` when k happens: its *surprise*. Averaged over the
data this is the log loss, which does two jobs:

* **training**: minimising it is maximum likelihood (lesson 1), and its gradient with respect to the
  logits, :math:`\hat p - y` per sample, is simple and never saturates on a wrong answer;
* **measuring**: it compares models on held-out data in a unit with a meaning (nats, or bits with
  base 2: the average code length), and against a baseline: predicting the class frequencies
  everywhere, whose log loss is the entropy of the labels.

The figure: the surprise :math:`-\log_2 q` of each test sample of a logistic regression on the
breast-cancer data, sorted. Most samples cost almost nothing; a few confident mistakes cost
several bits each and make up a large share of the mean.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.metrics import log_loss as sk_log_loss
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import crossentropy as ce
from crossentropy import information

X, y = load_breast_cancer(return_X_y=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)
scaler = StandardScaler().fit(X_train)
clf = ce.LogisticRegression(C=1.0).fit(scaler.transform(X_train), y_train)
proba = clf.predict_proba(scaler.transform(X_test))

surprise_bits = -np.log2(proba[np.arange(len(y_test)), y_test])
nats = ce.log_loss(y_test, proba)
assert abs(nats - sk_log_loss(y_test, proba)) < 1e-12  # scikit-learn's log loss, the oracle
assert abs(surprise_bits.mean() - nats / np.log(2)) < 1e-12  # bits = nats / ln 2
prior = np.bincount(y_train) / len(y_train)
baseline = ce.log_loss(y_test, np.tile(prior, (len(y_test), 1)))
assert abs(baseline - information.cross_entropy(np.bincount(y_test) / len(y_test), prior)) < 1e-12
worst = np.sort(surprise_bits)[::-1]
share = worst[:5].sum() / worst.sum()
assert share > 0.3
print(f"test log loss {nats:.4f} nats = {nats / np.log(2):.4f} bits per sample; "
      f"predicting the class frequencies: {baseline:.4f} nats")
print(f"the 5 worst of {len(y_test)} test samples carry {share:.0%} of the total surprise")

fig, (ax_s, ax_q) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
ax_s.bar(np.arange(len(worst)), worst, width=1.0)
ax_s.axhline(nats / np.log(2), color="C1", label=f"mean: the log loss, {nats / np.log(2):.3f} bits")
ax_s.set(xlabel="test samples, most surprising first", ylabel="surprise −log₂ q (bits)",
         title="where the log loss comes from")
ax_s.legend()
q = np.linspace(0.001, 1, 500)
ax_q.plot(q, -np.log2(q))
ax_q.set(xlabel="probability q the model gave to what happened", ylabel="−log₂ q (bits)",
         title="the cost of one outcome")
