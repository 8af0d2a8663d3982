#!/usr/bin/env bash
# Installs the OpenID provider the sign-in tests run (oidc-provider from npm, the version
# scripts/oidc-provider/package-lock.json pins) into a folder of its own, and prints the path
# of its provider.mjs on stdout; a test starts it with node on a port and redirect of its own
# (see the script's head). Idempotent: an install that matches the lock is reused.
#
#   export WARROOM_TEST_OIDC_PROVIDER=$(scripts/oidc-provider.sh)
#
# Settings: WARROOM_OIDC_DIR (${TMPDIR:-/tmp}/warroom-oidc-provider).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/oidc-provider"

dir=${WARROOM_OIDC_DIR:-${TMPDIR:-/tmp}/warroom-oidc-provider}
say() { echo "oidc-provider: $*" >&2; }
command -v node >/dev/null || { say "node is not installed"; exit 1; }

mkdir -p "$dir"
cp provider.mjs "$dir/provider.mjs"
if ! cmp -s package-lock.json "$dir/package-lock.json" || [[ ! -d $dir/node_modules/oidc-provider ]]; then
  say "installing oidc-provider into $dir"
  cp package.json package-lock.json "$dir/"
  (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error >&2)
fi
(cd "$dir" && node -e "import('oidc-provider')" >&2)
echo "$dir/provider.mjs"
