# Two commands for a new user:  `make run`  and  `make test`  (see README.md).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEMO_SUBJECTS ?= 300

.PHONY: help venv lock system-deps run test unit lint fmt neo4j-start neo4j-stop bench bench-quick clean

help:
	@echo "make run    start Neo4j, migrate, load demo data, serve on http://127.0.0.1:8000"
	@echo "make test   lint, type-check and run the whole test suite on a real Neo4j"
	@echo "make unit   the fast tests only (no database)"
	@echo "make bench  the benchmark suite (see bench/README.md)"
	@echo "make lock   re-resolve requirements/*.lock (a deliberate upgrade)"

PIP := $(BIN)/pip install -q --disable-pip-version-check

# Installs come from the lock files (exact versions, hashes); `make lock` re-resolves them.
$(BIN)/.installed: pyproject.toml requirements/dev.lock
	$(PYTHON) -m venv $(VENV)
	$(PIP) --require-hashes -r requirements/dev.lock
	$(PIP) --no-deps -e .
	touch $@

venv: $(BIN)/.installed

run: venv
	$(BIN)/hub neo4j start
	$(BIN)/hub migrate
	$(BIN)/hub demo load --subjects $(DEMO_SUBJECTS)
	@echo
	@echo "Try:  curl -s http://127.0.0.1:8000/readyz"
	@echo "      curl -s http://127.0.0.1:8000/graphql -H 'content-type: application/json' -d '{\"query\":\"{ version }\"}'"
	@echo "      open http://127.0.0.1:8000/graphql in a browser (GraphiQL, development mode)"
	@echo
	$(BIN)/hub serve

lint: venv
	$(BIN)/ruff check hub connectors tests bench
	$(BIN)/mypy

# Debian packages the tests need (Redis; Neo4j comes from Maven Central on first start).
system-deps:
	@command -v redis-server >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing redis-server (Debian package)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; \
	  else echo "redis-server is needed by the tests: apt-get install redis-server" >&2; exit 1; fi; }

test: lint system-deps
	$(BIN)/python -m pytest

unit: venv
	$(BIN)/python -m pytest tests/unit -q

neo4j-start: venv
	$(BIN)/hub neo4j start

neo4j-stop: venv
	$(BIN)/hub neo4j stop

$(BIN)/.bench-installed: $(BIN)/.installed requirements/bench.lock
	$(PIP) --require-hashes -r requirements/bench.lock
	touch $@

# A deliberate upgrade: re-resolve every lock within pyproject.toml's bounds, then run
# `make test` before committing the new locks.
lock: venv
	$(PIP) 'uv==0.13.9'  # the resolver itself, pinned too
	$(BIN)/uv pip compile -q --upgrade --generate-hashes --python-version 3.11 pyproject.toml -o requirements/runtime.lock
	$(BIN)/uv pip compile -q --upgrade --generate-hashes --python-version 3.11 --extra dev pyproject.toml -o requirements/dev.lock
	$(BIN)/uv pip compile -q --upgrade --generate-hashes --python-version 3.11 --extra dev --extra bench pyproject.toml -o requirements/bench.lock

bench: $(BIN)/.bench-installed
	$(BIN)/python -m bench $(ARGS)

bench-quick: $(BIN)/.bench-installed
	$(BIN)/python -m bench --quick $(ARGS)

clean:
	-$(BIN)/hub neo4j stop
	rm -rf .hub .pytest_cache .mypy_cache .ruff_cache
