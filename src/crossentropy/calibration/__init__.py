"""Calibration: probability maps fitted on held-out scores, calibration metrics, conformal sets, thresholds.

- calibrators (``fit(scores, y, sample_weight)``, ``predict_proba(scores)``): :class:`TemperatureScaling`
  (``temperature.py``), :class:`PlattScaling` (``platt.py``), :class:`IsotonicCalibration`
  (``isotonic.py``), :class:`BetaCalibration` (``beta.py``), :class:`VennAbers` (``venn_abers.py``);
  the shared one-vs-rest scheme in ``_base.py``, the small logistic fit in ``_logistic.py``;
- :class:`CalibratedClassifier` (``classifier.py``): an estimator and its calibration map, cross-fitted
  or prefit, reading the estimator's scores as ``_response.py`` says;
- metrics: :func:`calibration_error` (``error.py``, bins in ``_binning.py``), :func:`brier_decomposition`,
  :func:`log_loss_decomposition`, :func:`reliability_diagram_corp` (``decomposition.py``);
- decisions (``decisions.py``): :func:`roc`, :func:`precision_recall`, :func:`tune_threshold`;
- :class:`ConformalClassifier` (``conformal.py``): split-conformal prediction sets.
"""

from .beta import BetaCalibration
from .classifier import CalibratedClassifier
from .conformal import ConformalClassifier
from .decisions import precision_recall, roc, tune_threshold
from .decomposition import brier_decomposition, log_loss_decomposition, reliability_diagram_corp
from .error import calibration_error
from .isotonic import IsotonicCalibration
from .platt import PlattScaling
from .temperature import TemperatureScaling
from .venn_abers import VennAbers

__all__ = [
    "TemperatureScaling",
    "PlattScaling",
    "IsotonicCalibration",
    "BetaCalibration",
    "VennAbers",
    "CalibratedClassifier",
    "ConformalClassifier",
    "calibration_error",
    "brier_decomposition",
    "log_loss_decomposition",
    "reliability_diagram_corp",
    "roc",
    "precision_recall",
    "tune_threshold",
]
