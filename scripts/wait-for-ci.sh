#!/usr/bin/env bash
# The release's first gate: succeeds once the ci workflow (.github/workflows/ci.yml) has passed on
# a push of the commit being released; fails if it failed there, or never ran for it.
#
#   scripts/wait-for-ci.sh <commit sha>
#
# A tag is usually pushed right after its commit reached main, so CI may still be running: this
# waits for it, up to WAIT_MINUTES (default 120), looking every POLL_SECONDS (default 60). Only
# runs of the `push` event count: they tested exactly this commit (a pull request's run tests a
# merge with its base). Needs GITHUB_REPOSITORY and gh, with a token that may read Actions.
set -euo pipefail

readonly WORKFLOW=${CI_WORKFLOW:-ci.yml}
readonly WAIT_MINUTES=${WAIT_MINUTES:-120}
readonly POLL_SECONDS=${POLL_SECONDS:-60}
# A run for the commit normally exists within seconds of the push; give up on one that never
# appears sooner than on one that is running.
readonly APPEAR_MINUTES=${APPEAR_MINUTES:-10}

die() {
  echo "wait-for-ci: $*" >&2
  exit 1
}

[[ $# == 1 && $1 =~ ^[0-9a-f]{40}$ ]] || die "usage: wait-for-ci.sh <40-hex commit sha>"
readonly sha=$1
: "${GITHUB_REPOSITORY:?wait-for-ci: GITHUB_REPOSITORY is not set}"

# One line per run: status, conclusion (or "none"), address.
runs() {
  gh api --method GET "repos/$GITHUB_REPOSITORY/actions/workflows/$WORKFLOW/runs" \
    -f head_sha="$sha" -f event=push -f per_page=100 \
    --jq '.workflow_runs[] | "\(.status) \(.conclusion // "none") \(.html_url)"'
}

start=$SECONDS
while true; do
  listing=$(runs) || die "cannot list the $WORKFLOW runs of $GITHUB_REPOSITORY"
  waited=$(((SECONDS - start) / 60))
  if grep -q '^completed success ' <<<"$listing"; then
    echo "CI passed on $sha: $(grep -m1 '^completed success ' <<<"$listing" | cut -d' ' -f3)"
    exit 0
  fi
  if [[ -z $listing ]]; then
    ((waited < APPEAR_MINUTES)) ||
      die "no $WORKFLOW run for a push of $sha after $waited minutes: release only commits that went through main (or a branch push) and passed CI"
    echo "no $WORKFLOW run for $sha yet; waiting"
  elif ! grep -qv '^completed ' <<<"$listing"; then
    die "$WORKFLOW did not pass on $sha; refusing to release it:"$'\n'"$listing"
  else
    ((waited < WAIT_MINUTES)) || die "$WORKFLOW still runs on $sha after $waited minutes:"$'\n'"$listing"
    echo "$WORKFLOW is still running on $sha (waited $waited minutes):"
    echo "$listing"
  fi
  sleep "$POLL_SECONDS"
done
