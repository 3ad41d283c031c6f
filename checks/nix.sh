#!/usr/bin/env bash
# Offline Nix checks (issue 5), for `make test` on a machine without Nix: every .nix file parses,
# flake.lock agrees with flake.nix, the lock is exactly the verified pins in
# ../shared/nix/flake-pins.json, and deadnix finds no dead code. Then the test suite shows each
# check failing on a deliberately broken copy (checks/nix/test_broken_copies.sh).
#
# Nothing here builds: nixpkgs cannot be fetched on these machines and Debian's Nix is 2.8.
# `nix flake check` in .github/workflows/ci.yml builds and runs everything (checks/nix/lib.sh
# says what each side can prove).
#
# On a fresh Debian or Ubuntu machine it installs, idempotently: Nix (apt package nix-bin) when
# nix-instantiate is missing, and deadnix and nixfmt-rs (the Rust registry) into the tools cache
# of checks/tools.sh.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=checks/nix/lib.sh
source checks/nix/lib.sh
# shellcheck source=checks/tools.sh
source checks/tools.sh

# Looked up with `cargo info deadnix` and `cargo info nixfmt_rs`; bump deliberately.
DEADNIX_VERSION=1.3.1
NIXFMT_RS_VERSION=0.5.3
pins=${WEB_TERMINAL_SHARED_DIR:-$root/../shared}/nix/flake-pins.json

say() { printf '\n=== %s\n' "$*"; }

as_root() {
  if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi
}

say "tools"
if ! command -v nix-instantiate >/dev/null; then
  echo "installing Nix from the distribution (apt package nix-bin)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nix-bin >/dev/null
fi
nix --version
cargo_tool deadnix "$DEADNIX_VERSION"
deadnix --version
cargo_tool nixfmt_rs "$NIXFMT_RS_VERSION" nixfmt
nixfmt --version

work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
export NIX_CHECK_STORE=$work/store
nix_tracked_copy "$root" "$work/tree"

failures=()
check() {
  local title=$1
  shift
  say "$title"
  if "$@"; then
    echo "   ok"
  else
    failures+=("$title")
  fi
}

check "every .nix file parses (nix-instantiate --parse)" nix_parse "$work/tree"
check "flake.lock agrees with flake.nix (nix flake metadata --offline)" nix_lock "$work/tree"
if [[ -f $pins ]]; then
  check "flake.lock is exactly $pins" nix_pins "$work/tree" "$pins"
else
  # A GitHub runner has no shared/ beside the checkout; there `nix flake check` fetches every
  # input and verifies its narHash instead.
  say "flake.lock against the pins: SKIPPED, no $pins"
fi
check "no dead code (deadnix --fail)" nix_deadnix "$work/tree"
check "formatted as nixfmt formats it (nixfmt-rs --check)" nix_format "$work/tree"
check "the UI's lockfile installs as packages.frontend installs it" nix_npm_lock "$work/tree"

say "tests: every check fails on a broken copy"
if ! checks/nix/test_broken_copies.sh; then
  failures+=("broken-copy tests")
fi

if ((${#failures[@]})); then
  printf '\n%d Nix check(s) failed: %s\n' "${#failures[@]}" "$(IFS=';'; echo "${failures[*]}")"
  exit 1
fi
printf '\nAll Nix checks passed.\n'
