#!/usr/bin/env bash
# A plain clone passes the checks that read files beside the code (issue 11): clones this
# repository into an empty temporary folder, with nothing beside it (no ../shared), and runs there
# the checks that read such files: the GitOps checks (CRD models from the npm registry, the action
# pins) and the Nix checks (the flake pins). Each must pass; a comparison that needs a list only
# ../shared holds must say it was skipped. The tools cache of checks/tools.sh is shared, so
# nothing is installed twice.
#
# The clone has the committed HEAD: uncommitted changes are not in it (a note says so).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

say() { printf '\n=== %s\n' "$*"; }

work=$(mktemp -d)
trap 'chmod -R u+w "$work"; rm -rf "$work"' EXIT
clone=$work/web-terminal
git clone --quiet --no-hardlinks "$root" "$clone"
echo "cloned $(git -C "$clone" rev-parse --short HEAD) into $clone, alone in $work:"
find "$work" -mindepth 1 -maxdepth 1
if [[ -n $(git -C "$root" status --porcelain --untracked-files=no) ]]; then
  echo "note: $root has uncommitted changes; the clone tests the committed HEAD without them"
fi

log=$work/log
failures=()
run_in_clone() {
  local title=$1
  shift
  say "plain clone: $title"
  if (cd "$clone" && env -u WEB_TERMINAL_SHARED_DIR "$@") 2>&1 | tee "$log"; then
    echo "   ok"
  else
    failures+=("$title")
  fi
}

run_in_clone "GitOps checks" checks/gitops.sh --checks-only
if ! grep -q "SKIPPED the comparison with the verified pins" "$log"; then
  echo "the action pin check did not say it skipped the comparison with ../shared's list"
  failures+=("action pins: no skip notice")
fi
run_in_clone "Nix checks" checks/nix.sh
if ! grep -q "flake.lock against the pins: SKIPPED" "$log"; then
  echo "the Nix checks did not say they skipped the comparison with ../shared's pins"
  failures+=("flake pins: no skip notice")
fi

if ((${#failures[@]})); then
  printf '\nIn a plain clone, %d check(s) failed: %s\n' "${#failures[@]}" "$(IFS=';'; echo "${failures[*]}")"
  exit 1
fi
printf '\nA plain clone with nothing beside it passes the GitOps and Nix checks.\n'
