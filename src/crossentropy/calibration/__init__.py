"""Calibration: probability maps fitted on held-out scores, calibration metrics, conformal sets, thresholds.

- calibrators (``fit(scores, y, sample_weight)``, ``predict_proba(scores)``): :class:`TemperatureScaling`,
  :class:`PlattScaling`, :class:`IsotonicCalibration`, :class:`BetaCalibration`, :class:`VennAbers`;
- :class:`CalibratedClassifier`: an estimator and its calibration map, cross-fitted or prefit;
"""

from .beta import BetaCalibration
from .classifier import CalibratedClassifier
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
]
