#!/usr/bin/env bash
# Regenerates the checked-in sqlx offline metadata (.sqlx/) for every `sqlx::query!`.
#
#   scripts/sqlx-prepare.sh           rewrite .sqlx/
#   scripts/sqlx-prepare.sh --check   fail if .sqlx/ differs from what the queries need
#
# It applies schemas/sql/migrations to a scratch database on the local stack's Postgres and
# runs `cargo check` with the macros pointed at it (what `cargo sqlx prepare` does, without
# needing sqlx-cli). Builds elsewhere use .sqlx/ offline (no database at compile time).
set -euo pipefail
cd "$(dirname "$0")/.."
ADMIN_URL=${COMPUTESTREAM_DATABASE__URL:-postgres://computestream:computestream@127.0.0.1:5432/computestream}
DB=computestream_sqlx_prepare
BASE=${ADMIN_URL%/*}
psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
for f in schemas/sql/migrations/*.sql; do
  psql -q -v ON_ERROR_STOP=1 "$BASE/$DB" -f "$f" >/dev/null
done
out=.sqlx
if [ "${1:-}" = "--check" ]; then out=$(mktemp -d); fi
rm -rf "${out:?}"/query-*.json
mkdir -p "$out"
# Touch the crates with queries so the macros run again.
touch projector/src/lib.rs graphql/src/lib.rs
DATABASE_URL="$BASE/$DB" SQLX_OFFLINE=false SQLX_OFFLINE_DIR="$(realpath "$out")" \
  cargo check -q -p computestream-projector -p computestream-graphql
psql -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
if [ "${1:-}" = "--check" ]; then
  if ! diff -r "$out" .sqlx >/dev/null; then
    diff -r "$out" .sqlx || true
    echo "sqlx offline metadata (.sqlx/) is stale: run scripts/sqlx-prepare.sh" >&2
    exit 1
  fi
  rm -rf "$out"
  echo "sqlx offline metadata is up to date"
fi
