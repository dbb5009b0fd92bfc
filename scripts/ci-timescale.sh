#!/usr/bin/env bash
# CI wiring for the tests of the TimescaleDB path (projector/tests/timescale.rs): Node.js and
# npm present, the PGlite + TimescaleDB packages installed from
# testkit/timescale/package-lock.json, and one server started, asked for TimescaleDB's
# version and stopped, so a broken install fails here with one clear line rather than in
# the tests. The tests then start their own servers (one per test) through
# `scripts/timescale.sh serve`. Idempotent; about 15 s once the packages are installed.
#
#   .ci/run:  timed timescale scripts/ci-timescale.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  # This kind of machine has Node.js 20 and npm; a bare Debian gets its own packages.
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  else
    echo "ci-timescale: node and npm are needed (Node.js 20)" >&2
    exit 1
  fi
fi

scripts/timescale.sh install

port=${CS_TIMESCALE_SMOKE_PORT:-55431}
url=$(scripts/timescale.sh start "$port" | sed -n 's/^export CS_TIMESCALE_URL=//p')
trap 'scripts/timescale.sh stop "$port"' EXIT
version=$(PGPASSWORD=postgres psql -X -At "$url" \
  -c "SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'")
case "$version" in
  2.*) echo "ci-timescale: TimescaleDB $version on PGlite answers" ;;
  *) echo "ci-timescale: no TimescaleDB on the PGlite server (got '$version')" >&2; exit 1 ;;
esac
