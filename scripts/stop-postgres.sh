#!/usr/bin/env bash
# Stops the throw-away PostgreSQL that start-postgres.sh started, at once (`pg_ctl stop -m
# immediate`: open connections are cut, as when the server dies). The fault tests use it to
# stop a cluster of their own mid-burst; start-postgres.sh brings it back.
#
# Settings: PG_BASE (${TMPDIR:-/tmp}/warroom-postgres), as for start-postgres.sh.
set -euo pipefail

base=${PG_BASE:-${TMPDIR:-/tmp}/warroom-postgres}
data=$base/data

bin=$(find /usr/lib/postgresql -mindepth 2 -maxdepth 2 -type d -name bin 2>/dev/null | sort -V | tail -n 1)
if [[ -z $bin ]] && command -v pg_ctl >/dev/null; then
  bin=$(dirname "$(readlink -f "$(command -v pg_ctl)")")
fi
[[ -n $bin ]] || { echo "stop-postgres: no PostgreSQL binaries" >&2; exit 1; }

cd /
if [[ $(id -u) == 0 ]]; then
  runuser -u postgres -- "$bin/pg_ctl" stop -D "$data" -m immediate -w >&2
else
  "$bin/pg_ctl" stop -D "$data" -m immediate -w >&2
fi
