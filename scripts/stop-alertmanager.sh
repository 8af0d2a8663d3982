#!/usr/bin/env bash
# Stops the Alertmanager that scripts/start-alertmanager.sh started (same AM_PORT / AM_DIR).
set -euo pipefail
port=${AM_PORT:-59093}
dir=${AM_DIR:-${TMPDIR:-/tmp}/warroom-alertmanager-$port}
pidfile=$dir/alertmanager.pid
if [[ ! -f $pidfile ]]; then
  echo "stop-alertmanager: not running (no $pidfile)" >&2
  exit 0
fi
pid=$(cat "$pidfile")
if kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
fi
rm -f "$pidfile"
echo "stop-alertmanager: stopped $pid" >&2
