#!/usr/bin/env bash
# Stops the Synapse that start-synapse.sh started (by its recorded process id), waiting until it
# is gone. SYNAPSE_WIPE=1 also deletes its data (rooms, users); the virtualenv is kept.
# Settings: SYNAPSE_BASE (${TMPDIR:-/tmp}/warroom-synapse).
set -euo pipefail

data=${SYNAPSE_BASE:-${TMPDIR:-/tmp}/warroom-synapse}/data
pidfile=$data/synapse.pid

if [[ -f $pidfile ]] && pid=$(cat "$pidfile") && kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for ((round = 1; round <= 80; round++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.25
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -9 "$pid"
  fi
  echo "stop-synapse: stopped process $pid" >&2
else
  echo "stop-synapse: not running" >&2
fi
rm -f "$pidfile"
if [[ ${SYNAPSE_WIPE:-0} == 1 ]]; then
  rm -rf "$data"
fi
