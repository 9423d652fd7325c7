#!/usr/bin/env bash
# Builds the web app: installs its pinned npm packages (web/package-lock.json) when the lock file
# changed since the last install, type-checks it, and bundles it with Vite into OUT, which
# `tributary node --web OUT` serves. Run by `make` (the CMake target `web`). Idempotent.
set -euo pipefail
src=$(cd "${1:?usage: web-build.sh WEB_DIR OUT_DIR}" && pwd)
out=${2:?usage: web-build.sh WEB_DIR OUT_DIR}
if ! command -v npm >/dev/null 2>&1; then
  echo "web-build.sh: npm is missing (scripts/setup installs it)" >&2
  exit 1
fi
cd "$src"
stamp=node_modules/.tributary-package-lock.json
if ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
npx --no-install tsc --noEmit
TRIBUTARY_WEB_OUT="$out" npx --no-install vite build --logLevel warn
