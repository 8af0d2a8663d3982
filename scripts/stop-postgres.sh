#!/usr/bin/env bash
# Stops the throw-away PostgreSQL started by scripts/start-postgres.sh.
# PG_WIPE=1 also deletes its data; nothing else is touched.
set -euo pipefail

base=${PG_BASE:-${TMPDIR:-/tmp}/warroom-postgres}
data=$base/data

as_postgres() {
  if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1)
if [[ -z $bin || ! -x $bin/pg_ctl ]]; then
  if command -v pg_ctl >/dev/null; then
    bin=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
  else
    echo "stop-postgres: PostgreSQL is not installed, so nothing runs" >&2
    exit 0
  fi
fi

cd /
# pg_ctl status is not fooled by a stale pid file.
if as_postgres "$bin/pg_ctl" status -D "$data" >/dev/null 2>&1; then
  # fast: end the open test sessions instead of waiting for them.
  as_postgres "$bin/pg_ctl" stop -D "$data" -m fast -w >&2
fi
if [[ ${PG_WIPE:-0} == 1 ]]; then
  rm -rf "$data" "$base/sock" "$base/postgres.log"
  rmdir "$base" 2>/dev/null || true
fi
