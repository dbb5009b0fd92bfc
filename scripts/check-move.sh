#!/usr/bin/env bash
# Syntax-checks the Move package with the tree-sitter Move grammar (built from its PyPI source
# package after removing the macOS binary it ships), and runs the Move unit tests when the
# `aptos` or `movement` CLI is on PATH (it is not installable on these machines).
set -euo pipefail
cd "$(dirname "$0")/.."
STATE_DIR=${CS_STACK_DIR:-/var/lib/computestream-stack}
VENV=$STATE_DIR/tree-sitter-move-venv
if ! "$VENV/bin/python" -c 'import tree_sitter, tree_sitter_move' 2>/dev/null; then
  echo "[move] building the tree-sitter Move grammar" >&2
  rm -rf "$VENV"
  mkdir -p "$STATE_DIR"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q tree-sitter==0.26.1 setuptools wheel
  src=$(mktemp -d)
  "$VENV/bin/pip" download -q --no-deps --no-binary :all: tree-sitter-move==0.0.2 -d "$src"
  tar -xzf "$src"/tree_sitter_move-0.0.2.tar.gz -C "$src"
  find "$src/tree_sitter_move-0.0.2" -name '*.so' -delete
  "$VENV/bin/pip" install -q --no-build-isolation "$src/tree_sitter_move-0.0.2"
  rm -rf "$src"
fi
"$VENV/bin/python" -W ignore scripts/check_move_syntax.py move
for cli in aptos movement; do
  if command -v "$cli" >/dev/null 2>&1; then
    echo "[move] $cli move test" >&2
    (cd move && "$cli" move test --dev)
    exit 0
  fi
done
echo "[move] no aptos/movement CLI on PATH: Move unit tests not run here (see move/README.md)"
