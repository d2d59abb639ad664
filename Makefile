# The two commands: `make run` (the main job) and `make test` (the whole suite).
# Each sets up the environment itself: uv (installed with pip when missing), the locked
# dependencies in .venv compiled to bytecode once (every command and flow run then loads them
# without compiling, even where PYTHONDONTWRITEBYTECODE is set), and the database schema.

export UV_PYTHON_DOWNLOADS := never
export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1
export GX_ANALYTICS_ENABLED := false

PYTHON ?= python3.11
UV := $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test setup lint typecheck pytest bench clean cluster cluster-stop

setup: $(VENV)/.synced

$(VENV)/.synced: pyproject.toml uv.lock Makefile
	@command -v uv >/dev/null 2>&1 || [ -x "$(UV)" ] || $(PYTHON) -m pip install --user --quiet uv
	$(UV) sync --frozen --compile-bytecode --python $(PYTHON)
	@touch $@

run: setup
	$(BIN)/python -m deployments.run

test: setup lint typecheck pytest

# The module on the real engine: Prefect server on PostgreSQL, process pool, deployments, workers.
WORKERS ?= 3
LIMITER ?= redis
cluster: setup
	$(BIN)/python -m deployments.cluster start --workers $(WORKERS) --limiter $(LIMITER)

cluster-stop:
	$(BIN)/python -m deployments.cluster stop

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck:
	$(BIN)/mypy domain adapters services sandbox deployments tasks flows cli api

pytest:
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/settlement_parse.py
	$(BIN)/python bench/settlement_pipeline.py
	$(BIN)/python -m bench.activation

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
