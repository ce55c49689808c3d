# Two commands on a fresh clone (each sets up .venv first, see tools/setup_env.sh):
#   make demo   synthetic videos -> train -> evaluate -> AP tables -> sparse-label workflow -> video
#   make test   the test suite (what CI runs)
#   make bench  every benchmark tool -> docs/benchmarks.md (machine, commands, figures)
VENV ?= .venv
PYTHON := $(VENV)/bin/python
DEMO_DIR ?= work_dirs/demo

.PHONY: setup demo test bench lint clean-demo

setup:
	bash tools/setup_env.sh

demo: setup
	bash tools/demo.sh $(DEMO_DIR)

test: setup
	$(PYTHON) -m ruff check stdpose_mm tools tests configs
	$(PYTHON) -m pytest -q -p no:cacheprovider tests

bench: setup
	$(PYTHON) tools/run_benchmarks.py --out docs/benchmarks.md

lint: setup
	$(PYTHON) -m ruff check stdpose_mm tools tests configs

clean-demo:
	rm -rf $(DEMO_DIR)
