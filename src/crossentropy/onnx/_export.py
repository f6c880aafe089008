"""``to_onnx``: a fitted model, or a saved run with its preprocessing, as one ONNX graph."""

from __future__ import annotations

import os

import numpy as np

from .._validation import check_int, check_option
from ._builder import DTYPES, GraphBuilder

__all__ = ["to_onnx", "DEFAULT_OPSET", "MIN_OPSET", "OUTPUTS"]

#: the default ``opset`` of :func:`to_onnx`: understood by onnxruntime 1.12 and newer
DEFAULT_OPSET = 17
#: the oldest opset the graphs can use (``Softmax`` over one axis, ``ReduceSum`` with axes as an input)
MIN_OPSET = 13
#: the graph's outputs: the predicted label, the class probabilities, the count of unseen string values
OUTPUTS = ("label", "probabilities", "unseen_categories")


def _split(model):
    """(preprocessor or None, estimator) of a path, a Pipeline or an estimator."""
    from sklearn.pipeline import Pipeline

    from ..preprocessing.transformer import TabularTransformer

    if isinstance(model, (str, os.PathLike)):
        from ..io.pipeline import load_pipeline

        model = load_pipeline(model)
    if isinstance(model, Pipeline):
        steps = [step for _, step in model.steps]
        if len(steps) != 2 or not isinstance(steps[0], TabularTransformer):
            raise TypeError("model_or_pipeline must be a Pipeline of a TabularTransformer and a model (as "
                            f"load_pipeline returns), got the steps {[type(s).__name__ for s in steps]}")
        prep = steps[0].preprocessor_
        if getattr(prep, "offset", None) is not None:
            raise ValueError(f"a model with the logit offset column {prep.offset!r} cannot be exported")
        return prep, steps[1]
    return None, model


def _classes(b, classes):
    """The class labels as a constant the predicted column indexes: int64, bool, float or strings."""
    classes = np.asarray(classes)
    if classes.dtype.kind in "iu":
        return b.const("classes", classes, np.int64), "INT64"
    if classes.dtype.kind == "b":
        return b.const("classes", classes, np.bool_), "BOOL"
    if classes.dtype.kind == "f":
        return b.const("classes", classes), None
    return b.strings("classes", classes.tolist()), "STRING"


def to_onnx(model_or_pipeline, *, dtype="float64", opset=DEFAULT_OPSET):
    r"""A fitted classifier, or a whole saved run, as one ONNX graph (built with ``onnx.helper``).

    A run (a path, or :func:`crossentropy.load_pipeline`'s ``Pipeline``) becomes a graph with one
    input per column the run reads, named as the column, of shape (N,): numeric columns in the
    graph's float type, string columns as strings, a missing string value fed as the empty string
    and a missing number as NaN (:func:`crossentropy.onnx.input_feed` builds the inputs from a
    DataFrame). ID columns are not inputs. The graph imputes with the training fill values,
    standardises :math:`(x - \mu)/s`, one-hot encodes with the training levels, then applies the
    model: logistic regression (:math:`\sigma(z)` for two classes, else the softmax, which the ONNX
    ``Softmax`` computes after subtracting the row maximum), the MLP's layers, the ordinal model's
    :math:`F(\theta_k - \eta) - F(\theta_{k-1} - \eta)`, and a calibration map (temperature, sigmoid,
    beta, isotonic, Venn-Abers) on top. A bare estimator gets one input ``X`` of shape (N, F).

    Outputs: ``label`` (N,), the predicted class (the class labels' type: int64, string, bool or
    float); ``probabilities`` (N, K), columns in the order of ``classes_``; with string columns,
    ``unseen_categories`` (N,) int64, the number of the row's string values that training did not see
    (a missing value of a model trained without fill values counts too). Such a value gets all-zero
    indicators, as the run's ``predict`` gives them: the graph cannot raise, so a model whose rule is
    to refuse unknown categories is answered with these "ignore" semantics and the flag. A missing
    number without a fill value gives NaN probabilities; an infinite one, what the arithmetic gives
    (the run's ``predict`` refuses both).

    Parameters
    ----------
    model_or_pipeline : path-like, sklearn.pipeline.Pipeline or fitted classifier
        A run directory (or its ``model.json``); the ``Pipeline`` of
        :func:`crossentropy.load_pipeline`; or a fitted ``LogisticRegression``, ``MLPClassifier``,
        ``OrdinalRegression`` or ``CalibratedClassifier`` of one of them.
    dtype : {"float64", "float32"}, default "float64"
        The float type of the numeric inputs, the weights and the probabilities. float32 graphs
        run where float64 kernels are missing, at about 1e-7 relative precision.
    opset : int, default 17
        The ONNX opset (13 or newer; 17 is read by onnxruntime 1.12 and newer). The graph also uses
        ``ai.onnx.ml`` 3 (``LabelEncoder``).

    Returns
    -------
    onnx.ModelProto
        Checked by ``onnx.checker.check_model(full_check=True)``; save it with ``onnx.save``.

    Raises
    ------
    ValueError
        A bad ``dtype`` or ``opset``; a model with a logit offset; an output name used by a column.
    TypeError
        Not a model this function knows.

    Examples
    --------
    >>> import numpy as np, onnxruntime as ort
    >>> from crossentropy import LogisticRegression
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 0, 1, 1])
    >>> clf = LogisticRegression().fit(X, y)
    >>> session = ort.InferenceSession(to_onnx(clf).SerializeToString(), providers=["CPUExecutionProvider"])
    >>> label, proba = session.run(None, {"X": X})
    >>> label.tolist(), bool(np.allclose(proba, clf.predict_proba(X), rtol=0, atol=1e-15))
    ([0, 0, 1, 1], True)

    References
    ----------
    ONNX operators, https://onnx.ai/onnx/operators/ (``LabelEncoder``: the ``ai.onnx.ml`` domain).
    """
    import onnx
    from onnx import TensorProto, helper

    check_option(dtype, "dtype", tuple(DTYPES))
    opset = check_int(opset, "opset", low=MIN_OPSET, high=onnx.defs.onnx_opset_version())
    prep, est = _split(model_or_pipeline)
    if not hasattr(est, "classes_"):
        raise TypeError(f"model_or_pipeline must hold a fitted classifier, got {type(est).__name__}")
    columns = ["X"] if prep is None else list(prep.input_columns_)
    clash = sorted(set(columns) & set(OUTPUTS))
    if clash:
        raise ValueError(f"the columns {clash} have the names of the graph's outputs {list(OUTPUTS)}: rename them "
                         "before training to export the model")
    b = GraphBuilder(dtype, reserved=columns + list(OUTPUTS))
    from ._preprocess import Design

    design = Design(b, prep, getattr(est, "n_features_in_", 0))
    inputs, unseen = design.inputs, design.unseen
    out = _outputs(b, est, design)
    classes, label_type = _classes(b, est.classes_)
    b.node("Gather", [classes, out.index], "label", axis=0)
    b.node("Identity", [out.proba], "probabilities")
    label_elem = b.elem_type if label_type is None else getattr(TensorProto, label_type)
    outputs = [helper.make_tensor_value_info("label", label_elem, ["N"]),
               helper.make_tensor_value_info("probabilities", b.elem_type, ["N", len(est.classes_)])]
    if unseen is not None:
        b.node("Identity", [unseen], "unseen_categories")
        outputs.append(helper.make_tensor_value_info("unseen_categories", TensorProto.INT64, ["N"]))
    doc = (f"crossentropy {type(est).__name__}: inputs {columns[:20]}{' ...' if len(columns) > 20 else ''}; "
           f"outputs {[o.name for o in outputs]}; classes {np.asarray(est.classes_).tolist()[:20]}")
    return b.model(inputs, outputs, opset, doc)


def _outputs(b, est, design):
    from ..calibration import CalibratedClassifier

    if isinstance(est, CalibratedClassifier):
        from ._calibration import calibrated_nodes

        return calibrated_nodes(b, est, design)
    from ._models import model_nodes

    return model_nodes(b, est, design)
