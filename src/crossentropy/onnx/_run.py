"""Running an exported graph in onnxruntime: its inputs from a DataFrame, its parity with the run."""

from __future__ import annotations

import numpy as np

__all__ = ["input_feed", "session", "probability_difference", "TOLERANCES"]

#: the largest probability difference from the run that ``crossentropy export`` accepts, by graph dtype
TOLERANCES = {"float64": 1e-6, "float32": 1e-5}


def session(model):
    """An ``onnxruntime.InferenceSession`` of ``model`` on the CPU, with onnxruntime's default options.

    Parameters
    ----------
    model : onnx.ModelProto or bytes
        A graph (or its serialised bytes), e.g. from :func:`crossentropy.onnx.to_onnx`.

    Returns
    -------
    onnxruntime.InferenceSession

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import LogisticRegression
    >>> from crossentropy.onnx import to_onnx
    >>> clf = LogisticRegression().fit(np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1]))
    >>> [o.name for o in session(to_onnx(clf)).get_outputs()]
    ['label', 'probabilities']
    """
    import onnxruntime as ort

    data = model if isinstance(model, bytes) else model.SerializeToString()
    return ort.InferenceSession(data, providers=["CPUExecutionProvider"])


def _column(frame, name, elem_type):
    import pandas as pd
    from onnx import TensorProto, helper

    if name not in frame.columns:
        raise ValueError(f"frame lacks the column {name!r} that the graph reads")
    s = frame[name]
    if elem_type == TensorProto.STRING:  # str(value) as the preprocessor reads it; a gap as ""
        if s.dtype == object:  # one scan of the objects each, where they are strings and gaps only
            values = s.to_numpy()
            if pd.api.types.infer_dtype(values, skipna=False) == "string":
                return values  # strings only: the column's own array, as DataFrame.to_numpy gives it
            if pd.api.types.infer_dtype(values, skipna=True) == "string":
                out = values.copy()
                out[pd.isna(values)] = ""
                return out
        out = s.to_numpy(dtype=object, na_value="")
        if pd.api.types.infer_dtype(out, skipna=False) != "string":
            out = np.array([v if isinstance(v, str) else str(v) for v in out], dtype=object)
        return out
    dtype = helper.tensor_dtype_to_np_dtype(elem_type)
    if s.dtype.kind not in "biuf":
        numbers = pd.to_numeric(s, errors="coerce")
        if (numbers.isna() & s.notna()).any():
            raise ValueError(f"column {name!r} is numeric in the graph but holds non-numeric values, e.g. "
                             f"{s[numbers.isna() & s.notna()].iloc[0]!r}")
        s = numbers
    return s.to_numpy(dtype=dtype, na_value=np.nan)


def input_feed(model, frame) -> dict:
    """The inputs of an exported graph from the columns of a DataFrame, for ``InferenceSession.run``.

    Each graph input takes the DataFrame column of its name: numeric columns as the graph's float
    type (a missing value as NaN), string columns as ``str(value)`` (a missing value as the empty
    string). A graph with the single input ``X`` (a bare estimator) takes ``frame`` as a matrix. An
    array may share memory with ``frame`` where no conversion is needed (an object column of strings
    only), as ``DataFrame.to_numpy`` does.

    Parameters
    ----------
    model : onnx.ModelProto
        A graph of :func:`crossentropy.onnx.to_onnx`.
    frame : pandas.DataFrame or array_like
        The rows; other columns are not read.

    Returns
    -------
    dict of str to ndarray

    Examples
    --------
    >>> import pandas as pd
    >>> from crossentropy.preprocessing import TabularPreprocessor
    >>> from crossentropy.onnx import to_onnx
    >>> frame = pd.DataFrame({"x": [0.0, 1.0, 2.0, 3.0], "c": ["a", "b", "a", None], "y": [0, 0, 1, 1]})
    >>> from crossentropy import LogisticRegression, load_pipeline, save_model
    >>> import tempfile
    >>> prep = TabularPreprocessor("y", missing="impute", impute_strategy="mean").fit(frame)
    >>> model = LogisticRegression().fit(prep.transform(frame), prep.target_values(frame))
    >>> folder = tempfile.mkdtemp(); _ = save_model(model, folder, preprocessing=prep)
    >>> {k: v.tolist() for k, v in input_feed(to_onnx(folder), frame).items()}
    {'x': [0.0, 1.0, 2.0, 3.0], 'c': ['a', 'b', 'a', '']}
    """
    names = {v.name: v.type.tensor_type.elem_type for v in model.graph.input}
    if list(names) == ["X"] and not (hasattr(frame, "columns") and "X" in frame.columns):
        from onnx import helper

        return {"X": np.ascontiguousarray(np.asarray(frame, dtype=helper.tensor_dtype_to_np_dtype(names["X"])))}
    return {name: _column(frame, name, elem) for name, elem in names.items()}


def _ignoring_unknowns(pipeline):
    """``pipeline``, or a copy whose preprocessing encodes unseen categories as all zeros: the graph
    cannot refuse a row, so it always applies ``unknown="ignore"``, and the reference must too."""
    import copy

    params = pipeline.get_params(deep=True) if hasattr(pipeline, "steps") else {}
    refusing = {k: "ignore" for k, v in params.items() if k.endswith("__unknown") and v != "ignore"}
    if not refusing:
        return pipeline
    return copy.deepcopy(pipeline).set_params(**refusing)


def probability_difference(model, pipeline, frame) -> float:
    r"""The largest absolute difference between the graph's probabilities in onnxruntime and the pipeline's.

    .. math:: \max_{i,k} \lvert p^{\mathrm{onnx}}_{ik} - p^{\mathrm{pipeline}}_{ik} \rvert

    Parameters
    ----------
    model : onnx.ModelProto
        A graph of :func:`crossentropy.onnx.to_onnx`.
    pipeline : fitted classifier or Pipeline
        What the graph was built from; its ``predict_proba(frame)`` is the reference (with unseen
        categories encoded as all zeros, as the graph encodes them, whatever the run's ``unknown``).
    frame : pandas.DataFrame or array_like
        The rows (fed to the graph by :func:`input_feed`).

    Returns
    -------
    float
        0 for no rows; ``inf`` where one side has a NaN and the other not.

    Examples
    --------
    >>> import numpy as np
    >>> from crossentropy import LogisticRegression
    >>> from crossentropy.onnx import to_onnx
    >>> X = np.array([[0.0], [1.0], [2.0], [3.0]]); y = np.array([0, 1, 0, 1])
    >>> clf = LogisticRegression().fit(X, y)
    >>> probability_difference(to_onnx(clf), clf, X) < 1e-15
    True
    """
    got = session(model).run(["probabilities"], input_feed(model, frame))[0].astype(np.float64)
    want = np.asarray(_ignoring_unknowns(pipeline).predict_proba(frame), dtype=np.float64)
    if got.shape != want.shape:
        raise ValueError(f"the graph's probabilities have shape {got.shape}, the pipeline's {want.shape}")
    if np.any(np.isnan(got) != np.isnan(want)):
        return float("inf")
    both = ~np.isnan(got)
    return float(np.max(np.abs(got[both] - want[both]), initial=0.0))
