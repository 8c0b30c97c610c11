# JobLokal: `make run` starts the app with demo data, `make test` runs the whole suite.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py

# Local PostgreSQL on this machine kind; override DATABASE_URL to use another.
TEST_DATABASE_URL ?= postgres://joblokal:joblokal@127.0.0.1:5432/joblokal
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15
# Two test processes (one per core); a file's tests stay together in one process.
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: run test setup services lint messages clean bench _venv-runtime

# Web, Celery worker and beat in one command (joblokal/embedded.py). Without
# CELERY_BROKER_URL they talk through kombu's filesystem broker under var/broker (no
# Redis). SITE_URL, the base of links in mails, follows RUN_ADDR unless set. The logs go
# to var/log/; Ctrl-C or SIGTERM stops all three. Installs no development packages.
RUN_ADDR ?= 127.0.0.1:8000

run: $(VENV)/.installed-run node_modules/.installed-run locale/.compiled
	@mkdir -p var/log var/mail
	@RUN_ADDR=$(RUN_ADDR) exec $(PY) -m joblokal.embedded

test: setup services
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	TEST_BROKER_URL=$${TEST_BROKER_URL:-$(TEST_BROKER_URL)} \
	$(VENV)/bin/pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed node_modules/.installed locale/.compiled

# Django 6 needs Python 3.12+; the default python3 may be older, so look for one.
define MAKE_VENV
	@py=""; for cand in python3.13 python3.12 \
	    $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[23]*/bin/python3 2>/dev/null | sort -r) \
	    /usr/bin/python3.13 /usr/bin/python3.12; do \
	  if "$$cand" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then py=$$cand; break; fi; \
	done; \
	if [ -z "$$py" ]; then echo "JobLokal needs Python 3.12 or newer (python3.12 or python3.13 on PATH)." >&2; exit 1; fi; \
	echo "Using $$py"; \
	rm -rf $(VENV) && "$$py" -m venv $(VENV)
endef

$(VENV)/.installed: pyproject.toml
	$(MAKE_VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

# `make run` needs only the runtime packages; a full setup already has them.
$(VENV)/.installed-run: pyproject.toml
	@if [ -f $(VENV)/.installed ] && [ $(VENV)/.installed -nt pyproject.toml ]; then \
	  touch $@; \
	else \
	  $(MAKE) --no-print-directory _venv-runtime; \
	fi

_venv-runtime:
	$(MAKE_VENV)
	@echo "Installing the runtime packages (a minute or two on the first run) …"
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -e .
	touch $(VENV)/.installed-run

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

# Bootstrap only: axe-core and the HTML checker are for the tests.
node_modules/.installed-run: package.json package-lock.json
	@if [ -f node_modules/.installed ] && [ node_modules/.installed -nt package-lock.json ]; then \
	  touch $@; \
	else \
	  npm ci --omit=dev --no-audit --no-fund --ignore-scripts --loglevel=error && touch $@; \
	fi

# Only when a catalogue changed (the venv is only needed, not compared).
locale/.compiled: $(wildcard locale/*/LC_MESSAGES/*.po) | $(VENV)/.installed-run
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v 0
	touch $@

services:
	@bash .ci/services

messages: setup
	$(MANAGE) makemessages -l de -l en -l uk -l ar -l tr -l de_LS --ignore=.venv --ignore=node_modules --ignore=var --no-obsolete
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) node_modules var

# The benchmark suite (benchmarks/README.md): national-scale data, gunicorn + wrk on
# 127.0.0.1, writes benchmarks/RESULTS.md. About 20 minutes; never part of `make test`.
BENCH_DATABASE_URL ?= postgres://joblokal:joblokal@127.0.0.1:5432/joblokal_bench
bench: setup services
	@command -v wrk >/dev/null || apt-get install -y --no-upgrade wrk
	BENCH_DATABASE_URL=$(BENCH_DATABASE_URL) $(PY) benchmarks/run.py $(BENCH_ARGS)
