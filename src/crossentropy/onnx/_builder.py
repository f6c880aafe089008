"""A small ONNX graph builder over ``onnx.helper``: nodes, constants and unique value names."""

from __future__ import annotations

import numpy as np

__all__ = ["GraphBuilder", "DTYPES", "ML_OPSET"]

#: the graph dtypes: name -> (NumPy dtype, ONNX element type name)
DTYPES = {"float64": (np.float64, "DOUBLE"), "float32": (np.float32, "FLOAT")}
#: the version of the ``ai.onnx.ml`` domain the graphs use (for ``LabelEncoder``)
ML_OPSET = 3


class GraphBuilder:
    """Collects the nodes and constants of one graph; every value name it makes is unique.

    Parameters
    ----------
    dtype : {"float64", "float32"}
        The floating-point type of the graph's numeric values.
    reserved : iterable of str
        Names already taken (the graph's inputs and outputs): internal names never start with one.

    Examples
    --------
    >>> b = GraphBuilder("float64", reserved=["x"])
    >>> two = b.const("two", np.array([2.0]))
    >>> b.node("Mul", ["x", two]).startswith(b.prefix)
    True
    """

    def __init__(self, dtype: str, reserved=()):
        from onnx import TensorProto

        self.np_dtype = np.dtype(DTYPES[dtype][0])
        self.elem_type = getattr(TensorProto, DTYPES[dtype][1])
        taken = list(reserved)
        self.prefix = "_ce_"
        while any(name.startswith(self.prefix) for name in taken):
            self.prefix = "_" + self.prefix
        self.nodes, self.initializers, self._count = [], [], 0

    def name(self, hint: str) -> str:
        """A fresh value name that starts with :attr:`prefix`."""
        self._count += 1
        return f"{self.prefix}{hint}_{self._count}"

    def const(self, hint: str, array, dtype=None) -> str:
        """A constant tensor (in the graph's float type unless ``dtype`` says otherwise); its name."""
        from onnx import numpy_helper

        arr = np.asarray(array, dtype=self.np_dtype if dtype is None else dtype)
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def strings(self, hint: str, values) -> str:
        """A constant string tensor of shape (len(values),)."""
        from onnx import TensorProto, helper

        name = self.name(hint)
        self.initializers.append(helper.make_tensor(name, TensorProto.STRING, [len(values)],
                                                    [str(v).encode("utf-8") for v in values]))
        return name

    def node(self, op: str, inputs, output: str | None = None, *, domain: str = "", **attrs) -> str:
        """Append the node ``op(inputs)`` with attributes ``attrs``; return its (single) output name."""
        from onnx import helper

        out = output or self.name(op.lower())
        self.nodes.append(helper.make_node(op, list(inputs), [out], domain=domain, **attrs))
        return out

    def axes(self, *axes) -> str:
        """An int64 constant of axes (for Unsqueeze, ReduceSum, Slice)."""
        return self.const("axes", np.asarray(axes, dtype=np.int64), np.int64)

    def column(self, x: str) -> str:
        """``x`` of shape (N,) as (N, 1)."""
        return self.node("Unsqueeze", [x, self.axes(1)])

    def columns(self, x: str, start: int, stop: int) -> str:
        """``x[:, start:stop]`` of a 2-D value."""
        return self.node("Slice", [x, self.axes(start), self.axes(stop), self.axes(1)])

    def row_sum(self, x: str) -> str:
        """The sum over axis 1 of a 2-D value, kept as (N, 1)."""
        return self.node("ReduceSum", [x, self.axes(1)], keepdims=1)

    def model(self, inputs, outputs, opset: int, doc: str):
        """The checked ``onnx.ModelProto`` of the graph with ``inputs`` and ``outputs`` (value infos)."""
        import onnx
        from onnx import helper

        graph = helper.make_graph(self.nodes, "crossentropy", inputs, outputs, self.initializers)
        imports = [helper.make_opsetid("", opset), helper.make_opsetid("ai.onnx.ml", ML_OPSET)]
        model = helper.make_model(graph, producer_name="crossentropy", doc_string=doc, opset_imports=imports)
        model.ir_version = helper.find_min_ir_version_for(imports)  # the oldest runtimes that know the opset
        onnx.checker.check_model(model, full_check=True)
        return model
