"""The table preprocessing as ONNX nodes, fused with the model's first linear layer.

Every model here starts with an affine map of the features, :math:`t(x) W + b`. The numeric columns
are stacked into one block (gaps filled, then standardised :math:`(x - \\mu)/s`) that multiplies their
rows of :math:`W`; a string column is encoded as the position of its value among the training levels
(``LabelEncoder``), and its indicators times :math:`W` are the row of :math:`W` at that position
(``Gather``), so the graph never forms the one-hot columns. A value without an indicator (the dropped
reference level, a level not seen in training) reads a row of zeros, as all-zero indicators give.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Design", "MISSING_STRING"]

#: how a missing value of a string column is fed to the graph
MISSING_STRING = ""


class Design:
    """The inputs of a graph and the affine maps of its feature matrix.

    Parameters
    ----------
    b : GraphBuilder
    prep : TabularPreprocessor or None
        Fitted; None for a bare estimator, whose graph takes the feature matrix as the input ``X``.
    n_features : int
        The number of features (used without ``prep``).

    Attributes
    ----------
    inputs : list of onnx.ValueInfoProto
        One per column of ``prep.input_columns_``, shape (N,): the graph's float type for numeric
        columns, strings for string columns (or ``X``, shape (N, n_features)).
    unseen : str or None
        (N,) int64: the number of the row's string values without a code (not seen in training, or a
        gap of a model without fill values); None without string columns.
    """

    def __init__(self, b, prep, n_features):
        from onnx import TensorProto, helper

        self.b, self.unseen, self.numeric, self.strings = b, None, None, []
        if prep is None:
            self.inputs = [helper.make_tensor_value_info("X", b.elem_type, ["N", int(n_features)])]
            self.numeric, self.numeric_pos = "X", np.arange(int(n_features))
            return
        self.inputs, numeric, numeric_pos, pos = [], [], [], 0
        for spec in prep.columns_:
            if spec["kind"] == "numeric":
                self.inputs.append(helper.make_tensor_value_info(spec["name"], b.elem_type, ["N"]))
                numeric.append(spec)
                numeric_pos.append(pos)
                pos += 1
                continue
            self.inputs.append(helper.make_tensor_value_info(spec["name"], TensorProto.STRING, ["N"]))
            n_levels = self._string_column(spec, prep, pos)
            pos += n_levels
        if numeric:
            self.numeric, self.numeric_pos = self._numeric_block(numeric), np.asarray(numeric_pos)

    def _numeric_block(self, specs):
        """(N, n) block of the numeric columns: gaps filled with the training fill, then (x - mean) / scale."""
        b = self.b
        cols = [b.column(spec["name"]) for spec in specs]
        x = cols[0] if len(cols) == 1 else b.node("Concat", cols, axis=1)
        fills = np.array([np.nan if spec["fill"] is None else spec["fill"] for spec in specs])
        if not np.all(np.isnan(fills)):
            x = b.node("Where", [b.node("IsNaN", [x]), b.const("fill", fills), x])
        x = b.node("Sub", [x, b.const("mean", [spec["mean"] for spec in specs])])
        return b.node("Div", [x, b.const("scale", [spec["scale"] for spec in specs])])

    def _string_column(self, spec, prep, pos):
        """The code of each value of a string column: the position of its level among the columns with
        an indicator, m for a value without one, m + 1 for a value training did not see; returns m."""
        from onnx import TensorProto

        from ..preprocessing.terms import indicator_levels

        b, cats = self.b, spec["categories"]
        if MISSING_STRING in cats:
            raise ValueError(f"column {spec['name']!r} has the empty string as a level, which the graph reads as a "
                             "missing value: it cannot be exported")
        kept = set(indicator_levels(spec, prep.reference, prep.drop_reference))
        levels = [c for c in cats if c in kept]
        m = len(levels)
        position = {level: i for i, level in enumerate(levels)}
        keys, values = list(cats), [position.get(c, m) for c in cats]
        if spec["fill"] is not None:  # a gap is the training fill value
            keys.append(MISSING_STRING)
            values.append(position.get(spec["fill"], m))
        code = b.node("LabelEncoder", [spec["name"]], domain="ai.onnx.ml", keys_strings=keys, values_int64s=values,
                      default_int64=m + 1)
        flag = b.node("Cast", [b.node("Equal", [code, b.const("unseen", m + 1, np.int64)])], to=TensorProto.INT64)
        self.unseen = flag if self.unseen is None else b.node("Add", [self.unseen, flag])
        self.strings.append((code, np.arange(pos, pos + m)))
        return m

    def affine(self, weight, bias=None) -> str:
        """``t(x) @ weight + bias`` of shape (N, H): ``weight`` (F, H) with rows in the order of the
        preprocessor's ``feature_names_``, ``bias`` (H,) or None."""
        b = self.b
        weight = np.asarray(weight, dtype=np.float64)
        terms = []
        if self.numeric is not None:
            terms.append(b.node("MatMul", [self.numeric, b.const("weight", weight[self.numeric_pos])]))
        for code, rows in self.strings:
            table = np.vstack([weight[rows], np.zeros((2, weight.shape[1]))])  # no indicator, unseen: zeros
            terms.append(b.node("Gather", [b.const("level_weight", table), code], axis=0))
        out = terms[0]
        for term in terms[1:]:
            out = b.node("Add", [out, term])
        if bias is not None:
            out = b.node("Add", [out, b.const("bias", np.asarray(bias, dtype=np.float64))])
        return out
