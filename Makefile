# The two commands: `make run` and `make test`. Everything else is a helper of theirs.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
# Django 6 needs Python 3.12 or newer: take the first one found on PATH or under pyenv.
PYTHON ?= $(shell for p in python3.13 python3.12 $$HOME/.pyenv/versions/3.13*/bin/python $$HOME/.pyenv/versions/3.12*/bin/python python3; do \
	  command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { command -v $$p; break; }; done)

# Tests run against real PostgreSQL and Redis (this machine's by default).
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/membership
TEST_REDIS_URL ?= redis://127.0.0.1:6379/1

.PHONY: run test lint install browser serve migrate demo bench clean

$(VENV)/.installed: pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.12+ is needed (Django 6). Install one and retry."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# Browser code from npm (package-lock.json pins it; served by Django's static files, see
# STATICFILES_DIRS): `npm ci` on a clean clone, again whenever the lock file changes.
node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is needed (Node.js) for the dashboard's charts."; exit 1; }
	npm ci --ignore-scripts --no-audit --no-fund
	touch $@

install: $(VENV)/.installed node_modules/.installed

# Headless Chromium for the browser tests: Debian's package (a test tool's own download is not
# possible on our machines), and a Chinese font so that screenshots show Chinese text.
browser:
	@if [ -x "$${CHROMIUM:-/usr/bin/chromium}" ] && fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  echo "Chromium: $${CHROMIUM:-/usr/bin/chromium}"; \
	elif command -v apt-get >/dev/null; then \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	     chromium chromium-driver fonts-wqy-microhei >/dev/null) \
	  || { echo "Could not install Chromium with apt-get (are you root?)."; exit 1; }; \
	else echo "Install Chromium and a CJK font, and set CHROMIUM=/path/to/chromium."; exit 1; fi

run: install
	DEBUG=1 $(PY) manage.py migrate --noinput
	$(PY) manage.py compile_translations
	DEBUG=1 $(PY) manage.py load_demo
	@echo ""
	@echo "  Open http://127.0.0.1:8000/accounts/login/  (Ctrl-C stops the server)"
	@echo "  Members: http://127.0.0.1:8000/m/shoes/  phone 13800000000, password member-pass-2026"
	@echo ""
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000

# The production shape on this machine: DEBUG off, static files collected and served by
# WhiteNoise from their manifest, gunicorn. Same embedded database and demo data as `make run`.
serve: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py compile_translations
	$(PY) manage.py collectstatic --noinput
	$(PY) manage.py load_demo
	@echo ""
	@echo "  Open http://127.0.0.1:8000/accounts/login/  (Ctrl-C stops the server)"
	@echo ""
	$(VENV)/bin/gunicorn config.wsgi --bind 127.0.0.1:8000 --workers 2

test: install browser
	$(PY) manage.py compile_translations
	DATABASE_URL=$(TEST_DATABASE_URL) REDIS_URL=$(TEST_REDIS_URL) \
	  $(PY) -m pytest --create-db $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check . || true
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) .data staticfiles node_modules
