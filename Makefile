# GELSENcloud developer commands. `make demo` and `make test` are all a newcomer needs.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: venv demo test test-fast lint clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11+ needed (set PYTHON=...)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: venv
	GELSENCLOUD_DATABASE_URL=$${GELSENCLOUD_DATABASE_URL:-sqlite:///./var/gelsencloud.db} $(BIN)/gelsencloud demo

test: venv
	$(BIN)/python -m pytest

test-fast: venv
	$(BIN)/python -m pytest -x -q -m "not postgres and not mqtt"

lint: venv
	$(BIN)/ruff check src tests

clean:
	rm -rf var .pytest_cache
