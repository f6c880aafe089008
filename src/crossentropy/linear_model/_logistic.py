"""Logistic and softmax regression: ``LogisticRegression``, a scikit-learn estimator."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .. import distributed, special
from .._validation import check_offset, check_option, check_sample_weight
from . import _inference, _setup

__all__ = ["LogisticRegression"]


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


class LogisticRegression(ClassifierMixin, BaseEstimator):
    r"""Logistic regression (two classes) and softmax regression (three or more), fitted by cross-entropy.

    Two classes: :math:`P(y = c_1 \mid x) = \sigma(w^\top x + b + o)`. :math:`K \ge 3` classes:
    :math:`P(y = c_k \mid x) = \mathrm{softmax}(W x + b + o)_k` with the symmetric :math:`K \times d`
    coefficient matrix. :math:`o` is an optional fixed offset of each row's logits (``offset=`` of
    ``fit`` and of the prediction methods; 0 without), with coefficient one, as the offset of a GLM
    (an exposure, a prior log-odds); for softmax one per class. The fit minimises scikit-learn's objective

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
    penalty : {"l2", "l1", "elasticnet", None, "firth"}, default "l2"
        ``"firth"``: Firth's bias-reduced logistic regression, two classes only (the penalised
        log-likelihood :math:`\ell(\beta) + \tfrac12\log\det I(\beta)`, finite on separated data; R's
        logistf, :mod:`crossentropy.linear_model._firth`); ``C`` is not used, ``solver`` must be
        ``"auto"`` or ``"newton"``, ``tol`` bounds its largest Newton step and modified score.
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
        Stop when the max-norm of the (minimum-norm sub)gradient of the scaled objective is below it;
        Newton (the default, also for two-class l1 on working sets) stops only when, besides, the
        Newton decrement of its last step (or, for an exact step, the error of its quadratic model)
        puts the objective within 1e-8 relative of the minimum's (``crossentropy.solvers.newton.small_gap``), so the default ends near the optimum whatever
        the data's scale (within 1e-6 on every case of ``benchmarks/bench_peers.py``).
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
    flic : bool, default False
        With ``penalty="firth"``: FLIC, the intercept refitted by maximum likelihood with the Firth
        linear predictor as offset (Puhr et al., 2017; logistf's ``flic=TRUE``), so the fitted
        probabilities average to the observed event rate; the slopes stay Firth's. Ignored otherwise.

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
    >>> shifted = LogisticRegression(tol=1e-10).fit(X, y, offset=np.full(4, 1.0))   # z = w x + b + 1
    >>> shifted.coef_.round(4), shifted.intercept_.round(4)   # the same model: b is 1 lower
    (array([[0.4529]]), array([-1.6793]))

    References
    ----------
    Cox, *The regression analysis of binary sequences*, J. R. Stat. Soc. B 20 (1958); Bishop, *Pattern
    Recognition and Machine Learning* (2006), §4.3; scikit-learn, ``sklearn.linear_model.LogisticRegression``;
    McCullagh and Nelder, *Generalized Linear Models*, 2nd ed. (1989), §6.2.3 (offsets).
    """

    def __init__(self, *, penalty="l2", C=1.0, l1_ratio=None, fit_intercept=True, solver="auto", max_iter=100,
                 tol=1e-4, learning_rate=None, batch_size=None, class_weight=None, warm_start=False,
                 random_state=None, verbose=0, flic=False):
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
        self.flic = flic

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    # -------------------------------------------------------------------------------- checks
    def _check_params(self):
        """Check the parameters as ``fit`` does and return :math:`\\rho`, the share of l1
        (:func:`crossentropy.linear_model._setup.check_params`); the model-file loader calls it too."""
        return _setup.check_params(self, stacklevel=4)


    def _validate_fit_data(self, X, y, sample_weight, *, reset=True, classes=None):
        """Check and encode the training data: returns (X, encoded y, sample weights)."""
        if y is None:
            raise ValueError("y must be given: this classifier requires y to be passed, but the target y is None")
        if _n_rows(X) != _n_rows(y):
            raise ValueError(f"X and y must have the same number of rows: X has {_n_rows(X)}, y has {_n_rows(y)}")
        # X's entries are proved finite by the pass of check_feature_range, not by a scan of their own
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=[np.float64, np.float32], reset=reset,
                             ensure_all_finite=False)
        # NaN and inf refused; float32 products that would overflow: float64; beyond that refused
        X = _setup.check_feature_range(X, type(self).__name__)
        own = classes is None and reset and y.ndim == 1 and y.dtype.kind in "biuf"
        if own:  # the classes are y's values: the target's type is that of their set, and every label is one
            self.classes_ = np.unique(y)
            check_classification_targets(self.classes_)
        else:
            check_classification_targets(y)
            if classes is not None:
                self.classes_ = np.unique(classes)
            elif reset:
                self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"y must contain at least two classes to fit a classifier, got one class: {self.classes_[0]!r}")
        if own and len(self.classes_) == 2:
            y_enc = y != self.classes_[0]
        else:
            y_enc = np.searchsorted(self.classes_, y)
        if not own and ((y_enc >= len(self.classes_)).any()
                        or (self.classes_[np.minimum(y_enc, len(self.classes_) - 1)] != y).any()):
            raise ValueError(f"y holds labels that are not in classes {self.classes_.tolist()}")
        sw = check_sample_weight(sample_weight, X.shape[0], positive_sum=False)
        return X, y_enc.astype(np.intp, copy=False), sw

    # ----------------------------------------------------------------------------- fitting
    def fit(self, X, y, sample_weight=None, *, offset=None, callback=None, persist="auto"):
        r"""Fit the model (in memory, or on a Dask cluster for Dask input).

        The set-up (class weights from the sample-weighted class counts, penalty scaling, solver
        choice) is :mod:`crossentropy.linear_model._setup`, the same for both inputs.

        Parameters
        ----------
        X : array-like or scipy.sparse CSR matrix of shape (n, d), or a pandas DataFrame
        y : array-like of shape (n,)
            Labels of any type; at least two distinct values.
        sample_weight : array-like of shape (n,), optional
            Non-negative row weights.
        offset : array-like of shape (n,) or (n, 1) for two classes, (n, K) for K classes, optional
            Fixed logit offsets: the model's logits are :math:`X\theta + o` (the offset's coefficient is
            one and never fitted, as in a GLM). Dask input takes a Dask or in-memory array.
        callback : callable ``callback(state)``, optional
            Called after every solver iteration (on the client for Dask input) with a frozen
            :class:`~crossentropy.solvers.IterationState`: ``state.n_iter`` (1-based), ``state.fun``
            (the penalised objective, the entry of ``loss_curve_``), ``state.x`` (a copy of the flat
            coefficients) and ``state.coef``, ``state.intercept`` (what ``coef_`` and ``intercept_``
            would be if the fit ended there; softmax intercepts centred). Returning True (any true
            value) or raising ``StopIteration`` stops the fit after that iteration: ``n_iter_`` is
            that iteration, ``converged_`` stays False (unless ``tol`` was met there too) and no
            ConvergenceWarning is raised. The form follows SciPy's ``callback(intermediate_result)``.
            With ``penalty="firth"`` the iterations are Firth's Newton steps, ``state.fun`` the
            negative penalised log-likelihood over the total weight (as in ``loss_curve_``) and
            ``state.intercept`` FLIC's with ``flic=True``.
        persist : {"auto", True, False}, default "auto"
            Dask input only: keep the prepared data in the workers' memory for the fit. ``"auto"``:
            yes when it is already persisted, when there is no distributed client, or when it takes
            at most half the workers' total memory limit (counting the float32 copy that Newton keeps
            of large float64 data for its Hessians, as the in-memory fit does); otherwise every pass
            recomputes the chunks from their graph (out of core). Dask fits also set ``n_passes_``,
            the passes made over the full data.

        Returns
        -------
        self
        """
        if distributed.is_dask(X):  # Dask array or DataFrame: the data stay on the cluster
            return _setup.fit_dask(self, X, y, sample_weight, offset=offset, callback=callback, persist=persist)
        check_option(persist, "persist", _setup.PERSIST_OPTIONS)
        rho = self._check_params()
        X, y_enc, sw = self._validate_fit_data(X, y, sample_weight)
        offset = check_offset(offset, X.shape[0], len(self.classes_))
        coef0 = _setup.coef_vector(self) if self.warm_start else None
        if self.penalty == "firth":  # Firth's penalised likelihood: its own Newton iterations (._firth)
            from ._firth import fit_firth

            if offset is not None:
                raise ValueError("offset is not supported with penalty='firth'; fit without it")
            return fit_firth(self, X, y_enc, sw, callback, coef0=coef0)
        _setup.fit_in_memory(self, X, y_enc, sw, rho, callback, coef0=coef0, offset=offset)
        return self

    @available_if(lambda self: self.solver == "sgd")
    def partial_fit(self, X, y, classes=None, sample_weight=None, *, offset=None, callback=None):
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
        offset : array-like of shape (n,), (n, 1) or (n, K), optional
            Fixed logit offsets of these rows, as in :meth:`fit`.
        callback : callable ``callback(state)``, optional
            As in :meth:`fit` (one epoch: ``state.n_iter`` is 1).

        Returns
        -------
        self
        """
        rho = self._check_params()
        first = not hasattr(self, "classes_")
        if first and classes is None:
            raise ValueError("classes must be given on the first call to partial_fit (all the labels)")
        if not first and classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"classes={list(classes)!r} differs from classes_ of the earlier calls {self.classes_.tolist()}")
        X, y_enc, sw = self._validate_fit_data(X, y, sample_weight, reset=first, classes=classes if first else None)
        offset = check_offset(offset, X.shape[0], len(self.classes_))
        coef0 = None if first else _setup.coef_vector(self)
        _setup.fit_in_memory(self, X, y_enc, sw, rho, callback, coef0=coef0, max_iter=1,
                             state=getattr(self, "sgd_state_", None) or {}, offset=offset)
        return self

    # -------------------------------------------------------------------------- prediction
    def decision_function(self, X, *, offset=None):
        r"""Logits :math:`X\theta + o`: shape (n,) for two classes (of ``classes_[1]``), (n, K) otherwise.

        ``offset``: the rows' fixed logit offsets, shape (n,) or (n, 1) for two classes, (n, K)
        otherwise (as in :meth:`fit`; None for 0). Every prediction method takes it.
        """
        if distributed.is_dask(X):  # Dask input: a lazy Dask array chunked like the rows
            check_is_fitted(self)
            return distributed.decision_function(self, X, offset=offset)
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=[np.float64, np.float32], reset=False)
        offset = check_offset(offset, X.shape[0], len(self.classes_))
        scores = _inference.logits(X, self.coef_.astype(X.dtype, copy=False), self.intercept_.astype(X.dtype, copy=False),
                                   offset)
        return scores.ravel() if scores.shape[1] == 1 else scores

    def _softmax(self):
        """Three or more classes: the probability methods then run in row blocks (:mod:`._inference`)."""
        check_is_fitted(self)
        return len(self.classes_) > 2

    def predict_proba(self, X, *, offset=None):
        """Class probabilities, shape (n, K), columns in the order of ``classes_`` (float64).

        The logits are computed in X's dtype, the probabilities in float64, so float32 logits far
        out in the tails do not round to probabilities of exactly 0 or 1. With three or more classes
        the rows go in blocks (:mod:`crossentropy.linear_model._inference`): besides the returned
        array, memory does not grow with n. ``offset`` as in :meth:`decision_function`.
        """
        if distributed.is_dask(X):  # Dask input: a lazy Dask array chunked like the rows
            check_is_fitted(self)
            return distributed.predict_proba(self, X, offset=offset)
        if self._softmax():
            return _inference.predict_proba(self, X, offset)
        z = self.decision_function(X, offset=offset).astype(np.float64, copy=False)
        if z.ndim == 1:
            p = special.sigmoid(z)
            return np.column_stack([1 - p, p])
        return special.softmax(z, axis=1)

    def predict_log_proba(self, X, *, offset=None):
        """Log-probabilities, shape (n, K), computed stably from the logits (float64, finite).

        In row blocks with three or more classes, as :meth:`predict_proba`; ``offset`` as in
        :meth:`decision_function`."""
        if distributed.is_dask(X):  # Dask input: a lazy Dask array chunked like the rows
            check_is_fitted(self)
            return distributed.predict_log_proba(self, X, offset=offset)
        if self._softmax():
            return _inference.predict_log_proba(self, X, offset)
        z = self.decision_function(X, offset=offset).astype(np.float64, copy=False)
        if z.ndim == 1:
            return np.column_stack([special.log_sigmoid(-z), special.log_sigmoid(z)])
        return special.log_softmax(z, axis=1)

    def predict(self, X, *, offset=None):
        """The most probable class of each row, shape (n,) (in row blocks with three or more classes;
        ``offset`` as in :meth:`decision_function`)."""
        if distributed.is_dask(X):  # Dask input: a lazy Dask array chunked like the rows
            check_is_fitted(self)
            return distributed.predict(self, X, offset=offset)
        if self._softmax():
            return _inference.predict(self, X, offset)
        z = self.decision_function(X, offset=offset)
        idx = (z > 0).astype(np.intp) if z.ndim == 1 else np.argmax(z, axis=1)
        return self.classes_[idx]

    def score(self, X, y, sample_weight=None, *, offset=None):
        """Accuracy of :meth:`predict` on (X, y): the (weighted) share of rows predicted right.

        ``offset`` as in :meth:`decision_function`; without it, scikit-learn's ``ClassifierMixin.score``.

        Returns
        -------
        float
        """
        if offset is None:
            return super().score(X, y, sample_weight)
        from sklearn.metrics import accuracy_score

        return float(accuracy_score(y, self.predict(X, offset=offset), sample_weight=sample_weight))

    def predict_top_k(self, X, k=5, *, offset=None):
        r"""The ``k`` most probable classes of each row and their log-probabilities, most probable first.

        :math:`\log p_{ik} = z_{ik} - \log\sum_j e^{z_{ij}}` with :math:`z_i = W x_i + b + o_i`; the k largest
        per row, in row blocks (memory beyond the (n, k) results does not grow with n or K × n).

        Parameters
        ----------
        X : array-like or CSR matrix of shape (n, d)
        k : int in [1, K], default 5
        offset : array-like of shape (n,), (n, 1) or (n, K), optional
            As in :meth:`decision_function`.

        Returns
        -------
        labels : ndarray of shape (n, k)
            Entries of ``classes_``; column j holds each row's class of rank j (ties in ``classes_`` order).
        log_proba : ndarray of shape (n, k), float64
            Their log-probabilities, non-increasing along each row.

        Examples
        --------
        >>> import numpy as np
        >>> from crossentropy import LogisticRegression
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]]); y = np.array([0, 0, 1, 1, 2, 2])
        >>> labels, logp = LogisticRegression().fit(X, y).predict_top_k([[0.0], [5.0]], k=2)
        >>> labels.tolist()
        [[0, 1], [2, 1]]
        >>> bool(np.all(np.diff(logp, axis=1) <= 0))
        True

        References
        ----------
        Manning, Raghavan & Schütze, *Introduction to Information Retrieval* (2008), §8.4 (precision at k).
        """
        if distributed.is_dask(X):
            raise TypeError("predict_top_k takes in-memory X (a NumPy array, DataFrame or CSR matrix), got a Dask collection")
        return _inference.predict_top_k(self, X, k, offset)

    def log_loss(self, X, y, sample_weight=None, *, offset=None):
        r"""Mean cross-entropy of the labels ``y`` under the model, computed in row blocks.

        .. math:: \frac{-\sum_i s_i \log p_{i y_i}}{\sum_i s_i},\qquad
            \log p_{iy} = z_{iy} - \log\sum_j e^{z_{ij}}

        The log-probabilities come straight from the logits (no clipping, unlike
        :func:`crossentropy.metrics.log_loss` of :meth:`predict_proba`); with K classes the call holds
        one block of rows × K, never n × K. Lower is better (``score`` is the accuracy).

        Parameters
        ----------
        X : array-like or CSR matrix of shape (n, d)
        y : array-like of shape (n,)
            Labels, all in ``classes_``.
        sample_weight : array-like of shape (n,), optional
        offset : array-like of shape (n,), (n, 1) or (n, K), optional
            As in :meth:`decision_function`.

        Returns
        -------
        float

        Examples
        --------
        >>> import numpy as np
        >>> from crossentropy import LogisticRegression
        >>> X = np.array([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]]); y = np.array([0, 0, 1, 1, 2, 2])
        >>> clf = LogisticRegression().fit(X, y)
        >>> bool(np.isclose(clf.log_loss(X, y), -np.mean(clf.predict_log_proba(X)[np.arange(6), y])))
        True

        References
        ----------
        Bishop, *Pattern Recognition and Machine Learning* (2006), §4.3.4.
        """
        if distributed.is_dask(X):
            raise TypeError("log_loss takes in-memory X (a NumPy array, DataFrame or CSR matrix), got a Dask collection")
        return _inference.log_loss(self, X, y, sample_weight, offset)

    # -------------------------------------------------------------------------- statistics
    def summary(self, X, y, sample_weight=None, *, alpha=0.05, cov_type="nonrobust", groups=None, terms=None,
                offset=None):
        """Coefficient table: estimates and, without a penalty, standard errors, z, p-values and intervals.

        Built on the reported terms (``terms``, a
        :class:`~crossentropy._terms.TermMap`; by default each feature), from the
        observed information of the log-likelihood at the fitted coefficients on the data given
        (normally the training rows); aliased terms are reported as not identified; for softmax
        regression relative to the first class, as statsmodels' ``MNLogit``. Penalised fits get
        the estimates only, except ``penalty="firth"``: the same table with the penalised
        information's standard errors, penalised likelihood-ratio tests and profile
        penalised-likelihood intervals
        (:func:`crossentropy.linear_model._firth_inference.firth_summary`). See
        :func:`crossentropy.linear_model._summary.summarize` and, for a pipeline in the units of the
        table's columns, :func:`crossentropy.summary`. ``offset``: the rows' fixed logit offsets, as
        given to :meth:`fit`.

        Returns
        -------
        crossentropy.linear_model._summary.LogisticSummary
            ``str()`` gives the text table, ``.frame`` the pandas DataFrame (a ``FirthSummary``, with
            the column ``lr_chi2``, for ``penalty="firth"``).
        """
        if self.penalty == "firth":  # penalised information, profile intervals, penalised LR tests
            from ._firth_inference import firth_summary

            if offset is not None:
                raise ValueError("offset is not supported with penalty='firth' (fit refuses it too); summarise "
                                 "without it")
            return firth_summary(self, X, y, sample_weight=sample_weight, alpha=alpha, cov_type=cov_type,
                                 groups=groups, terms=terms)
        from ._summary import summarize

        return summarize(self, X, y, sample_weight=sample_weight, alpha=alpha, cov_type=cov_type, groups=groups,
                         terms=terms, offset=offset)

