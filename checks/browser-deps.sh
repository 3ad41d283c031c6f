#!/usr/bin/env bash
# What the browser tests (checks/e2e.sh) and the browser measures of `make bench` need, installed
# when missing: Debian's Chromium at /usr/bin/chromium, and vim and htop to run inside the
# terminal (frontend/e2e/sessions.e2e.mjs). A machine whose distribution ships no usable Chromium
# package (Ubuntu's is a snap wrapper) names another build in CHROMIUM.
set -euo pipefail

missing=()
if [[ -n ${CHROMIUM:-} ]]; then
  [[ -x $CHROMIUM ]] || { echo "CHROMIUM=$CHROMIUM is not an executable" >&2; exit 1; }
elif [[ ! -x /usr/bin/chromium ]]; then
  missing+=(chromium fonts-dejavu-core)
fi
for tool in vim htop; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
# A CJK font, so that the screenshots of wide characters show them rather than empty boxes.
if ! command -v fc-list >/dev/null || [[ -z "$(fc-list :lang=zh)" ]]; then
  missing+=(fonts-droid-fallback)
fi
if ((${#missing[@]} > 0)); then
  echo "== installing ${missing[*]} (Debian packages)"
  sudo=()
  if [[ "$(id -u)" -ne 0 ]]; then
    sudo=(sudo)
  fi
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
