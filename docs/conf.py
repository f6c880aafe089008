"""Sphinx configuration of the crossentropy documentation site.

Built by ``make docs`` (``sphinx-build -W --keep-going -b html docs docs/_build/html``): any warning
fails the build. The lessons are sphinx-gallery scripts in ``docs/lessons/``, executed at build time
(``-D plot_gallery=0`` builds the pages without running them); the API reference is generated from
the numpydoc docstrings by autosummary.
"""

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))  # a fresh clone builds without installing the package

import matplotlib  # noqa: E402

matplotlib.use("Agg")

project = "crossentropy"
author = "the crossentropy authors"
copyright = "the crossentropy authors"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax served from the built site: the formulas render with no network
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "lessons/README.rst", "auto_lessons/*.ipynb", "auto_lessons/*.py",
                    "auto_lessons/*.zip", "auto_lessons/*.md5", "auto_lessons/*.json"]
root_doc = "index"

templates_path = ["_templates"]
autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_validation_checks = set()

myst_heading_anchors = 3

sphinx_gallery_conf = {
    "examples_dirs": ["lessons"],
    "gallery_dirs": ["auto_lessons"],
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "show_signature": False,
    "line_numbers": False,
    "capture_repr": (),
    "matplotlib_animations": False,
    "min_reported_time": 1e9,
    "abort_on_example_error": True,
    "reset_modules": ("matplotlib",),
}

html_theme = "pydata_sphinx_theme"
html_title = "crossentropy"
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_show_sourcelink = False
html_copy_source = False
html_static_path = []
