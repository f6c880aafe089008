"""Logistic and softmax regression: ``LogisticRegression``, a scikit-learn estimator."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import special
from ..exceptions import ConvergenceWarning
from ..objective import CACHE_ELEMENTS, LinearObjective
from ..solvers import L1_SOLVERS, SOLVER_OPTIONS, SOLVERS

__all__ = ["LogisticRegression"]

_PENALTIES = ("l2", "l1", "elasticnet", None)


def _n_rows(a):
    if hasattr(a, "shape") and len(a.shape):
        return int(a.shape[0])
    try:
        return len(a)
    except TypeError:
        pass
    shape = np.asarray(a).shape  # objects with only __array__
    if not shape:
        raise TypeError(f"expected an array-like with rows, got {type(a).__name__}")
    return int(shape[0])


def _check_sample_weight(sample_weight, n):
    if sample_weight is None:
        return np.ones(n)
    sw = np.asarray(sample_weight, dtype=np.float64)
    if sw.ndim == 0:
        sw = np.full(n, float(sw))
    if sw.shape != (n,):
        raise ValueError(f"sample_weight must have shape ({n},) (one weight per row of X), got {sw.shape}")
    if not np.isfinite(sw).all():
        raise ValueError("sample_weight must be finite, found NaN or inf")
    if (sw < 0).any():
        raise ValueError(f"sample_weight must be non-negative, found {sw[sw < 0][:5].tolist()}")
    return sw


class LogisticRegression(ClassifierMixin, BaseEstimator):
    r"""Logistic regression (two classes) and softmax regression (three or more), fitted by cross-entropy.

    Two classes: :math:`P(y = c_1 \mid x) = \sigma(w^\top x + b)`. :math:`K \ge 3` classes:
    :math:`P(y = c_k \mid x) = \mathrm{softmax}(W x + b)_k` with the symmetric :math:`K \times d`
    coefficient matrix. The fit minimises scikit-learn's objective

    .. math::
        C \sum_i s_i\,\ell_i(w, b) + (1-\rho)\,\tfrac12\lVert w\rVert_2^2 + \rho\,\lVert w\rVert_1

    (:math:`\ell_i` the cross-entropy of row :math:`i`, :math:`s_i` its sample weight times its class
    weight, :math:`\rho` = 0 for ``"l2"``, 1 for ``"l1"``, ``l1_ratio`` for ``"elasticnet"``, no
    penalty for None; the intercepts are never penalised). The solvers work on the same argmin scaled
    by :math:`1/(C\sum_i s_i)`, so ``tol`` bounds the max-norm of the gradient of the mean loss plus
    penalty. Softmax coefficients are centred over the classes where the objective leaves them free
    (the intercepts always, every column without a penalty), as scikit-learn's are. With an l1 term
    and an even number of classes the minimiser need not be unique (adding :math:`t` to one feature's
    K coefficients leaves the loss unchanged and the l1 norm flat between the two middle values).

    Parameters
    ----------
    penalty : {"l2", "l1", "elasticnet", None}, default "l2"
    C : float, default 1.0
        Inverse penalty strength (> 0).
    l1_ratio : float in [0, 1], optional
        :math:`\rho` for ``penalty="elasticnet"`` (required there).
    fit_intercept : bool, default True
    solver : {"auto", "newton", "lbfgs", "gd", "sgd", "proximal"}, default "auto"
        ``"auto"``: Newton's method (Cholesky steps when the Hessian is cheap, e.g. two classes and up to
        a few thousand features; Kronecker-preconditioned conjugate-gradient steps otherwise, with a
        warm start from a tenth of the rows on large data), L-BFGS for softmax problems whose (row,
        class) probabilities are too many to keep (over 2^25), proximal Newton for l1/elastic net
        while the Hessian fits, FISTA (``"proximal"``) beyond. ``"gd"`` is textbook gradient
        descent, ``"sgd"`` minibatch SGD (supports ``partial_fit``).
    max_iter : int, default 100
        Iterations (epochs for ``"sgd"``).
    tol : float, default 1e-4
        Stop when the max-norm of the (minimum-norm sub)gradient of the scaled objective is below it.
    learning_rate : float, optional
        Step size of ``"gd"`` (None: backtracking line search), first step of ``"sgd"`` and ``"proximal"``.
    batch_size : int, optional
        Minibatch rows for ``"sgd"`` (default ``min(256, n)``).
    class_weight : dict or "balanced", optional
        Multiplies each row's sample weight by its class's weight.
    warm_start : bool, default False
        Start from the previous fit's coefficients.
    random_state : int, RandomState or None
        Shuffling for ``"sgd"``.
    verbose : int, default 0
        Print the objective at every iteration.

    Attributes
    ----------
    coef_ : ndarray of shape (1, d) or (K, d)
    intercept_ : ndarray of shape (1,) or (K,)
    classes_ : ndarray of shape (K,)
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (d,)
        Only when X had string column names (pandas).
    n_iter_ : int
    converged_ : bool
    loss_curve_ : list of float
        The scaled objective after each iteration.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array(["no", "yes", "no", "yes"])
    >>> clf = LogisticRegression(tol=1e-10).fit(X, y)
    >>> clf.coef_.round(4), clf.intercept_.round(4)   # scikit-learn: [[0.4529]], [-0.6793]
    (array([[0.4529]]), array([-0.6793]))
    >>> clf.predict([[0.0], [3.0]]).tolist()
    ['no', 'yes']

    References
    ----------
    Cox, *The regression analysis of binary sequences*, J. R. Stat. Soc. B 20 (1958); Bishop, *Pattern
    Recognition and Machine Learning* (2006), §4.3; scikit-learn, ``sklearn.linear_model.LogisticRegression``.
    """

    def __init__(self, *, penalty="l2", C=1.0, l1_ratio=None, fit_intercept=True, solver="auto", max_iter=100,
                 tol=1e-4, learning_rate=None, batch_size=None, class_weight=None, warm_start=False,
                 random_state=None, verbose=0):
        self.penalty = penalty
        self.C = C
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.solver = solver
        self.max_iter = max_iter
        self.tol = tol
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.class_weight = class_weight
        self.warm_start = warm_start
        self.random_state = random_state
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -------------------------------------------------------------------------------- checks
    def _l1_ratio(self):
        """Return :math:`\\rho` (share of l1) after checking penalty, C, l1_ratio and solver."""
        if self.penalty not in _PENALTIES:
            raise ValueError(f"penalty must be one of {_PENALTIES}, got {self.penalty!r}")
        if isinstance(self.C, bool) or not isinstance(self.C, numbers.Real) or not self.C > 0:
            raise ValueError(f"C must be a positive number, got {self.C!r}")
        if self.solver != "auto" and self.solver not in SOLVERS:
            raise ValueError(f"solver must be 'auto' or one of {sorted(SOLVERS)}, got {self.solver!r}")
        if self.penalty == "elasticnet":
            r = self.l1_ratio
            if isinstance(r, bool) or not isinstance(r, numbers.Real) or not 0 <= r <= 1:
                raise ValueError(f"l1_ratio must be a number in [0, 1] for penalty='elasticnet', got {r!r}")
            rho = float(r)
        else:
            if self.l1_ratio is not None:
                warnings.warn(f"l1_ratio={self.l1_ratio!r} is only used with penalty='elasticnet'; "
                              f"penalty={self.penalty!r} ignores it", UserWarning, stacklevel=3)
            rho = 1.0 if self.penalty == "l1" else 0.0
        if rho > 0 and self.solver not in ("auto", *L1_SOLVERS):
            raise ValueError(f"penalty={self.penalty!r} needs a solver that handles an l1 term, one of "
                             f"{list(L1_SOLVERS)} (or 'auto'); solver={self.solver!r} cannot")
        for name in ("max_iter",):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        if isinstance(self.tol, bool) or not isinstance(self.tol, numbers.Real) or not self.tol >= 0:
            raise ValueError(f"tol must be a non-negative number, got {self.tol!r}")
        lr = self.learning_rate
        if lr is not None and (isinstance(lr, bool) or not isinstance(lr, numbers.Real) or not lr > 0):
            raise ValueError(f"learning_rate must be a positive number or None, got {lr!r}")
        bs = self.batch_size
        if bs is not None and (isinstance(bs, bool) or not isinstance(bs, numbers.Integral) or bs < 1):
            raise ValueError(f"batch_size must be a positive integer or None, got {bs!r}")
        return rho

    def _validate_fit_data(self, X, y, sample_weight, *, reset=True, classes=None):
        """Check and encode the training data: returns (X, encoded y, weights incl. class weights)."""
        if y is None:
            raise ValueError("y must be given: this classifier requires y to be passed, but the target y is None")
        if _n_rows(X) != _n_rows(y):
            raise ValueError(f"X and y must have the same number of rows: X has {_n_rows(X)}, y has {_n_rows(y)}")
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32], reset=reset)
        check_classification_targets(y)
        if classes is not None:
            self.classes_ = np.unique(classes)
        elif reset:
            self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"y must contain at least two classes to fit a classifier, got one class: {self.classes_[0]!r}")
        y_enc = np.searchsorted(self.classes_, y)
        if (y_enc >= len(self.classes_)).any() or (self.classes_[np.minimum(y_enc, len(self.classes_) - 1)] != y).any():
            raise ValueError(f"y holds labels that are not in classes {self.classes_.tolist()}")
        sw = _check_sample_weight(sample_weight, X.shape[0])
        if self.class_weight is not None:
            sw = sw * self._class_weights(y_enc, sw)[y_enc]
        if not sw.sum() > 0:
            raise ValueError("sample_weight (times class_weight) must have a positive sum, got all zeros")
        return X, y_enc.astype(np.intp), sw

    def _class_weights(self, y_enc, sw):
        """One weight per class: the dict's entries, or for "balanced" :math:`S / (K S_k)` with
        :math:`S_k` the weighted count of class k (scikit-learn's rule, sample weights included)."""
        K = len(self.classes_)
        cw = np.ones(K)
        if isinstance(self.class_weight, str):
            if self.class_weight != "balanced":
                raise ValueError(f"class_weight must be a dict, 'balanced' or None, got {self.class_weight!r}")
            counts = np.bincount(y_enc, weights=sw, minlength=K)
            present = counts > 0
            cw[present] = counts.sum() / (present.sum() * counts[present])
            return cw
        if not isinstance(self.class_weight, dict):
            raise ValueError(f"class_weight must be a dict, 'balanced' or None, got {self.class_weight!r}")
        for label, weight in self.class_weight.items():
            hit = np.flatnonzero(self.classes_ == label)
            if hit.size == 0:
                raise ValueError(f"class_weight has a label not in classes {self.classes_.tolist()}: {label!r}")
            if not np.isfinite(weight) or weight < 0:
                raise ValueError(f"class_weight[{label!r}] must be a non-negative number, got {weight!r}")
            cw[hit[0]] = float(weight)
        return cw

    def _make_objective(self, X, y_enc, sw, rho):
        """The scaled objective of scikit-learn's argmin: c = 1/S, l2 = (1-rho)/(C S), l1 = rho/(C S)."""
        S = float(sw.sum())
        inv = 0.0 if self.penalty is None else 1.0 / (float(self.C) * S)
        return LinearObjective(X, y_enc, None if np.all(sw == 1) else sw, n_classes=len(self.classes_),
                               fit_intercept=self.fit_intercept, scale=1.0 / S, l2=(1 - rho) * inv, l1=rho * inv)

    def _solver_name(self, objective):
        if self.solver != "auto":
            return self.solver
        p = objective.n_coef
        if objective.l1 and not (p <= 2000 and objective.n_samples * p * p <= 5e10):
            return "proximal"
        if (isinstance(objective, LinearObjective) and not objective.l1 and objective.n_classes > 2
                and objective.n_samples * objective.n_classes > CACHE_ELEMENTS):
            return "lbfgs"  # too many (row, class) probabilities to keep: a Hessian-vector product would cost a gradient
        return "newton"

    # -------------------------------------------------------------------------- coefficients
    def _pack(self):
        """Current (coef_, intercept_) as a flat vector, or None."""
        K = len(self.classes_)
        coef = getattr(self, "coef_", None)
        if coef is None or coef.shape != ((1 if K == 2 else K), self.n_features_in_):
            return None
        rows = np.hstack([coef, self.intercept_[:, None]]) if self.fit_intercept else coef
        return np.asarray(rows, dtype=np.float64).ravel()

    def _unpack(self, flat, objective):
        K = len(self.classes_)
        d = objective.n_features
        M = flat.reshape(1 if K == 2 else K, d + self.fit_intercept).copy()
        coef, intercept = M[:, :d], (M[:, d] if self.fit_intercept else np.zeros(M.shape[0]))
        if K > 2:  # centre what the objective leaves free (scikit-learn's convention)
            intercept = intercept - intercept.mean()
            if objective.l2 == 0 and objective.l1 == 0:
                coef = coef - coef.mean(axis=0)
        self.coef_, self.intercept_ = np.ascontiguousarray(coef), np.ascontiguousarray(intercept)

    def _fit_objective(self, objective, callback=None, *, coef0=None, max_iter=None, state=None):
        """Run the chosen solver on ``objective`` and store the fitted attributes (the Dask path reuses this)."""
        name = self._solver_name(objective)
        if coef0 is None:
            coef0 = np.zeros(objective.n_coef)
        options = {"learning_rate": self.learning_rate, "batch_size": self.batch_size, "state": state}
        kwargs = {k: v for k, v in options.items() if k in SOLVER_OPTIONS[name]}
        if "random_state" in SOLVER_OPTIONS[name]:  # draw from a RandomState only when it is used
            kwargs["random_state"] = check_random_state(self.random_state).randint(np.iinfo(np.int32).max)
        max_iter = self.max_iter if max_iter is None else max_iter
        result = SOLVERS[name](objective, coef0, max_iter=max_iter, tol=float(self.tol), callback=callback,
                               verbose=self.verbose, **kwargs)
        if not result.converged and state is None:  # partial_fit runs one epoch by design
            warnings.warn(f"solver {name!r} did not converge within max_iter={max_iter} iterations "
                          f"(tol={self.tol}); increase max_iter, loosen tol or scale the features",
                          ConvergenceWarning, stacklevel=3)
        self._unpack(result.coef, objective)
        self.n_iter_ = int(result.n_iter)
        self.converged_ = bool(result.converged)
        self.loss_curve_ = list(result.loss_curve)
        self.solver_ = name
        if name == "sgd":
            self.sgd_state_ = dict(result.state)
        return result

    # ----------------------------------------------------------------------------- fitting
    def fit(self, X, y, sample_weight=None, *, callback=None):
        """Fit the model.

        Parameters
        ----------
        X : array-like or scipy.sparse CSR matrix of shape (n, d), or a pandas DataFrame
        y : array-like of shape (n,)
            Labels of any type; at least two distinct values.
        sample_weight : array-like of shape (n,), optional
            Non-negative row weights.
        callback : callable ``(n_iter, objective_value)``, optional
            Called after every solver iteration.

        Returns
        -------
        self
        """
        if hasattr(X, "__dask_graph__"):  # Dask array or DataFrame: fit on the cluster
            from ..distributed.linear_model import fit as dask_fit

            return dask_fit(self, X, y, sample_weight, callback=callback)
        rho = self._l1_ratio()
        X, y_enc, sw = self._validate_fit_data(X, y, sample_weight)
        objective = self._make_objective(X, y_enc, sw, rho)
        coef0 = self._pack() if self.warm_start else None
        self._fit_objective(objective, callback, coef0=coef0)
        return self

    @available_if(lambda self: self.solver == "sgd")
    def partial_fit(self, X, y, classes=None, sample_weight=None, *, callback=None):
        """One epoch of minibatch SGD on (X, y), continuing the previous calls (``solver="sgd"`` only).

        The method exists only when ``solver="sgd"``. Each call minimises the objective of the rows it
        is given (their own sum of weights sets the penalty's scale), from the current coefficients,
        continuing the step-size schedule of the earlier calls.

        Parameters
        ----------
        X, y, sample_weight
            As in :meth:`fit`.
        classes : array-like, optional
            All the labels; required on the first call.
        callback : callable ``(n_iter, objective_value)``, optional

        Returns
        -------
        self
        """
        rho = self._l1_ratio()
        first = not hasattr(self, "classes_")
        if first and classes is None:
            raise ValueError("classes must be given on the first call to partial_fit (all the labels)")
        if not first and classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes={list(classes)!r} differs from classes_ of the earlier calls {self.classes_.tolist()}")
        X, y_enc, sw = self._validate_fit_data(X, y, sample_weight, reset=first, classes=classes if first else None)
        objective = self._make_objective(X, y_enc, sw, rho)
        coef0 = None if first else self._pack()
        self._fit_objective(objective, callback, coef0=coef0, max_iter=1, state=getattr(self, "sgd_state_", None) or {})
        return self

    # -------------------------------------------------------------------------- prediction
    def decision_function(self, X):
        """Logits: shape (n,) for two classes (of ``classes_[1]``), (n, K) otherwise."""
        if hasattr(X, "__dask_graph__"):  # Dask input: a lazy Dask array
            from ..distributed.linear_model import decision_function

            return decision_function(self, X)
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
        dtype = X.dtype
        scores = np.asarray(X @ self.coef_.T.astype(dtype)).astype(dtype, copy=False) + self.intercept_.astype(dtype)
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict_proba(self, X):
        """Class probabilities, shape (n, K), columns in the order of ``classes_`` (float64).

        The logits are computed in X's dtype, the probabilities in float64, so float32 logits far
        out in the tails do not round to probabilities of exactly 0 or 1.
        """
        if hasattr(X, "__dask_graph__"):  # Dask input: a lazy Dask array
            from ..distributed.linear_model import predict_proba

            return predict_proba(self, X)
        z = self.decision_function(X).astype(np.float64, copy=False)
        if z.ndim == 1:
            p = special.sigmoid(z)
            return np.column_stack([1 - p, p])
        return special.softmax(z, axis=1)

    def predict_log_proba(self, X):
        """Log-probabilities, shape (n, K), computed stably from the logits (float64, finite)."""
        if hasattr(X, "__dask_graph__"):  # Dask input: a lazy Dask array
            from ..distributed.linear_model import predict_log_proba

            return predict_log_proba(self, X)
        z = self.decision_function(X).astype(np.float64, copy=False)
        if z.ndim == 1:
            return np.column_stack([special.log_sigmoid(-z), special.log_sigmoid(z)])
        return special.log_softmax(z, axis=1)

    def predict(self, X):
        """The most probable class of each row, shape (n,)."""
        if hasattr(X, "__dask_graph__"):  # Dask input: a lazy Dask array
            from ..distributed.linear_model import predict

            return predict(self, X)
        z = self.decision_function(X)
        idx = (z > 0).astype(np.intp) if z.ndim == 1 else np.argmax(z, axis=1)
        return self.classes_[idx]

    # -------------------------------------------------------------------------- statistics
    def summary(self, X, y, sample_weight=None, *, alpha=0.05):
        """Coefficient table with standard errors, z, p-values and confidence intervals.

        Computed from the inverse Hessian of the (unpenalised) log-likelihood at the fitted
        coefficients on the data given (normally the training data); for softmax regression relative
        to the first class, as statsmodels' ``MNLogit`` reports it. See
        :func:`crossentropy.linear_model._summary.summarize`.

        Returns
        -------
        crossentropy.linear_model._summary.LogisticSummary
            ``str()`` gives the text table, ``.frame`` the pandas DataFrame.
        """
        from ._summary import summarize

        return summarize(self, X, y, sample_weight=sample_weight, alpha=alpha)

