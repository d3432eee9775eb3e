# Shared shell helpers for the CI scripts. Source this file instead of running it.

section() {
  printf '\n==== %s ====\n' "$*"
}

log() {
  printf '[ci] %s\n' "$*"
}

die() {
  printf '[ci] ERROR: %s\n' "$*" >&2
  exit 1
}

# Polls a command once a second until it succeeds, for at most $1 seconds.
wait_until() {
  local limit=$1 description=$2
  shift 2
  local waited=0
  until "$@" >/dev/null 2>&1; do
    if [ "$waited" -ge "$limit" ]; then
      die "$description did not become ready within ${limit} s"
    fi
    sleep 1
    waited=$((waited + 1))
  done
  log "$description is ready"
}
