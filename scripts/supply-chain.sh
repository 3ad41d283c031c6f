#!/usr/bin/env bash
# The supply-chain gates that CI runs on every pull request and push to main (the supply-chain job
# of .github/workflows/ci.yml). They need the network: the RustSec advisory database (on GitHub)
# and the npm registry's audit service.
#
#   1. every accepted finding has a reason and an expiry date that has not passed
#      (scripts/audit_exceptions.py check: deny.toml, .trivyignore.yaml, npm-audit-exceptions.toml);
#   2. `cargo deny check advisories`: no crate in Cargo.lock with a RustSec advisory (a
#      vulnerability, or an unmaintained or unsound crate) that deny.toml does not accept;
#   3. `npm audit --audit-level=high` in frontend/, minus what npm-audit-exceptions.toml accepts.
#
# cargo-deny comes into the tools cache of checks/tools.sh, at the version checks/rust.sh uses.
# docs/release.md says how to accept a finding.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=checks/tools.sh
source checks/tools.sh

say() { printf '\n=== %s\n' "$*"; }
failures=()

# The exception check reads .trivyignore.yaml: PyYAML, from the system or a venv of its own (the
# version of checks/gitops/requirements.txt).
python=python3
if ! python3 -c 'import yaml' 2>/dev/null; then
  venv=$TOOLS_DIR/supply-chain
  if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check pyyaml==6.0.3
  fi
  python=$venv/bin/python
fi

say "accepted findings: each with a reason and an expiry date that has not passed"
"$python" scripts/audit_exceptions.py check || failures+=("accepted findings")

say "cargo deny check advisories"
cargo_deny_version=$(sed -n 's/^CARGO_DENY_VERSION=\([0-9][0-9.]*\)$/\1/p' checks/rust.sh)
if [[ -z $cargo_deny_version ]]; then
  echo "cannot read CARGO_DENY_VERSION from checks/rust.sh" >&2
  exit 1
fi
cargo_tool cargo-deny "$cargo_deny_version"
cargo deny --locked check advisories || failures+=("cargo deny check advisories")

say "npm audit --audit-level=high (frontend/)"
if ! (cd frontend && npm audit --audit-level=high); then
  echo "npm audit failed; the advisories against npm-audit-exceptions.toml:"
  "$python" scripts/audit_exceptions.py npm-audit frontend || failures+=("npm audit")
fi

if ((${#failures[@]})); then
  printf '\nsupply-chain gates failed: %s\n' "${failures[*]}" >&2
  exit 1
fi
printf '\nsupply-chain gates passed\n'
