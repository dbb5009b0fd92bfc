#!/usr/bin/env bash
# The main job, one command: brings up the local stack (installing what is missing), builds
# the one binary, and runs the end-to-end demo with a live terminal summary.
#   scripts/demo.sh [--providers N] [--jobs N] [--seconds S] [--settle-every S]   (Ctrl-C stops cleanly)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
# The demo's log lives in the durable broker (SQLite storage): a broker restart keeps it.
eval "$(scripts/stack.sh up --durable)"
cargo build --locked -q -p computestream
# The web app served at / (built from its lockfile once; Node.js and chromium installed if missing).
scripts/web.sh build || echo "demo: the web app was not built (scripts/web.sh build); the gateway serves the dashboard at /" >&2
exec target/debug/computestream demo "$@"
