#!/usr/bin/env bash
# End-to-end test of the UI against the real server in Debian's headless Chromium: installs
# Chromium if missing, builds the UI, builds the server (which embeds frontend/dist), then runs
# frontend/e2e/*.e2e.mjs (npm run e2e) with node's test runner.
set -euo pipefail
root="$(git rev-parse --show-toplevel)"
cd "$root"

# Debian's Chromium at /usr/bin/chromium, installed when missing. A machine whose distribution
# ships no usable package (Ubuntu's is a snap wrapper) names another Chromium build in CHROMIUM.
if [[ -n ${CHROMIUM:-} ]]; then
  [[ -x $CHROMIUM ]] || { echo "CHROMIUM=$CHROMIUM is not an executable" >&2; exit 1; }
elif [[ ! -x /usr/bin/chromium ]]; then
  echo "== installing chromium (Debian package)"
  sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core
fi

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
