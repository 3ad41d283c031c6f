#!/usr/bin/env bash
# GitOps bundle checks (issue 6): render every overlay and the Argo CD bootstrap with kustomize,
# validate them (kubernetes-validate, CRD schemas, policy, checkov), lint them (yamllint,
# actionlint, ShellCheck, action pins), check the Prometheus rules and dashboard with promtool,
# then run the pytest suite: the broken-copy tests that show each check failing, the promotion
# script's tests and the live Prometheus test (checks/gitops/gitops_checks.py has the checks).
#
# On a fresh Debian machine it installs what it needs, idempotently, into the tools cache of
# checks/tools.sh: Python tools in a venv and checkov in another (rebuilt only when
# checks/gitops/requirements*.txt change), the CRD models of checks/gitops/crd-models (npm ci from
# its lockfile: the Argo CD, Argo Rollouts, prometheus-operator, Gateway API and cert-manager
# models and TypeScript, each pinned by version and integrity hash), and promtool from Debian's prometheus package. Nothing is read from outside
# the repository; a ../shared beside the checkout only adds the comparison of the action pins with
# its verified list. With CHECKS_NO_INSTALL=1 (the Nix sandbox) it installs nothing and uses the
# tools on PATH and the CRD models in WEB_TERMINAL_CRD_MODELS.
#
# `checks/gitops.sh --checks-only` runs the checks on the real tree and not the test suite
# (checks/plain-clone.sh uses it).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# shellcheck source=checks/tools.sh
source checks/tools.sh
tools=$TOOLS_DIR

say() { printf '\n=== %s\n' "$*"; }

as_root() {
  if [[ $(id -u) == 0 ]]; then "$@"; else sudo "$@"; fi
}

# A venv at $1 holding the requirements files $2..., reinstalled only when their hash changes.
ensure_venv() {
  local venv=$1 marker hash
  shift
  marker=$venv/.requirements.sha256
  hash=$(cat "$@" | sha256sum | cut -d' ' -f1)
  if [[ -x $venv/bin/python && -f $marker && $(cat "$marker") == "$hash" ]]; then
    echo "$venv is up to date"
    return
  fi
  echo "installing $venv from $*"
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
  local requirement
  for requirement in "$@"; do
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirement"
  done
  echo "$hash" >"$marker"
}

# node_modules for the package.json and package-lock.json in $2, installed by `npm ci` under $1 and
# reinstalled only when the lockfile changes. npm checks each tarball against the lockfile's
# integrity hash.
ensure_node_modules() {
  local dir=$1 source=$2 marker hash
  marker=$dir/.package-lock.sha256
  hash=$(sha256sum "$source/package-lock.json" | cut -d' ' -f1)
  if [[ -d $dir/node_modules && -f $marker && $(cat "$marker") == "$hash" ]]; then
    echo "$dir is up to date"
    return
  fi
  echo "installing $dir from $source/package-lock.json"
  rm -rf "$dir"
  mkdir -p "$dir"
  cp "$source/package.json" "$source/package-lock.json" "$dir/"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
  echo "$hash" >"$marker"
}

ensure_promtool() {
  if command -v promtool >/dev/null && command -v prometheus >/dev/null; then
    echo "promtool: $(command -v promtool)"
    return
  fi
  echo "installing Debian's prometheus package (for promtool and the live test)"
  # Keep the package from starting a prometheus service that would hold port 9090: a
  # policy-rc.d that denies service starts, removed again only if we created it.
  local created_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | as_root tee /usr/sbin/policy-rc.d >/dev/null
    as_root chmod +x /usr/sbin/policy-rc.d
    created_policy=1
  fi
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  if [[ $created_policy == 1 ]]; then as_root rm -f /usr/sbin/policy-rc.d; fi
  # Without systemd nothing starts anyway; with it, make sure no daemon was left running.
  if command -v systemctl >/dev/null && systemctl is-active --quiet prometheus 2>/dev/null; then
    as_root systemctl disable --now prometheus
  fi
}

if [[ ${CHECKS_NO_INSTALL:-0} == 1 ]]; then
  say "CHECKS_NO_INSTALL=1: using the tools on PATH, installing nothing"
else
  say "tools"
  ensure_venv "$tools/venv" checks/gitops/requirements.txt
  ensure_venv "$tools/checkov" checks/gitops/requirements-checkov.txt
  ensure_node_modules "$tools/crd-models" checks/gitops/crd-models
  export WEB_TERMINAL_CRD_MODELS=$tools/crd-models
  ensure_promtool
  export PATH="$tools/venv/bin:$tools/checkov/bin:$PATH"
fi

missing=()
for tool in python3 node kubernetes-validate checkov yamllint actionlint shellcheck promtool pytest; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
if ! command -v kubectl >/dev/null && ! command -v kustomize >/dev/null; then missing+=("kubectl or kustomize"); fi
if ((${#missing[@]})); then
  echo "gitops checks: missing tools: ${missing[*]}" >&2
  exit 1
fi

# checkov: no calls home for guidelines; the checks themselves are all local.
export BC_SKIP_MAPPING=TRUE
# No __pycache__ in the checkout.
export PYTHONDONTWRITEBYTECODE=1
python=$(command -v python3)

say "checks on the real tree"
"$python" checks/gitops/gitops_checks.py

if [[ ${1:-} == --checks-only ]]; then
  exit 0
fi

say "tests: every check fails on a broken copy; promote.sh; live Prometheus"
"$python" -m pytest -q -p no:cacheprovider checks/gitops scripts/promote_test.py scripts/audit_exceptions_test.py scripts/release_scripts_test.py
