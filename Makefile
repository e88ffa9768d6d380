# Two commands set everything up from a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
REQUIREMENTS := requirements.txt requirements-dev.txt webapp/requirements.txt
STAMP := $(VENV)/.installed-$(shell cat $(REQUIREMENTS) | cksum | cut -d' ' -f1)

.PHONY: demo test lint typecheck unit bench serve dashboard clean install compiled payloads deploy-plan deploy destroy

install: $(STAMP)

$(STAMP): $(REQUIREMENTS)
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11 or newer is needed"'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

# GitHub's webhook payloads and their schemas for the tests (npm, pinned by the lockfile).
PAYLOADS := tests/support/octokit
PAYLOADS_STAMP := $(PAYLOADS)/node_modules/.installed-$(shell cat $(PAYLOADS)/package-lock.json | cksum | cut -d' ' -f1)

payloads: $(PAYLOADS_STAMP)

$(PAYLOADS_STAMP): $(PAYLOADS)/package.json $(PAYLOADS)/package-lock.json
	npm ci --prefix $(PAYLOADS) --no-audit --no-fund --silent
	rm -f $(PAYLOADS)/node_modules/.installed-*
	touch $@

# The tests of the compiled modules, run again as plain Python (what runs without the build).
COMPILED_MODULE_TESTS := tests/excerpt

## Compile the excerpt's hot modules with mypyc (skipped if current; plain Python runs without it).
compiled: install
	$(PY) scripts/build_compiled.py $(if $(CI),--required,)

## Run the bundled example logs through the Lambda's S3-event path, offline; results in out/.
demo: compiled
	$(PY) scripts/demo.py --out out

## Lint, type-check and run every test (offline).
test: lint typecheck unit

lint: install
	$(VENV)/bin/ruff check app.py chalicelib tests scripts bench infra webapp
	$(VENV)/bin/ruff format --check app.py chalicelib tests scripts bench infra webapp
	$(VENV)/bin/lint-imports

typecheck: install
	$(VENV)/bin/mypy chalicelib app.py tests bench scripts infra
	cd webapp && ../$(VENV)/bin/mypy --config-file ../pyproject.toml dashboard

unit: compiled payloads
	$(PY) -m pytest -q
	SELF_HEALING_PURE_PYTHON=1 $(PY) -m pytest -q $(COMPILED_MODULE_TESTS)

## Measure the excerpt and the analysis on ../shared/benchmarks (a benchmark, not a test).
bench: compiled
	$(PY) bench/excerpt_score.py
	$(PY) bench/analysis_score.py
	$(PY) bench/dashboard_bench.py
	$(PY) bench/load_bench.py
	$(PY) bench/flaky_bench.py

## Serve the API locally: curl -X POST localhost:8000/analyze ...
serve: install
	OUT_DIR=out $(VENV)/bin/chalice local --port 8000 --stage local --no-autoreload

## Serve the demo's records (out/) in the dashboard on http://127.0.0.1:8080/
PORT ?= 8080
dashboard: install
	cd webapp && RECORDS_DIR=../out PORT=$(PORT) ../$(PY) -m dashboard

## One stage's deployment (infra/deploy.py): parameters from infra/params-$(STAGE).json or SHC_* variables.
STAGE ?= dev
deploy-plan: install
	$(PY) infra/deploy.py plan --stage $(STAGE)

deploy: install
	$(PY) infra/deploy.py deploy --stage $(STAGE)

destroy: install
	$(PY) infra/deploy.py destroy --stage $(STAGE)

clean:
	rm -rf $(VENV) out .pytest_cache .mypy_cache .ruff_cache chalicelib/excerpt/_compiled
