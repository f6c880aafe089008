r"""
6. A neural network with a softmax output
=========================================

Replace the linear logits :math:`z = Wx + b` of softmax regression by a network,
:math:`z = W_2\,\mathrm{relu}(W_1 x + b_1) + b_2`, keep the softmax and the cross-entropy, and you have
the standard classifier of deep learning. The loss and its gradient with respect to the logits are
those of softmax regression (:math:`\hat p - y` per sample); back-propagation carries that gradient
through the hidden layer. :class:`crossentropy.MLPClassifier` is such a network.

A network this flexible can fit its training rows too well. This page trains one epoch at a time
and watches two log losses: on the training rows and on validation rows it never trains on.
"""

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_classification
from sklearn.metrics import log_loss as sk_log_loss
from sklearn.model_selection import train_test_split

import crossentropy as ce

X, y = make_classification(n_samples=240, n_features=2, n_informative=2, n_redundant=0, n_classes=3,
                           n_clusters_per_class=1, flip_y=0.15, class_sep=1.0, random_state=2)
X_train, X_val, y_train, y_val = train_test_split(X, y, test_size=0.5, random_state=0, stratify=y)

net = ce.MLPClassifier(hidden_layer_sizes=(64, 64), learning_rate_init=0.003, alpha=0.0, batch_size=40,
                       dtype="float64", random_state=0)
train_curve, val_curve = [], []
for epoch in range(150):
    net.partial_fit(X_train, y_train, classes=[0, 1, 2])
    train_curve.append(ce.log_loss(y_train, net.predict_proba(X_train)))
    val_curve.append(ce.log_loss(y_val, net.predict_proba(X_val)))

# %%
# The output layer is a softmax: the probabilities are the softmax of the last layer's logits,
# recomputed here by hand from the fitted weights ``coefs_`` and ``intercepts_``.

assert net.out_activation_ == "softmax"
hidden = X_val
for W, b in zip(net.coefs_[:-1], net.intercepts_[:-1]):
    hidden = np.maximum(hidden @ W + b, 0.0)
by_hand = ce.softmax(hidden @ net.coefs_[-1] + net.intercepts_[-1], axis=1)
assert np.allclose(by_hand, net.predict_proba(X_val), rtol=1e-10, atol=1e-12)
# the log loss is scikit-learn's
assert abs(val_curve[-1] - sk_log_loss(y_val, net.predict_proba(X_val))) < 1e-12

best = int(np.argmin(val_curve))
assert train_curve[-1] < train_curve[best]  # the training loss keeps falling ...
assert val_curve[-1] > val_curve[best] + 0.05  # ... while the validation loss has turned up: overfitting
print(f"validation log loss: lowest {val_curve[best]:.4f} after epoch {best + 1}, {val_curve[-1]:.4f} "
      f"after epoch {len(val_curve)}; training log loss {train_curve[best]:.4f} -> {train_curve[-1]:.4f}")

fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
epochs = np.arange(1, len(train_curve) + 1)
ax.plot(epochs, train_curve, label="training rows")
ax.plot(epochs, val_curve, label="validation rows")
ax.axvline(best + 1, color="grey", linestyle=":", label="lowest validation log loss")
ax.set(xlabel="epoch", ylabel="log loss", title="a (64, 64) network without a penalty")
ax.legend()

# %%
# Early stopping
# --------------
#
# The remedy the curve suggests: keep a validation set aside, stop when its log loss has not improved
# for ``n_iter_no_change`` epochs, and keep the weights of the best epoch. ``early_stopping=True``
# does this inside ``fit``, holding out ``validation_fraction`` of the rows it is given; the curves
# are ``loss_curve_`` (training) and ``validation_loss_curve_``.

stopped = ce.MLPClassifier(hidden_layer_sizes=(64, 64), learning_rate_init=0.003, alpha=0.0, batch_size=40,
                           dtype="float64", early_stopping=True, validation_fraction=0.25,
                           n_iter_no_change=10, max_iter=150, random_state=0).fit(X_train, y_train)
curve = np.array(stopped.validation_loss_curve_)
assert stopped.n_iter_ < 150 and stopped.best_validation_loss_ == curve.min()
assert len(curve) == stopped.n_iter_ and int(np.argmin(curve)) < stopped.n_iter_ - 1
held_out = ce.log_loss(y_val, stopped.predict_proba(X_val))
assert held_out < val_curve[-1]  # the restored weights beat training on to the end, on rows neither saw
print(f"early stopping ran {stopped.n_iter_} epochs and kept epoch {int(np.argmin(curve)) + 1}; "
      f"log loss on our validation rows {held_out:.4f} (trained to the end: {val_curve[-1]:.4f})")

fig, ax = plt.subplots(figsize=(6.5, 4), layout="constrained")
ax.plot(np.arange(1, stopped.n_iter_ + 1), stopped.loss_curve_, label="loss_curve_ (training)")
ax.plot(np.arange(1, stopped.n_iter_ + 1), curve, label="validation_loss_curve_")
ax.axvline(int(np.argmin(curve)) + 1, color="grey", linestyle=":", label="weights kept")
ax.set(xlabel="epoch", ylabel="log loss", title="early_stopping=True")
ax.legend()
