#!/usr/bin/env bash
# The soak run (docs/BENCHMARKS.md, "Soak"): the demo with many paying streams for hours on the
# durable broker, with every process's resident memory and open file descriptors sampled
# once a minute, then the demo's own end checks (nothing lost, nothing paid twice).
#
#   scripts/soak.sh [--jobs N] [--seconds S] [--providers N] [--out DIR] [--release] [--plot]
#     defaults: 100 jobs, 7200 s, 4 providers, out = /var/tmp/computestream-soak
#     --release: the optimized build of computestream (as production runs it); the durable
#     broker is the stack's (optimized unless CS_NISSHI_PROFILE=debug)
#
# Writes DIR/samples.csv (minute, process, rss_kib, fds), DIR/demo.out (the demo's summary and
# checks), DIR/demo.log (the services' logs), and, with `--plot`, DIR/soak.svg (matplotlib from
# PyPI in a virtualenv under /opt/computestream/tools).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

JOBS=100 SECONDS_=7200 PROVIDERS=4 OUT=/var/tmp/computestream-soak PLOT=0 PROFILE=debug
while [ $# -gt 0 ]; do
  case "$1" in
    --jobs) JOBS=$2; shift 2 ;;
    --seconds) SECONDS_=$2; shift 2 ;;
    --providers) PROVIDERS=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --plot) PLOT=1; shift ;;
    --release) PROFILE=release; shift ;;
    *) echo "usage: $0 [--jobs N] [--seconds S] [--providers N] [--out DIR] [--release] [--plot]" >&2; exit 2 ;;
  esac
done
STATE_DIR=${CS_STACK_DIR:-/var/lib/computestream-stack}
TOOLS_ROOT=${CS_TOOLS_ROOT:-/opt/computestream/tools}
mkdir -p "$OUT"

eval "$(scripts/stack.sh up --durable)"
if [ "$PROFILE" = release ]; then
  cargo build --locked -q --release -p computestream
else
  cargo build --locked -q -p computestream
fi

# One sample: the resident set (KiB) and open descriptors of a set of processes, summed.
sample() { # sample MINUTE NAME PID...
  local minute=$1 name=$2 rss=0 fds=0 r; shift 2
  for pid in "$@"; do
    [ -r "/proc/$pid/status" ] || continue
    r=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    rss=$((rss + ${r:-0}))
    fds=$((fds + $(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)))
  done
  echo "$minute,$name,$rss,$fds" >>"$OUT/samples.csv"
}

echo "minute,process,rss_kib,fds" >"$OUT/samples.csv"
target/$PROFILE/computestream demo --providers "$PROVIDERS" --jobs "$JOBS" --seconds "$SECONDS_" \
  --schema soak --log-file "$OUT/demo.log" >"$OUT/demo.out" 2>&1 &
DEMO=$!
trap 'kill -INT $DEMO 2>/dev/null || true' INT TERM
# Minutes are wall-clock minutes since the demo started (a loaded machine takes seconds to
# sample: counting loop turns would stretch the time axis).
START=$(date +%s)
while kill -0 "$DEMO" 2>/dev/null; do
  minute=$((($(date +%s) - START) / 60))
  sample "$minute" demo "$DEMO"
  sample "$minute" broker "$(cat "$STATE_DIR/broker-durable.pid")"
  # shellcheck disable=SC2046
  sample "$minute" postgres $(pgrep -u postgres -d ' ' postgres || true)
  # shellcheck disable=SC2046
  sample "$minute" dockerd $(pgrep -d ' ' -x dockerd || true) $(pgrep -d ' ' -x containerd || true)
  next=$((START + (minute + 1) * 60))
  while [ "$(date +%s)" -lt "$next" ] && kill -0 "$DEMO" 2>/dev/null; do sleep 1; done
done
status=0
wait "$DEMO" || status=$?
tail -n 25 "$OUT/demo.out"

# The figures: per process, the first sample after warm-up (minute 10), the last, the highest.
awk -F, 'NR > 1 && $1 >= 10 {
  if (!($2 in first)) { first[$2] = $3; ffd[$2] = $4 }
  last[$2] = $3; lfd[$2] = $4
  if ($3 > max[$2]) max[$2] = $3
  if ($4 > mfd[$2]) mfd[$2] = $4
} END {
  printf "%-9s %14s %14s %14s %8s %8s %8s\n", "process", "rss@10min KiB", "rss@end KiB", "rss max KiB", "fds@10", "fds@end", "fds max"
  for (p in first) printf "%-9s %14d %14d %14d %8d %8d %8d\n", p, first[p], last[p], max[p], ffd[p], lfd[p], mfd[p]
}' "$OUT/samples.csv" | tee "$OUT/figures.txt"

if [ "$PLOT" = 1 ]; then
  if [ ! -x "$TOOLS_ROOT/plot-venv/bin/python" ]; then
    /usr/bin/python3 -m venv "$TOOLS_ROOT/plot-venv"
    "$TOOLS_ROOT/plot-venv/bin/pip" install -q "matplotlib==3.9.2" >&2
  fi
  "$TOOLS_ROOT/plot-venv/bin/python" scripts/soak_plot.py "$OUT/samples.csv" "$OUT/soak.svg"
fi
exit "$status"
