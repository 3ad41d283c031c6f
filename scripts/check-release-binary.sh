#!/usr/bin/env bash
# Checks a release binary of web-terminal (the static build of nix/static.nix).
#
#   scripts/check-release-binary.sh inspect FILE
#       an ELF executable linked statically: no program interpreter (INTERP), no shared library
#       (NEEDED), and no /nix/store path anywhere in it
#   scripts/check-release-binary.sh run FILE [VERSION]
#       `--version` (names VERSION, when given); then `start` on a free loopback port with a
#       temporary data directory and an empty environment: `healthcheck` passes, /ready answers
#       200, / serves the built UI (not the placeholder of a build without it), and SIGTERM stops
#       it with exit status 0
#
# The release workflow inspects the binary where Nix built it, then inspects and runs it again on
# plain Ubuntu runners without Nix (x86_64 and aarch64). Needs file, readelf, curl and python3.
set -euo pipefail

die() {
  echo "check-release-binary: $*" >&2
  exit 1
}

inspect() {
  local bin=$1 kind
  kind=$(file --brief "$bin")
  echo "file: $kind"
  [[ $kind == ELF* ]] || die "$bin is not an ELF file"
  [[ $kind == *"statically linked"* || $kind == *"static-pie linked"* ]] ||
    die "$bin is not linked statically"
  if readelf --program-headers --wide "$bin" | grep -q '\bINTERP\b'; then
    die "$bin asks for a program interpreter: $(readelf --program-headers --wide "$bin" | grep -o 'interpreter: [^]]*')"
  fi
  if readelf --dynamic --wide "$bin" | grep -q '(NEEDED)'; then
    die "$bin needs shared libraries: $(readelf --dynamic --wide "$bin" | grep '(NEEDED)' | tr -s ' ')"
  fi
  if grep -aq /nix/store "$bin"; then
    die "$bin names /nix/store paths: $(grep -ao '/nix/store/[[:alnum:]._+-]*' "$bin" | sort -u | head -n 5 | tr '\n' ' ')"
  fi
  echo "$bin: static, no interpreter, no shared library, no /nix/store path"
}

# The server's pid and its temporary directory, for the EXIT trap.
pid=
work=

run() {
  local bin version port status body
  bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
  version=${2:-}

  local reported
  reported=$("$bin" --version)
  echo "--version: $reported"
  if [[ -n $version && $reported != "web-terminal $version" ]]; then
    die "$bin reports '$reported', expected 'web-terminal $version'"
  fi

  work=$(mktemp -d)
  trap 'if [[ -n ${pid:-} ]]; then kill -KILL "$pid" 2>/dev/null || true; fi; rm -rf "$work"' EXIT
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # An empty environment but for what the server reads, as a service manager would start it.
  local -a server_env=(env -i "PATH=/usr/bin:/bin" "HOME=$work" "WEB_TERMINAL_PORT=$port"
    "WEB_TERMINAL_WORKSPACES_DIR=$work/workspaces" "WEB_TERMINAL_SHELL=/bin/sh")
  (cd "$work" && exec "${server_env[@]}" "$bin" start) >"$work/server.log" 2>&1 &
  pid=$!

  local attempt
  for attempt in $(seq 1 60); do
    if "${server_env[@]}" "$bin" healthcheck 2>/dev/null; then
      break
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      cat "$work/server.log" >&2
      die "the server exited before it was healthy"
    fi
    ((attempt < 60)) || { cat "$work/server.log" >&2; die "no healthy server on port $port after 30 s"; }
    sleep 0.5
  done
  echo "healthcheck: ok (port $port)"

  curl --fail --silent --show-error "http://127.0.0.1:$port/ready" >/dev/null ||
    die "/ready did not answer 200"
  body=$(curl --fail --silent --show-error "http://127.0.0.1:$port/health")
  echo "/health: $body"
  if [[ -n $version && $body != *"\"version\":\"$version\""* ]]; then
    die "/health does not name version $version"
  fi
  body=$(curl --fail --silent --show-error "http://127.0.0.1:$port/")
  if [[ $body != *'/assets/'* || $body == *'npm run build'* ]]; then
    die "/ is not the built UI (the binary embeds the placeholder page)"
  fi
  echo "/ready: 200; /: the built UI"

  kill -TERM "$pid"
  status=0
  wait "$pid" || status=$?
  pid=
  if ((status != 0)); then
    cat "$work/server.log" >&2
    die "SIGTERM: the server exited with status $status"
  fi
  echo "SIGTERM: stopped cleanly"
}

case ${1:-}:$# in
  inspect:2) inspect "$2" ;;
  run:2 | run:3) run "$2" "${3:-}" ;;
  *) die "usage: check-release-binary.sh inspect FILE | run FILE [VERSION]" ;;
esac
