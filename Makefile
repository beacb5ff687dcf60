# Every target installs what it needs first, so each one works on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test lint bench browser-deps clean

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

venv: $(STAMP)

## make test: install into .venv (and what the browser tests need), then run the whole test suite
test: $(STAMP) browser-deps
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

## make bench: cold start and validator figures
bench: $(STAMP)
	$(BIN)/python bench/bench_core.py

## make browser-deps: Debian's chromium (apt, as root), Playwright for Python (in .venv),
## @uppy/core, @uppy/aws-s3 and esbuild (npm ci); each step is skipped once done
browser-deps: $(STAMP) node_modules/.package-lock.json
	@test -x /usr/bin/chromium || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "The browser tests need Debian's chromium: sudo apt-get install -y chromium" >&2; exit 1; \
	  fi; }

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf $(VENV) .pytest_cache
