"""Safe model files: arrays in safetensors, everything else in JSON; no pickle, no code on load.

A saved model is two files side by side (by default ``model.json`` and ``model.safetensors``):

* ``model.safetensors`` holds the fitted arrays (``coef_``, ``intercept_``, ``coefs_.0``, ...).
* ``model.json`` holds the format version, the estimator class name, its hyperparameters, the class
  labels with their dtype, the feature names (and whether the estimator knew them as ``feature_names_in_``), the fitted preprocessing (see ``crossentropy.preprocessing``),
  the package version, a manifest of the arrays (name, shape, dtype), the SHA-256 of the
  safetensors file and that of the JSON object's own content (``metadata_sha256``, checked last, so
  that a damaged file that still parses is refused too).

:func:`load_model` reads the JSON without ever evaluating it, checks the hash, then checks every
field: known estimator class, known hyperparameters of JSON types, arrays exactly as in the manifest
and with shapes consistent with the number of features and classes, finite values. Anything off
raises :class:`~crossentropy.exceptions.ModelFileError` (a ValueError). Both files are written
atomically (the JSON last), so an interrupted save never leaves a loadable half-model.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..exceptions import ModelFileError
from .model_schema import (
    ARRAYS_NAME,
    FLOAT_DTYPES,
    FORMAT,
    FORMAT_VERSION,
    JSON_NAME,
    MAX_HEADER_BYTES,
    MAX_JSON_BYTES,
    MAX_JSON_DEPTH,
    SPECS,
    check_attributes,
    check_fields,
    check_params,
    estimator_class,
    json_value,
    manifest_bytes,
    metadata_digest,
)

__all__ = ["save_model", "load_model", "load_model_bundle", "SavedModel", "FORMAT", "FORMAT_VERSION", "metadata_floor"]

def _paths(path, *, saving: bool):
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix == ".json":
        return p, p.with_suffix(".safetensors")
    if suffix == ".safetensors":
        return p.with_suffix(".json"), p
    if p.is_dir() or (saving and not p.exists() and not suffix):
        return p / JSON_NAME, p / ARRAYS_NAME
    if not p.exists():
        raise ModelFileError(f"model not found: {str(p)!r} (pass the directory that train wrote, or its {JSON_NAME})")
    raise ModelFileError(f"model path must be a directory, a .json or a .safetensors file, got {str(p)!r}")


def _float_array(a, name):
    arr = np.asarray(a)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be a numeric array to be saved, got dtype {arr.dtype}")
    arr = arr.astype(arr.dtype if arr.dtype in (np.float32, np.float64) else np.float64)
    return np.ascontiguousarray(arr)


def save_model(estimator, path, *, preprocessing=None, extra=None, calibration=None) -> Path:
    """Save a fitted estimator as ``model.json`` + ``model.safetensors`` (atomically, no pickle).

    Parameters
    ----------
    estimator : fitted :class:`~crossentropy.LogisticRegression`, :class:`~crossentropy.MLPClassifier` or :class:`~crossentropy.OrdinalRegression`
    path : str or path-like
        A directory (created if needed; files ``model.json`` and ``model.safetensors`` inside), or a
        ``.json`` path (the arrays go next to it with the suffix ``.safetensors``).
    preprocessing : TabularPreprocessor or dict, optional
        Fitted table preprocessing (or its ``to_state()``), stored so that ``predict`` can replay it.
    extra : dict, optional
        Any JSON-able metadata to keep with the model (e.g. the training metrics).
    calibration : (dict, calibrator), optional
        The calibration record (``method``, ``vector``, ``data``, ``data_sha256``, ``n_rows``) and the
        fitted calibrator of :mod:`crossentropy.calibration` fitted on the estimator's scores: saved as
        the field ``calibration`` and the arrays of :mod:`crossentropy.io.model_calibration`;
        :func:`load_model` then returns the calibrated classifier.

    Returns
    -------
    pathlib.Path
        The JSON file written.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> import crossentropy as ce
    >>> X = np.array([[0.], [1.], [2.], [3.]]); y = np.array(["no", "no", "yes", "yes"])
    >>> clf = ce.LogisticRegression().fit(X, y)
    >>> path = ce.save_model(clf, tempfile.mkdtemp())
    >>> bool((ce.load_model(path).predict_proba(X) == clf.predict_proba(X)).all())
    True

    References
    ----------
    Hugging Face, *safetensors* format specification (2022), https://github.com/huggingface/safetensors.
    """
    import safetensors.numpy

    from .. import __version__
    from .atomic import atomic_write_bytes
    from ..preprocessing import labels_to_json

    name = type(estimator).__name__
    if name not in SPECS or type(estimator) is not estimator_class(name):
        raise TypeError(f"estimator must be one of {sorted(SPECS)} from crossentropy, got {type(estimator).__module__}.{name}")
    spec = SPECS[name]
    if not hasattr(estimator, "classes_") or not hasattr(estimator, "n_features_in_"):
        raise ValueError(f"estimator must be fitted before saving: {name} has no classes_")
    json_path, arrays_path = _paths(path, saving=True)
    params = {k: json_value(v.tolist() if isinstance(v, np.ndarray) else v, f"parameter {k}")
              for k, v in estimator.get_params(deep=False).items()}
    classes, classes_dtype = labels_to_json(estimator.classes_)
    arrays, manifest = {}, {}
    for attr in spec.arrays:
        value = getattr(estimator, attr, None)
        if value is None:
            if attr in spec.optional:
                continue
            raise ValueError(f"estimator has no {attr}: is it fitted?")
        arrays[attr] = _float_array(value, attr)
    for attr in spec.array_lists:
        for i, value in enumerate(getattr(estimator, attr)):
            arrays[f"{attr}.{i}"] = _float_array(value, f"{attr}[{i}]")
    record = None
    if calibration is not None:
        from .model_calibration import calibration_arrays, check_calibration_record

        record, calibrator = calibration
        record = check_calibration_record(json_value(record, "calibration"), "calibration")
        arrays.update(calibration_arrays(calibrator, record["method"]))
    for key, arr in arrays.items():
        if not np.isfinite(arr).all():
            raise ValueError(f"{key} holds NaN or inf: refusing to save a broken model")
        manifest[key] = {"shape": list(arr.shape), "dtype": str(arr.dtype)}
    attributes = {}
    for attr, _types in spec.scalars:
        if hasattr(estimator, attr):
            attributes[attr] = json_value(getattr(estimator, attr), attr)
    if preprocessing is not None and not isinstance(preprocessing, dict):
        preprocessing = preprocessing.to_state()
    feature_names = None
    names_in = [str(f) for f in estimator.feature_names_in_] if hasattr(estimator, "feature_names_in_") else None
    if preprocessing is not None:
        from ..preprocessing import TabularPreprocessor

        feature_names = TabularPreprocessor.from_state(json.loads(json.dumps(preprocessing))).feature_names_
        if names_in is not None and names_in != feature_names:
            raise ValueError("the estimator's feature_names_in_ differ from the features the preprocessing yields")
    else:
        feature_names = names_in
    n_features = int(estimator.n_features_in_)
    if feature_names is not None and len(feature_names) != n_features:
        raise ValueError(f"preprocessing yields {len(feature_names)} features but the estimator was fitted on {n_features}")
    blob = safetensors.numpy.save(arrays, metadata={"format": FORMAT})
    meta = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "estimator": name,
        "params": params,
        "classes": classes,
        "classes_dtype": classes_dtype,
        "n_features_in": n_features,
        "feature_names": feature_names,
        "feature_names_in": names_in is not None,
        "attributes": attributes,
        "arrays": manifest,
        "preprocessing": json_value(preprocessing, "preprocessing") if preprocessing is not None else None,
        "extra": json_value(extra, "extra") if extra is not None else None,
        "package_version": __version__,
        "arrays_file": arrays_path.name,
        "arrays_sha256": hashlib.sha256(blob).hexdigest(),
    }
    if record is not None:
        meta["calibration"] = record
    meta["metadata_sha256"] = metadata_digest(meta)
    text = json.dumps(meta, indent=1, allow_nan=False, ensure_ascii=False) + "\n"
    if len(text.encode("utf-8")) > MAX_JSON_BYTES:  # never write a file that load_model refuses
        raise ValueError(f"the model's metadata would take {len(text.encode('utf-8'))} bytes, more than the "
                         f"{MAX_JSON_BYTES} a model file may hold (feature names, classes, preprocessing, extra)")
    json_path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(arrays_path, blob)
    atomic_write_bytes(json_path, text.encode("utf-8"))
    return json_path


def metadata_floor(preprocessing) -> int:
    """Bytes that a fitted preprocessing's state and feature names alone take in ``model.json``.

    A lower bound of the whole file (written indented, with the model's own fields besides): when it
    exceeds :data:`~crossentropy.io.model_schema.MAX_JSON_BYTES` the model cannot be saved, which
    a caller can tell before fitting anything (long column names, many categories or classes).

    Examples
    --------
    >>> import pandas as pd
    >>> from crossentropy.preprocessing import TabularPreprocessor
    >>> prep = TabularPreprocessor("y").fit(pd.DataFrame({"a" * 1000: [1.0, 2.0], "y": [0, 1]}))
    >>> metadata_floor(prep) > 2000
    True
    """
    def size(value):
        return len(json.dumps(value, ensure_ascii=False, allow_nan=True, default=str).encode("utf-8"))

    return size(preprocessing.to_state()) + size([str(f) for f in preprocessing.feature_names_])


@dataclass(frozen=True)
class SavedModel:
    """A loaded model file: the estimator, its fitted preprocessing (or None), ``extra`` and the raw metadata.

    For a calibrated model ``estimator`` is the calibrated classifier
    (:func:`crossentropy.io.model_calibration.calibrated_estimator`), ``base_estimator`` the estimator
    under it and ``calibration`` the record of ``model.json``; otherwise ``base_estimator`` is
    ``estimator`` and ``calibration`` None.
    """

    estimator: object
    preprocessing: object
    extra: object
    metadata: dict
    path: Path
    base_estimator: object = None
    calibration: object = None


def _read_json(json_path):
    from .bounded import read_regular_file, strict_json

    raw = read_regular_file(json_path, MAX_JSON_BYTES, "metadata")
    meta = strict_json(raw, repr(str(json_path)), max_depth=MAX_JSON_DEPTH)
    if not isinstance(meta, dict):
        raise ModelFileError(f"{str(json_path)!r} must hold a JSON object, got {type(meta).__name__}")
    return meta


def _read_arrays(arrays_path, meta, where):
    """The safetensors file's bytes, read only if it is no larger than its header and the manifest say.

    A safetensors file is 8 bytes giving the header length N (little-endian), N bytes of JSON header,
    then the arrays: with N at most :data:`MAX_HEADER_BYTES`, the file may hold at most
    8 + N + (the bytes of the arrays the manifest lists). A shorter file is read (it is small) and
    fails the SHA-256 check.
    """
    from .bounded import read_prefix, read_regular_file

    expected = manifest_bytes(meta["arrays"], where)
    head = read_prefix(arrays_path, 8, "arrays")
    header = int.from_bytes(head, "little") if len(head) == 8 else 0
    if header > MAX_HEADER_BYTES:
        raise ModelFileError(f"{str(arrays_path)!r} is not a valid safetensors file: it declares a {header}-byte "
                             f"header, more than the {MAX_HEADER_BYTES} a model file may have")
    return read_regular_file(arrays_path, 8 + header + expected, "arrays")


def _check_layout(blob, arrays_path, meta, where):
    """The header length the file declares fits its size and the manifest (checked before parsing it)."""
    header = int.from_bytes(blob[:8], "little") if len(blob) >= 8 else -1
    expected = manifest_bytes(meta["arrays"], where)
    if header < 0 or 8 + header + expected != len(blob):
        raise ModelFileError(f"{str(arrays_path)!r} is not a valid safetensors file: it holds {len(blob)} bytes, "
                             f"which do not fit its declared {header}-byte header and the {expected} bytes of "
                             f"arrays listed in {where}")


def _load_arrays(arrays_path, meta, where):
    import safetensors.numpy

    blob = _read_arrays(arrays_path, meta, where)
    if hashlib.sha256(blob).hexdigest() != meta["arrays_sha256"]:
        raise ModelFileError(
            f"{str(arrays_path)!r} does not match the SHA-256 recorded in {where}: the file was truncated, "
            "corrupted or tampered with"
        )
    _check_layout(blob, arrays_path, meta, where)
    try:
        arrays = safetensors.numpy.load(blob)
    except Exception as exc:  # safetensors raises its own SafetensorError
        raise ModelFileError(f"{str(arrays_path)!r} is not a valid safetensors file: {exc}") from None
    manifest = meta["arrays"]
    if set(arrays) != set(manifest):
        raise ModelFileError(f"{str(arrays_path)!r} holds arrays {sorted(arrays)}, the metadata lists {sorted(manifest)}")
    for key, arr in arrays.items():
        entry = manifest[key]
        if not isinstance(entry, dict) or set(entry) != {"shape", "dtype"}:
            raise ModelFileError(f"{where}: array entry {key!r} must have exactly shape and dtype")
        if entry["dtype"] not in FLOAT_DTYPES or arr.dtype != FLOAT_DTYPES[entry["dtype"]]:
            raise ModelFileError(f"array {key!r} has dtype {arr.dtype}, the metadata says {entry['dtype']!r}")
        if list(arr.shape) != entry["shape"]:
            raise ModelFileError(f"array {key!r} has shape {list(arr.shape)}, the metadata says {entry['shape']!r}")
        if not np.isfinite(arr).all():
            raise ModelFileError(f"array {key!r} holds NaN or inf")
    return arrays


def _assign_arrays(est, spec, arrays, where):
    remaining = dict(arrays)
    for attr in spec.arrays:
        if attr in remaining:
            value = remaining.pop(attr)
            setattr(est, attr, value.tolist() if attr in spec.as_lists else value)
        elif attr not in spec.optional:
            raise ModelFileError(f"{where}: required array {attr!r} is missing")
        elif attr in spec.none_if_absent:
            setattr(est, attr, None)
    for attr in spec.array_lists:
        items, i = [], 0
        while f"{attr}.{i}" in remaining:
            items.append(remaining.pop(f"{attr}.{i}"))
            i += 1
        if not items:
            raise ModelFileError(f"{where}: required arrays {attr}.0, {attr}.1, ... are missing")
        setattr(est, attr, items)
    if remaining:
        raise ModelFileError(f"{where}: unexpected arrays {sorted(remaining)} for {type(est).__name__}")


def load_model_bundle(path) -> SavedModel:
    """Load and validate a model file; return the estimator with its preprocessing and metadata.

    Parameters
    ----------
    path : str or path-like
        The directory that ``save_model`` (or ``crossentropy train``) wrote, or its ``.json`` /
        ``.safetensors`` file.

    Returns
    -------
    SavedModel
        ``estimator``, ``preprocessing`` (a fitted ``TabularPreprocessor`` or None), ``extra``,
        ``metadata`` (the JSON object) and ``path`` (the JSON file).

    Raises
    ------
    ModelFileError
        Missing, truncated, corrupted or tampered files, or any field that fails validation.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> import crossentropy as ce
    >>> X = np.array([[0.], [1.], [2.], [3.]]); y = np.array([0, 0, 1, 1])
    >>> folder = tempfile.mkdtemp()
    >>> _ = ce.save_model(ce.LogisticRegression().fit(X, y), folder, extra={"note": "demo"})
    >>> bundle = load_model_bundle(folder)
    >>> bundle.extra, bundle.preprocessing, bundle.metadata["estimator"]
    ({'note': 'demo'}, None, 'LogisticRegression')

    References
    ----------
    Hugging Face, *safetensors* format specification (2022), https://github.com/huggingface/safetensors.
    """
    from ..preprocessing import TabularPreprocessor, labels_from_json

    json_path, arrays_path = _paths(path, saving=False)
    where = repr(str(json_path))
    meta = _read_json(json_path)
    check_fields(meta, where)
    if arrays_path.name != meta["arrays_file"]:
        arrays_path = json_path.with_name(meta["arrays_file"])
    spec = SPECS.get(meta["estimator"])
    cls = estimator_class(meta["estimator"])
    params = check_params(cls, meta["params"], where)
    try:
        classes = labels_from_json(meta["classes"], meta["classes_dtype"], ordered=spec.ordered_classes)
    except ValueError as exc:
        raise ModelFileError(f"{where}: {exc}") from None
    if classes.size < 2:
        raise ModelFileError(f"{where}: a classifier needs at least two classes, got {meta['classes']!r}")
    arrays = _load_arrays(arrays_path, meta, where)
    calibration_arrays = {k: arrays.pop(k) for k in list(arrays) if k.startswith("calibration.")}
    if calibration_arrays and "calibration" not in meta:
        raise ModelFileError(f"{where}: unexpected arrays {sorted(calibration_arrays)} without a calibration record")
    try:
        est = cls(**params)
        if hasattr(type(est), "_parameter_constraints"):
            est._validate_params()
        est._check_params()  # the estimator's own checks, those that fit runs first
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{where}: invalid parameters for {cls.__name__}: {exc}") from None
    _assign_arrays(est, spec, arrays, where)
    for key, value in check_attributes(spec, meta["attributes"], where, cls.__name__).items():
        setattr(est, key, value)
    est.classes_ = classes
    est.n_features_in_ = meta["n_features_in"]
    if meta["feature_names_in"]:
        est.feature_names_in_ = np.asarray(meta["feature_names"], dtype=object)
    try:
        spec.check(est, meta["n_features_in"], classes.size)
    except ModelFileError as exc:
        raise ModelFileError(f"{where}: {exc}") from None
    prep = None
    if meta["preprocessing"] is not None:
        try:
            prep = TabularPreprocessor.from_state(meta["preprocessing"])
        except (TypeError, ValueError, KeyError) as exc:
            raise ModelFileError(f"{where}: invalid preprocessing: {exc}") from None
        if prep.feature_names_ != meta["feature_names"]:
            raise ModelFileError(f"{where}: the preprocessing yields features that differ from feature_names")
        if not np.array_equal(prep.classes_, np.sort(classes)) or prep.classes_dtype_ != meta["classes_dtype"]:
            raise ModelFileError(f"{where}: the preprocessing classes differ from the model's classes")
    if "metadata_sha256" in meta and metadata_digest(meta) != meta["metadata_sha256"]:
        raise ModelFileError(f"{where} does not match the SHA-256 of its own content (metadata_sha256): the file "
                             "was corrupted or edited")
    base, record = est, meta.get("calibration")
    if record is not None:
        from .model_calibration import calibrated_estimator, calibrator_from_state, check_calibration_record

        record = check_calibration_record(record, where)
        est = calibrated_estimator(base, record, calibrator_from_state(record, calibration_arrays, classes.size, where))
    return SavedModel(estimator=est, preprocessing=prep, extra=meta["extra"], metadata=meta, path=json_path,
                      base_estimator=base, calibration=record)


def load_model(path):
    """Load a fitted estimator saved by :func:`save_model`, validating every field (never runs code).

    Parameters
    ----------
    path : str or path-like
        A model directory, or its ``model.json`` or ``model.safetensors``.

    Returns
    -------
    estimator
        The fitted estimator; its predictions equal those of the saved one exactly.

    Raises
    ------
    ModelFileError
        Missing, truncated, corrupted or tampered files, or fields that fail validation.

    See Also
    --------
    crossentropy.load_pipeline : a run directory of ``crossentropy train`` as a scikit-learn ``Pipeline``
        (its saved preprocessing, then this estimator), for DataFrames with the training columns.

    Examples
    --------
    >>> import os, tempfile, numpy as np
    >>> import crossentropy as ce
    >>> X = np.array([[0.], [1.], [2.], [3.]]); y = np.array([0, 0, 1, 1])
    >>> folder = tempfile.mkdtemp()
    >>> _ = ce.save_model(ce.LogisticRegression().fit(X, y), folder)
    >>> with open(os.path.join(folder, "model.safetensors"), "r+b") as fh:
    ...     _ = fh.truncate(40)
    >>> ce.load_model(folder)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    crossentropy.exceptions.ModelFileError: '...model.safetensors' does not match the SHA-256 ...

    References
    ----------
    Hugging Face, *safetensors* format specification (2022), https://github.com/huggingface/safetensors.
    """
    return load_model_bundle(path).estimator
