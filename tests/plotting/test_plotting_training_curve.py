"""The training curve: integer steps named by their unit, no offset notation, few points labelled, the kept epoch."""

from types import SimpleNamespace

import numpy as np
import pytest
from helpers import assert_png

from crossentropy import plotting


def _draw(fig):
    fig.canvas.draw()  # tick labels and offset texts are made at draw time
    return fig.axes[0]


def test_tiny_differences_show_without_offset_notation_on_integer_ticks(tmp_path):
    values = 0.6452133 + 1e-7 * np.array([5.0, 3.0, 2.0, 1.5, 1.2, 1.1, 1.05, 1.0])
    fig = plotting.plot_training_curve(SimpleNamespace(), curves={"train rows": values}, unit="iteration")
    ax = _draw(fig)
    assert ax.yaxis.get_offset_text().get_text() == "" and ax.xaxis.get_offset_text().get_text() == ""
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    assert ticks and all(float(t).is_integer() for t in ticks)
    labels = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert labels and all(lab.startswith("0.645213") for lab in labels)  # the value itself, not "1e-7 + 6.45e-1"
    assert ax.get_xlabel() == "iteration" and ax.get_ylabel() == "log loss (nats)"
    np.testing.assert_array_equal(ax.get_lines()[0].get_xdata(), np.arange(1, 9))
    plotting.save_figure(fig, tmp_path / "c.png")
    assert_png(tmp_path / "c.png", min_size=100)


def test_network_default_unit_is_epoch_and_the_kept_epoch_is_marked():
    net = SimpleNamespace(loss_curve_=[0.9, 0.6, 0.5, 0.45, 0.44], validation_loss_curve_=[0.95, 0.7, 0.62, 0.65, 0.7])
    fig = plotting.plot_training_curve(net, curves={"train rows": [0.8, 0.55, 0.45, 0.4, 0.38],
                                                    "test rows": [0.85, 0.66, 0.6, 0.63, 0.69]}, best=3)
    ax = _draw(fig)
    assert ax.get_xlabel() == "epoch"
    train, test, kept = ax.get_lines()
    assert test.get_ydata().tolist() == [0.85, 0.66, 0.6, 0.63, 0.69]
    assert list(kept.get_xdata()) == [3, 3] and "epoch 3" in kept.get_label()
    # without curves: the estimator's own records, labelled as the penalised objective
    own = plotting.plot_training_curve(net).axes[0]
    assert own.get_ylabel() == "training objective (penalised)"
    assert [line.get_label() for line in own.get_lines()] == ["training objective (penalised)", "validation log loss"]


@pytest.mark.parametrize("n", [1, 2, 3])
def test_one_to_three_steps_are_points_with_their_values(n):
    values = [0.5, 0.4, 0.35][:n]
    ax = _draw(plotting.plot_training_curve(SimpleNamespace(), curves={"train rows": values}, unit="iteration"))
    (line,) = ax.get_lines()
    assert line.get_linestyle() == "None" and line.get_marker() == "o"
    assert [t.get_text() for t in ax.texts] == [f"{v:.4f}" for v in values]


def test_curves_given_as_steps_and_values_and_bad_input():
    ax = _draw(plotting.plot_training_curve(SimpleNamespace(), curves={"a": ([1, 2, 5, 9], [0.6, 0.5, 0.4, 0.3])},
                                            unit="iteration"))
    assert ax.get_lines()[0].get_xdata().tolist() == [1, 2, 5, 9]
    with pytest.raises(ValueError, match="unit"):
        plotting.plot_training_curve(SimpleNamespace(), curves={"a": [1.0]}, unit="step")
    with pytest.raises(ValueError, match="one step per value"):
        plotting.plot_training_curve(SimpleNamespace(), curves={"a": ([1, 2], [0.5])})
    with pytest.raises(ValueError, match="loss_curve_"):
        plotting.plot_training_curve(SimpleNamespace())
