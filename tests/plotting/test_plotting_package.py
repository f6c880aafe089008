"""crossentropy.plotting as a package: the public names, no matplotlib at import, bad scalars named."""

import subprocess
import sys

import numpy as np
import pytest

from crossentropy import plotting

PUBLIC = ["plot_log_loss", "plot_ce_vs_mse", "plot_training_curve", "plot_reliability_diagram",
          "plot_confusion_matrix", "plot_decision_boundary", "save_figure", "plot_cv_curve", "plot_coef_path"]


def test_the_public_names_are_the_package_interface():
    assert sorted(plotting.__all__) == sorted(PUBLIC)
    for name in PUBLIC:
        assert callable(getattr(plotting, name))
        assert getattr(plotting, name).__module__.startswith("crossentropy.plotting.")


def test_importing_plotting_does_not_import_matplotlib():
    code = "import sys, crossentropy.plotting; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("call, error, name", [
    (lambda: plotting.plot_ce_vs_mse(n_iter=True), TypeError, "n_iter"),
    (lambda: plotting.plot_ce_vs_mse(n_iter=2.5), TypeError, "n_iter"),
    (lambda: plotting.plot_ce_vs_mse(learning_rate=float("nan")), ValueError, "learning_rate"),
    (lambda: plotting.plot_log_loss(z_min=-np.inf), ValueError, "z_min"),
    (lambda: plotting.plot_log_loss(step=30.0), ValueError, "step"),
    (lambda: plotting.plot_reliability_diagram([0, 1], [0.2, 0.8], n_bins=0), ValueError, "n_bins"),
    (lambda: plotting.plot_reliability_diagram([0, 1], [0.2, 0.8], n_bins=False), TypeError, "n_bins"),
    (lambda: plotting.save_figure(None, "x.png", dpi=0), ValueError, "dpi"),
])
def test_bad_scalars_are_refused_before_any_work_naming_the_argument(call, error, name):
    with pytest.raises(error, match=name):
        call()
