"""crossentropy: cross-entropy (log loss) and the classifiers trained with it.

Layers, imports pointing one way: ``special`` (stable functions) → ``losses`` (values and gradients)
→ ``objective`` → ``solvers`` → ``linear_model`` / ``neural_network`` → ``io``, ``plotting`` →
``cli`` (the application; no library module imports it). ``distributed`` (Dask) sits beside the core
behind one lazy entry, its package ``__init__``.

Every public name is imported on first use (``__getattr__``), so ``import crossentropy`` imports
neither NumPy's neighbours (SciPy, scikit-learn, pandas) nor numba, and ``crossentropy --version`` is quick.
"""

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the re-exports, for type checkers and readers; at run time __getattr__ imports them
    from . import calibration, information
    from .calibration import (
        BetaCalibration,
        CalibratedClassifier,
        ConformalClassifier,
        IsotonicCalibration,
        PlattScaling,
        TemperatureScaling,
        VennAbers,
        brier_decomposition,
        calibration_error,
        log_loss_decomposition,
        reliability_diagram_corp,
        tune_threshold,
    )
    from .losses import (
        binary_cross_entropy,
        binary_cross_entropy_with_logits,
        cross_entropy,
        linear_cross_entropy,
        nll_loss,
        sigmoid_focal_loss,
        softmax_focal_loss,
    )
    from .metrics import log_loss
    from .special import log_sigmoid, log_softmax, logsumexp, sigmoid, softmax

# public name -> module that defines it (imported on first attribute access)
_LAZY = {
    "sigmoid": "special",
    "log_sigmoid": "special",
    "softmax": "special",
    "log_softmax": "special",
    "logsumexp": "special",
    "binary_cross_entropy": "losses",
    "binary_cross_entropy_with_logits": "losses",
    "cross_entropy": "losses",
    "nll_loss": "losses",
    "sigmoid_focal_loss": "losses",
    "softmax_focal_loss": "losses",
    "linear_cross_entropy": "losses",
    "log_loss": "metrics",
    "LogisticRegression": "linear_model",
    "LogisticRegressionCV": "linear_model",
    "logistic_regression_path": "linear_model",
    "OrdinalRegression": "linear_model",
    "MLPClassifier": "neural_network",
    "ConvergenceWarning": "exceptions",
    "save_model": "io.model_files",
    "load_model": "io.model_files",
    "load_pipeline": "io.pipeline",
    "summary": "preprocessing.model_summary",
    "TemperatureScaling": "calibration",
    "PlattScaling": "calibration",
    "IsotonicCalibration": "calibration",
    "BetaCalibration": "calibration",
    "VennAbers": "calibration",
    "CalibratedClassifier": "calibration",
    "ConformalClassifier": "calibration",
    "calibration_error": "calibration",
    "brier_decomposition": "calibration",
    "log_loss_decomposition": "calibration",
    "reliability_diagram_corp": "calibration",
    "tune_threshold": "calibration",
}
_LAZY_MODULES = ("information", "calibration", "plotting", "distributed", "model_io", "datasets", "preprocessing", "io", "cli")

__all__ = [
    "sigmoid",
    "log_sigmoid",
    "softmax",
    "log_softmax",
    "logsumexp",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "nll_loss",
    "sigmoid_focal_loss",
    "softmax_focal_loss",
    "linear_cross_entropy",
    "log_loss",
    "information",
    "LogisticRegression",
    "LogisticRegressionCV",
    "logistic_regression_path",
    "OrdinalRegression",
    "MLPClassifier",
    "ConvergenceWarning",
    "save_model",
    "load_model",
    "load_pipeline",
    "summary",
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
    "tune_threshold",
    "__version__",
]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("crossentropy")
    except PackageNotFoundError:  # running from a source tree
        return "0.0.0+unknown"


def __getattr__(name):
    if name == "__version__":
        value = _version()
    elif name in _LAZY:
        value = getattr(import_module(f".{_LAZY[name]}", __name__), name)
    elif name in _LAZY_MODULES:
        value = import_module(f".{name}", __name__)
    else:
        raise AttributeError(f"module 'crossentropy' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(__all__) | set(_LAZY_MODULES))
