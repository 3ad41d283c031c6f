# Two commands for a fresh machine (see README.md):
#   make run    build the UI and the server, then serve on 127.0.0.1:8080
#   make test   install what the tests need, then run every test and check
# Each target below is also reachable on its own; `nix flake check` runs the same scripts.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo

.PHONY: run ui ui-deps build test test-rust test-ui test-e2e checks bench fuzz soak clean

run: ui
	$(CARGO) run --release -- start

ui-deps:
	cd frontend && npm ci --no-audit --no-fund

ui: ui-deps
	cd frontend && npm run build

build: ui
	$(CARGO) build --release

test: test-ui test-rust test-e2e checks

test-ui: ui-deps
	cd frontend && npm run typecheck && npm run lint && npm test && npm run build

test-rust:
	checks/rust.sh

test-e2e:
	checks/e2e.sh

checks:
	checks/gitops.sh
	checks/plain-clone.sh
	checks/nix.sh
	checks/auth-oidc.sh

bench: ui
	checks/browser-deps.sh
	$(CARGO) build --profile bench-fast --bins --examples
	target/bench-fast/examples/bench target/bench-fast/web-terminal

# The in-crate fuzzer's long run (src/fuzz.rs): FUZZ_EXECS executions (10 million by default)
# over every target in an optimised build; FUZZ_SEED repeats a run. See docs/testing.md.
fuzz:
	$(CARGO) test --profile bench-fast --lib --locked fuzz::long -- --ignored --nocapture

# The soak run (examples/soak/): 1,000 sessions typing for 10 minutes beside churn and a flood,
# against the real server; writes docs/soak.md. SOAK_ARGS="--sessions 100 --seconds 60" for a
# short run. See docs/testing.md.
soak:
	$(CARGO) build --profile bench-fast --locked --bin web-terminal --example soak
	target/bench-fast/examples/soak target/bench-fast/web-terminal $(SOAK_ARGS)

clean:
	$(CARGO) clean
	rm -rf frontend/node_modules frontend/dist
