"""Every lesson of the documentation site runs, as sphinx-gallery runs it at build time.

Each script in ``docs/lessons/`` is run with ``runpy`` in a temporary directory with matplotlib's Agg
backend. The scripts assert the numbers their pages state (against SciPy, scikit-learn, statsmodels,
finite differences or the closed forms the pages give), so running them is the check.
"""

import runpy
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

LESSONS = Path(__file__).resolve().parents[2] / "docs" / "lessons"
SCRIPTS = sorted(LESSONS.glob("plot_*.py"))


def test_the_lessons_are_there():
    assert len(SCRIPTS) >= 12
    assert (LESSONS / "README.rst").is_file()  # the gallery's index page


@pytest.mark.parametrize("script", SCRIPTS, ids=[s.stem for s in SCRIPTS])
def test_lesson_runs_and_its_numbers_hold(script, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        runpy.run_path(str(script), run_name="__main__")
        assert plt.get_fignums(), f"{script.name} draws no figure"
    finally:
        plt.close("all")


def test_the_readme_links_every_lesson_and_says_how_to_build_the_site():
    readme = (LESSONS.parents[1] / "README.md").read_text(encoding="utf-8")
    assert "make docs" in readme and "docs/_build/html" in readme
    for script in SCRIPTS:
        assert f"](docs/lessons/{script.name})" in readme, script.name
