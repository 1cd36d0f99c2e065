# Two commands matter: `make run` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: run test test-fast lint format install bench load faults backup-drill migration-drill redis-drill clean

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

# A per-checkout secret key and DEBUG on, for the embedded development stack only.
.env:
	@$(BIN)/python -c "import secrets; print('DJANGO_SECRET_KEY=' + secrets.token_urlsafe(50)); print('AUDIT_HMAC_KEY=' + secrets.token_urlsafe(50)); print('DJANGO_DEBUG=true')" > .env
	@echo "Wrote .env for local development (DEBUG on, fresh secret key)."

# The port `make run` serves on: make run PORT=8080.
PORT ?= 8000

run: $(STAMP) .env
	@mkdir -p var/broker/processed var/private var/static
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Psyplan is starting at http://127.0.0.1:$(PORT) (Ctrl-C stops the web server, worker and beat)."
	@# Ctrl-C is how the stack is meant to stop: honcho's 130 then is a clean exit, not an error.
	@$(BIN)/honcho -f Procfile.dev start --port $(PORT) || { rc=$$?; [ $$rc -eq 130 ] || exit $$rc; }

test: $(STAMP)
	$(BIN)/pytest

# Everything except the browser tests.
test-fast: $(STAMP)
	$(BIN)/pytest -m "not browser"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Benchmarks print ratios against floors measured in the same run; not part of `make test`.
# Every group in one run and one table; the export group needs psutil (the bench extra) and PostgreSQL,
# and builds BENCH_EXPORT_PLANS plans (3,000 unless set).
bench: $(STAMP)
	@$(BIN)/python -c "import psutil, locust" 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench

# Capacity: locust offers the working mix (lists, plan pages, edits, session notes, questionnaire answers, a few
# PDFs) in steps of req/s to gunicorn (3 sync workers, as production), one Celery worker, PostgreSQL and Redis,
# loopback only, until p95 passes 500 ms or an error appears, and prints the capacity table: p50/p95/p99, errors
# and CPU per process group at each step, "one 2-core server carries N clinicians" and what saturated first.
# Up to ~12 min. Options through LOAD_ARGS, e.g. LOAD_ARGS="--step-seconds 30 --max-rate 24" (see --help).
# Needs PostgreSQL on 127.0.0.1:5432 and Redis on 127.0.0.1:6379 (BENCH_REDIS_URL, database 3); not part of `make test`.
load: $(STAMP)
	@$(BIN)/python -c "import locust" 2>/dev/null || $(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python -m bench.load $(LOAD_ARGS)

# Fault drills: a Celery worker SIGKILLed mid-export; a private PostgreSQL cluster restarted during edits.
faults: $(STAMP)
	$(BIN)/python -m bench.faults

# Dump, restore into a scratch database, compare row counts, verify the audit chain.
backup-drill: $(STAMP)
	$(BIN)/python -m bench.backup_drill

# A PostgreSQL database built and seeded by the code before the plans split (issue 13), migrated by
# this checkout: every table's rows, every signature and the audit chain compared. One to two minutes.
migration-drill: $(STAMP)
	$(BIN)/python -m bench.migration_drill

# Redis killed and restored under a real worker: responsive pages, nothing lost.
redis-drill: $(STAMP)
	$(BIN)/python -m bench.redis_outage

clean:
	rm -rf $(VENV) var db.sqlite3 .pytest_cache .ruff_cache
