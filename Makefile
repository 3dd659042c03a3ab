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

.PHONY: test run demo bench bench-dispatch lint types infra openapi fmt sam-build clean

$(VENV)/.installed: requirements-dev.txt layers/shared/python/requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

$(SAM_VENV)/.installed: requirements-sam.txt
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r requirements-sam.txt
	touch $@

venv: $(VENV)/.installed

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

types: $(VENV)/.installed
	$(VENV)/bin/mypy layers/shared/python/gatehouse local
	@for fn in functions/*/; do echo "mypy $$fn"; MYPYPATH=layers/shared/python:$$fn $(VENV)/bin/mypy $$fn || exit 1; done

infra: $(VENV)/.installed $(SAM_VENV)/.installed
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint --template-file template.yaml --region us-east-1

sam-build: $(SAM_VENV)/.installed
	PATH="$(PY312_BIN):$$PATH" $(SAM) build --template-file template.yaml --build-dir .aws-sam/build --cached --parallel

openapi: $(VENV)/.installed
	$(PY) -m local.openapi_doc write

test: lint types infra sam-build
	$(PY) -m local.openapi_doc check
	$(PY) -m pytest -n 2 --dist loadfile -q tests

run: $(VENV)/.installed
	$(PY) -m local

# The demo campaign end to end on the local runtime: import, approve, start, the run, the report.
demo: $(VENV)/.installed
	$(PY) -m local.demo

bench: $(VENV)/.installed
	@for b in bench/bench_*.py; do $(PY) $$b || exit 1; done

# A 10,000-contact campaign run on the local runtime (also part of `make bench`).
bench-dispatch: $(VENV)/.installed
	$(PY) bench/bench_dispatch.py

fmt: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
