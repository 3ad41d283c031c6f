#!/usr/bin/env bash
# End-to-end test of the UI against the real server in Debian's headless Chromium: installs
# Chromium, vim and htop if missing (checks/browser-deps.sh), builds the UI, builds the server (which embeds frontend/dist),
# then runs frontend/e2e/*.e2e.mjs (npm run e2e) with node's test runner.
set -euo pipefail
root="$(git rev-parse --show-toplevel)"
cd "$root"

checks/browser-deps.sh

cd frontend
# npm ci only when node_modules is missing or older than the lockfile (npm writes
# node_modules/.package-lock.json on every install).
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "== npm ci"
  npm ci --no-audit --no-fund
fi

echo "== npm run build"
npm run build

echo "== cargo build (embeds frontend/dist)"
cd "$root"
cargo build --locked --bin web-terminal
bin="${CARGO_TARGET_DIR:-$root/target}/debug/web-terminal"

echo "== npm run e2e"
cd frontend
WEB_TERMINAL_BIN="$bin" npm run e2e
