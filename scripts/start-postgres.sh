#!/usr/bin/env bash
# Starts a throw-away PostgreSQL for the tests on 127.0.0.1 and prints its URL on stdout.
# Idempotent: a cluster that already runs is reused. Installs Debian's `postgresql` package
# when no server binaries are found. Everything else it says goes to stderr.
#
#   export WARROOM_TEST_POSTGRES_URL=$(scripts/start-postgres.sh)
#
# Settings: PG_PORT (55432), PG_BASE (${TMPDIR:-/tmp}/warroom-postgres), PG_DB (warroom_test).
set -euo pipefail

port=${PG_PORT:-55432}
base=${PG_BASE:-${TMPDIR:-/tmp}/warroom-postgres}
database=${PG_DB:-warroom_test}
data=$base/data
socket=$base/sock # unix socket paths are limited to about 107 bytes, so keep this short
url="postgres://postgres@127.0.0.1:$port/$database"

say() { echo "start-postgres: $*" >&2; }

# Debian keeps the server binaries in /usr/lib/postgresql/<version>/bin; take the newest.
server_bin() {
  local dir
  dir=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1)
  if [[ -n $dir && -x $dir/postgres ]]; then
    echo "$dir"
  elif command -v postgres >/dev/null; then
    dirname "$(readlink -f "$(command -v postgres)")"
  fi
}

# initdb and pg_ctl refuse to run as root, so root runs them as the postgres user.
as_postgres() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

install_server() {
  [[ $(id -u) == 0 ]] || { say "PostgreSQL is not installed and I am not root"; exit 1; }
  say "installing PostgreSQL (Debian package)"
  # Without systemd the package's postinst would start the distribution's own cluster on
  # port 5432; a policy-rc.d that exits 101 forbids that. Only add one if there is none.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  # --no-install-recommends keeps out an MTA, cron and friends.
  {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql
  } >&2
}

bin=$(server_bin)
if [[ -z $bin ]]; then
  install_server
  bin=$(server_bin)
  [[ -n $bin ]] || { say "no PostgreSQL server binaries after installing"; exit 1; }
fi

cd / # the postgres user may not be allowed into the caller's working directory

if [[ ! -s $data/PG_VERSION ]]; then
  say "creating a cluster in $data"
  mkdir -p "$data" "$socket"
  [[ $(id -u) == 0 ]] && chown -R postgres:postgres "$base" # its parents must be o+x
  chmod 700 "$data"
  # trust on loopback only: this cluster is for tests and holds nothing of value.
  as_postgres "$bin/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-sync >&2
  cat >>"$data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$socket'
max_connections = 200
# Throw-away data: trade crash safety for speed.
fsync = off
synchronous_commit = off
full_page_writes = off
CONF
fi

running() { as_postgres "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1; }
ready() { "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; }

# pg_ctl status is asked every round: a postmaster killed with -9 stays a zombie (and looks
# alive by its pid) until it is reaped.
for ((round = 1; ; round++)); do
  if running && ready; then break; fi
  ((round <= 60)) || { say "not ready after 30 s; see $base/postgres.log"; exit 1; }
  if running; then
    sleep 0.5
  else
    # -l: the server's output goes to a file, so it never holds the caller's stdout open
    # (which would hang `$(scripts/start-postgres.sh)`).
    as_postgres "$bin/pg_ctl" start -w -t 60 -D "$data" -l "$base/postgres.log" -o "-p $port" >&2
  fi
done

exists=$("$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname = '$database'")
if [[ $exists != 1 ]]; then
  "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$database"
fi
echo "$url"
