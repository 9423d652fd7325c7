#!/usr/bin/env bash
# Installs the JavaScript test clients (tests/js/package-lock.json, pinned) into DIR, for the
# integration test that drives a node with the official `openai` package. Idempotent.
set -euo pipefail
dir=${1:?usage: js-test-deps.sh DIR}
src=$(cd "$(dirname "$0")/../tests/js" && pwd)
mkdir -p "$dir"
if cmp -s "$src/package-lock.json" "$dir/package-lock.json" && [ -d "$dir/node_modules/openai" ]; then
  exit 0
fi
cp "$src/package.json" "$src/package-lock.json" "$src/openai_client.mjs" "$dir/"
cd "$dir"
npm ci --no-audit --no-fund --loglevel=error
