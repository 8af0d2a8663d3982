#!/usr/bin/env bash
# Starts a throw-away OpenSSH server on 127.0.0.1 for the tests of `[actions] runner =
# "ssh:HOST"`, and prints the path of an ssh client configuration on stdout whose `Host
# warroom-test-ssh` reaches it with a key made here and the server's host key pinned
# (StrictHostKeyChecking yes). Installs Debian's openssh-server and openssh-client when
# missing. Idempotent: a server that already runs is reused. Everything else goes to stderr.
#
#   export WARROOM_TEST_SSH_CONFIG=$(scripts/start-sshd.sh)
#
# Settings: SSHD_PORT (59022), SSHD_DIR (${TMPDIR:-/tmp}/warroom-sshd-$SSHD_PORT).
# The server logs to $SSHD_DIR/sshd.log; stop it with: kill "$(cat $SSHD_DIR/sshd.pid)".
set -euo pipefail

say() { echo "start-sshd: $*" >&2; }
port=${SSHD_PORT:-59022}
dir=${SSHD_DIR:-${TMPDIR:-/tmp}/warroom-sshd-$port}

if [[ ! -x /usr/sbin/sshd ]] || ! command -v ssh >/dev/null; then
  say "installing openssh-server and openssh-client (Debian packages)"
  "$(dirname "${BASH_SOURCE[0]}")/debian-install.sh" openssh-server openssh-client
fi

client_config=$dir/ssh_config
if [[ -f $dir/sshd.pid ]] && kill -0 "$(cat "$dir/sshd.pid")" 2>/dev/null && [[ -f $client_config ]]; then
  echo "$client_config"
  exit 0
fi

rm -rf "$dir"
mkdir -p "$dir"
chmod 700 "$dir"
ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key" -C warroom-test-host >&2
ssh-keygen -q -t ed25519 -N '' -f "$dir/client_key" -C warroom-test-client >&2
cp "$dir/client_key.pub" "$dir/authorized_keys"
chmod 600 "$dir/authorized_keys"
echo "[127.0.0.1]:$port $(cut -d' ' -f1,2 "$dir/host_key.pub")" > "$dir/known_hosts"
# sshd refuses to start without its privilege-separation directory.
mkdir -p /run/sshd 2>/dev/null || true

cat > "$dir/sshd_config" <<CONF
ListenAddress 127.0.0.1
Port $port
HostKey $dir/host_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
PermitRootLogin prohibit-password
AllowUsers $(id -un)
LogLevel VERBOSE
CONF

# The server, and a host on a port where nothing listens (the outage case).
host_block() {
  cat <<CONF
Host $1
  HostName 127.0.0.1
  Port $2
  User $(id -un)
  IdentityFile $dir/client_key
  IdentitiesOnly yes
  UserKnownHostsFile $dir/known_hosts
  StrictHostKeyChecking yes
  ConnectTimeout 5

CONF
}
{ host_block warroom-test-ssh "$port"; host_block warroom-test-ssh-down 9; } > "$client_config"

/usr/sbin/sshd -t -f "$dir/sshd_config" >&2
/usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
for _ in $(seq 1 50); do
  if ssh -F "$client_config" -o BatchMode=yes warroom-test-ssh true 2>/dev/null; then
    say "sshd on 127.0.0.1:$port (log: $dir/sshd.log)"
    echo "$client_config"
    exit 0
  fi
  sleep 0.1
done
say "sshd did not answer on 127.0.0.1:$port; its log:"
cat "$dir/sshd.log" >&2 || true
exit 1
