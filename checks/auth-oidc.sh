#!/usr/bin/env bash
# End-to-end test of authentication against a real OpenID provider: installs oidc-provider from
# npm (tests/oidc/package-lock.json), builds the server, and runs tests/oidc/oidc.e2e.mjs, which
# starts the provider on loopback, starts the server trusting the provider's JWKS and issuer,
# and opens real terminal sessions with the provider's tokens (and checks bad ones get 4401).
# Then it proves the suite can fail: with the server given a wrong issuer, the run must fail.
# The last line of output is `N passed, N failed`.
set -euo pipefail
root="$(git rev-parse --show-toplevel)"
cd "$root/tests/oidc"

# npm ci only when node_modules is missing or older than the lockfile (npm writes
# node_modules/.package-lock.json on every install).
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "== npm ci (tests/oidc)"
  npm ci --no-audit --no-fund
fi

echo "== cargo build"
(cd "$root" && cargo build --locked --bin web-terminal)
export WEB_TERMINAL_BIN="${CARGO_TARGET_DIR:-$root/target}/debug/web-terminal"

tap="$(mktemp)"
trap 'rm -f "$tap"' EXIT

echo "== oidc-provider end-to-end"
status=0
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" oidc.e2e.mjs || status=$?
passed="$(sed -n 's/^# pass //p' "$tap")"
failed="$(sed -n 's/^# fail //p' "$tap")"
passed="${passed:-0}"
failed="${failed:-0}"
if [[ "$status" -ne 0 && "$failed" -eq 0 ]]; then
  # The runner itself failed (for example the server did not start).
  failed=1
fi

echo "== self-check: with a wrong issuer configured, the suite must fail"
if OIDC_E2E_SABOTAGE=1 node --test --test-reporter=dot oidc.e2e.mjs >/dev/null 2>&1; then
  echo "self-check FAILED: the suite passed against a server that trusts the wrong issuer"
  failed=$((failed + 1))
else
  echo "self-check ok: the sabotaged run failed"
  passed=$((passed + 1))
fi

echo "${passed} passed, ${failed} failed"
[[ "$failed" -eq 0 ]]
