# shellcheck shell=bash
# The offline Nix checks, as functions over a copy of the repository (sourced by checks/nix.sh and
# by checks/nix/test_broken_copies.sh). Each prints what is wrong and returns non-zero on failure.
#
# What they prove, with Debian's Nix 2.8 and no network:
#   nix_parse      every .nix file is syntactically valid Nix (not that it evaluates);
#   nix_lock       flake.lock has a node for every input flake.nix declares, with the same
#                  original reference (an added, renamed or re-pointed input fails);
#   nix_pins       the lock is exactly ../shared/nix/flake-pins.json: revisions, narHashes and
#                  dates, which Nix 2.8 cannot verify offline because it does not fetch inputs;
#   nix_deadnix    no unused let bindings, function arguments or patterns;
#   nix_format     every .nix file is formatted as nixfmt formats it (nixfmt-rs, a Rust
#                  reimplementation checked byte for byte against nixfmt 1.2.0 on all of nixpkgs;
#                  `checks.formatting` runs nixpkgs' own nixfmt-tree);
#   nix_npm_lock   (needs npm and its registry) packages.frontend's dependency path works: every
#                  UI package npm-packs to a tarball matching the lockfile's integrity hash, and an
#                  offline install from those tarballs alone builds the UI.
# What only `nix flake check` on GitHub proves: that the lock's narHashes match the fetched
# sources, that every nixpkgs function and attribute used exists in nixos-26.05, that the outputs
# evaluate and build, and that the checks pass.

# Every Nix command uses a throwaway store: NIX_CHECK_STORE, a scratch directory (Nix makes it; a
# chroot store, so no daemon and no root are needed, and /nix/store stays untouched).
nix_store() {
  echo "${NIX_CHECK_STORE:?set NIX_CHECK_STORE to a scratch directory}"
}

# Copies the files git knows (tracked, or new and not ignored) from the repository at $1 into $2,
# so that target/, node_modules/ and .tools/ never reach the checks or the Nix store.
nix_tracked_copy() {
  local repo=$1 dest=$2
  mkdir -p "$dest"
  dest=$(cd "$dest" && pwd)
  (
    cd "$repo" || exit
    git ls-files -z --cached --others --exclude-standard |
      while IFS= read -r -d '' file; do
        # Deleted in the work tree but still in the index: nothing to copy.
        [[ -e $file || -L $file ]] && printf '%s\0' "$file"
      done |
      xargs -0 -r cp --parents --no-dereference -t "$dest"
  )
}

# Every .nix file under $1 parses.
nix_parse() {
  local tree=$1 file failed=0 count=0
  while IFS= read -r -d '' file; do
    count=$((count + 1))
    if ! nix-instantiate --store "$(nix_store)" --parse "$file" >/dev/null; then
      echo "does not parse: ${file#"$tree"/}"
      failed=1
    fi
  done < <(find "$tree" -name '*.nix' -not -path '*/.git/*' -print0)
  if ((count == 0)); then
    echo "no .nix files under $tree"
    return 1
  fi
  return "$failed"
}

# flake.lock agrees with flake.nix: `nix flake metadata` reads the lock without fetching and,
# with --no-update-lock-file, fails when the lock would have to change (offline it fails earlier,
# trying to fetch the missing input). Only flake.nix and flake.lock are copied into the store for
# it: metadata does not evaluate the outputs.
nix_lock() {
  local tree=$1 flake
  flake=$(mktemp -d)
  cp "$tree/flake.nix" "$tree/flake.lock" "$flake/"
  if ! nix flake metadata --store "$(nix_store)" --offline --no-update-lock-file --no-write-lock-file \
    --extra-experimental-features 'nix-command flakes' "path:$flake" >"$flake/metadata.log" 2>&1; then
    echo "nix flake metadata: flake.lock does not agree with flake.nix:"
    sed 's/^/    /' "$flake/metadata.log"
    rm -rf "$flake"
    return 1
  fi
  rm -rf "$flake"
}

# flake.lock is exactly the verified pins in $2 (../shared/nix/flake-pins.json), compared as JSON.
nix_pins() {
  local tree=$1 pins=$2
  python3 - "$tree/flake.lock" "$pins" <<'PYTHON'
import json
import sys

lock_path, pins_path = sys.argv[1:3]
with open(lock_path) as file:
    lock = json.load(file)
with open(pins_path) as file:
    pins = json.load(file)
if lock == pins:
    sys.exit(0)
print(f"flake.lock differs from {pins_path}:")
for key in sorted(set(lock) | set(pins)):
    if key != "nodes" and lock.get(key) != pins.get(key):
        print(f"    {key}: {lock.get(key)!r} in flake.lock, {pins.get(key)!r} pinned")
lock_nodes, pinned_nodes = lock.get("nodes", {}), pins.get("nodes", {})
for name in sorted(set(lock_nodes) | set(pinned_nodes)):
    if lock_nodes.get(name) != pinned_nodes.get(name):
        print(f"    node {name}: {json.dumps(lock_nodes.get(name), sort_keys=True)}")
        print(f"      pinned as {json.dumps(pinned_nodes.get(name), sort_keys=True)}")
sys.exit(1)
PYTHON
}

# No dead code in any .nix file under $1.
nix_deadnix() {
  local tree=$1
  deadnix --fail "$tree"
}

# Every .nix file under $1 is nixfmt-formatted.
nix_format() {
  local tree=$1
  find "$tree" -name '*.nix' -not -path '*/.git/*' -print0 | xargs -0 nixfmt --check
}

# The UI's package-lock.json installs the way nix/frontend.nix installs it: each registry package
# fetched by `npm pack` and checked against its integrity hash, then an offline install from those
# tarballs alone (checks/nix/npm_lock.py says how closely this follows importNpmLock).
nix_npm_lock() {
  local tree=$1
  python3 "$tree/checks/nix/npm_lock.py" "$tree/frontend"
}
