# `make` builds the sample digest into out/; `make test` runs the test suite;
# `make docs` builds the documentation site into site/.
# Both create the virtual environment in .venv on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: digest test docs golden lint format bench bench-newsroom bench-send bench-run preview clean
.DEFAULT_GOAL := digest

digest: $(VENV)/.installed
	$(BIN)/digest build

test: $(VENV)/.installed
	$(BIN)/python -m pytest

# The documentation site (mkdocs.yml, docs/) into site/, strict: a broken link fails.
docs: $(VENV)/.docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

$(VENV)/.docs: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --editable '.[docs]'
	touch $@

golden: $(VENV)/.installed
	$(BIN)/python -m pytest tests/test_render.py --update-golden

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/render_20.py
	$(BIN)/python benchmarks/summarize_speed.py
	$(BIN)/python benchmarks/fetch_feeds.py 200

# Needs ../shared: serves labelled newsroom worlds, builds an issue of each, scores it.
bench-newsroom: $(VENV)/.installed
	$(BIN)/python benchmarks/newsroom.py

bench-send: $(VENV)/.installed
	$(BIN)/python benchmarks/send_kill.py

# Needs ../shared/bench; sets up naive.py's own environment once in ~/.cache/digest-bench.
bench-run: $(VENV)/.installed
	$(BIN)/python benchmarks/run_vs_naive.py --pages 1000 200

preview: $(VENV)/.installed
	$(BIN)/digest preview

lint: $(VENV)/.installed
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

format: $(VENV)/.installed
	$(BIN)/ruff format src tests benchmarks scripts
	$(BIN)/ruff check --fix src tests benchmarks scripts

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[test]'
	touch $@

clean:
	rm -rf $(VENV) out site .pytest_cache .ruff_cache .hypothesis
