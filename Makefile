# Two commands on a fresh clone: `make demo` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip

.PHONY: demo test bench bench-quick clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(PY)
	$(PIP) install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(PY)
	$(PIP) install -q -e ".[test]"
	touch $(VENV)/.installed $@

$(VENV)/.installed-bench: pyproject.toml | $(PY)
	$(PIP) install -q -e ".[test,bench]"
	touch $(VENV)/.installed $(VENV)/.installed-test $@

demo: $(VENV)/.installed
	$(PY) examples/seed_table.py
	$(VENV)/bin/crossentropy plot log-loss --out runs/demo/log_loss.png
	$(VENV)/bin/crossentropy plot ce-vs-mse --out runs/demo/ce_vs_mse.png
	$(VENV)/bin/crossentropy train --dataset breast_cancer --out runs/demo/breast_cancer --force

test: $(VENV)/.installed-test
	$(PY) -m pytest -n 2 -q --doctest-modules src tests

bench: $(VENV)/.installed-bench
	$(PY) benchmarks/run.py

bench-quick: $(VENV)/.installed-bench
	$(PY) benchmarks/run.py --quick

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .hypothesis
