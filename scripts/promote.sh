#!/usr/bin/env bash
# Promote an image by digest: a one-line change to one overlay's version.yaml.
#
#   scripts/promote.sh                          production takes staging's digest
#   scripts/promote.sh staging sha256:<64 hex>  staging takes a released digest (release.yml)
#   scripts/promote.sh production sha256:<hex>  rollback: production takes an older release
#
# Refuses anything that is not a well-formed sha256 digest, and the all-zero placeholder that the
# overlays carry until the first release. It edits the file and prints the change; committing and
# opening the pull request is the caller's job (the workflows do both). Rolling back a promotion is
# also just `git revert` of its commit.
set -euo pipefail

readonly IMAGE=ghcr.io/web-terminal/web-terminal
readonly PLACEHOLDER=sha256:0000000000000000000000000000000000000000000000000000000000000000
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

die() {
  echo "promote: $*" >&2
  exit 1
}

version_file() {
  case $1 in
    staging | production) echo "$root/kustomize/overlays/$1/version.yaml" ;;
    *) die "unknown environment '$1' (staging or production; dev follows tags)" ;;
  esac
}

# The digest in an overlay's version.yaml; fails unless there is exactly one image line for
# $IMAGE, pinned by a well-formed digest.
current_digest() {
  local file=$1 lines
  lines=$(grep -cE "^[[:space:]]*image:[[:space:]]*${IMAGE//./\\.}@" "$file" || true)
  [[ $lines == 1 ]] || die "$file must have exactly one '$IMAGE@sha256:...' image line, found $lines"
  sed -nE "s|^[[:space:]]*image:[[:space:]]*${IMAGE//./\\.}@(sha256:[0-9a-f]{64})[[:space:]]*$|\1|p" "$file"
}

check_digest() {
  local digest=$1
  [[ $digest =~ ^sha256:[0-9a-f]{64}$ ]] || die "'$digest' is not a digest (sha256: and 64 lowercase hex digits)"
  [[ $digest != "$PLACEHOLDER" ]] || die "refusing the all-zero placeholder digest: nothing has been released yet"
}

main() {
  local target digest
  case $# in
    0)
      target=production
      digest=$(current_digest "$(version_file staging)")
      [[ -n $digest ]] || die "staging's image line is not a well-formed digest"
      ;;
    2)
      target=$1
      digest=${2#"$IMAGE@"}
      ;;
    *) die "usage: promote.sh [staging|production sha256:<64 hex>]" ;;
  esac
  check_digest "$digest"

  local file old
  file=$(version_file "$target")
  old=$(current_digest "$file")
  [[ -n $old ]] || die "$file: the image line is not pinned by a well-formed digest"
  if [[ $old == "$digest" ]]; then
    echo "promote: $target already runs $digest; nothing to change"
    return 0
  fi
  sed -i -E "s|^([[:space:]]*image:[[:space:]]*${IMAGE//./\\.}@)sha256:[0-9a-f]{64}|\1${digest}|" "$file"
  [[ $(current_digest "$file") == "$digest" ]] || die "$file: the edit did not take"
  echo "promote: $target $old -> $digest"
}

main "$@"
