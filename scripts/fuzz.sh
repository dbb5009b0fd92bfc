#!/usr/bin/env bash
# Runs one fuzz target under libFuzzer (cargo-fuzz, the nightly toolchain) for a while and
# keeps what it found in the checked-in corpus:
#
#   scripts/fuzz.sh TARGET SECONDS        e.g. scripts/fuzz.sh envelope 600
#   scripts/fuzz.sh --list
#
# Targets live in fuzzing/src/lib.rs; fuzz/corpus/TARGET holds their inputs. New inputs
# that reach new code are merged into the corpus (libFuzzer -merge=1); an input that makes
# the target fail is copied into the corpus too, so CI (fuzzing/tests/corpus_replay.rs)
# replays it until it is fixed. Needs `rustup toolchain install nightly` and a C++
# compiler; installs cargo-fuzz (pinned) on first use.
set -euo pipefail
cd "$(dirname "$0")/.."
CARGO_FUZZ_VERSION=0.13.1
die() { printf '[fuzz] error: %s\n' "$*" >&2; exit 1; }

targets=$(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^computestream-fuzz$')
if [ "${1:-}" = "--list" ]; then echo "$targets"; exit 0; fi
[ $# -eq 2 ] || die "usage: scripts/fuzz.sh TARGET SECONDS (targets: $(echo $targets))"
target=$1 seconds=$2
echo "$targets" | grep -qx "$target" || die "no target $target (targets: $(echo $targets))"
rustup toolchain list | grep -q '^nightly' || die "the nightly toolchain is needed (rustup toolchain install nightly)"
if ! cargo fuzz --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked >&2
fi

work=fuzz/target/work/$target
mkdir -p "$work" "fuzz/corpus/$target"
# The instrumented build keeps overflow checks and debug assertions (panics are failures).
cargo +nightly fuzz build -O --debug-assertions "$target" >&2
status=0
cargo +nightly fuzz run -O --debug-assertions "$target" "$work" "fuzz/corpus/$target" -- \
  -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 || status=$?
# Keep what reaches new code (the corpus stays small: one input per new path).
cargo +nightly fuzz run -O --debug-assertions "$target" "fuzz/corpus/$target" "$work" -- -merge=1 >&2 2>/dev/null || true
if compgen -G "fuzz/artifacts/$target/*" >/dev/null; then
  for f in fuzz/artifacts/"$target"/*; do cp "$f" "fuzz/corpus/$target/regression-$(basename "$f")"; done
  die "$target failed; the inputs are in fuzz/corpus/$target/regression-* (fix, then commit them)"
fi
exit $status
