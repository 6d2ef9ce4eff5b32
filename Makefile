# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PIP    := $(BIN)/python -m pip
# System packages: pango for the PDF (WeasyPrint), poppler-utils to check PDF pages,
# chromium to check the HTML report as a person would.
SYSPKGS := libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core poppler-utils chromium

.PHONY: demo test lint typecheck pytest test-spark-cli screenshots sysdeps bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed-run: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml constraints.txt
	$(PIP) install --quiet -c constraints.txt -e '.[accurate,spark,test]'
	touch $@ $(VENV)/.installed-run

sysdeps:
	@missing=$$(for p in $(SYSPKGS); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:" $$missing; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

demo: sysdeps $(VENV)/.installed-run
	$(BIN)/realitygap demo

lint: $(VENV)/.installed-test
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy

# two worker processes, one per core; the groups (a test file each, the engine suite's Spark
# and PostgreSQL halves) are set in conftest.py
pytest: sysdeps $(VENV)/.installed-test
	$(BIN)/pytest -q -n 2 --dist loadgroup

# the README's pictures, from the demo company (tools/screenshots.py)
screenshots: sysdeps $(VENV)/.installed-test
	$(BIN)/python tools/screenshots.py

# the command line's reads and report on Spark against DuckDB (about 10 minutes on 2 cores)
test-spark-cli: $(VENV)/.installed-test
	$(BIN)/pytest -q tests/test_engines.py -m spark_cli

test: lint typecheck pytest

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache .mypy_cache .ruff_cache
