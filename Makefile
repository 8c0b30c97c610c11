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

.PHONY: run test setup services lint messages clean bench

# Web, Celery worker and beat in one command. Without CELERY_BROKER_URL they talk through
# kombu's filesystem broker under var/broker (no Redis); Ctrl-C stops all three.
RUN_ADDR ?= 127.0.0.1:8000
CELERY := $(VENV)/bin/celery -A joblokal

run: setup
	$(MANAGE) migrate --noinput
	$(MANAGE) seed_demo
	@mkdir -p var/mail
	@echo "JobLokal: http://$(RUN_ADDR)  (mail is written to var/mail/)"
	@trap 'kill $$web $$worker $$beat 2>/dev/null; wait' INT TERM EXIT; \
	$(CELERY) worker --concurrency 1 --loglevel INFO --without-gossip --without-mingle & worker=$$!; \
	$(CELERY) beat --loglevel INFO & beat=$$!; \
	$(MANAGE) runserver --noreload $(RUN_ADDR) & web=$$!; \
	wait $$web

test: setup services
	DATABASE_URL=$${DATABASE_URL:-$(TEST_DATABASE_URL)} \
	TEST_BROKER_URL=$${TEST_BROKER_URL:-$(TEST_BROKER_URL)} \
	$(VENV)/bin/pytest $(PYTEST_ARGS)

setup: $(VENV)/.installed node_modules/.installed locale/.compiled

# Django 6 needs Python 3.12+; the default python3 may be older, so look for one.
$(VENV)/.installed: pyproject.toml
	@py=""; for cand in python3.13 python3.12 \
	    $$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[23]*/bin/python3 2>/dev/null | sort -r) \
	    /usr/bin/python3.13 /usr/bin/python3.12; do \
	  if "$$cand" -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then py=$$cand; break; fi; \
	done; \
	if [ -z "$$py" ]; then echo "JobLokal needs Python 3.12 or newer (python3.12 or python3.13 on PATH)." >&2; exit 1; fi; \
	echo "Using $$py"; \
	rm -rf $(VENV) && "$$py" -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
	touch $@

locale/.compiled: $(VENV)/.installed $(wildcard locale/*/LC_MESSAGES/django.po)
	$(MANAGE) compilemessages --ignore=.venv --ignore=node_modules -v 0
	touch $@

services:
	@bash .ci/services

messages: setup
	$(MANAGE) makemessages -l de -l en --ignore=.venv --ignore=node_modules --ignore=var --no-obsolete
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
