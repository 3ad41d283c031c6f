# shellcheck shell=bash
# Where the check scripts keep the tools they install (Python venvs, cargo-installed binaries):
# outside the checkout, so that a fresh clone on the same machine, as CI's is, reuses them instead
# of building them again. WEB_TERMINAL_TOOLS_DIR moves it; deleting it is always safe.
TOOLS_DIR=${WEB_TERMINAL_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/web-terminal-tools}

# Puts version $2 of the crate $1's program ($3, if not named like the crate) on PATH, building it
# first if it is not there.
cargo_tool() {
  local name=$1 version=$2 program=${3:-$1}
  local dir=$TOOLS_DIR/cargo/$name-$version
  if [[ ! -x $dir/bin/$program ]]; then
    echo "installing $name $version into $dir"
    cargo install --locked --quiet "$name" --version "$version" --root "$dir"
  fi
  export PATH=$dir/bin:$PATH
}
