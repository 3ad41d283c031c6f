#!/usr/bin/env bash
# The release's SBOM, in CycloneDX JSON: the Rust crates of Cargo.lock and the npm packages of the
# UI (frontend/package-lock.json; its runtime dependencies, the ones bundled into the binary).
#
#   scripts/sbom.sh OUT.cdx.json
#
# Made by Trivy (`trivy fs`, from the flake's pinned nixpkgs in the release workflow) from those
# lockfiles alone: they are copied into an empty directory, so that no other lockfile of the
# repository (tests/, checks/) counts. Fails unless both kinds of component are in it. The release
# scans the result (`trivy sbom`) and attaches it to the image and the GitHub release.
set -euo pipefail

[[ $# == 1 ]] || {
  echo "usage: sbom.sh OUT.cdx.json" >&2
  exit 2
}
out=$1
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Named as the project: Trivy names the SBOM's subject after the directory.
inputs=$work/web-terminal
mkdir -p "$inputs/frontend"
cp "$root/Cargo.toml" "$root/Cargo.lock" "$inputs/"
cp "$root/frontend/package.json" "$root/frontend/package-lock.json" "$inputs/frontend/"

(cd "$work" && trivy fs --quiet --format cyclonedx --output "$work/out.cdx.json" web-terminal)
mv "$work/out.cdx.json" "$out"

count() {
  jq --arg prefix "$1" '[.components[]? | .purl // empty | select(startswith($prefix))] | length' "$out"
}
crates=$(count pkg:cargo/)
npm=$(count pkg:npm/)
echo "$out: $crates Rust crates, $npm npm packages"
if ((crates == 0 || npm == 0)); then
  echo "sbom: the SBOM must list both the Rust crates and the UI's npm packages" >&2
  exit 1
fi
