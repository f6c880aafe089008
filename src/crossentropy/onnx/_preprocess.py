"""The table preprocessing as ONNX nodes: one graph input per column, out comes the feature matrix.

Numeric columns are stacked into one block (gaps filled, standardised), the string columns' indicators
into another; the feature matrix is the two side by side, so its columns are a permutation of the
preprocessor's ``feature_names_``. :func:`preprocessing_nodes` returns that permutation, and the
model's first weight matrix is permuted to match (the products are the same sums).
"""

from __future__ import annotations

import numpy as np

__all__ = ["preprocessing_nodes", "MISSING_STRING", "UNSEEN"]

#: how a missing value of a string column is fed to the graph
MISSING_STRING = ""
#: the code a string value not seen in training gets from the graph's ``LabelEncoder``
UNSEEN = -2
#: the code of a level without an indicator column (a dropped reference level): all indicators zero
NO_INDICATOR = -1


def _numeric_block(b, specs):
    """(N, n) block of the numeric columns: gaps filled with the training fill, then (x - mean) / scale."""
    cols = [b.column(spec["name"]) for spec in specs]
    x = cols[0] if len(cols) == 1 else b.node("Concat", cols, axis=1)
    fills = np.array([np.nan if spec["fill"] is None else spec["fill"] for spec in specs])
    if not np.all(np.isnan(fills)):
        x = b.node("Where", [b.node("IsNaN", [x]), b.const("fill", fills), x])
    x = b.node("Sub", [x, b.const("mean", [spec["mean"] for spec in specs])])
    return b.node("Div", [x, b.const("scale", [spec["scale"] for spec in specs])])


def _indicators(b, spec, levels):
    """(N, len(levels)) indicators of one string column and its (N, 1) int64 flag of unseen values."""
    from onnx import TensorProto

    cats = spec["categories"]
    position = {level: i for i, level in enumerate(levels)}
    keys = list(cats)
    values = [position.get(c, NO_INDICATOR) for c in cats]
    if spec["fill"] is not None:  # a gap is the training fill value
        keys.append(MISSING_STRING)
        values.append(position.get(spec["fill"], NO_INDICATOR))
    code = b.node("LabelEncoder", [spec["name"]], domain="ai.onnx.ml", keys_strings=keys, values_int64s=values,
                  default_int64=UNSEEN)
    code = b.column(code)
    onehot = b.node("Equal", [code, b.const("levels", np.arange(len(levels)), np.int64)])
    unseen = b.node("Cast", [b.node("Equal", [code, b.const("unseen", [UNSEEN], np.int64)])], to=TensorProto.INT64)
    return b.node("Cast", [onehot], to=b.elem_type), unseen


def preprocessing_nodes(b, prep):
    """Nodes from the raw columns of a fitted :class:`~crossentropy.preprocessing.TabularPreprocessor`.

    Parameters
    ----------
    b : GraphBuilder
    prep : TabularPreprocessor
        Fitted (``columns_`` set).

    Returns
    -------
    inputs : list of onnx.ValueInfoProto
        One per column of ``prep.input_columns_``, shape (N,): the graph's float type for numeric
        columns, strings for string columns.
    features : str
        The (N, F) feature matrix.
    order : ndarray of int, shape (F,)
        ``order[k]``: the position in ``prep.feature_names_`` of the feature matrix's column k.
    unseen : str or None
        (N,) int64: the number of string columns whose value the training rows did not have (None
        without string columns).
    """
    from onnx import TensorProto, helper

    from ..preprocessing.terms import indicator_levels

    inputs, numeric, blocks, unseen = [], [], [], []
    numeric_pos, indicator_pos, pos = [], [], 0
    for spec in prep.columns_:
        if spec["kind"] == "numeric":
            inputs.append(helper.make_tensor_value_info(spec["name"], b.elem_type, ["N"]))
            numeric.append(spec)
            numeric_pos.append(pos)
            pos += 1
            continue
        inputs.append(helper.make_tensor_value_info(spec["name"], TensorProto.STRING, ["N"]))
        if MISSING_STRING in spec["categories"]:
            raise ValueError(f"column {spec['name']!r} has the empty string as a level, which the graph reads as a "
                             "missing value: it cannot be exported")
        kept = set(indicator_levels(spec, prep.reference, prep.drop_reference))
        levels = [c for c in spec["categories"] if c in kept]
        indicator_pos.extend(range(pos, pos + len(levels)))
        pos += len(levels)
        onehot, flag = _indicators(b, spec, levels)
        if levels:
            blocks.append(onehot)
        unseen.append(flag)
    if numeric:
        blocks.insert(0, _numeric_block(b, numeric))
    features = blocks[0] if len(blocks) == 1 else b.node("Concat", blocks, axis=1)
    count = None
    if unseen:
        count = unseen[0] if len(unseen) == 1 else b.row_sum(b.node("Concat", unseen, axis=1))
        count = b.node("Squeeze", [count, b.axes(1)])
    return inputs, features, np.asarray(numeric_pos + indicator_pos, dtype=np.intp), count
