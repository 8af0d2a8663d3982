#!/usr/bin/env bash
# Starts a throw-away Synapse homeserver for the Matrix tests on 127.0.0.1 and prints its URL on
# stdout. Idempotent: a homeserver that already answers is reused. Installs PyPI's
# matrix-synapse into a virtualenv the first time. Everything else it says goes to stderr.
#
#   export WARROOM_TEST_SYNAPSE_URL=$(scripts/start-synapse.sh)
#
# It registers the people the tests act as (alice, bob, carol) and one bot account per test
# (warroom-bot1 … warroom-bot12), each with the password "<name>-password".
# Settings: SYNAPSE_PORT (58008), SYNAPSE_BASE (${TMPDIR:-/tmp}/warroom-synapse),
# SYNAPSE_VERSION (1.163.2).
set -euo pipefail

port=${SYNAPSE_PORT:-58008}
base=${SYNAPSE_BASE:-${TMPDIR:-/tmp}/warroom-synapse}
version=${SYNAPSE_VERSION:-1.163.2}
venv=$base/venv
data=$base/data
config=$data/homeserver.yaml
url="http://127.0.0.1:$port"
users="alice bob carol"
for i in $(seq 1 12); do users="$users warroom-bot$i"; done

say() { echo "start-synapse: $*" >&2; }

answers() {
  "$venv/bin/python" - "$url" <<'PY' 2>/dev/null
import sys, urllib.request
urllib.request.urlopen(sys.argv[1] + "/_matrix/client/versions", timeout=2).read()
PY
}

mkdir -p "$data"

if ! "$venv/bin/python" -c 'import synapse' 2>/dev/null; then
  if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c 'import ensurepip' 2>/dev/null; then
    [[ $(id -u) == 0 ]] || { say "python3-venv is missing and I am not root"; exit 1; }
    say "installing python3-venv (Debian package)"
    {
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-venv
    } >&2
  fi
  say "installing matrix-synapse $version into $venv"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "matrix-synapse==$version" >&2
fi

if [[ ! -f $config ]]; then
  say "writing a homeserver config in $data"
  secret=$("$venv/bin/python" -c 'import secrets; print(secrets.token_hex(32))')
  # Rate limits are raised: the tests and the benchmark send many events quickly.
  limit='{per_second: 10000, burst_count: 10000}'
  cat >"$config" <<YAML
server_name: "localhost"
public_baseurl: "$url/"
listeners:
  - port: $port
    bind_addresses: ["127.0.0.1"]
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "$data/homeserver.db"
media_store_path: "$data/media_store"
signing_key_path: "$data/localhost.signing.key"
registration_shared_secret: "$secret"
enable_registration: false
encryption_enabled_by_default_for_room_type: "off"
report_stats: false
trusted_key_servers: []
suppress_key_server_warning: true
presence:
  enabled: false
rc_message: $limit
rc_registration: $limit
rc_login:
  address: $limit
  account: $limit
  failed_attempts: $limit
rc_joins:
  local: $limit
  remote: $limit
rc_joins_per_room: $limit
rc_invites:
  per_room: $limit
  per_user: $limit
  per_issuer: $limit
rc_room_creation: $limit
rc_media_create: $limit
rc_3pid_validation: $limit
rc_delayed_event_mgmt: $limit
rc_reports: $limit
rc_profile: $limit
rc_admin_redaction: $limit
YAML
  "$venv/bin/python" -m synapse.app.homeserver -c "$config" --generate-keys >&2
fi

if ! answers; then
  say "starting Synapse on $url (log: $data/synapse.log)"
  # setsid: the homeserver outlives this script and holds none of the caller's pipes.
  (cd "$data" && exec setsid "$venv/bin/python" -m synapse.app.homeserver -c "$config" \
    </dev/null >>"$data/synapse.log" 2>&1) &
  echo $! >"$data/synapse.pid"
  for ((round = 1; ; round++)); do
    answers && break
    if ! kill -0 "$(cat "$data/synapse.pid")" 2>/dev/null; then
      say "Synapse stopped while starting:"
      tail -n 30 "$data/synapse.log" >&2
      exit 1
    fi
    ((round <= 240)) || { say "Synapse does not answer after 60 s; see $data/synapse.log"; exit 1; }
    sleep 0.25
  done
fi

for user in $users; do
  "$venv/bin/register_new_matrix_user" -c "$config" --exists-ok --no-admin \
    -u "$user" -p "$user-password" "$url" >/dev/null 2>&1 ||
    { say "could not register $user"; exit 1; }
done
echo "$url"
