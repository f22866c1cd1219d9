# Agora's commands. `make dev` and `make test` do all the set-up on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
UV_VERSION := 0.13.9
# Use uv from PATH if there is one; otherwise install a pinned uv into .tools/ (pip only).
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
m ?= auto
USERS ?= 100
POSTS ?= 1000
TEAMS ?= 10

.PHONY: help install dev serve seed test test-postgres bench lint format typecheck shell \
        db-migrate db-revision db-upgrade db-downgrade create-superuser clean

help: ## List the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-18s %s\n", $$1, $$2}'

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

$(VENV)/.installed: pyproject.toml uv.lock | $(if $(filter .tools/bin/uv,$(UV)),.tools/bin/uv)
	$(UV) sync --frozen --all-extras
	@touch $@

install: $(VENV)/.installed ## Create .venv from the lock file (uv sync --frozen)

dev: install ## Set up, apply migrations and serve on http://127.0.0.1:8000 with reload
	$(BIN)/agora db upgrade
	@echo "tip: 'make seed' fills the database with demo data (USERS=100 POSTS=1000 TEAMS=10)"
	$(BIN)/agora serve --host $(HOST) --port $(PORT) --reload

serve: install ## Serve without reload
	$(BIN)/agora serve --host $(HOST) --port $(PORT)

seed: install ## Fill the database with demo data: make seed USERS=100 POSTS=1000 TEAMS=10
	$(BIN)/agora seed --users $(USERS) --posts $(POSTS) --teams $(TEAMS)

# `make test` runs the suite in parallel: TEST_WORKERS pytest-xdist workers (`auto`: one per
# core; 0: one process), each with databases of its own (tests/workers.py). Without
# TEST_REDIS_URL it uses the local Redis when one answers at 127.0.0.1:6379, as .ci/run does:
# database TEST_REDIS_DB, and the ones below it for the other workers (15, 14, ...).
TEST_WORKERS ?= auto
TEST_DIST ?= worksteal
TEST_REDIS_DB ?= 15

test: install ## Run the whole suite on SQLite, in parallel (TEST_WORKERS=auto)
	@if [ -z "$${TEST_REDIS_URL:-}" ]; then \
	  if $(BIN)/python .ci/redis_up.py 127.0.0.1 6379; then \
	    export TEST_REDIS_URL=redis://127.0.0.1:6379/$(TEST_REDIS_DB); \
	    echo "make test: Redis answers at 127.0.0.1:6379; TEST_REDIS_URL=$$TEST_REDIS_URL"; \
	  else echo "make test: no Redis at 127.0.0.1:6379 and no TEST_REDIS_URL: its tests are skipped"; fi; \
	fi; \
	set -x; $(BIN)/pytest -n $(TEST_WORKERS) --dist $(TEST_DIST) $(ARGS)

test-postgres: install ## Run the suite on a fresh PostgreSQL database (see .ci/run)
	bash .ci/run --postgres-only

# Benchmarks (not part of `make test`): each script states its workload and is time-bounded.
# Add a script by appending it to BENCH_SCRIPTS. PostgreSQL too with BENCH_DATABASE_URL=...
BENCH_SCRIPTS ?= bench/stream_users.py bench/stream_starvation.py bench/ws_fanout.py bench/http_api.py bench/cpu_per_request.py bench/ratelimit.py bench/tracing.py bench/sqlite_writers.py bench/pat_vs_jwt.py

bench: install ## Run the benchmarks (bench/*.py listed in BENCH_SCRIPTS)
	@set -e; for script in $(BENCH_SCRIPTS); do echo "== $$script"; $(BIN)/python $$script; done

lint: install ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy app

format: install ## Format and fix what ruff can
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

shell: install ## A Python shell with the app's settings loaded
	$(BIN)/python -i -c "from app.core.config import get_settings; settings = get_settings(); print('settings =', settings.DATABASE_URL)"

db-migrate: install ## Apply migrations
	$(BIN)/agora db upgrade

db-revision: install ## Autogenerate a migration: make db-revision m="add things"
	$(BIN)/agora db revision -m "$(m)"

db-upgrade: install ## Autogenerate a migration and apply it: make db-upgrade m="..."
	$(BIN)/agora db revision -m "$(m)"
	$(BIN)/agora db upgrade

db-downgrade: install ## Revert the last migration
	$(BIN)/agora db downgrade

create-superuser: install ## Create a superuser interactively
	$(BIN)/agora create-superuser

clean: ## Remove the environment and local data
	rm -rf $(VENV) .tools data .pytest_cache .mypy_cache .ruff_cache
