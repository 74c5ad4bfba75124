# Afterglow: `make run` serves the app, `make test` runs every test. Both set up what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM := /usr/bin/chromium
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test lint bench init-db seed-demo browser fonts clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps record what was installed, so a changed setup.cfg reinstalls.
$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

init-db: $(VENV)/.installed
	$(BIN)/flask --app journal init-db

run: init-db fonts
	$(BIN)/flask --app journal run --host $(HOST) --port $(PORT)

seed-demo: init-db
	$(BIN)/flask --app journal seed-demo

# Browser tests need Debian's Chromium (Playwright's own download does not work here).
browser:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium || exit 1; \
	  else \
	    echo "Chromium is missing at $(CHROMIUM): run 'sudo apt-get install chromium'"; exit 1; \
	  fi; \
	fi

# The PDF report prints Chinese, Japanese and Korean and emoji in Debian's Noto fonts; without
# them it prints a square for each (a note, not a failure). Installed when missing and root.
FONT_PACKAGES := fonts-noto-cjk fonts-noto-color-emoji
NOTO_FILES := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \
	/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc \
	/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf
fonts:
	@missing=; for f in $(NOTO_FILES); do [ -f $$f ] || missing=1; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Debian's $(FONT_PACKAGES) for the PDF report"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FONT_PACKAGES) >/dev/null \
	      || echo "Note: could not install $(FONT_PACKAGES); the PDF report prints CJK and emoji as squares"; \
	  else \
	    echo "Note: the PDF report prints CJK and emoji as squares until you run 'sudo apt-get install $(FONT_PACKAGES)'"; \
	  fi; \
	fi

# pytest keeps the test modules it rewrites, and Python the modules it compiles, in __pycache__
# (ignored by git): with them, collecting the suite takes half as long on every run after the
# first, and each server and subprocess a test starts reads journal/ already compiled. Some
# environments turn this off with PYTHONDONTWRITEBYTECODE; the test runs turn it back on.
#
# Tests keep their temporary files (each test's database, the live server's, Chromium's profile)
# in memory where the machine has a tmpfs at /dev/shm: SQLite's fsyncs there cost nothing, which
# took a fifth off the database-heavy test files here. Same SQLite, same code; the benchmarks
# measure the real disk. pytest deletes a passed test's folder at the end (setup.cfg).
TEST_TMPDIR := $(shell [ -d /dev/shm ] && [ -w /dev/shm ] && echo /dev/shm)
PYTEST := env -u PYTHONDONTWRITEBYTECODE $(if $(TEST_TMPDIR),TMPDIR=$(TEST_TMPDIR)) $(BIN)/python -m pytest

# Every test, browser tests included, on every core (pytest-xdist; each worker has its own
# app, template database, live server and Chromium; a worker that runs out of tests takes
# some of another's, so the long browser files do not end on one core).
test: $(VENV)/.installed-test browser fonts
	$(BIN)/ruff check journal tests benchmarks audit gunicorn.conf.py
	$(PYTEST) -n auto --dist worksteal $(PYTEST_ARGS)

# The same run with coverage of journal/ combined across the workers (about 30 s more).
.PHONY: coverage
coverage: $(VENV)/.installed-test browser fonts
	$(PYTEST) -n auto --dist worksteal --cov --cov-report=term $(PYTEST_ARGS)

# Everything but the browser tests and the tests that start a server or a subprocess, with ruff:
# the quick check while working (about a minute on a quiet machine). `make test` runs it all.
# Without Playwright's pytest plugins (and the base-url plugin it brings), which only the
# browser tests use: loading them took a second of each worker's start.
.PHONY: test-fast
test-fast: $(VENV)/.installed-test
	$(BIN)/ruff check journal tests benchmarks audit gunicorn.conf.py
	$(PYTEST) -q -n auto -m "not browser and not subprocess" -p no:cacheprovider \
	  -p no:playwright -p no:base_url $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check journal tests benchmarks audit gunicorn.conf.py
	$(BIN)/ruff format --check journal tests benchmarks audit gunicorn.conf.py

bench: $(VENV)/.installed-test
	$(BIN)/python benchmarks/bench_checkins.py
	$(BIN)/python benchmarks/bench_progress.py
	$(BIN)/python benchmarks/bench_report.py
	$(BIN)/python benchmarks/bench_share.py
	$(BIN)/python benchmarks/bench_load.py
	$(BIN)/python benchmarks/bench_bounds.py
	$(BIN)/python benchmarks/bench_request_path.py
	$(BIN)/python benchmarks/bench_lift.py

# Lighthouse 12.8.2 (13 needs Node 22), installed from audit/package-lock.json, in mobile mode
# over the main pages of a seeded server, signed in as the demo patient; prints the scores.
AUDIT_DIR := audit
NPM ?= npm

$(AUDIT_DIR)/node_modules/.installed: $(AUDIT_DIR)/package.json $(AUDIT_DIR)/package-lock.json
	cd $(AUDIT_DIR) && $(NPM) ci --no-audit --no-fund
	touch $@

.PHONY: audit
audit: $(VENV)/.installed browser $(AUDIT_DIR)/node_modules/.installed
	$(BIN)/python $(AUDIT_DIR)/run.py $(AUDIT_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .coverage htmlcov
