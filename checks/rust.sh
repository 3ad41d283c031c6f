#!/usr/bin/env bash
# Rust checks: formatting, clippy with warnings denied, the dependency policy of deny.toml
# (licenses, bans, sources), and every unit and integration test (cargo-nextest when installed,
# else cargo test) under cargo llvm-cov, with a line coverage threshold. `nix flake check` runs the
# same commands through crane's cargoFmt, cargoClippy, cargoDeny and cargoNextest (without
# coverage). cargo-deny and cargo-llvm-cov are installed into the tools cache of checks/tools.sh
# when missing, and rustup's llvm-tools component too.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"
# shellcheck source=checks/tools.sh
source checks/tools.sh

# Looked up with `cargo info cargo-deny`; bump deliberately.
CARGO_DENY_VERSION=0.20.2

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings

echo "== cargo clippy (no default features; and the tls feature)"
cargo clippy --lib --no-default-features --locked -- -D warnings
cargo clippy --all-targets --features tls --locked -- -D warnings

echo "== cargo deny check bans licenses sources"
cargo_tool cargo-deny "$CARGO_DENY_VERSION"
# Advisories are left out, as in the flake: they need the advisory database from the network.
# Duplicate versions are only warnings (deny.toml); -L error keeps them out of the log.
cargo deny --locked -L error check bans licenses sources
# The policy bites: without MIT, the most common license in the tree, the check must fail.
strict=$(mktemp)
trap 'rm -f "$strict"' EXIT
sed '/^  "MIT",$/d' deny.toml >"$strict"
if cmp -s deny.toml "$strict" ||
  cargo deny --locked -L error --config "$strict" check licenses >/dev/null 2>&1; then
  echo "cargo deny accepted a policy that does not allow MIT: the license check is not checking" >&2
  exit 1
fi
echo "a policy without MIT is refused, as it must be"

# tests/snapshot.rs compares the server's terminal model with xterm.js (@xterm/headless) under
# Node; npm ci only when node_modules is missing or older than the lockfile.
xterm=tests/xterm
if [[ ! -f $xterm/node_modules/.package-lock.json || $xterm/package-lock.json -nt $xterm/node_modules/.package-lock.json ]]; then
  echo "== npm ci ($xterm)"
  (cd "$xterm" && npm ci --no-audit --no-fund)
fi

# Every unit and integration test runs once, instrumented: the line coverage of src/ (the server
# processes the integration tests start included: they inherit LLVM_PROFILE_FILE) must reach
# RUST_LINE_COVERAGE_MIN percent. The tls feature's test is added to the same report.
RUST_LINE_COVERAGE_MIN=80
# Looked up with `cargo info cargo-llvm-cov`; bump deliberately.
CARGO_LLVM_COV_VERSION=0.9.1
if ! rustup component list --installed 2>/dev/null | grep -q '^llvm-tools'; then
  echo "== rustup component add llvm-tools-preview (for cargo llvm-cov)"
  rustup component add llvm-tools-preview
fi
cargo_tool cargo-llvm-cov "$CARGO_LLVM_COV_VERSION"
cargo llvm-cov clean --workspace
if cargo nextest --version >/dev/null 2>&1; then
  echo "== cargo llvm-cov nextest"
  cargo llvm-cov nextest --locked --no-report --no-fail-fast
  echo "== cargo llvm-cov nextest --features tls --test tls"
  cargo llvm-cov nextest --locked --no-report --features tls --test tls
  # nextest does not run doctests.
  cargo test --doc --locked
else
  echo "== cargo llvm-cov (cargo test)"
  cargo llvm-cov --locked --no-report --no-fail-fast
  cargo llvm-cov --locked --no-report --features tls --test tls
fi

echo "== line coverage of src/ (at least $RUST_LINE_COVERAGE_MIN %)"
cargo llvm-cov report --summary-only --fail-under-lines "$RUST_LINE_COVERAGE_MIN"
