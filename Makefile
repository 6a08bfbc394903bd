# Two commands set everything up from a fresh clone: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint typecheck unit bench clean browser

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[sim,test]'
	@touch $(STAMP)

demo: venv
	$(BIN)/accredo-hubspot demo

lint: venv
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: venv
	$(BIN)/mypy

# Branch coverage of the connector and the simulators (the commands the tests start included),
# printed after the tests: files not fully covered, then the TOTAL.
# Tests run in PYTEST_WORKERS processes (pytest-xdist): most of the suite's time is spent
# waiting on the simulators and the connector's own processes, not on the CPU, so four
# workers finish well inside ten minutes on two cores where one took most of it.
PYTEST_WORKERS ?= 4
# The package is compiled first: the tests start many processes (the commands, the
# simulators), and where PYTHONDONTWRITEBYTECODE is set (as on these machines) each one would
# compile every module again (compiled once, end-to-end tests use about 8% less CPU).
unit: venv
	$(BIN)/python -m compileall -q src tests bench
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --cov=accredo_hubspot --cov=sims --cov-branch --cov-report=term

# Debian's chromium for the status page's browser test (tests/e2e/test_status_page.py), installed
# when missing and possible (root, apt-get, non-interactive); otherwise one line, and the build
# goes on (that test skips, saying why). Never fails.
browser:
	@if command -v chromium >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "browser: installing Debian's chromium for the browser test (apt-get)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		{ apt-get install -y -qq chromium >/dev/null 2>&1 || \
		  { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq chromium >/dev/null 2>&1; }; } || \
		echo "browser: chromium could not be installed; the browser test will skip"; \
	else \
		echo "browser: no chromium, and no root apt-get to install it; the browser test will skip"; \
	fi

test: browser lint typecheck unit

bench: venv
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache .coverage .coverage.*
