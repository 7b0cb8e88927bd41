#!/usr/bin/env bash
# The main job (README's first command): sets everything up and opens XDP Lab in a real VS Code
# in the browser — code-server on 127.0.0.1 with the freshly packaged .vsix installed and
# examples/ opened. Ctrl+C stops it (the whole process group: server, extension hosts, watchers).
# usage: bash scripts/start.sh [--port N]       (default 8080, or a free port when 8080 is taken)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
PORT=${XDP_LAB_PORT:-8080}
while [ $# -gt 0 ]; do
  case "$1" in
    --port) PORT=${2:?--port needs a number}; shift 2 ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "start.sh: unknown argument $1 (try --help)" >&2; exit 2 ;;
  esac
done
step() { printf '\n== %s\n' "$*"; }

step "system packages"
bash scripts/install-system-deps.sh

step "npm packages"
# npm writes node_modules/.package-lock.json on install: older than package-lock.json = stale.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  echo "node_modules is up to date"
fi

step "build and package xdp-lab.vsix"
mkdir -p .cache
npm run --silent package > .cache/package.log 2>&1 || { cat .cache/package.log >&2; exit 1; }
ls -l xdp-lab.vsix | awk '{print "xdp-lab.vsix: " $5 " bytes"}'

step "code-server"
bash scripts/install-code-server.sh
CS=$ROOT/.cache/code-server/node_modules/.bin/code-server

# One sandbox for the main job (kept between runs, so your editor settings survive): HOME, XDG_*
# and TMPDIR point inside it because code-server writes ~/.config/code-server and sockets in $TMPDIR.
RUN=$ROOT/.cache/main-job
mkdir -p "$RUN/home" "$RUN/tmp" "$RUN/data/User" "$RUN/exts"
[ -f "$RUN/data/User/settings.json" ] || cat > "$RUN/data/User/settings.json" <<'JSON'
{
  "workbench.startupEditor": "none",
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoCheckUpdates": false,
  "extensions.autoUpdate": false,
  "security.workspace.trust.enabled": false,
  "json.schemaDownload.enable": false,
  "git.enabled": false
}
JSON
export HOME=$RUN/home XDG_CONFIG_HOME=$RUN/home/.config XDG_DATA_HOME=$RUN/home/.local/share XDG_CACHE_HOME=$RUN/home/.cache TMPDIR=$RUN/tmp
"$CS" --user-data-dir "$RUN/data" --extensions-dir "$RUN/exts" --install-extension "$ROOT/xdp-lab.vsix" --force

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if port_busy "$PORT"; then
  OLD=$PORT
  PORT=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  echo "port $OLD is in use; using $PORT"
fi

step "starting code-server"
LOG=$RUN/code-server.log
# setsid: code-server and everything it spawns form one process group we can stop as a whole.
setsid "$CS" --bind-addr "127.0.0.1:$PORT" --auth none \
  --user-data-dir "$RUN/data" --extensions-dir "$RUN/exts" \
  --disable-telemetry --disable-update-check --disable-workspace-trust \
  --disable-getting-started-override "$ROOT/examples" > "$LOG" 2>&1 &
PID=$!
stop() {
  trap - INT TERM EXIT
  echo
  echo "stopping code-server (process group $PID)"
  kill -TERM -- "-$PID" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL -- "-$PID" 2>/dev/null || true
}
trap stop INT TERM EXIT

until curl -fs -o /dev/null "http://127.0.0.1:$PORT/healthz"; do
  if ! kill -0 "$PID" 2>/dev/null; then echo "code-server exited; log:" >&2; tail -30 "$LOG" >&2; exit 1; fi
  sleep 0.1
done
URL="http://127.0.0.1:$PORT/?folder=$ROOT/examples"
cat <<MSG

XDP Lab is running in VS Code (code-server $("$CS" --version 2>/dev/null | head -1 | cut -d' ' -f1)):

    $URL

Open that URL in a browser on this machine (or forward port $PORT, e.g. ssh -L $PORT:127.0.0.1:$PORT).
examples/ holds redirect.bpf.c and redirect.xdpscenario.json; the commands are under "XDP Lab:" (F1).
Server log: $LOG
Stop: press Ctrl+C here (stops code-server's whole process group).
MSG
wait "$PID"
