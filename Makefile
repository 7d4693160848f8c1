# Wijkwacht: `make run` and `make test` set up everything a fresh machine lacks, then run.
# Python packages are pinned in constraints.txt; the Kafka broker's jars in deploy/kafka/pom.xml.

PYTHON      ?= python3
VENV        := .venv
BIN         := $(VENV)/bin
DEPS_STAMP  := $(VENV)/.deps-installed
KAFKA_JARS  := .cache/kafka/jars
KAFKA_STAMP := $(KAFKA_JARS)/.fetched
PG_BINDIR   := $(firstword $(wildcard /usr/lib/postgresql/*/bin))
SUDO        := $(if $(filter 0,$(shell id -u)),,sudo)
APT_UPDATED := .cache/.apt-updated
IDP_STAMP   := tests/idp/node_modules/.installed
A11Y_STAMP  := tests/a11y/node_modules/.installed
PEER_VENV   := .cache/bench/peer-venv
PYTEST_ARGS ?=

.PHONY: run test lint format deps kafka java postgres chromium idp a11y bench-peer clean help

help:
	@echo "make run    run broker, worker and API on the embedded defaults"
	@echo "make test   lint, type-check and run the whole test suite"
	@echo "make lint   ruff (lint + format check) and mypy --strict"

run: deps kafka
	WIJKWACHT_ENV=development $(BIN)/wijkwacht run

test: deps kafka postgres chromium idp a11y lint
	$(BIN)/pytest $(PYTEST_ARGS)

lint: deps
	$(BIN)/ruff check events service storage tests bench
	$(BIN)/ruff format --check events service storage tests bench
	$(BIN)/mypy

format: deps
	$(BIN)/ruff check --fix events service storage tests bench
	$(BIN)/ruff format events service storage tests bench

deps: $(DEPS_STAMP)

$(DEPS_STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip setuptools wheel
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

# The broker: Java and Maven from Debian where missing, the jars from Maven Central.
kafka: $(KAFKA_STAMP)

$(KAFKA_STAMP): deploy/kafka/pom.xml
	@$(MAKE) --no-print-directory java
	rm -rf $(KAFKA_JARS)
	mvn -B -q -f deploy/kafka/pom.xml dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory=$(CURDIR)/$(KAFKA_JARS)
	touch $@

java:
	@command -v java >/dev/null && command -v mvn >/dev/null || \
		{ $(MAKE) --no-print-directory $(APT_UPDATED) && \
		  $(SUDO) apt-get install -y --no-install-recommends openjdk-17-jre-headless maven; }

# PostgreSQL server binaries (initdb, pg_ctl) for the tests' private cluster.
postgres:
	@test -n "$(PG_BINDIR)" -a -x "$(PG_BINDIR)/initdb" || \
		{ $(MAKE) --no-print-directory $(APT_UPDATED) && \
		  $(SUDO) apt-get install -y --no-install-recommends postgresql; }

# Debian's Chromium for the dashboard's browser tests (Playwright drives it; it never
# downloads a browser of its own).
chromium:
	@test -x /usr/bin/chromium || \
		{ $(MAKE) --no-print-directory $(APT_UPDATED) && \
		  $(SUDO) apt-get install -y --no-install-recommends chromium; }

# The tests' OpenID Connect provider (oidc-provider, from the npm registry, pinned by its lock).
idp: $(IDP_STAMP)

# Each npm package of the tests (tests/<name>/), installed as its lock pins it.
tests/%/node_modules/.installed: tests/%/package.json tests/%/package-lock.json
	@command -v node >/dev/null && command -v npm >/dev/null || \
		{ $(MAKE) --no-print-directory $(APT_UPDATED) && \
		  $(SUDO) apt-get install -y --no-install-recommends nodejs npm; }
	npm ci --prefix tests/$* --no-audit --no-fund --loglevel=error
	touch $@

# The peer of bench/peer.py (Quix Streams) in a virtual environment of its own.
bench-peer: $(PEER_VENV)/.installed

$(PEER_VENV)/.installed: bench/peer-requirements.txt
	test -x $(PEER_VENV)/bin/python || $(PYTHON) -m venv $(PEER_VENV)
	$(PEER_VENV)/bin/python -m pip install --quiet -r bench/peer-requirements.txt
	touch $@

# axe-core for the dashboard's accessibility checks (from the npm registry, pinned by its lock).
a11y: $(A11Y_STAMP)

$(APT_UPDATED):
	mkdir -p $(dir $@)
	$(SUDO) apt-get update
	touch $@

clean:
	rm -rf $(VENV) .cache var .pytest_cache .mypy_cache .ruff_cache tests/idp/node_modules tests/a11y/node_modules
