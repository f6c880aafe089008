"""Class labels, column names and file names are drawn as the text they are, never as mathtext.

Oracle: matplotlib's own mathtext parser (a pair of ``$`` is math to it; ``$\\frac{$`` is a parse error)
and the rendered text of each artist.
"""

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from crossentropy.cli import main
from crossentropy.linear_model import LogisticRegression
from crossentropy.plotting import plot_confusion_matrix, plot_decision_boundary
from crossentropy.plotting.calibration import plot_roc_pr

BROKEN, PRICE = r"$\frac{$", "cheap $5-$10"


def drawn_texts(fig):
    fig.canvas.draw()   # mathtext is parsed at draw time: a label taken as math fails or changes here
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text()]


def test_matplotlib_reads_these_labels_as_math():
    # the oracle: unescaped, matplotlib takes both strings for mathtext
    assert Text(text=PRICE)._preprocess_math(PRICE)[1] is True
    assert Text(text=BROKEN)._preprocess_math(BROKEN)[1] is True


def test_figures_draw_user_labels_as_text():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 2))
    y = np.where(X[:, 0] > 0, BROKEN, PRICE)
    est = LogisticRegression().fit(X, y)
    proba = est.predict_proba(X)
    figs = [plot_confusion_matrix(y, est.predict(X), labels=est.classes_, split=PRICE),
            plot_roc_pr(y, proba, classes=est.classes_),
            plot_decision_boundary(est, X, y, feature_names=[PRICE, BROKEN])]
    for fig in figs:
        texts = drawn_texts(fig)
        for t in texts:
            shown, is_math = t._preprocess_math(t.get_text())
            if "$" in shown:
                assert not is_math, t.get_text()
        assert any(BROKEN in t._preprocess_math(t.get_text())[0] or PRICE in t._preprocess_math(t.get_text())[0]
                   for t in texts)


def test_train_with_dollar_labels_writes_every_figure(capsys, tmp_path):
    rng = np.random.default_rng(1)
    df = pd.DataFrame({PRICE: rng.normal(size=50), "b": rng.normal(size=50)})
    df["y"] = np.where(df[PRICE] + 0.5 * rng.normal(size=50) > 0, BROKEN, "plain")
    df.to_csv(tmp_path / "d.csv", index=False)
    rc = main(["train", str(tmp_path / "d.csv"), "--target", "y", "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert rc == 0, err
    assert (tmp_path / "run" / "confusion_matrix.png").is_file()
