"""Export to ONNX: a saved run (preprocessing and model) or a fitted classifier as one ONNX graph.

:func:`to_onnx` builds the graph with ``onnx.helper`` (no converter package); :func:`input_feed`
turns a DataFrame into its inputs; :func:`probability_difference` runs it in onnxruntime against
the model's own ``predict_proba``. ``crossentropy export RUN --onnx FILE`` does all three on the
run's test rows. ``onnx`` and ``onnxruntime`` are the optional extra ``crossentropy[onnx]``, imported
only when these functions run.
"""

from __future__ import annotations

from ._export import DEFAULT_OPSET, MIN_OPSET, OUTPUTS, to_onnx
from ._run import TOLERANCES, input_feed, probability_difference, session

__all__ = ["to_onnx", "input_feed", "probability_difference", "session", "DEFAULT_OPSET", "MIN_OPSET", "OUTPUTS",
           "TOLERANCES"]
