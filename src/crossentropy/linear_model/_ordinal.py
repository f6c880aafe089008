r"""Ordinal regression (proportional odds, cumulative link): ``OrdinalRegression``, a scikit-learn classifier."""

from __future__ import annotations

import warnings

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._blas import for_products
from .._validation import check_int, check_option, check_real, check_sample_weight
from ..exceptions import ConvergenceWarning
from ..objective.ordinal import LINKS, OrdinalObjective, inverse_cdf, log_interval
from ..solvers import newton
from ._separation import check_ordinal_separation

__all__ = ["OrdinalRegression"]

PENALTIES = (None, "l2")


def _check_no_constant(X, sw):
    """ValueError naming X when a column is constant over the rows of positive weight (it would be an
    intercept, which the thresholds already are: the model would not be identified)."""
    rows = sw > 0
    if X.shape[1] == 0 or np.count_nonzero(rows) < 2:
        return
    Xr = X[rows] if not rows.all() else X
    if sparse.issparse(Xr):
        span = (Xr.max(axis=0).toarray() - Xr.min(axis=0).toarray()).ravel()
    else:
        span = Xr.max(axis=0) - Xr.min(axis=0)
    constant = np.flatnonzero(span == 0)
    if constant.size:
        raise ValueError(f"X has constant columns {constant[:5].tolist()}: the thresholds are the model's "
                         "intercepts, so a constant column is not identified; drop it")


class OrdinalRegression(ClassifierMixin, BaseEstimator):
    r"""Ordinal regression: the cumulative-link (proportional odds) model fitted by the ordinal cross-entropy.

    For ordered levels :math:`c_0 < c_1 < \dots < c_{J-1}` (``classes_``),

    .. math::
        P(y \le c_j \mid x) = F(\theta_j - x^\top\beta), \qquad j = 0, \dots, J-2,
        \qquad \theta_0 < \theta_1 < \dots < \theta_{J-2}

    with :math:`F` the logistic CDF (``link="logit"``, the proportional odds model), the standard
    normal CDF (``"probit"``) or :math:`F(t) = 1 - \exp(-e^{t})` (``"cloglog"``, proportional
    hazards). There is no separate intercept: the thresholds play its part (a constant column of X is
    refused). The fit minimises

    .. math::
        -\frac{1}{S}\sum_i s_i \log\big(F(\theta_{y_i} - x_i^\top\beta) - F(\theta_{y_i-1} - x_i^\top\beta)\big)
        + \frac{1}{2 C S}\lVert\beta\rVert^2

    (:math:`\theta_{-1} = -\infty`, :math:`\theta_{J-1} = +\infty`, :math:`S = \sum_i s_i`; the
    penalty only with ``penalty="l2"``, as in scikit-learn's ``LogisticRegression``) by Newton's method
    with the exact Hessian (:func:`crossentropy.solvers.newton`, Cholesky steps), from
    :math:`\beta = 0` and the thresholds of the weighted cumulative level frequencies,
    :math:`\theta_j = F^{-1}(\sum_{k \le j} S_k / S)`. A step that would break the order of the
    thresholds has loss :math:`+\infty` and is halved by the line search. The value, gradient and
    Hessian are :mod:`crossentropy.objective.ordinal`.

    Conventions: this is the sign convention of statsmodels' ``OrderedModel`` and of R's
    ``MASS::polr`` (:math:`\mathrm{logit}\,P(Y \le j) = \zeta_j - \eta`): ``coef_`` is polr's
    ``coefficients`` and statsmodels' first d ``params``; ``thresholds_`` is polr's ``zeta``. statsmodels
    parameterises the thresholds after the first by log-increments: its ``params[d:]`` are
    :math:`(\theta_0, \log(\theta_1 - \theta_0), \dots, \log(\theta_{J-2} - \theta_{J-3}))`, so
    ``thresholds_ == np.cumsum(np.r_[p[0], np.exp(p[1:])])`` for ``p = params[d:]``
    (``OrderedModel.transform_threshold_params`` without its infinite ends). statsmodels' ``"logit"``
    and ``"probit"`` are these links; its cloglog is ``distr=scipy.stats.gumbel_l``.

    Parameters
    ----------
    link : {"logit", "probit", "cloglog"}, default "logit"
    penalty : {None, "l2"}, default None
        None: maximum likelihood (statsmodels, polr). ``"l2"``: :math:`\lVert\beta\rVert^2/(2C)` added
        to the summed loss (the thresholds are never penalised).
    C : float, default 1.0
        Inverse penalty strength (> 0); used only with ``penalty="l2"``.
    order : array-like of labels, optional
        The levels from lowest to highest (at least two, distinct). Default: the categories of an
        ordered pandas Categorical ``y`` that occur in it, else the sorted distinct labels of ``y``.
        Every level must have rows of positive weight (an empty level's thresholds are not identified).
    max_iter : int, default 100
        Newton iterations.
    tol : float, default 1e-8
        Stop when the max-norm of the gradient of the scaled objective is at most ``tol`` and the
        Newton decrement puts the objective within 1e-8 relative of its minimum.
    verbose : int, default 0
        Print the objective at every iteration.

    Attributes
    ----------
    classes_ : ndarray of shape (J,)
        The levels, lowest first (``order``).
    coef_ : ndarray of shape (d,)
        :math:`\beta`.
    thresholds_ : ndarray of shape (J - 1,)
        :math:`\theta`, strictly increasing.
    n_features_in_ : int
    feature_names_in_ : ndarray of shape (d,)
        Only when X had string column names (pandas).
    n_iter_ : int
    converged_ : bool
        False when Newton's method did not converge, or when the levels are separated (``penalty=None``).
    separation_ : {None, "complete", "quasi-complete"}
        Whether the features separate the levels (without a penalty; detected from the fitted margins,
        :func:`~crossentropy.linear_model._separation.detect_ordinal_separation`), with a
        :class:`~crossentropy.exceptions.PerfectSeparationWarning`.
    separated_features_ : list of str
        The columns of the separating direction.
    loss_curve_ : list of float
        The scaled objective after each iteration.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import OrdinalRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]])
    >>> y = np.array(["low", "mid", "low", "high", "mid", "high"])
    >>> clf = OrdinalRegression(order=["low", "mid", "high"]).fit(X, y)
    >>> clf.classes_.tolist(), clf.coef_.round(4), clf.thresholds_.round(4)   # statsmodels: 1.0597; 1.4475, 3.8510
    (['low', 'mid', 'high'], array([1.0597]), array([1.4475, 3.851 ]))
    >>> clf.predict([[0.0], [5.0]]).tolist()
    ['low', 'high']

    References
    ----------
    McCullagh, *Regression models for ordinal data*, J. R. Stat. Soc. B 42 (1980); Agresti,
    *Analysis of Ordinal Categorical Data*, 2nd ed. (2010), ch. 3; Venables & Ripley, *Modern Applied
    Statistics with S* (2002), §7.3 (``polr``); statsmodels, ``statsmodels.miscmodels.ordinal_model.OrderedModel``.
    """

    def __init__(self, *, link="logit", penalty=None, C=1.0, order=None, max_iter=100, tol=1e-8, verbose=0):
        self.link = link
        self.penalty = penalty
        self.C = C
        self.order = order
        self.max_iter = max_iter
        self.tol = tol
        self.verbose = verbose

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -------------------------------------------------------------------------------- checks
    def _check_params(self):
        check_option(self.link, "link", LINKS)
        check_option(self.penalty, "penalty", PENALTIES)
        check_real(self.C, "C", low=0, low_open=True)
        check_int(self.max_iter, "max_iter", low=1)
        check_real(self.tol, "tol", low=0)
        check_int(self.verbose, "verbose", low=0)

    def _levels(self, y_raw):
        """The levels from ``order``, or None (then the sorted labels of y) when it is not given."""
        if self.order is None:
            dtype = getattr(y_raw, "dtype", None)
            if getattr(dtype, "ordered", False) and hasattr(dtype, "categories"):
                present = set(np.asarray(y_raw).tolist())
                return np.asarray([c for c in dtype.categories if c in present])
            return None
        if isinstance(self.order, str) or not hasattr(self.order, "__len__"):
            raise TypeError(f"order must be a list of labels, lowest first, got {self.order!r}")
        levels = np.asarray(list(self.order))
        if levels.ndim != 1 or len(levels) < 2:
            raise ValueError(f"order must list at least two levels, got {list(self.order)!r}")
        if len(np.unique(levels)) != len(levels):
            raise ValueError(f"order must list distinct levels, got {list(self.order)!r}")
        return levels

    def _encode(self, y, name):
        """Levels 0..J-1 of the labels ``y`` in ``classes_``; ValueError naming ``name`` for others."""
        classes = self.classes_
        idx = np.argsort(classes, kind="stable")
        ranked = classes[idx]
        try:
            pos = np.searchsorted(ranked, y)
            clipped = np.minimum(pos, len(ranked) - 1)
            known = (pos < len(ranked)) & (ranked[clipped] == y)
        except TypeError:  # labels that do not compare with the levels (e.g. numbers against strings)
            known = np.zeros(len(y), dtype=bool)
        if not known.all():
            missing = np.unique(np.asarray(y)[~known].astype(object).astype(str))[:5].tolist()
            raise ValueError(f"{name} holds labels that are not levels of order={classes.tolist()}: {missing}")
        return idx[clipped].astype(np.intp)

    def _validate_fit_data(self, X, y, sample_weight):
        if y is None:
            raise ValueError("y must be given: this classifier requires y to be passed, but the target y is None")
        levels = self._levels(y)
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64)
        check_classification_targets(y)
        self.classes_ = np.unique(y) if levels is None else levels
        if len(self.classes_) < 2:
            raise ValueError(f"y must contain at least two classes to fit a classifier, got one class: {self.classes_[0]!r}")
        y_enc = self._encode(y, "order" if levels is not None else "y")
        sw = check_sample_weight(sample_weight, X.shape[0])
        weight = np.bincount(y_enc, sw, minlength=len(self.classes_))
        if np.count_nonzero(weight > 0) < 2:
            raise ValueError("y must contain at least two classes of positive weight to fit a classifier, got "
                             f"{np.count_nonzero(weight > 0)}")
        if not (weight > 0).all():
            empty = self.classes_[weight <= 0].tolist()
            raise ValueError(f"every level (class) of order must have rows of positive weight; none for {empty} "
                             f"(its threshold is not identified): drop it from order")
        _check_no_constant(X, sw)
        return X, y_enc, sw, weight

    # ----------------------------------------------------------------------------- fitting
    def fit(self, X, y, sample_weight=None, *, callback=None):
        """Fit the model by Newton's method.

        Parameters
        ----------
        X : array-like or scipy.sparse CSR matrix of shape (n, d), or a pandas DataFrame
        y : array-like of shape (n,)
            Labels, all in ``order`` (when given); at least two levels.
        sample_weight : array-like of shape (n,), optional
            Non-negative row weights (a weight of 2 counts a row twice).
        callback : callable ``callback(state)``, optional
            Called after every Newton iteration with a :class:`~crossentropy.solvers.IterationState`
            (``n_iter``, ``fun``, ``x``: a copy of the flat vector of coefficients then
            thresholds; ``coef`` and ``intercept`` are None); a true return value stops the fit.

        Returns
        -------
        self
        """
        self._check_params()
        X, y_enc, sw, weight = self._validate_fit_data(X, y, sample_weight)
        J, d = len(self.classes_), X.shape[1]
        total = float(weight.sum())
        l2 = 1.0 / (float(self.C) * total) if self.penalty == "l2" else 0.0
        objective = OrdinalObjective(X, y_enc, sw, J, self.link, scale=1.0 / total, l2=l2)
        start = np.concatenate([np.zeros(d), inverse_cdf(self.link, np.cumsum(weight)[:-1] / total)])
        with for_products(X.shape[0] * start.size):  # small products on one BLAS thread
            result = newton(objective, start, max_iter=int(self.max_iter), tol=float(self.tol), callback=callback,
                            verbose=int(self.verbose), step="cholesky")
        if not result.converged and not result.stopped:  # a stop asked by the callback is no failure
            warnings.warn(f"Newton's method did not converge within max_iter={self.max_iter} iterations "
                          f"(tol={self.tol}); the levels may be separated by the features (no finite "
                          f"maximum-likelihood estimate): try penalty='l2'", ConvergenceWarning, stacklevel=2)
        self.coef_ = result.coef[:d].copy()
        self.thresholds_ = result.coef[d:].copy()
        self.n_iter_ = int(result.n_iter)
        self.converged_ = bool(result.converged)
        self.loss_curve_ = list(result.loss_curve)
        self.separation_, self.separated_features_ = None, []
        if self.penalty is None:  # without a penalty, separated levels have no finite estimate
            check_ordinal_separation(self, X, y_enc, sw)
        return self

    # -------------------------------------------------------------------------- prediction
    def linear_predictor(self, X):
        r"""The linear predictor :math:`\eta = X\beta`, shape (n,) (higher: higher levels more likely).

        Not named ``decision_function``: scikit-learn's contract for that name is one score per class
        (or, with two classes, a positive score for ``classes_[1]``), and :math:`\eta` is one score
        for any number of levels whose sign does not give the predicted level.
        """
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
        return np.asarray(X @ self.coef_, dtype=np.float64).ravel()

    def predict_log_proba(self, X):
        r"""Log-probabilities of the levels, shape (n, J), columns in the order of ``classes_``.

        :math:`\log(F(\theta_k - \eta) - F(\theta_{k-1} - \eta))`, computed stably
        (:func:`crossentropy.objective.ordinal.log_interval`): finite for finite X.
        """
        eta = self.linear_predictor(X)
        ext = np.concatenate([[-np.inf], self.thresholds_, [np.inf]])
        J = len(self.classes_)
        out = np.empty((len(eta), J))
        for k in range(J):
            out[:, k] = log_interval(self.link, ext[k + 1] - eta, ext[k] - eta, np.full(len(eta), ext[k + 1] - ext[k]))
        return out

    def predict_proba(self, X):
        """Probabilities of the levels, shape (n, J), columns in the order of ``classes_``; rows sum to 1."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """The most probable level of each row, shape (n,)."""
        check_is_fitted(self)
        return self.classes_[np.argmax(self.predict_log_proba(X), axis=1)]

    def _row_log_proba(self, X, y, sample_weight):
        """``(log p_{i y_i}, s)`` of labelled rows (y and sample_weight checked)."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
        y = np.asarray(y)
        if y.ndim != 1 or len(y) != X.shape[0]:
            raise ValueError(f"y must have shape ({X.shape[0]},) (one label per row of X), got {y.shape}")
        y_enc = self._encode(y, "y")
        sw = check_sample_weight(sample_weight, X.shape[0])
        eta = np.asarray(X @ self.coef_, dtype=np.float64).ravel()
        ext = np.concatenate([[-np.inf], self.thresholds_, [np.inf]])
        up, lo = ext[y_enc + 1], ext[y_enc]
        return log_interval(self.link, up - eta, lo - eta, up - lo), sw, X, y_enc

    def log_loss(self, X, y, sample_weight=None):
        r"""Mean ordinal cross-entropy of the labels under the model: :math:`-\sum_i s_i \log p_{iy_i} / \sum_i s_i`.

        Parameters
        ----------
        X : array-like or CSR matrix of shape (n, d)
        y : array-like of shape (n,)
            Labels, all in ``classes_``.
        sample_weight : array-like of shape (n,), optional

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> from crossentropy import OrdinalRegression
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]]); y = np.array([0, 1, 0, 2, 1, 2])
        >>> clf = OrdinalRegression().fit(X, y)
        >>> bool(np.isclose(clf.log_loss(X, y), -np.mean(np.log(clf.predict_proba(X)[np.arange(6), y]))))
        True
        """
        logp, sw, _, _ = self._row_log_proba(X, y, sample_weight)
        return -float(sw @ logp) / float(sw.sum())

    # -------------------------------------------------------------------------- statistics
    def summary(self, X, y, sample_weight=None, *, alpha=0.05):
        """Coefficient and threshold table with standard errors, z, p-values and confidence intervals.

        From the inverse observed information (the exact Hessian of the weighted negative
        log-likelihood at the fit, on the data given); see
        :func:`crossentropy.linear_model._ordinal_summary.summarize`.

        Returns
        -------
        crossentropy.linear_model._ordinal_summary.OrdinalSummary
            ``str()`` gives the text table, ``.frame`` the pandas DataFrame.
        """
        from ._ordinal_summary import summarize

        return summarize(self, X, y, sample_weight=sample_weight, alpha=alpha)
