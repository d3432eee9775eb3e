#!/usr/bin/env bash
# Installs the Debian packages the test suite needs (postgresql, redis-server,
# chromium) where missing, starts PostgreSQL and Redis on loopback, and makes
# postgres://postgres@127.0.0.1:5432/test reachable without a password.
# Safe to run again: every step first checks whether it is already done.
# Needs root (apt-get, runuser, pg_hba.conf).
set -euo pipefail
# shellcheck source=scripts/ci/common.sh
. "$(dirname "$0")/common.sh"

readonly PACKAGES=(postgresql redis-server chromium)
readonly POSTGRES_URL='postgres://postgres@127.0.0.1:5432/test'
readonly HBA_MARKER='# propusk-ci: password-free loopback access for the postgres user'
readonly READY_TIMEOUT_S=60

package_installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

install_missing_packages() {
  local missing=() package
  for package in "${PACKAGES[@]}"; do
    package_installed "$package" || missing+=("$package")
  done
  if [ "${#missing[@]}" -eq 0 ]; then
    log "packages already installed: ${PACKAGES[*]}"
    return
  fi

  log "installing missing packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q </dev/null
  apt-get install -y -q "${missing[@]}" </dev/null
}

# Runs a command as the postgres OS user, which local peer or trust auth admits
# as the postgres database role. cd / avoids "could not change directory" from psql.
as_postgres() {
  (cd / && runuser -u postgres -- "$@")
}

start_postgres() {
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  [ -n "$version" ] || die "no PostgreSQL cluster under /etc/postgresql"

  if pg_lsclusters --no-header | awk -v v="$version" '$1 == v && $2 == "main" { print $4 }' | grep -q online; then
    log "PostgreSQL $version/main already online"
  else
    log "starting PostgreSQL $version/main"
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
  fi
  wait_until "$READY_TIMEOUT_S" "PostgreSQL on 127.0.0.1:5432" pg_isready -q -h 127.0.0.1 -p 5432
}

redis_answers() {
  redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG
}

start_redis() {
  if redis_answers; then
    log "Redis already answers on 127.0.0.1:6379"
  else
    log "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis
    # No RDB or AOF: test data must not survive a restart.
    redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
      --dir /var/lib/redis --logfile /var/log/redis/ci.log
  fi
  wait_until "$READY_TIMEOUT_S" "Redis on 127.0.0.1:6379" redis_answers
}

ensure_test_database() {
  if [ "$(as_postgres psql -XtAc "select 1 from pg_database where datname = 'test'")" = 1 ]; then
    log "database test exists"
  else
    log "creating database test"
    as_postgres createdb test
  fi
}

postgres_tcp_connects() {
  PGCONNECT_TIMEOUT=5 psql -w -X "$POSTGRES_URL" -tAc 'select 1' </dev/null >/dev/null 2>&1
}

# A fresh Debian cluster requires scram-sha-256 authentication on host
# connections, which a password-free URL cannot pass. Trust lines go first because pg_hba.conf uses
# the first matching line.
trust_loopback_postgres() {
  if postgres_tcp_connects; then
    log "postgres connects over TCP without a password"
    return
  fi

  local hba_file
  hba_file=$(as_postgres psql -XtAc 'show hba_file')
  if grep -qxF "$HBA_MARKER" "$hba_file"; then
    log "trust lines already in $hba_file"
  else
    log "adding trust lines for 127.0.0.1/32 and ::1/128 to $hba_file"
    cp -p "$hba_file" "$hba_file.propusk-ci.bak"
    # Rewriting in place keeps the file's owner and mode.
    {
      printf '%s\n' "$HBA_MARKER" \
        'host all postgres 127.0.0.1/32 trust' \
        'host all postgres ::1/128 trust'
      cat "$hba_file.propusk-ci.bak"
    } >"$hba_file"
  fi
  as_postgres psql -XtAc 'select pg_reload_conf()' >/dev/null
  wait_until 10 "password-free TCP login to $POSTGRES_URL" postgres_tcp_connects
}

print_versions() {
  log "PostgreSQL server: $(psql -w -X "$POSTGRES_URL" -tAc 'show server_version')"
  log "$(redis-server --version)"
  [ -x /usr/bin/chromium ] || die "/usr/bin/chromium is missing or not executable after installing chromium"
  # Debian's wrapper prints a harmless '[: unexpected operator' on stderr.
  log "$(/usr/bin/chromium --version 2>/dev/null)"
}

# The fault tests start their own PostgreSQL cluster and redis-server on private
# ports (test/helpers/private-services.ts); as root, initdb must run as postgres.
check_private_service_tools() {
  local candidate initdb=''
  for candidate in /usr/lib/postgresql/*/bin/initdb; do
    [ -x "$candidate" ] && initdb=$candidate
  done
  [ -n "$initdb" ] || die "no initdb under /usr/lib/postgresql/*/bin; the fault tests need it"
  command -v runuser >/dev/null || die "runuser is missing (package util-linux); the fault tests need it to run initdb as postgres"
  command -v redis-server >/dev/null || die "redis-server is missing; the fault tests start their own"
  log "fault test tools: $initdb, $(command -v runuser), $(command -v redis-server)"
}

install_missing_packages
check_private_service_tools
start_postgres
start_redis
ensure_test_database
trust_loopback_postgres
print_versions
