"""``CalibratedClassifier``: a classifier and its calibration map, cross-fitted or on a prefit estimator."""

from __future__ import annotations

import warnings
from inspect import signature

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, MetaEstimatorMixin, clone

from .._validation import check_bool, check_option
from ._response import calibration_scores, response_method, select_columns, to_calibration_scores
from .beta import BetaCalibration
from .isotonic import IsotonicCalibration
from .platt import PlattScaling
from .temperature import TemperatureScaling
from .venn_abers import VennAbers

METHODS = ("sigmoid", "isotonic", "temperature", "beta", "venn-abers")


def _calibrator(method: str, strictly_monotone: bool):
    if method == "sigmoid":
        return PlattScaling()
    if method == "isotonic":
        return IsotonicCalibration(strictly_monotone=strictly_monotone)
    if method == "temperature":
        return TemperatureScaling()
    if method == "beta":
        return BetaCalibration()
    return VennAbers()


def _index(X, idx):
    return X.iloc[idx] if hasattr(X, "iloc") else X[idx]


class CalibratedClassifier(ClassifierMixin, MetaEstimatorMixin, BaseEstimator):
    r"""Probability calibration of a classifier, cross-fitted as scikit-learn's ``CalibratedClassifierCV``.

    ``cv`` an integer or a splitter: for each split, a clone of ``estimator`` is fitted on the training
    rows and a calibrator on its scores of the held-out rows (``ensemble=True``; ``predict_proba``
    averages the pairs), or (``ensemble=False``) the calibrator is fitted on the cross-validated
    scores of every row (``cross_val_predict``) and the estimator once on all rows. The folds are
    scikit-learn's ``check_cv(cv, y, classifier=True)`` (stratified K-fold for an integer), so the
    same folds give scikit-learn's probabilities for ``"sigmoid"``, ``"isotonic"`` and
    ``"temperature"``. ``cv="prefit"``, or a scikit-learn ``FrozenEstimator``: the estimator is already
    fitted and only the calibrator is fitted, on all the rows given to ``fit``.

    Scores: ``decision_function`` when the estimator has it, else ``predict_proba`` (two classes: the
    second column), as scikit-learn reads them; ``"temperature"`` turns probabilities into logits and
    ``"beta"`` reads probabilities (see :func:`._response.calibration_scores`). The calibrators are
    :class:`PlattScaling` (``"sigmoid"``), :class:`IsotonicCalibration` (``"isotonic"``, with
    ``strictly_monotone``), :class:`TemperatureScaling`, :class:`BetaCalibration` and
    :class:`VennAbers` (``"venn-abers"``; also ``predict_interval``). ``sample_weight`` goes to the
    estimator's ``fit`` (when it takes one) and to every calibrator.

    Parameters
    ----------
    estimator : classifier
    method : {"sigmoid", "isotonic", "temperature", "beta", "venn-abers"}, default="sigmoid"
    cv : int, cross-validation splitter or "prefit", default=5
    ensemble : bool, default=True
    strictly_monotone : bool, default=False
        For ``"isotonic"``: the strictly increasing map that keeps the ROC AUC.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    calibrated_classifiers_ : list of (estimator, calibrator)

    Examples
    --------
    >>> from sklearn.datasets import load_breast_cancer
    >>> from crossentropy import LogisticRegression
    >>> X, y = load_breast_cancer(return_X_y=True)
    >>> X = (X - X.mean(0)) / X.std(0)
    >>> clf = CalibratedClassifier(LogisticRegression(), method="isotonic", cv=3).fit(X, y)
    >>> clf.predict_proba(X[:2]).round(3)
    array([[1., 0.],
           [1., 0.]])

    References
    ----------
    A. Niculescu-Mizil and R. Caruana, "Predicting good probabilities with supervised learning",
    ICML 2005.
    """

    def __init__(self, estimator=None, *, method="sigmoid", cv=5, ensemble=True, strictly_monotone=False):
        self.estimator = estimator
        self.method = method
        self.cv = cv
        self.ensemble = ensemble
        self.strictly_monotone = strictly_monotone

    def _prefit(self) -> bool:
        from sklearn.frozen import FrozenEstimator

        return (isinstance(self.cv, str) and self.cv == "prefit") or isinstance(self.estimator, FrozenEstimator)

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the estimator(s) and the calibrator(s); ``fit_params`` go to the estimator's ``fit``."""
        from sklearn.model_selection import check_cv, cross_val_predict
        from sklearn.utils.validation import check_is_fitted

        from .._validation import check_sample_weight

        check_option(self.method, "method", METHODS)
        check_bool(self.ensemble, "ensemble")
        check_bool(self.strictly_monotone, "strictly_monotone")
        if self.estimator is None:
            raise ValueError("estimator must be a classifier, got None")
        if isinstance(self.cv, str) and self.cv != "prefit":
            raise ValueError(f"cv must be an integer, a splitter or 'prefit', got {self.cv!r}")
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"y must be 1-D, got shape {y.shape}")
        self.classes_, codes = np.unique(y, return_inverse=True)
        codes = codes.reshape(-1)
        if self.classes_.size < 2:
            raise ValueError(f"y must hold at least two classes, got {self.classes_.tolist()!r}")
        sw = check_sample_weight(sample_weight, y.shape[0])
        self.calibrated_classifiers_ = []
        if self._prefit():
            check_is_fitted(self.estimator)
            self._check_classes(self.estimator)
            self.calibrated_classifiers_.append(self._pair(self.estimator, X, codes, sw))
            return self._finish()
        fit_kw = dict(fit_params)
        if sw is not None:
            if "sample_weight" in signature(self.estimator.fit).parameters:
                fit_kw["sample_weight"] = sw
            else:
                warnings.warn(f"{type(self.estimator).__name__}.fit takes no sample_weight: the weights are used "
                              "by the calibration only", UserWarning, stacklevel=2)
        n_folds = self.cv if isinstance(self.cv, int) else getattr(self.cv, "n_splits", None)
        if n_folds and np.any(np.bincount(codes) < n_folds):
            raise ValueError(f"cv={n_folds} folds need at least {n_folds} rows of every class")
        cv = check_cv(self.cv, y, classifier=True)
        if self.ensemble:
            for train, test in cv.split(X, y):
                est = clone(self.estimator).fit(_index(X, train), y[train], **_rows(fit_kw, train, y.shape[0]))
                self._check_classes(est)
                self.calibrated_classifiers_.append(
                    self._pair(est, _index(X, test), codes[test], None if sw is None else sw[test]))
            return self._finish()
        est = clone(self.estimator)
        name = response_method(est, prefer_proba=self.method == "beta")
        raw = cross_val_predict(est, X, y, cv=cv, method=name, params=fit_kw)
        est.fit(X, y, **fit_kw)
        self._check_classes(est)
        scores = to_calibration_scores(select_columns(raw, name), name, self.method)
        cal = _calibrator(self.method, self.strictly_monotone).fit(scores, codes, sample_weight=sw)
        self.calibrated_classifiers_.append((est, cal))
        return self._finish()

    def _check_classes(self, est):
        if not np.array_equal(np.asarray(est.classes_), self.classes_):
            raise ValueError(f"the estimator's classes {np.asarray(est.classes_).tolist()!r} differ from the "
                             f"classes of y {self.classes_.tolist()!r}")

    def _pair(self, est, X, codes, sw):
        scores = calibration_scores(est, X, self.method)
        cal = _calibrator(self.method, self.strictly_monotone).fit(scores, codes, sample_weight=sw)
        return est, cal

    def _finish(self):
        first = self.calibrated_classifiers_[0][0]
        for attr in ("n_features_in_", "feature_names_in_"):
            if hasattr(first, attr):
                setattr(self, attr, getattr(first, attr))
        return self

    def predict_proba(self, X):
        """Calibrated probabilities, the mean over the (estimator, calibrator) pairs; (n_samples, n_classes)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "calibrated_classifiers_")
        out = None
        for est, cal in self.calibrated_classifiers_:
            p = cal.predict_proba(calibration_scores(est, X, self.method))
            out = p if out is None else out + p
        out /= len(self.calibrated_classifiers_)
        out[(1.0 < out) & (out <= 1.0 + 1e-5)] = 1.0
        return out

    def predict(self, X):
        """The class of highest calibrated probability."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def predict_interval(self, X):
        """Venn–Abers ``(p0, p1)`` (mean over the pairs); only for ``method="venn-abers"``."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "calibrated_classifiers_")
        if self.method != "venn-abers":
            raise ValueError(f"predict_interval needs method='venn-abers', got method={self.method!r}")
        parts = [cal.predict_interval(calibration_scores(est, X, self.method)) for est, cal in self.calibrated_classifiers_]
        return tuple(np.mean([p[i] for p in parts], axis=0) for i in (0, 1))


def _rows(kw: dict, idx, n_samples: int) -> dict:
    """Fit parameters of one row subset: arrays with one entry per row are indexed, others kept."""
    def pick(v):
        if isinstance(v, str) or not hasattr(v, "__len__") or len(v) != n_samples:
            return v
        return v.iloc[idx] if hasattr(v, "iloc") else np.asarray(v)[idx]

    return {k: pick(v) for k, v in kw.items()}
