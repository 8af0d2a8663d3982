#!/usr/bin/env bash
# Makes the Python venv whose official Slack SDK signs test requests to Warroom, whose
# aiosmtpd is the real SMTP server email pages go to, and whose dockerfile-parse reads the
# Dockerfile for tests/it/deploy_kit.rs, and prints the path of its python on stdout. Idempotent: a venv that already has both is reused.
# Installs Debian's python3-venv when the venv module (or its ensurepip) is missing.
#
#   export WARROOM_TEST_PYTHON=$(scripts/python-venv.sh)
#
# Settings: WARROOM_VENV (${TMPDIR:-/tmp}/warroom-venv).
set -euo pipefail

venv=${WARROOM_VENV:-${TMPDIR:-/tmp}/warroom-venv}
say() { echo "python-venv: $*" >&2; }

if [[ -x $venv/bin/python ]] && "$venv/bin/python" -c 'import slack_sdk, aiosmtpd, dockerfile_parse' 2>/dev/null; then
  echo "$venv/bin/python"
  exit 0
fi
say "making $venv with slack_sdk 3.48, aiosmtpd 1.4 and dockerfile-parse 2"
rm -rf "$venv"
if ! python3 -m venv "$venv" >&2; then
  say "python3's venv module is missing: installing Debian's python3-venv"
  rm -rf "$venv"
  apt-get update >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y python3-venv >&2
  python3 -m venv "$venv" >&2
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check 'slack_sdk==3.48.*' 'aiosmtpd==1.4.*' 'dockerfile-parse==2.*' >&2
"$venv/bin/python" -c 'import slack_sdk, aiosmtpd, dockerfile_parse' >&2
echo "$venv/bin/python"
