# The two commands of the README: `make run` and `make test`. Both work on a fresh machine.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: install db run test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

install: $(BIN)/.installed node_modules/.package-lock.json

## db: create or upgrade the database and deploy processes/ and forms/
db: install
	$(BIN)/certflow init-db
	$(BIN)/certflow deploy processes forms --author make --note "make db"

## run: the app on http://127.0.0.1:5000 (SQLite in instance/ unless DATABASE_URL is set) and one background
## worker beside it (timers, queued messages, texts), stopped with the server; a new database gets the demo
## people (password demo) and cases; `certflow demo` does nothing once anyone has an account
run: db
	$(BIN)/certflow demo
	$(BIN)/certflow worker & trap 'kill $$! 2>/dev/null' EXIT INT TERM; $(BIN)/python server.py

## test: lint and the whole test suite, one test process per core (PostgreSQL tests run when
## CERTFLOW_TEST_POSTGRES_URL is set)
test: install
	$(BIN)/ruff check .
	$(BIN)/pytest -n auto

lint: install
	$(BIN)/ruff check .

## bench: every benchmark in bench/ and one table of figures against targets (BENCHMARKS.md); PostgreSQL
## too when CERTFLOW_BENCH_POSTGRES_URL names a server, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test
## (many clerks at once, gunicorn with several workers, runs only then); the whole county batch takes minutes
bench: $(BIN)/.installed
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) node_modules instance test-artifacts .pytest_cache .ruff_cache
