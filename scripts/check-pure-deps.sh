#!/usr/bin/env bash
# The domain and schema crates decide; they never do I/O. Fails if anything in their
# normal dependency trees is an async runtime, a database, broker, container or HTTP client.
set -euo pipefail
cd "$(dirname "$0")/.."
forbidden='^(tokio|sqlx|sqlx-core|rdkafka|rdkafka-sys|bollard|axum|hyper|reqwest|mio|async-std|aptos-sdk)$'
status=0
for crate in computestream-domain computestream-schemas; do
  found=$(cargo tree -q -p "$crate" -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u | grep -E "$forbidden" || true)
  if [ -n "$found" ]; then
    echo "$crate must stay pure, but depends on: $found" >&2
    status=1
  else
    echo "$crate: no I/O crates in its dependency tree"
  fi
done
exit $status
