# The two commands of the README: `make run` and `make test`. Both work on a fresh machine.
VENV ?= .venv
BIN := $(VENV)/bin
PYTHON ?= python3

.PHONY: install lock vendor db run test lint bench clean

# The locked dependency tree first, then the project itself over it, built by the locked setuptools.
$(BIN)/.installed: pyproject.toml requirements-dev.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

install: $(BIN)/.installed node_modules/.package-lock.json

## lock: pin the whole dependency tree again after a change to pyproject.toml's dependencies, keeping every other
## version; `make lock UPGRADE=--upgrade` moves what pyproject.toml leaves open to its newest release. The runtime
## lock (requirements.lock, for production, with the optional S3 storage) constrains the development one, so both
## install the same versions.
LOCK := $(BIN)/uv pip compile --quiet --universal --python-version 3.11 --generate-hashes pyproject.toml
lock: $(BIN)/.installed
	$(LOCK) $(UPGRADE) --extra s3 -o requirements.lock
	$(LOCK) $(UPGRADE) --extra dev -c requirements.lock -o requirements-dev.lock

## vendor: copy the bpmn-js and ECharts files the pages load from node_modules into the package
## (certflow/web/vendor), after changing either's version in package.json; tests/test_wheel.py fails while the copy
## differs from node_modules
BPMN_JS_FILES := bpmn-navigated-viewer.production.min.js bpmn-modeler.production.min.js \
	assets/diagram-js.css assets/bpmn-js.css assets/bpmn-font/css/bpmn-embedded.css
ECHARTS_FILES := echarts.min.js
vendor: node_modules/.package-lock.json
	rm -rf certflow/web/vendor/bpmn-js certflow/web/vendor/echarts
	mkdir -p certflow/web/vendor/bpmn-js certflow/web/vendor/echarts
	cp node_modules/bpmn-js/LICENSE certflow/web/vendor/bpmn-js/
	cd node_modules/bpmn-js/dist && cp --parents $(BPMN_JS_FILES) $(CURDIR)/certflow/web/vendor/bpmn-js/
	cd node_modules/echarts && cp --parents LICENSE NOTICE licenses/LICENSE-d3 $(CURDIR)/certflow/web/vendor/echarts/
	cd node_modules/echarts/dist && cp --parents $(ECHARTS_FILES) $(CURDIR)/certflow/web/vendor/echarts/

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

## test: lint, type check (mypy, settings in pyproject.toml) and the whole test suite, one test process per core
## (PostgreSQL tests run when CERTFLOW_TEST_POSTGRES_URL is set)
test: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -n auto

lint: install
	$(BIN)/ruff check .

## bench: every benchmark in bench/ and one table of figures against targets (BENCHMARKS.md); PostgreSQL
## too when CERTFLOW_BENCH_POSTGRES_URL names a server, e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test
## (many clerks at once, gunicorn with several workers, and the province, 1 to 20 counties of 2,000 holders, run only
## then); the whole county batch takes minutes, the province hours on a small machine (bench/province.py --holders)
bench: $(BIN)/.installed
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) node_modules instance test-artifacts .pytest_cache .ruff_cache
