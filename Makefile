# Posture: the developer entry points. `make demo` and `make test` are the two that matter.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
TOOLS := $(CURDIR)/.tools
BUF_VERSION := 1.75.0
BUF := $(TOOLS)/node_modules/.bin/buf
PY_SDK := $(TOOLS)/py-sdk
PY_SDK_PYTHON := $(PY_SDK)/bin/python
# The demo uses the dev profile: a first build is about four minutes, against nine for release,
# and the demo tenant is small enough that unoptimised code finishes it in seconds.
DEMO_PROFILE ?= dev

.PHONY: demo test lint fmt bench build tools py-sdk buf clean-tools up down k8s-check

build:
	$(CARGO) build --workspace

demo:
	$(CARGO) build --profile $(DEMO_PROFILE) -p posture
	./target/debug/posture demo

## Tests: unit, integration (real PostgreSQL and NATS) and end-to-end suites, plus the official
## Microsoft Graph Python SDK run against the simulator.
test: py-sdk
	$(CARGO) build -p posture    # the end-to-end suites run the real binary as separate processes
	POSTURE_PY_SDK_PYTHON=$(PY_SDK_PYTHON) $(CARGO) nextest run --workspace --lib --bins --tests --no-fail-fast

lint: buf
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(BUF) lint

fmt:
	$(CARGO) fmt --all

## Benchmarks print a table each and write JSON under target/bench-results/. The distributed one
## (crates/posture/benches/distributed) runs deploy/scripts/up.sh's stack on its own ports, database
## and bus prefix against the local PostgreSQL and NATS; cargo builds the posture binary it starts
## in the bench profile. One failing benchmark does not hide the others' results.
bench:
	$(CARGO) bench --workspace --no-fail-fast
	@echo; echo "results: target/bench-results/*.json"

## The distributed stack as local processes (PostgreSQL, NATS, one process per role, the simulator
## with a connected tenant); see deploy/README.md.
up:
	deploy/scripts/up.sh

down:
	deploy/scripts/down.sh

## Render every Kubernetes overlay, validate it against the Kubernetes schemas, scan it with checkov.
k8s-check:
	deploy/scripts/k8s-check.sh

tools: buf py-sdk

buf: $(BUF)
$(BUF):
	mkdir -p $(TOOLS)
	npm install --silent --no-audit --no-fund --prefix $(TOOLS) @bufbuild/buf@$(BUF_VERSION)

py-sdk: $(PY_SDK)/.installed
$(PY_SDK)/.installed:
	python3 -m venv $(PY_SDK)
	$(PY_SDK_PYTHON) -m pip install --quiet --disable-pip-version-check msgraph-sdk==1.65.0 azure-identity==1.27.0
	touch $@

clean-tools:
	rm -rf $(TOOLS)
