# newsmon — run `make help` for the targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3.11
VENV := .venv
DAYS ?= 180
STAMP := $(VENV)/.installed
LINT_PATHS := src tests dags scripts bench plugins eval devsite soak

.PHONY: help venv install demo demo-distributed bench-distributed test test-slow test-unit test-cluster run stop es-start es-stop es-status bench soak eval lint docs lock clean

help: ## Show this help
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -c constraints.txt -e '.[airflow,dev]'
	@touch $(STAMP)

venv: $(STAMP) ## Create .venv and install the locked dependencies

install: venv ## Same as venv, plus the local Elasticsearch artifacts
	scripts/elasticsearch install

demo: venv ## Full pass over the offline sample site through the real DAG; leaves Elasticsearch running
	scripts/demo

demo-distributed: venv ## The demo pass on CeleryExecutor (2 workers, Redis, PostgreSQL) and a 3-node Elasticsearch; stops all
	scripts/demo-distributed

test: venv ## Whole test suite on a real Elasticsearch and Airflow; stops what it started
	scripts/test

test-slow: venv ## The slow tests: make run stopped by one Ctrl-C, Elasticsearch stopped mid-pass (minutes)
	scripts/test -m slow

test-unit: venv ## Tests that need no Elasticsearch or Airflow
	$(VENV)/bin/pytest -m "not integration and not e2e" -q

test-cluster: venv ## Cluster faults: ES node loss (also mid-pass), Celery worker killed mid-batch (minutes)
	$(VENV)/bin/pytest -m cluster -q

run: venv ## The scheduled system here: local Elasticsearch + airflow standalone, DAGs unpaused
	scripts/run

es-start: ## Start the local Elasticsearch (idempotent)
	scripts/elasticsearch start

es-stop: ## Stop the local Elasticsearch started by es-start/demo
	scripts/elasticsearch stop

es-status: ## Is the local Elasticsearch running?
	scripts/elasticsearch status

stop: es-stop ## Stop what demo left running

bench: venv ## Throughput benchmarks on loopback (prints measured ratios)
	scripts/bench

bench-distributed: venv ## One pass on 1, 2 and 4 Celery workers against 300 ms loopback sites: wall times, ratio
	scripts/bench-distributed

soak: venv ## A whole deployment through DAYS simulated days on loopback (default 180): table and verdict
	scripts/soak --days $(DAYS)

eval: venv ## Quality on ../shared/eval; fails when a floor in eval/floors/*.json is crossed
	$(VENV)/bin/python scripts/evaluate.py

lint: venv ## ruff check, ruff format --check, and mypy --strict on src/newsmon
	$(VENV)/bin/ruff check $(LINT_PATHS)
	$(VENV)/bin/ruff format --check $(LINT_PATHS)
	$(VENV)/bin/mypy


docs: venv ## Build the documentation site (MkDocs, strict) into .local/site
	$(VENV)/bin/mkdocs build --strict

lock: ## Re-make constraints.txt from a fresh resolve (needs the registry)
	scripts/lock

clean: ## Remove the venv and local state (.local: Elasticsearch data, Airflow home)
	-scripts/elasticsearch stop
	rm -rf $(VENV) .local
