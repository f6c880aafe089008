r"""``MLPClassifier``: a small, fast CPU neural network classifier trained on cross-entropy.

The output layer's loss and gradient come from the cross-entropy core (:mod:`crossentropy.losses`);
this module holds the scikit-learn estimator interface: parameter and data checks, class weights,
initialisation and prediction. The layers are in :mod:`crossentropy.neural_network._layers`, the
minibatch loop and early stopping in :mod:`crossentropy.neural_network._training`, the update rules
in :mod:`crossentropy.neural_network._optim`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import special
from .._validation import (
    check_bool,
    check_int,
    check_label_smoothing,
    check_option,
    check_real,
    check_sample_weight,
    class_weight_vector,
)
from . import _checks, _layers
from ._optim import SGD, Adam
from ._training import split_validation, train_epochs

__all__ = ["MLPClassifier"]

_DTYPES = ("float32", "float64")


class MLPClassifier(ClassifierMixin, BaseEstimator):
    r"""Multi-layer perceptron classifier trained on cross-entropy with Adam or SGD.

    Hidden layers :math:`A_l = f(A_{l-1}W_l + b_l)` (``activation`` :math:`f`: relu, tanh or the
    logistic sigmoid) feed an output layer of logits :math:`Z`. With two classes there is one logit
    and :math:`P(y = \text{classes\_}[1]) = \sigma(z)`, trained with binary cross-entropy from logits;
    with :math:`K \ge 3` classes, :math:`K` logits and a softmax, trained with softmax cross-entropy.
    Both losses, and their gradient :math:`\partial\ell/\partial Z`, come from the cross-entropy core.

    Each minibatch :math:`B` takes one optimizer step on

    .. math::
        J_B(\theta) = \frac{\sum_{i \in B} s_i\,\ell_i(\theta) + \tfrac{\alpha}{2}\sum_l \lVert W_l\rVert_F^2}
                           {\sum_{i \in B} s_i\,c_{y_i}}

    where :math:`s_i` is the sample weight, :math:`c_k` the class weight, and :math:`\ell_i` the
    cross-entropy of row :math:`i` with class weights and ``label_smoothing`` :math:`\varepsilon`
    exactly as :func:`crossentropy.cross_entropy` (PyTorch's formula, target weight
    :math:`(1-\varepsilon)c_{y_i}` plus :math:`\tfrac{\varepsilon}{K}\sum_k c_k` on the uniform part)
    or :func:`crossentropy.binary_cross_entropy_with_logits` (target :math:`y(1-\varepsilon)+\varepsilon/2`,
    weight :math:`c_{y_i}`). Without weights this is scikit-learn's ``MLPClassifier`` objective: the mean
    log loss plus :math:`\alpha/2\,\sum\lVert W\rVert^2` divided by the batch size; biases are not
    penalised. ``loss_curve_`` holds, per epoch, the sum of the minibatch numerators divided by the
    sum of their denominators.

    **Precision.** Training runs in float32 by default (``dtype="float32"``): parameters, activations,
    gradients and optimizer state are float32, while losses are summed in float64. This halves memory
    traffic and speeds up the matrix products, and costs nothing in accuracy for networks of this
    size. ``dtype="float64"`` trains in double precision. Predicted probabilities are computed in
    float64 from the logits.

    **Early stopping** (``early_stopping=True``) holds out a stratified ``validation_fraction`` of the
    training rows (those of ``train_test_split(X, y, test_size=validation_fraction, stratify=y,
    random_state=RandomState(random_state))``: the split is the first use of ``random_state``) and
    monitors their **log loss** (unsmoothed, without class weights, sample-weighted), not accuracy as
    scikit-learn does: training stops after ``n_iter_no_change`` consecutive epochs in which it did not
    fall below the best value minus ``tol`` (scikit-learn waits one epoch more), and the weights of the
    best epoch are restored. Without early stopping the same rule is applied to the training loss
    (``loss_curve_``), and the final weights are kept. Without early stopping and with
    ``dtype="float64"``, training takes exactly scikit-learn's steps from the same ``random_state``
    (same initialisation, shuffling and updates).

    **Fitted state.** The attributes ``coefs_``, ``intercepts_``, ``classes_`` and ``n_features_in_``
    (with the constructor parameters, of which prediction uses only ``activation``) define a fitted
    model completely: an estimator with just those set predicts exactly as the one that was trained,
    and ``partial_fit`` continues training from them (with fresh optimizer state). Everything else is
    a training record (``n_iter_``, ``loss_curve_``, ...) or is derived from them (``n_layers_``,
    ``n_outputs_``, ``out_activation_``).

    Parameters
    ----------
    hidden_layer_sizes : int or tuple of int, default (100,)
        Units in each hidden layer; ``()`` gives a network without hidden layers (logistic regression).
    activation : {"relu", "tanh", "logistic"}, default "relu"
    solver : {"adam", "sgd"}, default "adam"
        :class:`crossentropy.neural_network.Adam`, or :class:`crossentropy.neural_network.SGD` with ``momentum`` and
        ``nesterovs_momentum``.
    alpha : float >= 0, default 1e-4
        Strength :math:`\alpha` of the L2 penalty on the weights.
    batch_size : int or "auto", default "auto"
        Rows per minibatch; "auto" is ``min(200, n_samples)``. Larger values are clipped (with a warning).
    learning_rate_init : float > 0, default 1e-3
        The (constant) step size.
    max_iter : int >= 1, default 200
        Maximum number of epochs (passes over the training rows).
    tol : float >= 0, default 1e-4
        Minimum decrease of the monitored loss that counts as an improvement.
    early_stopping : bool, default False
    validation_fraction : float in (0, 1), default 0.1
        Share of the training rows held out for early stopping.
    n_iter_no_change : int >= 1, default 10
        Epochs without improvement before training stops.
    label_smoothing : float in [0, 1], default 0
    class_weight : dict, "balanced" or None, default None
        Weight :math:`c_k` of each class; "balanced" is scikit-learn's rule with the sample weights
        counted, :math:`c_k = S / (K_+ S_k)` with :math:`S_k = \sum_{y_i = k} s_i` and :math:`S = \sum_k S_k`
        (``compute_class_weight("balanced", classes=classes, y=y, sample_weight=sample_weight)``; see
        :func:`crossentropy._validation.class_weight_vector`), computed on every training row before
        the validation split. ``partial_fit`` refuses "balanced" (it sees one batch at a time).
    momentum : float in [0, 1], default 0.9
        SGD momentum.
    nesterovs_momentum : bool, default True
        Use Nesterov's momentum with SGD.
    beta_1, beta_2 : float in [0, 1), defaults 0.9 and 0.999
        Adam's moment decay rates.
    epsilon : float > 0, default 1e-8
        Adam's stabiliser.
    shuffle : bool, default True
        Shuffle the training rows before each epoch.
    dtype : {"float32", "float64"}, default "float32"
        Precision of training (see above).
    random_state : int, numpy.random.RandomState or None, default None
        Seeds the weight initialisation (Glorot uniform, as scikit-learn), the validation split and
        the shuffling; an integer makes ``fit`` reproducible.
    verbose : bool, default False
        Print the loss after each epoch.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, sorted.
    coefs_ : list of ndarray
        ``coefs_[l]`` of shape (fan_in, fan_out) is the weight matrix of layer ``l + 1``.
    intercepts_ : list of ndarray
        ``intercepts_[l]`` of shape (fan_out,) is its bias.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when ``X`` had string column names.
    n_iter_ : int
        Epochs run (counting every ``partial_fit`` call).
    loss_ : float
        Training loss of the last epoch.
    loss_curve_ : list of float
        Training loss per epoch (see above).
    best_loss_ : float or None
        Lowest training loss (None with early stopping).
    validation_loss_curve_ : list of float or None
        Validation log loss per epoch (None without early stopping).
    best_validation_loss_ : float or None
        Lowest validation log loss, that of the restored weights (None without early stopping).
    t_ : int
        Training rows seen.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from crossentropy import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> X = (X - X.mean(axis=0)) / X.std(axis=0)
    >>> clf = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=300,
    ...                     random_state=0).fit(X, y)
    >>> round(clf.score(X, y), 2)
    0.99
    >>> [w.shape for w in clf.coefs_], clf.out_activation_
    ([(4, 16), (16, 3)], 'softmax')

    References
    ----------
    Goodfellow, Bengio & Courville, *Deep Learning* (2016), §6.2.2 (output units and cross-entropy)
    and §6.5 (back-propagation); Glorot & Bengio, *Understanding the difficulty of training deep
    feedforward neural networks*, AISTATS 2010 (initialisation); scikit-learn's ``MLPClassifier``.
    """

    def __init__(
        self,
        *,
        hidden_layer_sizes=(100,),
        activation="relu",
        solver="adam",
        alpha=1e-4,
        batch_size="auto",
        learning_rate_init=1e-3,
        max_iter=200,
        tol=1e-4,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        label_smoothing=0.0,
        class_weight=None,
        momentum=0.9,
        nesterovs_momentum=True,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        shuffle=True,
        dtype="float32",
        random_state=None,
        verbose=False,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.tol = tol
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.label_smoothing = label_smoothing
        self.class_weight = class_weight
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.shuffle = shuffle
        self.dtype = dtype
        self.random_state = random_state
        self.verbose = verbose

    # ------------------------------------------------------------------ derived attributes
    @property
    def n_layers_(self):
        """Number of layers, input and output included."""
        return len(self.coefs_) + 1

    @property
    def n_outputs_(self):
        """Number of logits: 1 for two classes, else the number of classes."""
        return self.coefs_[-1].shape[1]

    @property
    def out_activation_(self):
        """``"logistic"`` (two classes) or ``"softmax"``."""
        return "logistic" if self.n_outputs_ == 1 else "softmax"

    # ------------------------------------------------------------------ checks
    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = (sizes,)
        try:
            sizes = tuple(sizes)
        except TypeError:
            raise TypeError(f"hidden_layer_sizes must be an int or a tuple of ints, got {self.hidden_layer_sizes!r}") from None
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 1:
                raise ValueError(f"hidden_layer_sizes must hold positive integers, got {self.hidden_layer_sizes!r}")
        return tuple(int(s) for s in sizes)

    def _check_params(self):
        """Validate the constructor parameters; return the hidden sizes and the training dtype."""
        hidden = self._hidden_sizes()
        check_option(self.activation, "activation", _layers.ACTIVATIONS)
        check_option(self.solver, "solver", ("adam", "sgd"))
        check_real(self.alpha, "alpha", low=0.0)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            check_int(self.batch_size, "batch_size", low=1)
        check_real(self.learning_rate_init, "learning_rate_init", low=0.0, low_open=True)
        check_int(self.max_iter, "max_iter", low=1)
        check_real(self.tol, "tol", low=0.0)
        check_bool(self.early_stopping, "early_stopping")
        check_real(self.validation_fraction, "validation_fraction", low=0.0, high=1.0, low_open=True, high_open=True)
        check_int(self.n_iter_no_change, "n_iter_no_change", low=1)
        check_label_smoothing(self.label_smoothing)
        if not (self.class_weight is None or isinstance(self.class_weight, dict)
                or (isinstance(self.class_weight, str) and self.class_weight == "balanced")):
            raise ValueError(f"class_weight must be None, 'balanced' or a dict, got {self.class_weight!r}")
        check_real(self.momentum, "momentum", low=0.0, high=1.0)
        check_bool(self.nesterovs_momentum, "nesterovs_momentum")
        check_real(self.beta_1, "beta_1", low=0.0, high=1.0, high_open=True)
        check_real(self.beta_2, "beta_2", low=0.0, high=1.0, high_open=True)
        check_real(self.epsilon, "epsilon", low=0.0, low_open=True)
        check_bool(self.shuffle, "shuffle")
        try:
            dtype = np.dtype(self.dtype)
        except TypeError:
            dtype = None
        if dtype is None or dtype.name not in _DTYPES:
            raise ValueError(f"dtype must be 'float32' or 'float64', got {self.dtype!r}")
        return hidden, dtype

    def _validate_fit_data(self, X, y, sample_weight, reset):
        if y is not None and hasattr(X, "__len__") and hasattr(y, "__len__"):
            n_x, n_y = (X.shape[0] if hasattr(X, "shape") else len(X)), (y.shape[0] if hasattr(y, "shape") else len(y))
            if n_x != n_y:
                raise ValueError(f"X and y must have the same number of rows, got X with {n_x} and y with {n_y}")
        X, y = validate_data(self, X, y, reset=reset, dtype=(np.float64, np.float32))
        check_classification_targets(y)
        if sample_weight is not None:  # None stays None: unweighted training takes the unweighted kernels
            sample_weight = check_sample_weight(sample_weight, X.shape[0])
        return X, y, sample_weight

    def _class_weights(self, y_int, sample_weight, allow_balanced=True):
        """The class weights :math:`c_k` (None without ``class_weight``), in ``classes_`` order.

        ``"balanced"`` counts the classes with the sample weights, as
        ``sklearn.utils.class_weight.compute_class_weight("balanced", ..., sample_weight=...)`` and
        :class:`crossentropy.LogisticRegression` do.
        """
        cw = self.class_weight
        if cw is None:
            return None
        balanced = isinstance(cw, str) and cw == "balanced"
        if balanced and not allow_balanced:
            raise ValueError(
                "class_weight='balanced' is not available in partial_fit, which sees one batch at a time; "
                "pass a dict, for example from sklearn.utils.class_weight.compute_class_weight on the full target"
            )
        counts = np.bincount(y_int, weights=sample_weight, minlength=self.classes_.size) if balanced else None
        return class_weight_vector(cw, self.classes_, counts)

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y, sample_weight=None, *, callback=None):
        """Train the network from scratch.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
            Class labels (at least two distinct ones).
        sample_weight : array_like of shape (n_samples,), optional
            Non-negative row weights :math:`s_i`. Weights whose products with the class weights are
            beyond 2**512 or below 2**-512 at their largest are read as relative weights (divided by a
            power of two first; see :func:`crossentropy.neural_network._checks.usable_weights`).
        callback : callable, optional
            ``callback(epoch, train_loss)`` is called after every epoch (1-based epoch number).

        Returns
        -------
        self
        """
        hidden, dtype = self._check_params()
        X, y, sample_weight = self._validate_fit_data(X, y, sample_weight, reset=True)
        self.classes_, y_int = np.unique(y, return_inverse=True)
        if self.classes_.size < 2:
            raise ValueError(f"y holds one class only ({self.classes_.tolist()[0]!r}); a classifier needs at least two")
        class_weight = self._class_weights(y_int, sample_weight)
        sample_weight, class_weight = _checks.usable_weights(y_int, sample_weight, class_weight)
        self._check_memory(X, hidden, dtype)
        self._rng = check_random_state(self.random_state)
        val = None
        if self.early_stopping:
            X, y_int, sample_weight, val = split_validation(X, y_int, sample_weight, self.validation_fraction, self._rng)
        self._initialize(X.shape[1], hidden, dtype)
        self._optimizer = self._make_optimizer()
        self.n_iter_, self.t_, self.loss_curve_ = 0, 0, []
        self.validation_loss_curve_ = [] if val is not None else None
        self.best_validation_loss_ = np.inf if val is not None else None
        self.best_loss_ = None if val is not None else np.inf
        train_epochs(self, X, y_int, sample_weight, class_weight, dtype, self.max_iter, val, callback, self._rng,
                     self._optimizer)
        return self

    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """One epoch over ``X``, continuing from the current weights and optimizer state.

        Parameters
        ----------
        X : array_like of shape (n_samples, n_features)
        y : array_like of shape (n_samples,)
        classes : array_like of shape (n_classes,), optional
            Every class label; required on the first call (when the model has no ``coefs_``).
        sample_weight : array_like of shape (n_samples,), optional

        Returns
        -------
        self
        """
        hidden, dtype = self._check_params()
        if self.early_stopping:
            raise ValueError("partial_fit does not support early_stopping=True; call fit, or set early_stopping=False")
        first = not hasattr(self, "coefs_")
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        X, y, sample_weight = self._validate_fit_data(X, y, sample_weight, reset=first)
        if classes is not None:
            classes = np.unique(np.asarray(classes))
            if not first and not np.array_equal(classes, self.classes_):
                raise ValueError(f"classes={classes.tolist()!r} differs from the classes of the first call {self.classes_.tolist()!r}")
            if classes.size < 2:
                raise ValueError(f"classes must hold at least two labels, got {classes.tolist()!r}")
            self.classes_ = classes
        unknown = np.setdiff1d(y, self.classes_)
        if unknown.size:
            raise ValueError(f"y holds labels that are not in classes: {unknown[:5].tolist()!r}")
        y_int = np.searchsorted(self.classes_, y)
        class_weight = self._class_weights(y_int, sample_weight, allow_balanced=False)
        sample_weight, class_weight = _checks.usable_weights(y_int, sample_weight, class_weight)
        if first:
            self._check_memory(X, hidden, dtype)
            self._rng = check_random_state(self.random_state)
            self._initialize(X.shape[1], hidden, dtype)
        if not hasattr(self, "_rng"):
            self._rng = check_random_state(self.random_state)
        if not hasattr(self, "_optimizer"):
            self._optimizer = self._make_optimizer()
        for name, value in (("n_iter_", 0), ("t_", 0), ("loss_curve_", []), ("best_loss_", np.inf)):
            if not hasattr(self, name):
                setattr(self, name, value)
        self.validation_loss_curve_ = self.best_validation_loss_ = None
        train_epochs(self, X, y_int, sample_weight, class_weight, dtype, 1, None, None, self._rng, self._optimizer,
                     incremental=True)
        return self

    def _check_memory(self, X, hidden, dtype):
        batch = min(200, X.shape[0]) if self.batch_size == "auto" else min(int(self.batch_size), X.shape[0])
        outputs = 1 if self.classes_.size == 2 else self.classes_.size
        _checks.check_memory(hidden, (X.shape[1], *hidden, outputs), batch, dtype, 2 if self.solver == "adam" else 1)

    def _initialize(self, n_features, hidden, dtype):
        """Glorot-uniform weights and biases, drawn in float64 as scikit-learn does."""
        units = (n_features, *hidden, 1 if self.classes_.size == 2 else self.classes_.size)
        factor = 2.0 if self.activation == "logistic" else 6.0
        self.coefs_, self.intercepts_ = [], []
        for fan_in, fan_out in zip(units[:-1], units[1:]):
            bound = math.sqrt(factor / (fan_in + fan_out))
            self.coefs_.append(self._rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype))
            self.intercepts_.append(self._rng.uniform(-bound, bound, fan_out).astype(dtype))

    def _make_optimizer(self):
        if self.solver == "adam":
            return Adam(self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon)
        return SGD(self.learning_rate_init, self.momentum, self.nesterovs_momentum)

    # ------------------------------------------------------------------ prediction
    def _logits(self, X):
        check_is_fitted(self, ("coefs_", "intercepts_", "classes_"))
        X = validate_data(self, X, reset=False, dtype=np.float64)
        coefs = [np.asarray(c, dtype=np.float64) for c in self.coefs_]
        intercepts = [np.asarray(b, dtype=np.float64) for b in self.intercepts_]
        with np.errstate(over="ignore", invalid="ignore"):  # an overflow is reported by check_outputs
            logits = _layers.forward(coefs, intercepts, X, self.activation)
        _layers.check_outputs(logits, X, coefs)
        return logits

    def decision_function(self, X):
        """Logits: shape (n_samples,) for two classes (log-odds of ``classes_[1]``), else (n_samples, n_classes)."""
        z = self._logits(X)
        return z[:, 0] if z.shape[1] == 1 else z

    def predict(self, X):
        """Most probable class of each row, shape (n_samples,)."""
        z = self._logits(X)
        idx = (z[:, 0] > 0).astype(np.intp) if z.shape[1] == 1 else np.argmax(z, axis=1)
        return self.classes_[idx]

    def predict_proba(self, X):
        r"""Class probabilities, shape (n_samples, n_classes), columns in ``classes_`` order (float64).

        Two classes: :math:`(\sigma(-z), \sigma(z))`; more: :math:`\mathrm{softmax}(z)`.
        """
        z = self._logits(X)
        if z.shape[1] == 1:
            return np.column_stack([special.sigmoid(-z[:, 0]), special.sigmoid(z[:, 0])])
        return special.softmax(z, axis=1)

    def predict_log_proba(self, X):
        r"""Log class probabilities from the logits (log-sigmoid / log-softmax, never log of a rounded 0)."""
        z = self._logits(X)
        if z.shape[1] == 1:
            return np.column_stack([special.log_sigmoid(-z[:, 0]), special.log_sigmoid(z[:, 0])])
        return special.log_softmax(z, axis=1)

