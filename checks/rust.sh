#!/usr/bin/env bash
# Rust checks: formatting, clippy with warnings denied, and every unit and integration test
# (cargo-nextest when installed, else cargo test). `nix flake check` runs the same commands
# through crane's cargoFmt, cargoClippy and cargoNextest.
set -euo pipefail
cd "$(git rev-parse --show-toplevel)"

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets --locked -- -D warnings

echo "== cargo clippy (no default features; and the tls feature)"
cargo clippy --lib --no-default-features --locked -- -D warnings
cargo clippy --all-targets --features tls --locked -- -D warnings

if cargo nextest --version >/dev/null 2>&1; then
  echo "== cargo nextest run"
  cargo nextest run --locked --no-fail-fast
  # nextest does not run doctests.
  cargo test --doc --locked
else
  echo "== cargo test"
  cargo test --locked --no-fail-fast
fi

echo "== cargo test --features tls --test tls"
cargo test --locked --features tls --test tls
