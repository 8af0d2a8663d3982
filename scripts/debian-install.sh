#!/usr/bin/env bash
# Installs Debian packages for the test servers without letting their maintainer scripts
# start the distribution's own service (on its default ports): a policy-rc.d that exits 101
# forbids that for the install, and is removed after unless one was there already.
#
#   scripts/debian-install.sh openssh-server openssh-client
set -euo pipefail

[[ $(id -u) == 0 ]] || { echo "debian-install: $* not installed and I am not root" >&2; exit 1; }
made_policy=0
if [[ ! -e /usr/sbin/policy-rc.d ]]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  made_policy=1
fi
apt-get update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2
[[ $made_policy == 0 ]] || rm -f /usr/sbin/policy-rc.d
