# Two commands for a fresh machine (see README.md):
#   make run    build the UI and the server, then serve on 127.0.0.1:8080
#   make test   install what the tests need, then run every test and check
# Each target below is also reachable on its own; `nix flake check` runs the same scripts.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
CARGO ?= cargo

.PHONY: run ui ui-deps build test test-rust test-ui test-e2e checks bench clean

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

clean:
	$(CARGO) clean
	rm -rf frontend/node_modules frontend/dist
