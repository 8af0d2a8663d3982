#!/usr/bin/env bash
# Starts a throw-away Prometheus Alertmanager on 127.0.0.1 whose webhook receiver posts every
# alert group (firing and resolved) to RECEIVER_URL, and prints Alertmanager's URL on stdout.
# Installs Debian's `prometheus-alertmanager` package when the binary is missing. Idempotent:
# an instance that already runs gets the new receiver by a config reload. Everything else it
# says goes to stderr.
#
#   scripts/start-alertmanager.sh http://127.0.0.1:8080/alerts/alertmanager/<secret>
#   scripts/start-alertmanager.sh --install-only
#
# Settings: AM_PORT (59093), AM_DIR (${TMPDIR:-/tmp}/warroom-alertmanager-$AM_PORT),
# AM_BEARER_TOKEN_FILE (a file whose content Alertmanager sends as `Authorization: Bearer …`),
# AM_GROUP_WAIT / AM_GROUP_INTERVAL (1s each, so tests see deliveries quickly), AM_GROUP_BY
# (the labels alerts are grouped by, comma-separated; alertname).
set -euo pipefail

say() { echo "start-alertmanager: $*" >&2; }

install_alertmanager() {
  command -v prometheus-alertmanager >/dev/null && return 0
  say "installing prometheus-alertmanager (Debian package)"
  # Without the package's own service on 0.0.0.0:9093/9094 (debian-install.sh).
  "$(dirname "${BASH_SOURCE[0]}")/debian-install.sh" prometheus-alertmanager
}

install_alertmanager
[[ ${1:-} == --install-only ]] && exit 0

receiver=${1:?usage: $0 RECEIVER_URL | --install-only}
port=${AM_PORT:-59093}
dir=${AM_DIR:-${TMPDIR:-/tmp}/warroom-alertmanager-$port}
url="http://127.0.0.1:$port"
conf=$dir/alertmanager.yml data=$dir/data pidfile=$dir/alertmanager.pid log=$dir/alertmanager.log
mkdir -p "$dir"

auth=""
if [[ -n ${AM_BEARER_TOKEN_FILE:-} ]]; then
  auth="        http_config:
          authorization:
            type: Bearer
            credentials_file: '${AM_BEARER_TOKEN_FILE}'"
fi

# Alerts are grouped by name (unless AM_GROUP_BY says otherwise), so alerts of one name with
# different labels are one group.
cat > "$conf.tmp" <<YAML
route:
  receiver: warroom
  group_by: [${AM_GROUP_BY:-alertname}]
  group_wait: ${AM_GROUP_WAIT:-1s}
  group_interval: ${AM_GROUP_INTERVAL:-1s}
  repeat_interval: 1h
receivers:
  - name: warroom
    webhook_configs:
      - url: '${receiver}'
        send_resolved: true
${auth}
YAML
if command -v amtool >/dev/null && ! out=$(amtool check-config "$conf.tmp" 2>&1); then
  say "the generated config is not valid: $out"
  rm -f "$conf.tmp"
  exit 1
fi
mv "$conf.tmp" "$conf"

if [[ -f $pidfile ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
  curl -fsS -X POST "$url/-/reload" >/dev/null
  say "reloaded the running Alertmanager (pid $(cat "$pidfile"))"
  echo "$url"
  exit 0
fi

# A fresh start forgets earlier notifications: a kept notification log would hold back alerts
# that were already sent until repeat_interval.
rm -rf "$data"
mkdir -p "$data"
nohup prometheus-alertmanager \
  --config.file="$conf" \
  --storage.path="$data" \
  --web.listen-address="127.0.0.1:$port" \
  --web.external-url="$url" \
  --cluster.listen-address= \
  >"$log" 2>&1 &
echo $! > "$pidfile"

for _ in $(seq 1 300); do
  if curl -fs -o /dev/null "$url/-/ready"; then
    say "Alertmanager ready on $url (pid $(cat "$pidfile"), log $log)"
    echo "$url"
    exit 0
  fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    say "Alertmanager exited; the end of $log:"
    tail -n 5 "$log" >&2
    exit 1
  fi
  sleep 0.1
done
say "Alertmanager was not ready after 30 s; see $log"
exit 1
