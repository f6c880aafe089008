"""A run saved by ``crossentropy train`` as a scikit-learn ``Pipeline``: the preprocessing, then the model."""

from __future__ import annotations

from ..exceptions import ModelFileError

__all__ = ["load_pipeline"]


def load_pipeline(path):
    r"""Load a saved run as ``Pipeline([("preprocess", TabularTransformer), ("model", estimator)])``.

    The pipeline answers a DataFrame with the training columns exactly as ``crossentropy predict``
    answers the same table: for logistic regression
    :math:`\hat p(x) = \operatorname{softmax}(W\,t(x) + b)` (a sigmoid for two classes), where
    :math:`t` is the saved preprocessing (imputation, one-hot encoding, standardisation); the rows of
    ``predict_proba`` have shape (n_rows, n_classes), its columns in the order of ``classes_``.

    Parameters
    ----------
    path : str or path-like
        A run directory written by ``crossentropy train`` (or any model directory of
        :func:`crossentropy.save_model`), or its ``model.json``. A model saved without table
        preprocessing but with feature names (fitted on a DataFrame) gets a transformer that takes
        those columns as they are.

    Returns
    -------
    sklearn.pipeline.Pipeline
        Fitted; ``feature_names_in_`` holds the input columns it reads, ``classes_`` the labels.

    Raises
    ------
    ModelFileError
        As :func:`crossentropy.load_model`; also for a model saved with neither preprocessing nor
        feature names (use :func:`crossentropy.load_model` and arrays then).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> import crossentropy as ce
    >>> from crossentropy.preprocessing import TabularPreprocessor
    >>> frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "c": ["a", "b", "a", "b"], "y": [0, 0, 1, 1]})
    >>> prep = TabularPreprocessor("y").fit(frame)
    >>> model = ce.LogisticRegression().fit(prep.transform(frame), prep.target_values(frame))
    >>> folder = tempfile.mkdtemp()
    >>> _ = ce.save_model(model, folder, preprocessing=prep)
    >>> pipe = ce.load_pipeline(folder)
    >>> pipe.feature_names_in_.tolist(), pipe.predict(frame).tolist()
    (['x', 'c'], [0, 0, 1, 1])

    References
    ----------
    Buitinck et al., *API design for machine learning software: experiences from the scikit-learn
    project*, ECML PKDD Workshop (2013).
    """
    from sklearn.pipeline import Pipeline

    step, est, path = pipeline_steps(path)
    if getattr(step.preprocessor_, "offset", None) is not None:
        raise ModelFileError(f"{str(path)!r} holds a model with the logit offset column "
                             f"{step.preprocessor_.offset!r}, which a Pipeline's predict cannot pass on: load it with "
                             "crossentropy.load_model and call predict_proba(X, offset=...)")
    return Pipeline([("preprocess", step), ("model", est)])


def pipeline_steps(path):
    """``(transformer, estimator, model.json path)`` of a saved model: the two steps of :func:`load_pipeline`,
    also for a model with a logit offset column (whose offsets the caller reads with
    ``transformer.preprocessor_.offset_values`` and gives to ``predict_proba``)."""
    from ..preprocessing import TabularPreprocessor
    from ..preprocessing.transformer import TabularTransformer
    from .model_files import load_model_bundle

    bundle = load_model_bundle(path)
    est, prep = bundle.estimator, bundle.preprocessing
    if prep is None:
        names = bundle.metadata["feature_names"]
        if names is None:
            raise ModelFileError(f"{str(bundle.path)!r} holds a model saved without feature names or table "
                                 "preprocessing: load it with crossentropy.load_model and call predict on arrays")
        target = ((bundle.extra or {}).get("metrics") or {}).get("target") or ""
        prep = TabularPreprocessor.passthrough(names, target, est.classes_)
    step = TabularTransformer.from_preprocessor(prep)
    if getattr(est, "feature_names_in_", None) is not None:  # fitted on a DataFrame: give it one
        step.set_output(transform="pandas")
    return step, est, bundle.path
