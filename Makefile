# Two commands on a fresh clone: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: demo test docs bench bench-quick clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "crossentropy needs Python >= 3.11; $(PYTHON) is $$($(PYTHON) --version 2>&1). Run: make demo PYTHON=python3.11"; exit 1; }
	@echo "==> creating the virtual environment $(VENV) with $$($(PYTHON) --version 2>&1)"
	$(PYTHON) -m venv $(VENV)
	@echo "==> upgrading pip inside $(VENV)"
	$(PIP) install --progress-bar on --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	@echo "==> installing crossentropy and its dependencies into $(VENV) (numpy, scipy, scikit-learn, numba, ...: a minute or two)"
	$(PIP) install --progress-bar on -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	@echo "==> installing crossentropy with the test extra into $(VENV) (adds PyTorch, statsmodels, Dask: several minutes)"
	$(PIP) install --progress-bar on -e ".[test]"
	touch $(VENV)/.installed $(VENV)/.installed-docs $@

$(VENV)/.installed-bench: pyproject.toml | $(PY)
	@echo "==> installing crossentropy with the test and bench extras into $(VENV)"
	$(PIP) install --progress-bar on -e ".[test,bench]"
	touch $(VENV)/.installed $(VENV)/.installed-test $(VENV)/.installed-docs $@

$(VENV)/.installed-docs: pyproject.toml | $(PY)
	@echo "==> installing crossentropy with the docs extra into $(VENV) (Sphinx, pydata-sphinx-theme, sphinx-gallery, numpydoc, myst-parser)"
	$(PIP) install --progress-bar on -e ".[docs]"
	touch $(VENV)/.installed $@

demo: $(VENV)/.installed
	@echo "==> a table of the log loss J for y = 1 and y = 0 at a few predicted probabilities, and of sigmoid(z)"
	$(PY) examples/seed_table.py
	@echo "==> drawing the log-loss figures into runs/demo/"
	$(VENV)/bin/crossentropy plot log-loss --out runs/demo/log_loss.png
	$(VENV)/bin/crossentropy plot ce-vs-mse --out runs/demo/ce_vs_mse.png
	@echo "==> training logistic regression on the built-in breast_cancer data into runs/demo/breast_cancer/"
	$(VENV)/bin/crossentropy train --dataset breast_cancer --out runs/demo/breast_cancer --force
	@echo ""
	@echo "Done. The crossentropy command is in $(VENV)/bin. Run it by its path:"
	@echo "    $(VENV)/bin/crossentropy --help"
	@echo "or activate the environment once per shell and call it by name (as the README does):"
	@echo "    source $(VENV)/bin/activate"
	@echo "    crossentropy train examples/data/train.csv --target cultivar --impute median --out runs/wine"

test: $(VENV)/.installed-test
	$(PY) -m pytest -n 2 -q --doctest-modules src tests

# The documentation site into docs/_build/html: the lessons (docs/lessons/) run, any Sphinx warning fails.
docs: $(VENV)/.installed-docs
	MPLBACKEND=Agg $(PY) -m sphinx -W --keep-going -b html docs docs/_build/html
	@echo "Open docs/_build/html/index.html in a browser."

bench: $(VENV)/.installed-bench
	$(PY) benchmarks/run.py

bench-quick: $(VENV)/.installed-bench
	$(PY) benchmarks/run.py --quick

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .hypothesis docs/_build docs/auto_lessons docs/generated docs/sg_execution_times.rst
