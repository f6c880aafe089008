"""A calibrated model's calibration map in the model files: its fitted state as arrays + JSON, validated on load.

A run written by ``crossentropy calibrate`` holds the uncalibrated estimator as any model file does,
plus the field ``calibration`` of ``model.json`` (the method and what the calibration data were) and
the calibrator's arrays in ``model.safetensors`` under names that start with ``calibration.``:

===============  ==========================================================================================
method           arrays (``m`` calibrated columns: 1 for two classes, else one per class)
===============  ==========================================================================================
``temperature``  ``calibration.temperature`` (1,): :math:`T > 0`; with vector scaling also
                 ``calibration.coef`` and ``calibration.intercept`` (K,)
``sigmoid``      ``calibration.params`` (m, 2): :math:`(a, b)` of :math:`\\sigma(a s + b)`
``beta``         ``calibration.params`` (m, 3): :math:`(a, b, c)`, :math:`a, b \\ge 0`
``isotonic``     ``calibration.X_thresholds.j``, ``calibration.y_thresholds.j`` (n_j,) for each column j: the
                 knots of the step function (strictly increasing scores, non-decreasing values in [0, 1])
``venn-abers``   ``calibration.scores.j``, ``calibration.weights.j``, ``calibration.positives.j`` (n_j,): the
                 distinct calibration scores (strictly increasing), the total weight (> 0) and the weight of
                 positive labels (in [0, weight]) at each
===============  ==========================================================================================

:func:`calibrator_from_state` rebuilds the fitted calibrator from these, refusing anything else
(unknown or missing arrays, wrong shapes, values out of range, non-monotone knots) with a
:class:`~crossentropy.exceptions.ModelFileError`. The arrays pass the model file's SHA-256 and finiteness
checks first (:mod:`crossentropy.io.model_files`).
"""

from __future__ import annotations

import numpy as np

from ..exceptions import ModelFileError

__all__ = ["METHODS", "PREFIX", "calibration_arrays", "calibrator_from_state", "check_calibration_record",
           "calibrated_estimator"]

#: the calibration methods a model file may hold (those of :class:`crossentropy.calibration.CalibratedClassifier`)
METHODS = ("temperature", "sigmoid", "isotonic", "beta", "venn-abers")
#: the prefix of the calibrator's arrays in ``model.safetensors``
PREFIX = "calibration."
#: the keys of ``model.json``'s ``calibration`` field
RECORD_KEYS = {"method", "vector", "data", "data_sha256", "n_rows"}


def calibration_arrays(calibrator, method: str) -> dict:
    """The arrays of a fitted calibrator of ``method``, by their name in ``model.safetensors``.

    Parameters
    ----------
    calibrator : fitted calibrator of :mod:`crossentropy.calibration`
    method : str
        One of :data:`METHODS`.

    Returns
    -------
    dict of str to ndarray (float64)

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy.calibration import PlattScaling
    >>> cal = PlattScaling().fit(np.array([-2.0, -1.0, 0.5, 1.0, 2.0, -0.5]), np.array([0, 0, 1, 1, 1, 0]))
    >>> {k: v.shape for k, v in calibration_arrays(cal, "sigmoid").items()}
    {'calibration.params': (1, 2)}
    """
    f = lambda a: np.ascontiguousarray(a, dtype=np.float64)  # noqa: E731
    if method == "temperature":
        out = {PREFIX + "temperature": f([calibrator.temperature_])}
        if calibrator.vector:
            out[PREFIX + "coef"], out[PREFIX + "intercept"] = f(calibrator.coef_), f(calibrator.intercept_)
        return out
    if method in ("sigmoid", "beta"):
        return {PREFIX + "params": f(np.stack(calibrator.params_))}
    out = {}
    if method == "isotonic":
        if calibrator.strictly_monotone:
            raise ValueError("a strictly monotone isotonic calibration cannot be saved: save the step function's")
        for j, (iso, _strict) in enumerate(calibrator.params_):
            out[f"{PREFIX}X_thresholds.{j}"] = f(iso.X_thresholds_)
            out[f"{PREFIX}y_thresholds.{j}"] = f(iso.y_thresholds_)
        return out
    if method == "venn-abers":
        for j, (c, W, S) in enumerate(calibrator.tables_):
            out[f"{PREFIX}scores.{j}"], out[f"{PREFIX}weights.{j}"], out[f"{PREFIX}positives.{j}"] = f(c), f(W), f(S)
        return out
    raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")


def check_calibration_record(record, where: str) -> dict:
    """Check ``model.json``'s ``calibration`` field: its keys, the method, the JSON types; return it.

    Examples
    --------
    >>> check_calibration_record({"method": "pickle"}, "'m.json'")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crossentropy.exceptions.ModelFileError: 'm.json': field 'calibration' must be an object with exactly the keys ...
    """
    if not isinstance(record, dict) or set(record) != RECORD_KEYS:
        raise ModelFileError(f"{where}: field 'calibration' must be an object with exactly the keys "
                             f"{sorted(RECORD_KEYS)}, got {record!r:.200}")
    if record["method"] not in METHODS:
        raise ModelFileError(f"{where}: unknown calibration method {record['method']!r}; known: {list(METHODS)}")
    if not isinstance(record["vector"], bool) or (record["vector"] and record["method"] != "temperature"):
        raise ModelFileError(f"{where}: calibration 'vector' must be a bool, true only for temperature scaling")
    sha = record["data_sha256"]
    if sha is not None and not (isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)):
        raise ModelFileError(f"{where}: calibration 'data_sha256' must be 64 hex digits or null, got {sha!r:.80}")
    n = record["n_rows"]
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise ModelFileError(f"{where}: calibration 'n_rows' must be a positive integer, got {n!r:.80}")
    if not isinstance(record["data"], str):
        raise ModelFileError(f"{where}: calibration 'data' must be a string, got {record['data']!r:.80}")
    return record


def _take(arrays: dict, name: str, shape, where: str) -> np.ndarray:
    if name not in arrays:
        raise ModelFileError(f"{where}: calibration array {name!r} is missing")
    arr = np.asarray(arrays.pop(name), dtype=np.float64)
    if shape is not None and arr.shape != tuple(shape):
        raise ModelFileError(f"{where}: calibration array {name!r} has shape {list(arr.shape)}, expected {list(shape)}")
    if arr.ndim == 1 and arr.size == 0:
        raise ModelFileError(f"{where}: calibration array {name!r} is empty")
    return arr


def _knots(arrays, j, where):
    x = _take(arrays, f"{PREFIX}X_thresholds.{j}", None, where)
    y = _take(arrays, f"{PREFIX}y_thresholds.{j}", x.shape, where)
    if x.ndim != 1 or np.any(np.diff(x) <= 0):
        raise ModelFileError(f"{where}: isotonic knots of column {j} must be strictly increasing scores")
    if np.any(np.diff(y) < 0) or np.any((y < 0) | (y > 1)):
        raise ModelFileError(f"{where}: isotonic values of column {j} must be non-decreasing probabilities in [0, 1]")
    return x, y


def _isotonic(x, y):
    import sklearn
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(out_of_bounds="clip")
    # the fitted state as IsotonicRegression.fit leaves it; __setstate__ rebuilds its interpolation
    iso.__setstate__({**iso.__dict__, "X_thresholds_": x, "y_thresholds_": y, "X_min_": float(x[0]),
                      "X_max_": float(x[-1]), "increasing_": True, "_sklearn_version": sklearn.__version__})
    return iso


def calibrator_from_state(record: dict, arrays: dict, n_classes: int, where: str):
    """The fitted calibrator of a model file, rebuilt from its ``calibration`` record and arrays.

    Parameters
    ----------
    record : dict
        ``model.json``'s ``calibration`` field (checked by :func:`check_calibration_record`).
    arrays : dict of str to ndarray
        The arrays whose name starts with :data:`PREFIX`; every one must be used.
    n_classes : int
        The number of classes of the model.
    where : str
        The file, for the messages.

    Returns
    -------
    The calibrator of ``record["method"]``, fitted (``classes_ = arange(n_classes)``, the column codes
    that :class:`~crossentropy.calibration.CalibratedClassifier` fits it on).

    Raises
    ------
    ModelFileError
        A missing, unexpected or malformed array, or a value outside its range.

    Examples
    --------
    >>> import numpy as np
    >>> cal = calibrator_from_state({"method": "sigmoid", "vector": False}, {"calibration.params": np.array([[2.0, 0.0]])},
    ...                             2, "'m.json'")
    >>> cal.predict_proba(np.array([0.0, 1.0]))[:, 1].round(4)
    array([0.5   , 0.8808])
    """
    from ..calibration import BetaCalibration, IsotonicCalibration, PlattScaling, TemperatureScaling, VennAbers

    method, arrays = record["method"], dict(arrays)
    m = 1 if n_classes == 2 else n_classes
    if method == "temperature":
        cal = TemperatureScaling(vector=record["vector"])
        t = float(_take(arrays, PREFIX + "temperature", (1,), where)[0])
        if not t > 0:
            raise ModelFileError(f"{where}: the calibration temperature must be positive, got {t!r}")
        cal.temperature_ = t
        if record["vector"]:
            cal.coef_ = _take(arrays, PREFIX + "coef", (n_classes,), where)
            cal.intercept_ = _take(arrays, PREFIX + "intercept", (n_classes,), where)
    elif method in ("sigmoid", "beta"):
        width = 2 if method == "sigmoid" else 3
        params = _take(arrays, PREFIX + "params", (m, width), where)
        if method == "beta" and np.any(params[:, :2] < 0):
            raise ModelFileError(f"{where}: beta calibration needs a, b >= 0, got {params[:, :2].tolist()!r:.120}")
        cal = PlattScaling() if method == "sigmoid" else BetaCalibration()
        cal.params_ = list(params)
        cal.n_classes_ = n_classes
    elif method == "isotonic":
        cal = IsotonicCalibration()
        cal.params_ = [(_isotonic(*_knots(arrays, j, where)), None) for j in range(m)]
        cal.n_classes_ = n_classes
    else:
        cal = VennAbers()
        cal.tables_ = []
        for j in range(m):
            c = _take(arrays, f"{PREFIX}scores.{j}", None, where)
            W = _take(arrays, f"{PREFIX}weights.{j}", c.shape, where)
            S = _take(arrays, f"{PREFIX}positives.{j}", c.shape, where)
            if c.ndim != 1 or np.any(np.diff(c) <= 0):
                raise ModelFileError(f"{where}: Venn-Abers scores of column {j} must be strictly increasing")
            if np.any(W <= 0) or np.any((S < 0) | (S > W)):
                raise ModelFileError(f"{where}: Venn-Abers weights of column {j} must be positive, with positives "
                                     "between 0 and the weight")
            cal.tables_.append((c, W, S))
        cal.n_classes_ = n_classes
    if arrays:
        raise ModelFileError(f"{where}: unexpected calibration arrays {sorted(arrays)} for method {method!r}")
    cal.classes_ = np.arange(n_classes)
    return cal


def calibrated_estimator(estimator, record: dict, calibrator):
    """``estimator`` (fitted) with its calibration map, as a prefit
    :class:`~crossentropy.calibration.CalibratedClassifier` whose ``predict_proba`` is calibrated.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import LogisticRegression
    >>> from crossentropy.calibration import TemperatureScaling
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 1, 0, 1])
    >>> model = LogisticRegression().fit(X, y)
    >>> cal = TemperatureScaling().fit(model.decision_function(X), y)
    >>> est = calibrated_estimator(model, {"method": "temperature"}, cal)
    >>> bool(np.allclose(est.predict_proba(X), cal.predict_proba(model.decision_function(X))))
    True
    """
    from sklearn.frozen import FrozenEstimator

    from ..calibration import CalibratedClassifier

    est = CalibratedClassifier(FrozenEstimator(estimator), method=record["method"], cv="prefit")
    est.classes_ = np.asarray(estimator.classes_)
    est.calibrated_classifiers_ = [(estimator, calibrator)]
    return est._finish()
