"""Benchmarks of issue 4: ``crossentropy.MLPClassifier`` on digits, against scikit-learn and PyTorch.

The problem: ``sklearn.datasets.load_digits`` (1,797 × 64), a 75/25 split stratified with
``random_state=0``, standardised with the training rows' mean and standard deviation. The network:
one hidden layer of 128 relu units and a softmax output over the 10 digits, Glorot-uniform start,
Adam (learning rate 1e-3, betas 0.9/0.999, eps 1e-8), L2 alpha = 1e-4 (scikit-learn's objective:
mean cross-entropy + alpha/2 · ||W||² / batch size), minibatches of 64 shuffled every epoch, 200
epochs, no early stopping (tol = 0 and ``n_iter_no_change`` = the number of epochs, so every side
runs all of them): 22 minibatches × 200 = 4,400 optimizer steps.

- Case ``mlp_digits_vs_sklearn``: ours against ``sklearn.neural_network.MLPClassifier`` with the same
  settings (float64 data, as a user would pass it; ours trains in float32 by default, scikit-learn
  in the data's float64). Target: fit time at most 0.5× scikit-learn's. The check column gives the
  test accuracies (target: ours within 1 percentage point of scikit-learn's) and the final training
  losses.
- Case ``mlp_digits_vs_torch``: ours against a PyTorch network of the same shape and schedule
  (``nn.Sequential(Linear(64, 128), ReLU(), Linear(128, 10))``, the same initialisation rule,
  ``torch.optim.Adam`` with the same hyperparameters, ``F.cross_entropy`` plus the same L2 term,
  ``torch.randperm`` shuffling, float32). For orientation only (no target in the issue).

Threads: ours runs minibatch-sized matrix products on one BLAS thread (see
``crossentropy.neural_network``); the anchors use the harness's thread settings. On a busy machine
multi-threaded BLAS (scikit-learn) and PyTorch's intra-op threads can be many times slower on these
tiny products, so each check also gives the best of three fits of each side with every library on
one thread.

Quick mode runs 5 epochs.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np

_STATE: dict = {}
HIDDEN, BATCH, LR, ALPHA = 128, 64, 1e-3, 1e-4


def _data():
    if "data" not in _STATE:
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        X, y = load_digits(return_X_y=True)
        X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
        mean, std = X_tr.mean(axis=0), X_tr.std(axis=0)
        std[std == 0] = 1.0
        _STATE["data"] = ((X_tr - mean) / std, (X_te - mean) / std, y_tr, y_te)
    return _STATE["data"]


def _fit_ours(epochs):
    from crossentropy import MLPClassifier

    X_tr, _, y_tr, _ = _data()
    model = MLPClassifier(hidden_layer_sizes=(HIDDEN,), solver="adam", alpha=ALPHA, batch_size=BATCH,
                          learning_rate_init=LR, max_iter=epochs, tol=0.0, n_iter_no_change=epochs,
                          random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_tr, y_tr)
    _STATE["ours"] = model


def _fit_sklearn(epochs):
    from sklearn.neural_network import MLPClassifier

    X_tr, _, y_tr, _ = _data()
    model = MLPClassifier(hidden_layer_sizes=(HIDDEN,), solver="adam", alpha=ALPHA, batch_size=BATCH,
                          learning_rate_init=LR, max_iter=epochs, tol=0.0, n_iter_no_change=epochs,
                          random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_tr, y_tr)
    _STATE["sklearn"] = model


def _fit_torch(epochs):
    import torch
    import torch.nn.functional as F

    X_tr, _, y_tr, _ = _data()
    gen = torch.Generator().manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(64, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 10))
    with torch.no_grad():
        for layer in (model[0], model[2]):  # Glorot uniform for weights and biases, as scikit-learn
            bound = math.sqrt(6.0 / (layer.in_features + layer.out_features))
            layer.weight.uniform_(-bound, bound, generator=gen)
            layer.bias.uniform_(-bound, bound, generator=gen)
    weights = [model[0].weight, model[2].weight]
    opt = torch.optim.Adam(model.parameters(), lr=LR, betas=(0.9, 0.999), eps=1e-8)
    X = torch.from_numpy(X_tr.astype(np.float32))
    y = torch.from_numpy(y_tr.astype(np.int64))
    n = X.shape[0]
    for _ in range(epochs):
        perm = torch.randperm(n, generator=gen)
        for start in range(0, n, BATCH):
            idx = perm[start : start + BATCH]
            xb, yb = X[idx], y[idx]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss = loss + (0.5 * ALPHA / idx.numel()) * sum((w * w).sum() for w in weights)
            loss.backward()
            opt.step()
    _STATE["torch"] = model


def _accuracies(epochs):
    import torch

    _, X_te, _, y_te = _data()
    for key, fit in (("ours", _fit_ours), ("sklearn", _fit_sklearn), ("torch", _fit_torch)):
        if key not in _STATE:
            fit(epochs)
    acc_ours = float(np.mean(_STATE["ours"].predict(X_te) == y_te))
    acc_sk = float(np.mean(_STATE["sklearn"].predict(X_te) == y_te))
    with torch.no_grad():
        logits = _STATE["torch"](torch.from_numpy(X_te.astype(np.float32))).numpy()
    acc_torch = float(np.mean(np.argmax(logits, axis=1) == y_te))
    return acc_ours, acc_sk, acc_torch


def _single_thread_times(epochs, anchor):
    """Best of three fits of ours and of the anchor with every library on one thread (ours always
    runs its small matrix products on one BLAS thread; this shows the comparison without thread effects)."""
    import torch
    from threadpoolctl import threadpool_limits

    def timed(fn):
        start = time.perf_counter()
        fn(epochs)
        return time.perf_counter() - start

    torch_threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        with threadpool_limits(limits=1):
            runs = [(timed(_fit_ours), timed(anchor)) for _ in range(3)]
    finally:
        torch.set_num_threads(torch_threads)
    t_ours, t_anchor = min(r[0] for r in runs), min(r[1] for r in runs)
    return f"single-threaded (best of 3): ours {t_ours:.3g} s, anchor {t_anchor:.3g} s, ratio {t_ours / t_anchor:.3f}"


def _check_sklearn(epochs):
    def check():
        acc_ours, acc_sk, acc_torch = _accuracies(epochs)
        gap = 100 * (acc_ours - acc_sk)
        return (f"test acc ours {acc_ours:.4f}, sklearn {acc_sk:.4f} ({gap:+.2f} pt, target |gap| <= 1: "
                f"{'met' if abs(gap) <= 1.0 else 'NOT met'}), torch {acc_torch:.4f}; final train loss "
                f"ours {_STATE['ours'].loss_curve_[-1]:.4g}, sklearn {_STATE['sklearn'].loss_curve_[-1]:.4g}; "
                + _single_thread_times(epochs, _fit_sklearn))

    return check


def _check_torch(epochs):
    def check():
        acc_ours, _, acc_torch = _accuracies(epochs)
        return f"test acc ours {acc_ours:.4f}, torch {acc_torch:.4f}; " + _single_thread_times(epochs, _fit_torch)

    return check


def cases(quick: bool) -> list[dict]:
    epochs = 5 if quick else 200
    repeats = 3 if quick else 5
    return [
        {
            "name": f"mlp_digits_vs_sklearn ((128,) relu, adam, batch 64, {epochs} epochs)",
            "issue": 4,
            "setup": _data,
            "ours": lambda: _fit_ours(epochs),
            "anchor": lambda: _fit_sklearn(epochs),
            "anchor_name": "sklearn MLPClassifier",
            "target": "ratio <= 0.5",
            "repeats": repeats,
            "check": _check_sklearn(epochs),
        },
        {
            "name": f"mlp_digits_vs_torch ((128,) relu, adam, batch 64, {epochs} epochs)",
            "issue": 4,
            "setup": _data,
            "ours": lambda: _fit_ours(epochs),
            "anchor": lambda: _fit_torch(epochs),
            "anchor_name": "PyTorch nn.Sequential + Adam",
            "target": "orientation (no target)",
            "repeats": repeats,
            "check": _check_torch(epochs),
        },
    ]
