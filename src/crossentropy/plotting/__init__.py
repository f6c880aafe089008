"""Pictures of cross-entropy and of the classifiers trained with it, as matplotlib Figures.

Every function builds a :class:`matplotlib.figure.Figure` directly (no ``pyplot``, no global state),
so it works under any backend, including Agg on a headless machine, and in threads. matplotlib is
imported inside the functions: ``import crossentropy`` never pays for it. Save a figure with
:func:`save_figure` (atomic: a failed save leaves no partial PNG) or ``fig.savefig(...)``.

- :mod:`.curves`: :func:`plot_log_loss`, :func:`plot_ce_vs_mse`;
- :mod:`.diagnostics`: :func:`plot_training_curve`, :func:`plot_reliability_diagram`,
  :func:`plot_confusion_matrix`, :func:`plot_decision_boundary`;
- :mod:`.cv`: :func:`plot_cv_curve`, :func:`plot_coef_path` (a fitted ``LogisticRegressionCV``);
- :mod:`._figure`: figure creation and :func:`save_figure`.
"""

from ._figure import save_figure
from .curves import plot_ce_vs_mse, plot_log_loss
from .cv import plot_coef_path, plot_cv_curve
from .diagnostics import plot_confusion_matrix, plot_decision_boundary, plot_reliability_diagram, plot_training_curve

__all__ = [
    "plot_log_loss",
    "plot_ce_vs_mse",
    "plot_training_curve",
    "plot_reliability_diagram",
    "plot_confusion_matrix",
    "plot_decision_boundary",
    "save_figure",
    "plot_cv_curve",
    "plot_coef_path",
]
