# kadun: two commands. `make run` serves the demo on SQLite; `make test` runs the linters and every test.
PORT ?= 8000
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PG_URL ?= postgres://postgres@127.0.0.1:5432/postgres
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test lint test-sqlite test-pg browser-deps bench bench-cases bench-all clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/kadun migrate --noinput -v0
	$(BIN)/kadun demo
	@echo "Open http://127.0.0.1:$(PORT)/  (stop with Ctrl-C)"
	KADUN_SITE_URL=http://127.0.0.1:$(PORT) $(BIN)/kadun serve --port $(PORT)

# Debian's Chromium for the browser tests; nothing downloads a browser of its own. Debian's
# poppler-utils (pdftotext, pdftoppm) for the complaint dossier's tests, which read and render the PDF.
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/pdftoppm ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian chromium and poppler-utils for the browser and dossier tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils >/dev/null) || echo "could not install chromium / poppler-utils"; \
	  else echo "chromium or poppler-utils not installed and cannot install them here: browser and dossier-rendering tests will be skipped"; fi; \
	fi

test: $(VENV)/.installed-test browser-deps
	$(MAKE) --no-print-directory lint
	$(MAKE) --no-print-directory test-sqlite
	@if $(BIN)/python -c "import psycopg,sys; psycopg.connect('$(PG_URL)', connect_timeout=3).close()" 2>/dev/null; then \
	  $(MAKE) --no-print-directory test-pg; \
	else echo "PostgreSQL not reachable at $(PG_URL): PostgreSQL run skipped"; \
	  if [ -n "$$CI" ]; then echo "CI needs PostgreSQL"; exit 1; fi; fi

# ruff, and the import-linter contracts that keep each app in its room (docs/design.md, rule 13).
lint: $(VENV)/.installed-test
	@echo "== ruff and import-linter =="
	$(BIN)/ruff check
	$(BIN)/lint-imports --no-cache

test-sqlite: $(VENV)/.installed-test
	@echo "== tests on SQLite =="
	KADUN_VAR_DIR=$(CURDIR)/var/test-sqlite $(BIN)/pytest -q

test-pg: $(VENV)/.installed-test
	@echo "== tests on PostgreSQL =="
	DATABASE_URL=$(PG_URL) KADUN_VAR_DIR=$(CURDIR)/var/test-pg $(BIN)/pytest -q -m "not browser"

bench: $(VENV)/.installed-test
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/purchase.py

# After-sales cases: case deadlines fired per second by the sweeper, and the case pages at 10,000 and 100,000 cases.
bench-cases: $(VENV)/.installed-test
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/cases.py --part sweeper --n 20000 --processes 1,2
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/cases.py --part pages --cases 10000,100000

# Every benchmark of docs/performance.md, one after the other (about an hour; PostgreSQL needed).
bench-all: $(VENV)/.installed-test
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/purchase.py
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/flash_sale.py
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/flash_sale.py --server gunicorn
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/notify_latency.py --concurrency 1
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/notify_latency.py --concurrency 4
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/notify_latency.py --concurrency 4 --server gunicorn
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/sweeper.py --n 100000 --processes 1,2,4 --raw 1,2
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/pages.py --sizes 100000,1000000
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/evidence_log.py
	DATABASE_URL=$(PG_URL) $(BIN)/python bench/credit_score.py
	$(MAKE) --no-print-directory bench-cases

clean:
	rm -rf $(VENV) var
