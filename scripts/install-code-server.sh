#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3; the newest code-server whose engines.node fits
# Node 20) from the npm registry into the project-local .cache/code-server. Skips when present.
# Offline-safe: seeds @vscode/ripgrep's download cache with Debian's rg (its postinstall would
# fetch from GitHub) — see /work/shared/recipes/vscode-e2e/README.md §1 for every gotcha.
# usage: bash scripts/install-code-server.sh [DEST]      (needs: rg, python3, make, g++, libkrb5-dev)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DEST=${1:-$ROOT/.cache/code-server}
VERSION=4.100.3
BIN=$DEST/node_modules/.bin/code-server

installed() { [ -x "$BIN" ] && grep -q "\"version\": \"$VERSION\"" "$DEST/node_modules/code-server/package.json" 2>/dev/null; }
if installed; then echo "code-server $VERSION: already in $DEST"; exit 0; fi

mkdir -p "$DEST"
# One installer at a time (start.sh and the editor tier may both get here).
exec 9>"$DEST/.install.lock"
flock 9
if installed; then echo "code-server $VERSION: already in $DEST"; exit 0; fi

for tool in rg python3 make g++; do
  command -v "$tool" >/dev/null || { echo "install-code-server: $tool is missing; run: bash scripts/install-system-deps.sh" >&2; exit 1; }
done
[ -f /usr/include/gssapi/gssapi.h ] || { echo "install-code-server: libkrb5-dev is missing (kerberos addon headers); run: bash scripts/install-system-deps.sh" >&2; exit 1; }

# A private scratch TMPDIR/HOME: the ripgrep seed lives in $TMPDIR, and code-server writes
# ~/.config/code-server even for --version.
SCRATCH=$(mktemp -d)
trap 'rm -rf "$SCRATCH"' EXIT
mkdir -p "$SCRATCH/vscode-ripgrep-cache-1.15.11" "$SCRATCH/home"
tar czf "$SCRATCH/vscode-ripgrep-cache-1.15.11/ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz" -C "$(dirname "$(command -v rg)")" rg

cd "$DEST"
[ -f package.json ] || echo '{"name":"xdp-lab-code-server","private":true}' > package.json
echo "code-server $VERSION: installing into $DEST (about a minute: argon2/kerberos/node-pty compile from source)"
# unsafe_perm: code-server's postinstall refuses root without it; yes: node-pty's postinstall runs
# `npx node-gyp`; nodedir: node-gyp uses /usr/include/node instead of downloading headers.
TMPDIR="$SCRATCH" npm_config_unsafe_perm=true npm_config_yes=true npm_config_nodedir=/usr \
  npm install --save-exact --no-audit --no-fund --loglevel=error "code-server@$VERSION" > "$DEST/install.log" 2>&1 || {
  echo "install-code-server: npm install failed; last lines of $DEST/install.log:" >&2
  tail -30 "$DEST/install.log" >&2
  exit 1
}
HOME="$SCRATCH/home" XDG_CONFIG_HOME="$SCRATCH/home/.config" XDG_DATA_HOME="$SCRATCH/home/.local/share" \
  "$BIN" --version
installed || { echo "install-code-server: $BIN missing after install" >&2; exit 1; }
