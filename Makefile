# Two commands do all set-up on a fresh clone:  make run  (serve the app)  and  make test.
VENV := .venv
PY := $(VENV)/bin/python
HOST_PORT ?= 127.0.0.1:8000
CHROMIUM ?= /usr/bin/chromium
export DJANGO_SETTINGS_MODULE := examsite.settings

.PHONY: run test lint format setup db chromium bench bank clean

# Pick the newest Python >= 3.12 on the machine (pyenv installs count too).
$(VENV)/.installed: pyproject.toml
	@py=""; \
	for candidate in python3.14 python3.13 python3.12 \
	    $$(ls -d $$HOME/.pyenv/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	  if "$$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1; then \
	    py="$$candidate"; break; fi; \
	done; \
	if [ -z "$$py" ]; then \
	  echo "examsite needs Python 3.12 or newer, and found none: install python3.13 or python3.12, then run make again." >&2; \
	  exit 1; fi; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
	  echo "Creating $(VENV) with $$($$py --version)"; rm -rf $(VENV); "$$py" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade "pip>=25.1"
	$(PY) -m pip install --quiet --editable . --group dev
	@touch $@

setup: $(VENV)/.installed

NOTES_DIR ?= ../shared/notes

# Migrate; load the blueprints and service catalog; ingest the study notes the bank cites
# (unchanged files are skipped); load the question bank. Every step is idempotent.
db: setup
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py load_catalog
	@if [ -d "$(NOTES_DIR)" ]; then $(PY) manage.py ingest_notes "$(NOTES_DIR)"; \
	  else echo "No notes at $(NOTES_DIR): questions will load without their source sections."; fi
	@if [ -f fixtures/question_bank.yaml ]; then \
	  $(PY) manage.py import_bank fixtures/question_bank.yaml; fi

run: db
	@echo "Demo accounts (development only):"
	@DEBUG=1 $(PY) manage.py seed_demo_users
	@echo "Serving on http://$(HOST_PORT)/  (admin: http://$(HOST_PORT)/admin/)"
	@echo "A background worker runs notes uploads and item statistics (stopped with the server)."
	@DEBUG=1 sh -c '$(PY) manage.py db_worker --no-reload -v 0 & worker=$$!; \
	  trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  $(PY) manage.py runserver $(HOST_PORT)'

# Browser tests drive Debian's Chromium; install it when it is missing (needs root).
chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian's chromium for the browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null; \
	  else echo "The browser tests need Chromium at $(CHROMIUM): sudo apt-get install chromium" >&2; exit 1; fi; \
	fi

# Regenerate fixtures/question_bank.yaml exactly as the tests check it: a scratch database,
# the catalog, the notes, then the generator (its fixed seed makes the file reproducible).
bank: setup
	rm -f var/bank.sqlite3
	DATABASE_URL=sqlite:///$(CURDIR)/var/bank.sqlite3 sh -c '\
	  $(PY) manage.py migrate --no-input -v 0 && \
	  $(PY) manage.py load_catalog && \
	  $(PY) manage.py ingest_notes "$(NOTES_DIR)" && \
	  $(PY) manage.py generate_questions --write-bank'
	rm -f var/bank.sqlite3

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) manage.py makemigrations --check --dry-run -v 0

format: setup
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: lint chromium
	$(PY) -m pytest

bench: setup
	@for script in bench/*; do [ -x "$$script" ] && echo "== $$script" && "$$script"; done; true

clean:
	rm -rf $(VENV) var .pytest_cache .hypothesis
