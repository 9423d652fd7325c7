#!/usr/bin/env bash
# Tests the Solidity settlement contracts (contracts/) with Hardhat: installs their pinned npm
# packages (contracts/package-lock.json) when the lock file changed since the last install, then
# compiles with the npm solc package (solc-js; nothing is downloaded from binaries.soliditylang.org)
# and runs the tests on Hardhat's in-process chain. Needs no network beyond `npm ci`. Idempotent;
# extra arguments go to `hardhat test` (e.g. test/Gas.test.js).
#
# --no-test: only install and compile (contracts/artifacts), for what runs the contracts on a
# Hardhat node (tools/settle-local.sh, the node's settlement tests: CTest fixture contracts_deps).
set -euo pipefail
no_test=0
if [[ "${1:-}" == "--no-test" ]]; then
  no_test=1
  shift
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "contracts-test.sh: npm is missing (scripts/setup installs it)" >&2
  exit 1
fi
cd "$(dirname "$0")/../contracts"
stamp=node_modules/.tributary-package-lock.json
if ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json "$stamp"
fi
# No telemetry question (on a terminal Hardhat would stop to ask).
export HARDHAT_DISABLE_TELEMETRY_PROMPT=true
if [[ $no_test == 1 ]]; then
  exec npx --no-install hardhat compile --quiet
fi
npx --no-install hardhat test "$@"
