#!/usr/bin/env bash
# The web app (web/): install its packages from the lockfile, check and build it, idempotent.
#
#   scripts/web.sh build   npm ci (when the lockfile changed), next build → web/out, the test
#                          wallet bundle → web/e2e/dist (skipped when nothing changed)
#   scripts/web.sh check   build, then lint (next lint), strict type check, unit tests
#
# Needs Node.js 20 and npm (installed from Debian on a bare machine) and, for the browser
# tests, Debian's chromium (installed here when missing; playwright-core never downloads a
# browser). `computestream serve` serves web/out at /.
set -euo pipefail
cd "$(dirname "$0")/../web"

need_root_install() { # package...
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq "$@" >/dev/null
  else
    echo "web.sh: needs $* (Debian packages)" >&2
    exit 1
  fi
}
command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || need_root_install nodejs npm
command -v chromium >/dev/null 2>&1 || need_root_install chromium

exec 9>.web.lock
flock 9

lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -d node_modules ] || [ "$(cat node_modules/.lock-sum 2>/dev/null)" != "$lock_sum" ]; then
  npm ci --no-audit --no-fund --loglevel=error
  echo "$lock_sum" > node_modules/.lock-sum
fi

# Rebuild when any source, config or the lockfile is newer than the last build.
stamp=out/.built
newer_sources() {
  find src e2e/test-wallet.ts public next.config.mjs tailwind.config.ts postcss.config.mjs \
    tsconfig.json package-lock.json -type f -newer "$stamp" 2>/dev/null | head -1
}
if [ ! -f "$stamp" ] || [ -n "$(newer_sources)" ]; then
  npm run -s build >/dev/null
  npm run -s build:test-wallet >/dev/null
  touch "$stamp"
  echo "web.sh: built web/out and e2e/dist/test-wallet.js"
fi

if [ "${1:-build}" = "check" ]; then
  npm run -s lint
  npm run -s typecheck
  npm test -- --reporter=dot
fi
