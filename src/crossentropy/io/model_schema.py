"""What a model file may hold: the format constants, one spec per estimator class, the field checks.

:mod:`crossentropy.io.model_files` writes and reads the files; this module says what is allowed in
them. Every check raises :class:`~crossentropy.exceptions.ModelFileError` naming the file and the
field. Scalar values are checked with :mod:`crossentropy._validation`, as the estimators' own
parameters are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._validation import check_bool, check_int, check_real
from ..exceptions import ModelFileError

__all__ = ["FORMAT", "FORMAT_VERSION", "JSON_NAME", "ARRAYS_NAME", "MAX_JSON_BYTES", "MAX_JSON_DEPTH",
           "MAX_HEADER_BYTES", "MAX_ARRAYS_BYTES", "FIELDS", "OPTIONAL_FIELDS", "metadata_digest", "FLOAT_DTYPES", "PARAM_KINDS", "Spec", "SPECS",
           "estimator_class", "json_value", "check_fields", "check_params", "check_attributes", "manifest_bytes"]

FORMAT = "crossentropy-model"
FORMAT_VERSION = 1
JSON_NAME = "model.json"
ARRAYS_NAME = "model.safetensors"
#: the most bytes a model.json may hold (checked before it is read; save_model refuses to write more)
MAX_JSON_BYTES = 16 * 2**20
#: the deepest nesting of lists and objects in a model.json (a real one nests about 6 deep)
MAX_JSON_DEPTH = 32
#: the most bytes the JSON header of a model.safetensors may take (the safetensors library's own cap)
MAX_HEADER_BYTES = 100 * 2**20
#: the most bytes of arrays a model file may list (beyond this, the loader refuses rather than allocates)
MAX_ARRAYS_BYTES = 2**34
FIELDS = ("format", "format_version", "estimator", "params", "classes", "classes_dtype", "n_features_in",
          "feature_names", "feature_names_in", "attributes", "arrays", "preprocessing", "extra", "package_version",
          "arrays_file", "arrays_sha256")
FLOAT_DTYPES = {"float64": np.float64, "float32": np.float32}
#: fields a file may lack: the SHA-256 of the file's own content (files written before it existed), the
#: calibration record (only a calibrated run has one: :mod:`.model_calibration`)
OPTIONAL_FIELDS = ("metadata_sha256", "calibration")


def _check_str(value, name):
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {value!r:.80}")
    return value


# The checks a stored fitted attribute goes through, by kind (the estimator sets these itself in fit).
_ATTRIBUTE_CHECKS = {
    "int": check_int,
    "bool": check_bool,
    "str": _check_str,
    "real": check_real,
    "real or None": lambda value, name: check_real(value, name, allow_none=True),
}


@dataclass(frozen=True)
class Spec:
    """What a saved estimator of one class consists of.

    ``arrays``: single array attributes (required unless in ``optional``); ``array_lists``: attributes
    holding a list of arrays (saved as ``name.0``, ``name.1``, ...); ``scalars``: JSON attributes and
    their kind (a key of the attribute checks: "int", "bool", "str", "real", "real or None");
    ``check``: shape checks given (estimator, n_features, n_classes). On load the estimator's own
    ``_check_params()`` runs, the checks that ``fit`` would run.
    """

    module: str
    arrays: tuple = ()
    array_lists: tuple = ()
    optional: tuple = ()
    scalars: tuple = ()  # (name, kind)
    check: object = None
    none_if_absent: tuple = ()  # optional arrays that the fitted estimator holds as None when absent
    as_lists: tuple = ()  # 1-D arrays that the estimator keeps as Python lists of floats
    ordered_classes: bool = False  # classes_ in the estimator's order (its levels, lowest first), not sorted


def _check_logistic(est, d, k):
    rows = 1 if k == 2 else k
    coef, b = est.coef_, est.intercept_
    if coef.ndim != 2 or coef.shape != (rows, d):
        raise ModelFileError(f"coef_ must have shape ({rows}, {d}) for {k} classes and {d} features, got {coef.shape}")
    if b.shape != (rows,):
        raise ModelFileError(f"intercept_ must have shape ({rows},), got {b.shape}")


def _check_mlp(est, d, k):
    coefs, intercepts = est.coefs_, est.intercepts_
    if len(coefs) != len(intercepts) or not coefs:
        raise ModelFileError(f"coefs_ and intercepts_ must be non-empty lists of equal length, got {len(coefs)} and {len(intercepts)}")
    width = d
    for i, (w, b) in enumerate(zip(coefs, intercepts)):
        if w.ndim != 2 or w.shape[0] != width:
            raise ModelFileError(f"coefs_[{i}] must have {width} rows, got shape {w.shape}")
        if b.shape != (w.shape[1],):
            raise ModelFileError(f"intercepts_[{i}] must have shape ({w.shape[1]},), got {b.shape}")
        width = w.shape[1]
    if width not in ((1, 2) if k == 2 else (k,)):
        raise ModelFileError(f"the output layer has {width} units, which does not fit {k} classes")
    hidden = getattr(est, "hidden_layer_sizes", None)
    if hidden is not None:
        sizes = (hidden,) if isinstance(hidden, int) else tuple(hidden)
        if tuple(w.shape[1] for w in coefs[:-1]) != sizes:
            raise ModelFileError(f"hidden layer widths {[w.shape[1] for w in coefs[:-1]]} differ from hidden_layer_sizes={hidden!r}")


def _check_ordinal(est, d, k):
    coef, theta = est.coef_, est.thresholds_
    if coef.shape != (d,):
        raise ModelFileError(f"coef_ must have shape ({d},) for {d} features, got {coef.shape}")
    if theta.shape != (k - 1,):
        raise ModelFileError(f"thresholds_ must have shape ({k - 1},) for {k} levels, got {theta.shape}")
    if not (np.diff(theta) > 0).all():
        raise ModelFileError(f"thresholds_ must be strictly increasing, got {theta.tolist()!r:.200}")
    if est.order is not None and [(type(v), v) for v in est.order] != [(type(v), v) for v in est.classes_.tolist()]:
        raise ModelFileError(f"order {list(est.order)!r:.200} differs from the classes {est.classes_.tolist()!r:.200}")


SPECS = {
    "LogisticRegression": Spec(
        module="crossentropy.linear_model",
        arrays=("coef_", "intercept_", "loss_curve_"),
        optional=("loss_curve_",),
        scalars=(("n_iter_", "int"), ("converged_", "bool"), ("solver_", "str")),
        check=_check_logistic,
        as_lists=("loss_curve_",),
    ),
    "MLPClassifier": Spec(
        module="crossentropy.neural_network",
        arrays=("loss_curve_", "validation_loss_curve_"),
        array_lists=("coefs_", "intercepts_"),
        optional=("loss_curve_", "validation_loss_curve_"),
        scalars=(("n_iter_", "int"), ("t_", "int"), ("loss_", "real"), ("best_loss_", "real or None"),
                 ("best_validation_loss_", "real or None")),
        check=_check_mlp,
        as_lists=("loss_curve_", "validation_loss_curve_"),
        none_if_absent=("validation_loss_curve_",),
    ),
    "OrdinalRegression": Spec(
        module="crossentropy.linear_model",
        arrays=("coef_", "thresholds_", "loss_curve_"),
        optional=("loss_curve_",),
        scalars=(("n_iter_", "int"), ("converged_", "bool")),
        check=_check_ordinal,
        as_lists=("loss_curve_",),
        ordered_classes=True,
    ),
}


def estimator_class(name):
    """The estimator class a model file names; ModelFileError for any name without a spec.

    Only the classes in :data:`SPECS` can be named, so a file can never make the loader import or
    call anything else.

    Parameters
    ----------
    name : str
        The ``estimator`` field of the file.

    Returns
    -------
    type

    Examples
    --------
    >>> estimator_class("MLPClassifier").__module__
    'crossentropy.neural_network._mlp'
    >>> estimator_class("os.system")
    Traceback (most recent call last):
    ...
    crossentropy.exceptions.ModelFileError: unknown estimator class 'os.system'; known: ['LogisticRegression', 'MLPClassifier', 'OrdinalRegression']
    """
    from importlib import import_module

    if name not in SPECS:
        raise ModelFileError(f"unknown estimator class {name!r}; known: {sorted(SPECS)}")
    return getattr(import_module(SPECS[name].module), name)


def json_value(value, where):
    """Value as plain JSON (tuples become lists); TypeError for anything that is not data.

    Parameters
    ----------
    value : object
        None, bool, str, int, float (finite), or lists/tuples/str-keyed dicts of those; NumPy scalars
        become Python numbers.
    where : str
        What ``value`` is, for the message.

    Returns
    -------
    object
        The same data, made of JSON types only.

    Examples
    --------
    >>> import numpy as np
    >>> json_value({"sizes": (5, np.int64(3)), "tol": np.float32(0.5)}, "params")
    {'sizes': [5, 3], 'tol': 0.5}
    >>> json_value(float("nan"), "parameter C")
    Traceback (most recent call last):
    ...
    TypeError: parameter C must be finite to be saved, got nan

    References
    ----------
    IETF RFC 8259, *The JavaScript Object Notation (JSON) Data Interchange Format* (2017), §6: numbers
    such as Infinity and NaN are not permitted.
    """
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        if not math.isfinite(value):
            raise TypeError(f"{where} must be finite to be saved, got {value!r}")
        return float(value)
    if isinstance(value, (list, tuple)):
        return [json_value(v, where) for v in value]
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        return {k: json_value(v, where) for k, v in value.items()}
    raise TypeError(f"{where} holds {type(value).__name__} {value!r}, which a model file cannot store (JSON data only)")


def metadata_digest(meta) -> str:
    """The SHA-256 of a model file's JSON object without its ``metadata_sha256`` field, canonically serialised.

    Canonical form: keys sorted, no whitespace, UTF-8, floats as ``repr`` (which round-trips), so
    the digest depends on the values only, not on the layout of the file. A byte flip anywhere in
    ``model.json`` that still parses changes a value, and with it the digest.

    Parameters
    ----------
    meta : dict
        The parsed ``model.json``.

    Returns
    -------
    str
        64 lowercase hex digits.

    Examples
    --------
    >>> metadata_digest({"b": 1, "a": [1.5]}) == metadata_digest({"a": [1.5], "b": 1, "metadata_sha256": "x"})
    True

    References
    ----------
    NIST FIPS 180-4, *Secure Hash Standard* (2015); IETF RFC 8785, *JSON Canonicalization Scheme*
    (2020), whose idea (sorted keys, no whitespace) this follows.
    """
    import hashlib
    import json

    body = {k: v for k, v in meta.items() if k != "metadata_sha256"}
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_fields(meta, where):
    """Check the top-level fields of a model file's JSON object (names, JSON types, simple values).

    Parameters
    ----------
    meta : dict
        The parsed ``model.json``.
    where : str
        The file, for the message.

    Raises
    ------
    ModelFileError
        Wrong format or version, missing or unknown fields, a field of the wrong type or value.

    Examples
    --------
    >>> check_fields({"format": "pickle"}, "'m.json'")
    Traceback (most recent call last):
    ...
    crossentropy.exceptions.ModelFileError: 'm.json' is not a crossentropy model file (format='pickle')
    """
    if meta.get("format") != FORMAT:
        raise ModelFileError(f"{where} is not a crossentropy model file (format={meta.get('format')!r})")
    version = meta.get("format_version")
    if isinstance(version, bool) or not isinstance(version, int) or version != FORMAT_VERSION:
        raise ModelFileError(f"{where} has format_version {meta.get('format_version')!r}; this version reads {FORMAT_VERSION}")
    if set(meta) - set(OPTIONAL_FIELDS) != set(FIELDS):
        missing = sorted(set(FIELDS) - set(meta))
        unknown = sorted(set(meta) - set(FIELDS) - set(OPTIONAL_FIELDS))
        raise ModelFileError(f"{where} has missing fields {missing} or unknown fields {unknown}")
    types = {"estimator": str, "params": dict, "attributes": dict, "arrays": dict, "package_version": str,
             "arrays_file": str, "arrays_sha256": str, "classes_dtype": str}
    for key, typ in types.items():
        if not isinstance(meta[key], typ):
            raise ModelFileError(f"{where}: field {key!r} must be a {typ.__name__}, got {meta[key]!r:.80}")
    try:
        n = check_int(meta["n_features_in"], "n_features_in", low=1)
        feature_names_in = check_bool(meta["feature_names_in"], "feature_names_in")
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{where}: {exc}") from None
    names = meta["feature_names"]
    if names is not None and (not isinstance(names, list) or len(names) != n or not all(isinstance(s, str) for s in names)):
        raise ModelFileError(f"{where}: feature_names must be null or {n} strings")
    if feature_names_in and names is None:
        raise ModelFileError(f"{where}: feature_names_in must be a boolean, true only with feature_names")
    for key in ("arrays_sha256", "metadata_sha256"):
        sha = meta.get(key, "0" * 64)
        if not isinstance(sha, str) or len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):
            raise ModelFileError(f"{where}: {key} must be 64 lowercase hex digits, got {sha!r:.80}")
    if Path(meta["arrays_file"]).name != meta["arrays_file"] or not meta["arrays_file"].endswith(".safetensors"):
        raise ModelFileError(f"{where}: arrays_file must be a plain .safetensors file name, got {meta['arrays_file']!r}")


def _is_real(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


# The JSON type each stored hyperparameter may have (a bool is never a number here); the estimator's
# own _check_params, run by the loader, then decides whether the value is allowed.
_PARAM_TESTS = {
    "real": (_is_real, "a number"),
    "real or None": (lambda v: v is None or _is_real(v), "a number or null"),
    "int": (_is_int, "an integer"),
    "int or None": (lambda v: v is None or _is_int(v), "an integer or null"),
    "int or str": (lambda v: _is_int(v) or isinstance(v, str), "an integer or a string"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "verbose": (lambda v: isinstance(v, (bool, int)), "true, false or an integer"),
    "str": (lambda v: isinstance(v, str), "a string"),
    "str or None": (lambda v: v is None or isinstance(v, str), "a string or null"),
    "sizes": (lambda v: _is_int(v) or (isinstance(v, list) and all(_is_int(s) for s in v)),
              "an integer or a list of integers"),
    "class_weight": (lambda v: v is None or isinstance(v, str) or (
        isinstance(v, dict) and all(_is_real(w) for w in v.values())), "null, a string or an object of numbers"),
    "scalar": (lambda v: v is None or isinstance(v, (bool, int, float, str)), "a plain value"),
    "labels or None": (lambda v: v is None or (isinstance(v, list) and all(isinstance(s, (bool, int, str)) for s in v)),
                       "null or a list of labels (strings or integers)"),
}

#: the kind of each hyperparameter a model file may store, by estimator class ("scalar" for any other)
PARAM_KINDS = {
    "LogisticRegression": {
        "C": "real", "batch_size": "int or None", "class_weight": "class_weight", "fit_intercept": "bool", "flic": "bool",
        "l1_ratio": "real or None", "learning_rate": "real or None", "max_iter": "int", "penalty": "str or None",
        "random_state": "int or None", "solver": "str", "tol": "real", "verbose": "verbose", "warm_start": "bool",
    },
    "MLPClassifier": {
        "activation": "str", "alpha": "real", "batch_size": "int or str", "beta_1": "real", "beta_2": "real",
        "class_weight": "class_weight", "dtype": "str", "early_stopping": "bool", "epsilon": "real",
        "hidden_layer_sizes": "sizes", "label_smoothing": "real", "learning_rate_init": "real", "max_iter": "int",
        "momentum": "real", "n_iter_no_change": "int", "nesterovs_momentum": "bool", "random_state": "int or None",
        "shuffle": "bool", "solver": "str", "tol": "real", "validation_fraction": "real", "verbose": "verbose",
    },
    "OrdinalRegression": {"C": "real", "link": "str", "max_iter": "int", "order": "labels or None",
                          "penalty": "str or None", "tol": "real", "verbose": "verbose"},
}


def check_params(cls, params, where):
    """Return the stored hyperparameters as keyword arguments for ``cls`` (lists become tuples).

    Only ``cls``'s own parameter names are accepted, each of the JSON type :data:`PARAM_KINDS` gives
    it (``verbose: "loud"``, ``random_state: [1, 2, 3]`` or a ``class_weight`` holding an object are
    refused; a bool is not a number); whether the values are valid is decided by the estimator
    itself (its ``_check_params``, run by the loader).

    Parameters
    ----------
    cls : type
        The estimator class (from :func:`estimator_class`).
    params : dict
        The ``params`` field of the file.
    where : str
        The file, for the message.

    Returns
    -------
    dict

    Examples
    --------
    >>> from crossentropy import MLPClassifier
    >>> check_params(MLPClassifier, {"hidden_layer_sizes": [5, 3]}, "'m.json'")
    {'hidden_layer_sizes': (5, 3)}
    >>> check_params(MLPClassifier, {"random_state": [1, 2, 3]}, "'m.json'")
    Traceback (most recent call last):
    ...
    crossentropy.exceptions.ModelFileError: 'm.json': invalid parameters for MLPClassifier: random_state must be an integer or null, got [1, 2, 3]
    """
    known = cls().get_params(deep=False)
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ModelFileError(f"{where}: unknown parameters {unknown} for {cls.__name__}")
    kinds = PARAM_KINDS.get(cls.__name__, {})
    out = {}
    for key, value in params.items():
        kind = kinds.get(key, "scalar")
        test, expected = _PARAM_TESTS[kind]
        if not test(value):
            plain = not isinstance(value, (dict, list)) or (
                isinstance(value, list) and not any(isinstance(v, (dict, list)) for v in value))
            shown = f"{value!r:.80}" if plain else f"{str(value):.80}, which is not a plain value"
            raise ModelFileError(f"{where}: invalid parameters for {cls.__name__}: {key} must be {expected}, got {shown}")
        if isinstance(value, float) and not math.isfinite(value):
            raise ModelFileError(f"{where}: parameter {key} must be finite")
        out[key] = tuple(value) if isinstance(value, list) else value
    return out


def manifest_bytes(manifest, where) -> int:
    """The bytes the arrays of a model file's manifest take; ModelFileError for a malformed manifest.

    Each entry is ``{"shape": [n, ...], "dtype": "float64" | "float32"}``; the total is at most
    :data:`MAX_ARRAYS_BYTES`, so a file can never make the loader allocate more.

    Parameters
    ----------
    manifest : dict
        The ``arrays`` field of the file.
    where : str
        The file, for the message.

    Returns
    -------
    int
        :math:`\\sum_a \\text{itemsize}_a \\prod_j \\text{shape}_{a,j}`.

    Examples
    --------
    >>> manifest_bytes({"coef_": {"shape": [1, 4], "dtype": "float64"}, "intercept_": {"shape": [1], "dtype": "float32"}}, "'m.json'")
    36
    """
    total = 0
    for key, entry in manifest.items():
        if not isinstance(entry, dict) or set(entry) != {"shape", "dtype"}:
            raise ModelFileError(f"{where}: array entry {key!r:.80} must have exactly shape and dtype")
        shape, dtype = entry["shape"], entry["dtype"]
        if not isinstance(dtype, str) or dtype not in FLOAT_DTYPES:
            raise ModelFileError(f"{where}: array {key!r:.80} has dtype {dtype!r:.40}; a model file holds {sorted(FLOAT_DTYPES)}")
        if not isinstance(shape, list) or len(shape) > 8 or not all(_is_int(n) and 0 <= n <= MAX_ARRAYS_BYTES for n in shape):
            raise ModelFileError(f"{where}: array {key!r:.80} has a bad shape {shape!r:.80}")
        total += math.prod(shape) * np.dtype(FLOAT_DTYPES[dtype]).itemsize
        if total > MAX_ARRAYS_BYTES:
            raise ModelFileError(f"{where}: the arrays would take more than {MAX_ARRAYS_BYTES} bytes")
    return total


def check_attributes(spec, attributes, where, cls_name):
    """Return the stored fitted scalar attributes, each checked against its kind in ``spec``.

    Parameters
    ----------
    spec : Spec
    attributes : dict
        The ``attributes`` field of the file.
    where, cls_name : str
        The file and the estimator class, for the message.

    Returns
    -------
    dict
        Attribute name to checked value (reals as float).

    Examples
    --------
    >>> check_attributes(SPECS["LogisticRegression"], {"n_iter_": 7, "converged_": True}, "'m.json'",
    ...                  "LogisticRegression")
    {'n_iter_': 7, 'converged_': True}
    >>> check_attributes(SPECS["LogisticRegression"], {"n_iter_": "7"}, "'m.json'", "LogisticRegression")
    Traceback (most recent call last):
    ...
    crossentropy.exceptions.ModelFileError: 'm.json': attribute 'n_iter_' has the wrong type: n_iter_ must be an integer, got '7'
    """
    allowed = dict(spec.scalars)
    out = {}
    for key, value in attributes.items():
        if key not in allowed:
            raise ModelFileError(f"{where}: unknown attribute {key!r} for {cls_name}")
        try:
            out[key] = _ATTRIBUTE_CHECKS[allowed[key]](value, key)
        except (TypeError, ValueError) as exc:
            raise ModelFileError(f"{where}: attribute {key!r} has the wrong type: {exc}") from None
    return out
