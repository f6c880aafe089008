"""MLPClassifier: backward pass vs finite differences and PyTorch autograd, training steps vs
scikit-learn's MLPClassifier, digits accuracy, early stopping on the validation log loss, the fitted
state, partial_fit, and bad input. The scikit-learn estimator checks are in test_mlp_sklearn_checks.py."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.metrics import log_loss as sk_log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkMLP
from sklearn.utils.class_weight import compute_class_weight

from crossentropy import MLPClassifier
from crossentropy.neural_network import _layers

ACTIVATIONS = ["relu", "tanh", "logistic"]


def _quiet_fit(est, X, y, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return est.fit(X, y, **kw)


def _tiny_problem(n_outputs, activation, seed=0):
    """A 3-4-3-K network in float64 with weights, class weights, smoothing and an L2 term."""
    rng = np.random.default_rng(seed)
    n, units = 9, (3, 4, 3, n_outputs)
    n_classes = 2 if n_outputs == 1 else n_outputs
    X = rng.standard_normal((n, units[0]))
    y = np.arange(n) % n_classes
    sw = rng.uniform(0.2, 2.0, n)
    cw = rng.uniform(0.5, 2.0, n_classes)
    layout = _layers.ParamLayout(units)
    params = rng.uniform(-1, 1, layout.size)
    return X, y, sw, cw, layout, params


def _ours(X, y, sw, cw, layout, params, activation, eps, alpha):
    """(objective, flat gradient) of one full batch through the estimator's own code path."""
    p = params.copy()
    coefs, intercepts = layout.views(p)
    grad = np.zeros_like(p)
    grads = (*layout.views(grad), p[: layout.n_weights], grad[: layout.n_weights])
    ws = _layers.Workspace(X.shape[0], layout.layer_units, activation, np.float64)
    target, row_weight, cw_arg, den_rows = _layers.prepare_targets(y, sw, cw, layout.layer_units[-1], np.float64)
    den = den_rows.sum()
    num = _layers.batch_objective(ws, coefs, intercepts, grads, X, target, row_weight, cw_arg, eps, alpha, den)
    return num / den, grad


@pytest.mark.parametrize("n_outputs", [1, 3], ids=["binary", "multiclass"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_backward_matches_central_finite_differences(activation, n_outputs):
    X, y, sw, cw, layout, params = _tiny_problem(n_outputs, activation)
    kw = dict(activation=activation, eps=0.1, alpha=0.3)
    _, grad = _ours(X, y, sw, cw, layout, params, **kw)
    h = 1e-6
    fd = np.empty_like(params)
    for j in range(params.size):
        up, down = params.copy(), params.copy()
        up[j] += h
        down[j] -= h
        fd[j] = (_ours(X, y, sw, cw, layout, up, **kw)[0] - _ours(X, y, sw, cw, layout, down, **kw)[0]) / (2 * h)
    np.testing.assert_allclose(grad, fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("n_outputs", [1, 3], ids=["binary", "multiclass"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_objective_and_gradient_match_torch_autograd(activation, n_outputs):
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    X, y, sw, cw, layout, params = _tiny_problem(n_outputs, activation, seed=1)
    eps, alpha = 0.2, 0.5
    ours, grad = _ours(X, y, sw, cw, layout, params, activation, eps, alpha)

    flat = torch.tensor(params, requires_grad=True)
    pos, coefs, intercepts = 0, [], []
    for a, b in layout.coef_shapes:
        coefs.append(flat[pos : pos + a * b].reshape(a, b))
        pos += a * b
    for b in layout.layer_units[1:]:
        intercepts.append(flat[pos : pos + b])
        pos += b
    act = {"relu": torch.relu, "tanh": torch.tanh, "logistic": torch.sigmoid}[activation]
    h = torch.tensor(X)
    for w, b in zip(coefs[:-1], intercepts[:-1]):
        h = act(h @ w + b)
    z = h @ coefs[-1] + intercepts[-1]
    s, c, yt = torch.tensor(sw), torch.tensor(cw), torch.tensor(y)
    if n_outputs == 1:
        t = yt.double() * (1 - eps) + eps / 2
        rows = F.binary_cross_entropy_with_logits(z[:, 0], t, weight=c[yt], reduction="none")
    else:
        rows = F.cross_entropy(z, yt, weight=c, label_smoothing=eps, reduction="none")
    den = (s * c[yt]).sum()
    objective = ((s * rows).sum() + 0.5 * alpha * sum((w * w).sum() for w in coefs)) / den
    objective.backward()
    assert ours == pytest.approx(objective.item(), rel=1e-12)
    np.testing.assert_allclose(grad, flat.grad.numpy(), rtol=1e-10, atol=1e-13)


def test_output_loss_grad_equals_public_core():
    """The training loop's private path to the core gives what the public functions give."""
    import crossentropy as ce

    rng = np.random.default_rng(2)
    z = rng.standard_normal((6, 4)).astype(np.float32)
    y = np.array([0, 3, 1, 2, 3, 0])
    cw = np.array([1.0, 2.0, 0.5, 1.5])
    loss, grad = _layers.output_loss_grad(z, y, np.ones(6, np.float32), cw.astype(np.float32), 0.1)
    ref_loss, ref_grad = ce.cross_entropy(z, y, weight=cw, label_smoothing=0.1, reduction="sum", return_grad=True)
    assert grad.dtype == np.float32
    assert loss == pytest.approx(float(ref_loss), rel=1e-6)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("n_classes", [2, 3])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_same_steps_as_sklearn(activation, solver, n_classes):
    """float64, same seed: identical initialisation, shuffling and updates, so identical weights."""
    rng = np.random.default_rng(n_classes)
    X = rng.standard_normal((40, 5))
    y = rng.integers(0, n_classes, 40)
    kw = dict(hidden_layer_sizes=(6, 4), activation=activation, solver=solver, alpha=0.01, batch_size=16,
              learning_rate_init=0.05, max_iter=6, random_state=3)
    ours = _quiet_fit(MLPClassifier(dtype="float64", **kw), X, y)
    ref = _quiet_fit(SkMLP(**kw), X, y)
    for a, b in zip(ours.coefs_ + ours.intercepts_, ref.coefs_ + ref.intercepts_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ours.loss_curve_, ref.loss_curve_, rtol=1e-10)
    np.testing.assert_allclose(ours.predict_proba(X), ref.predict_proba(X), rtol=1e-10, atol=1e-13)
    assert ours.out_activation_ == ref.out_activation_ and ours.n_layers_ == ref.n_layers_


def test_sample_weight_steps_as_sklearn():
    rng = np.random.default_rng(5)
    X, y, sw = rng.standard_normal((40, 4)), rng.integers(0, 3, 40), rng.uniform(0, 3, 40)
    kw = dict(hidden_layer_sizes=(5,), batch_size=16, learning_rate_init=0.05, max_iter=5, random_state=0)
    ours = _quiet_fit(MLPClassifier(dtype="float64", **kw), X, y, sample_weight=sw)
    ref = _quiet_fit(SkMLP(**kw), X, y, sample_weight=sw)
    for a, b in zip(ours.coefs_, ref.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_class_weight_is_sample_weight_without_smoothing():
    rng = np.random.default_rng(6)
    X, y = rng.standard_normal((30, 4)), rng.integers(0, 3, 30)
    cw = {0: 2.0, 1: 0.5, 2: 1.5}
    kw = dict(hidden_layer_sizes=(5,), batch_size=8, max_iter=4, random_state=0, dtype="float64")
    a = _quiet_fit(MLPClassifier(class_weight=cw, **kw), X, y)
    b = _quiet_fit(MLPClassifier(**kw), X, y, sample_weight=np.array([cw[k] for k in y]))
    for u, v in zip(a.coefs_, b.coefs_):
        np.testing.assert_allclose(u, v, rtol=1e-10, atol=1e-12)
    balanced = _quiet_fit(MLPClassifier(class_weight="balanced", **kw), X, y)
    w = compute_class_weight("balanced", classes=np.unique(y), y=y)
    c = _quiet_fit(MLPClassifier(**kw), X, y, sample_weight=w[y])
    np.testing.assert_allclose(balanced.coefs_[0], c.coefs_[0], rtol=1e-10, atol=1e-12)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, stratify=y, random_state=0)
    mean, std = X_tr.mean(axis=0), X_tr.std(axis=0)
    std[std == 0] = 1.0
    return (X_tr - mean) / std, (X_te - mean) / std, y_tr, y_te


def test_digits_accuracy(digits):
    X_tr, X_te, y_tr, y_te = digits
    clf = _quiet_fit(MLPClassifier(hidden_layer_sizes=(128,), batch_size=64, max_iter=60, random_state=0), X_tr, y_tr)
    assert clf.coefs_[0].dtype == np.float32  # float32 training by default
    assert clf.score(X_te, y_te) >= 0.96


def test_early_stopping_monitors_validation_log_loss(digits):
    X_tr, _, y_tr, _ = digits
    X, y = X_tr[:600], y_tr[:600]
    clf = MLPClassifier(hidden_layer_sizes=(32,), learning_rate_init=0.01, early_stopping=True,
                        validation_fraction=0.2, n_iter_no_change=3, max_iter=300, random_state=0, dtype="float64")
    curve = []
    clf.fit(X, y, callback=lambda epoch, loss: curve.append((epoch, loss)))
    assert clf.n_iter_ < 300  # stopped early
    assert curve == list(enumerate(clf.loss_curve_, start=1))
    val = np.array(clf.validation_loss_curve_)
    best = int(np.argmin(val))
    assert clf.best_validation_loss_ == val[best]
    # the documented rule: stop after n_iter_no_change epochs that do not beat the best by more than tol
    lowest, count, stop = np.inf, 0, None
    for epoch, value in enumerate(val, start=1):
        count = 0 if value < lowest - clf.tol else count + 1
        lowest = min(lowest, value)
        if count >= clf.n_iter_no_change:
            stop = epoch
            break
    assert clf.n_iter_ == stop == len(val)
    # the held-out rows are train_test_split's, drawn first from random_state; the restored weights are the best
    _, X_val, _, y_val = train_test_split(X, y, test_size=0.2, random_state=np.random.RandomState(0), stratify=y)
    assert sk_log_loss(y_val, clf.predict_proba(X_val), labels=clf.classes_) == pytest.approx(val[best], rel=1e-9)
    assert clf.best_loss_ is None


def test_no_early_stopping_attributes_and_tol_stop():
    rng = np.random.default_rng(7)
    X, y = rng.standard_normal((60, 3)), rng.integers(0, 2, 60)
    clf = MLPClassifier(hidden_layer_sizes=(4,), tol=10.0, n_iter_no_change=2, random_state=0).fit(X, y)
    assert clf.validation_loss_curve_ is None and clf.best_validation_loss_ is None
    assert clf.n_iter_ == 3  # the first epoch improves on inf, the next two by less than tol
    assert clf.best_loss_ == min(clf.loss_curve_)
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        MLPClassifier(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)


def test_reproducible_and_seed_dependent():
    rng = np.random.default_rng(8)
    X, y = rng.standard_normal((50, 4)), rng.integers(0, 3, 50)
    kw = dict(hidden_layer_sizes=(6,), max_iter=5, batch_size=10)
    a, b = (_quiet_fit(MLPClassifier(random_state=1, **kw), X, y) for _ in range(2))
    c = _quiet_fit(MLPClassifier(random_state=2, **kw), X, y)
    assert all(np.array_equal(u, v) for u, v in zip(a.coefs_, b.coefs_))
    assert not np.array_equal(a.coefs_[0], c.coefs_[0])


def test_float32_and_float64_training_agree(digits):
    X_tr, X_te, y_tr, y_te = digits
    kw = dict(hidden_layer_sizes=(32,), batch_size=64, max_iter=3, random_state=0)
    f32 = _quiet_fit(MLPClassifier(**kw), X_tr, y_tr)
    f64 = _quiet_fit(MLPClassifier(dtype="float64", **kw), X_tr, y_tr)
    assert f32.coefs_[0].dtype == np.float32 and f64.coefs_[0].dtype == np.float64
    np.testing.assert_allclose(f32.loss_curve_, f64.loss_curve_, rtol=1e-4)
    np.testing.assert_allclose(f32.predict_proba(X_te), f64.predict_proba(X_te), atol=1e-3)


@pytest.mark.parametrize("n_classes", [2, 4])
def test_fitted_state_is_coefs_intercepts_classes(n_classes):
    """An estimator rebuilt from the documented fitted state predicts as the trained one, and trains on."""
    rng = np.random.default_rng(9)
    X = rng.standard_normal((40, 5))
    y = np.array(["a", "b", "c", "d"])[rng.integers(0, n_classes, 40)]
    clf = _quiet_fit(MLPClassifier(hidden_layer_sizes=(6, 3), activation="tanh", max_iter=5, random_state=0), X, y)
    rebuilt = MLPClassifier(**clf.get_params())
    rebuilt.coefs_ = [np.array(c) for c in clf.coefs_]
    rebuilt.intercepts_ = [np.array(b) for b in clf.intercepts_]
    rebuilt.classes_ = clf.classes_.copy()
    rebuilt.n_features_in_ = clf.n_features_in_
    np.testing.assert_array_equal(rebuilt.predict_proba(X), clf.predict_proba(X))
    np.testing.assert_array_equal(rebuilt.predict(X), clf.predict(X))
    before = rebuilt.predict_proba(X)
    rebuilt.partial_fit(X, y)
    assert rebuilt.n_iter_ == 1 and not np.array_equal(rebuilt.predict_proba(X), before)


def test_probabilities_and_log_probabilities():
    rng = np.random.default_rng(10)
    X, y = rng.standard_normal((30, 3)), rng.integers(0, 2, 30)
    clf = _quiet_fit(MLPClassifier(hidden_layer_sizes=(4,), max_iter=3, random_state=0), X, y)
    assert clf.coefs_[-1].shape == (4, 1)  # one sigmoid output for two classes
    p, logp, z = clf.predict_proba(X), clf.predict_log_proba(X), clf.decision_function(X)
    np.testing.assert_allclose(p.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.exp(logp), p, rtol=1e-12)
    np.testing.assert_allclose(p[:, 1], 1 / (1 + np.exp(-z)), rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[(z > 0).astype(int)])
    big = clf.predict_log_proba(X * 1e6)  # far outside the data: finite log-probabilities, no log(0)
    assert np.isfinite(big).all()


def test_large_inputs_stay_finite():
    rng = np.random.default_rng(11)
    X, y = rng.standard_normal((40, 3)) * 1e4, rng.integers(0, 3, 40)
    clf = _quiet_fit(MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, random_state=0), X, y)
    assert np.isfinite(clf.loss_curve_).all()
    assert np.isfinite(clf.predict_proba(X)).all()


def test_partial_fit():
    rng = np.random.default_rng(12)
    X, y = rng.standard_normal((60, 4)), rng.integers(0, 3, 60)
    kw = dict(hidden_layer_sizes=(5,), batch_size=20, random_state=0, dtype="float64", shuffle=False)
    with pytest.raises(ValueError, match="classes must be passed"):
        MLPClassifier(**kw).partial_fit(X, y)
    inc = MLPClassifier(**kw).partial_fit(X, y, classes=[0, 1, 2])
    one = _quiet_fit(MLPClassifier(max_iter=1, **kw), X, y)
    for a, b in zip(inc.coefs_, one.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    # the optimizer state carries over: three calls equal three epochs of fit
    inc.partial_fit(X, y).partial_fit(X, y)
    three = _quiet_fit(MLPClassifier(max_iter=3, tol=0.0, n_iter_no_change=3, **kw), X, y)
    np.testing.assert_allclose(inc.coefs_[0], three.coefs_[0], rtol=1e-10)
    assert inc.n_iter_ == 3 and len(inc.loss_curve_) == 3
    with pytest.raises(ValueError, match="not in classes"):
        inc.partial_fit(X, np.full(60, 7))
    with pytest.raises(ValueError, match="early_stopping"):
        MLPClassifier(early_stopping=True).partial_fit(X, y, classes=[0, 1, 2])
    with pytest.raises(ValueError, match="balanced"):
        MLPClassifier(class_weight="balanced").partial_fit(X, y, classes=[0, 1, 2])


def test_verbose_prints_losses(capsys):
    rng = np.random.default_rng(13)
    X, y = rng.standard_normal((20, 3)), rng.integers(0, 2, 20)
    _quiet_fit(MLPClassifier(hidden_layer_sizes=(3,), max_iter=2, verbose=True, random_state=0), X, y)
    assert capsys.readouterr().out.count("loss = ") == 2


@pytest.mark.parametrize(
    "params, exc, match",
    [
        ({"solver": "lbfgs"}, ValueError, "solver"),
        ({"activation": "identity"}, ValueError, "activation"),
        ({"hidden_layer_sizes": (10, 0)}, ValueError, "hidden_layer_sizes"),
        ({"alpha": -1.0}, ValueError, "alpha"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"learning_rate_init": 0.0}, ValueError, "learning_rate_init"),
        ({"max_iter": 2.5}, TypeError, "max_iter"),
        ({"validation_fraction": 1.0}, ValueError, "validation_fraction"),
        ({"label_smoothing": 1.5}, ValueError, "label_smoothing"),
        ({"class_weight": "uniform"}, ValueError, "class_weight"),
        ({"class_weight": {5: 1.0}}, ValueError, "class_weight"),
        ({"beta_2": 1.0}, ValueError, "beta_2"),
        ({"dtype": "float16"}, ValueError, "dtype"),
        ({"early_stopping": "yes"}, TypeError, "early_stopping"),
    ],
)
def test_bad_parameters(params, exc, match):
    X, y = np.random.default_rng(0).standard_normal((10, 2)), np.arange(10) % 2
    with pytest.raises(exc, match=match):
        MLPClassifier(**params).fit(X, y)


def test_bad_data():
    rng = np.random.default_rng(14)
    X, y = rng.standard_normal((10, 2)), np.arange(10) % 2
    clf = MLPClassifier(hidden_layer_sizes=(2,), max_iter=1)
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="X"):
        clf.fit(bad, y)
    with pytest.raises(ValueError, match="one class"):
        clf.fit(X, np.zeros(10))
    with pytest.raises(ValueError, match="X and y"):
        clf.fit(X, y[:-1])
    with pytest.raises(ValueError, match="sample_weight"):
        clf.fit(X, y, sample_weight=-np.ones(10))
    with pytest.raises(ValueError, match="sample_weight"):
        clf.fit(X, y, sample_weight=np.zeros(10))
    with pytest.raises(ValueError, match="Unknown label type"):
        clf.fit(X, rng.standard_normal(10))
    with pytest.raises(NotFittedError):
        MLPClassifier().predict(X)
    _quiet_fit(clf, X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(np.ones((2, 3)))


# ---------------------------------------------------------------------------------- optim
def test_adam_matches_sklearn_optimizer():
    from sklearn.neural_network._stochastic_optimizers import AdamOptimizer

    from crossentropy.neural_network import Adam

    rng = np.random.default_rng(15)
    theta = rng.standard_normal(7)
    ref = [theta.copy()]
    ours, sk = Adam(0.01, 0.8, 0.99, 1e-6), AdamOptimizer(ref, 0.01, 0.8, 0.99, 1e-6)
    for _ in range(5):
        g = rng.standard_normal(7)
        ours.step(theta, g)
        sk.update_params(ref, [g])
    np.testing.assert_allclose(theta, ref[0], rtol=1e-13)
    assert ours.t == 5


@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_matches_torch(nesterov):
    torch = pytest.importorskip("torch")
    from crossentropy.neural_network import SGD

    rng = np.random.default_rng(16)
    theta = rng.standard_normal(6)
    ref = torch.tensor(theta.copy(), requires_grad=True)
    ours, opt = SGD(0.1, 0.7, nesterov), torch.optim.SGD([ref], lr=0.1, momentum=0.7, nesterov=nesterov)
    for _ in range(4):
        g = rng.standard_normal(6)
        ours.step(theta, g)
        ref.grad = torch.tensor(g)
        opt.step()
    np.testing.assert_allclose(theta, ref.detach().numpy(), rtol=1e-13)


def test_optimizers_update_float32_in_place_and_reject_bad_input():
    from crossentropy.neural_network import SGD, Adam

    theta = np.ones(4, dtype=np.float32)
    Adam().step(theta, np.ones(4))
    assert theta.dtype == np.float32 and np.all(theta < 1)
    with pytest.raises(ValueError, match="grad"):
        Adam().step(np.ones(3), np.ones(4))
    with pytest.raises(ValueError, match="params"):
        SGD().step(np.ones((4, 4))[:, 0], np.ones(4))
    with pytest.raises(TypeError, match="params"):
        SGD().step([1.0, 2.0], np.ones(2))
    with pytest.raises(ValueError, match="beta_1"):
        Adam(beta_1=1.0)
    with pytest.raises(ValueError, match="learning_rate"):
        SGD(learning_rate=0.0)
    with pytest.raises(TypeError, match="nesterov"):
        SGD(nesterov="yes")
