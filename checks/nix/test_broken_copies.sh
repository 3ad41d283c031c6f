#!/usr/bin/env bash
# Each offline Nix check (checks/nix/lib.sh) passes on a copy of the repository and fails on a
# copy broken in the way it exists to catch. Run by checks/nix.sh, which installs Nix, deadnix and nixfmt-rs;
# run alone, it needs nix-instantiate, nix, deadnix, nixfmt and npm on PATH.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=checks/nix/lib.sh
source "$root/checks/nix/lib.sh"

work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
export NIX_CHECK_STORE=$work/store
nix_tracked_copy "$root" "$work/pristine"

# The pins the lock is compared with: shared/'s when it is there, else (a GitHub runner) the
# lock itself, which still exercises the comparison.
pins=${WEB_TERMINAL_SHARED_DIR:-$root/../shared}/nix/flake-pins.json
[[ -f $pins ]] || pins=$work/pristine/flake.lock

passed=0
failed=0

# A fresh copy of the repository in $work/<name>, printed.
copy() {
  rm -rf "${work:?}/$1"
  cp -a "$work/pristine" "$work/$1"
  echo "$work/$1"
}

# Replaces the first occurrence of $2 by $3 in file $1, insisting that $2 is there.
edit() {
  python3 - "$@" <<'PYTHON'
import sys

path, old, new = sys.argv[1:4]
with open(path) as file:
    text = file.read()
if old not in text:
    sys.exit(f"{path} does not contain {old!r}")
with open(path, "w") as file:
    file.write(text.replace(old, new, 1))
PYTHON
}

expect() {
  local outcome=$1 name=$2 log=$work/output.log
  shift 2
  if "$@" >"$log" 2>&1; then got=pass; else got=fail; fi
  if [[ $got == "$outcome" ]]; then
    passed=$((passed + 1))
    echo "PASS $name"
  else
    failed=$((failed + 1))
    echo "FAIL $name: expected the check to $outcome, it did $got"
    sed 's/^/    /' "$log"
  fi
}

tree=$(copy clean)
expect pass "parse: the repository parses" nix_parse "$tree"
expect pass "lock: the repository's lock agrees with flake.nix" nix_lock "$tree"
expect pass "pins: the repository's lock is the pins" nix_pins "$tree" "$pins"
expect pass "deadnix: the repository has no dead code" nix_deadnix "$tree"
expect pass "format: the repository is nixfmt-formatted" nix_format "$tree"

tree=$(copy syntax)
edit "$tree/nix/image.nix" "  uid = 1000;" "  uid = 1000"
expect fail "parse: a missing semicolon in nix/image.nix" nix_parse "$tree"

tree=$(copy syntax-module)
edit "$tree/nixos-module/default.nix" "  config = mkIf cfg.enable {" "  config = mkIf cfg.enable {{"
expect fail "parse: an unbalanced brace in the NixOS module" nix_parse "$tree"

tree=$(copy new-input)
edit "$tree/flake.nix" '    crane.url = "github:ipetkov/crane/v0.23.4";' \
  '    crane.url = "github:ipetkov/crane/v0.23.4";
    flake-utils.url = "github:numtide/flake-utils";'
expect fail "lock: an input in flake.nix that the lock lacks" nix_lock "$tree"

tree=$(copy repointed-input)
edit "$tree/flake.nix" "nixpkgs/nixos-26.05" "nixpkgs/nixos-unstable"
expect fail "lock: an input pointing elsewhere than its lock node" nix_lock "$tree"

tree=$(copy missing-node)
python3 - "$tree/flake.lock" <<'PYTHON'
import json
import sys

with open(sys.argv[1]) as file:
    lock = json.load(file)
del lock["nodes"]["crane"]
del lock["nodes"]["root"]["inputs"]["crane"]
with open(sys.argv[1], "w") as file:
    json.dump(lock, file, indent=2)
PYTHON
expect fail "lock: a lock without the crane node" nix_lock "$tree"
expect fail "pins: a lock without the crane node" nix_pins "$tree" "$pins"

tree=$(copy narhash)
edit "$tree/flake.lock" "sha256-DtoqIqM7VkR6NxAkcLpMwmi02USwWb3JdmNGLyhthc0=" \
  "sha256-AtoqIqM7VkR6NxAkcLpMwmi02USwWb3JdmNGLyhthc0="
expect fail "pins: a changed nixpkgs narHash" nix_pins "$tree" "$pins"

tree=$(copy rev)
edit "$tree/flake.lock" "10e6e3cb966f7cfcc789fe5eee7a85f3188ce08b" \
  "10e6e3cb966f7cfcc789fe5eee7a85f3188ce08c"
expect fail "pins: a changed crane revision" nix_pins "$tree" "$pins"

tree=$(copy unused-binding)
edit "$tree/nix/image.nix" "  uid = 1000;" "  uid = 1000;
  unusedUid = 1001;"
expect fail "deadnix: an unused let binding" nix_deadnix "$tree"

tree=$(copy unused-argument)
edit "$tree/nix/formatting-check.nix" "  gitMinimal," "  gitMinimal,
  jq,"
expect fail "deadnix: an unused function argument" nix_deadnix "$tree"

tree=$(copy misformatted)
edit "$tree/nix/image.nix" "  uid = 1000;" "  uid    = 1000;"
expect fail "format: extra spaces in nix/image.nix" nix_format "$tree"

tree=$(copy misformatted-module)
edit "$tree/nixos-module/default.nix" "  config = mkIf cfg.enable {" "  config = mkIf cfg.enable
  {"
expect fail "format: a brace moved to its own line in the NixOS module" nix_format "$tree"

# nix_npm_lock passing on the repository is checks/nix.sh's own run; it is not repeated here.
tree=$(copy npm-integrity)
python3 - "$tree/frontend/package-lock.json" <<'PYTHON'
import json
import sys

with open(sys.argv[1]) as file:
    lock = json.load(file)
entry = lock["packages"]["node_modules/@xterm/xterm"]
entry["integrity"] = "sha512-" + "A" * 86 + "=="
with open(sys.argv[1], "w") as file:
    json.dump(lock, file, indent=2)
PYTHON
expect fail "npm lock: a package whose integrity hash is not its tarball's" nix_npm_lock "$tree"

tree=$(copy npm-resolved)
python3 - "$tree/frontend/package-lock.json" <<'PYTHON'
import json
import sys

with open(sys.argv[1]) as file:
    lock = json.load(file)
lock["packages"]["node_modules/@xterm/xterm"]["resolved"] = "https://example.invalid/xterm.tgz"
with open(sys.argv[1], "w") as file:
    json.dump(lock, file, indent=2)
PYTHON
expect fail "npm lock: an entry with a download address" nix_npm_lock "$tree"

echo
echo "$passed passed, $failed failed"
((failed == 0))
