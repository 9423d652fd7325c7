#!/usr/bin/env bash
# A local EVM chain to settle to: starts a Hardhat node (contracts/) on 127.0.0.1:PORT, deploys the
# settlement contracts with contracts/scripts/deploy.js, writes the sequencer's EVM key file and
# prints the `tributary node` command that posts block commitments there and relays the OPEN bridge
# (docs/settlement.md).
# Runs until Ctrl-C; the Hardhat chain lives in memory and is gone when this stops.
#
#   tools/settle-local.sh [--port 8545] [--every 5] [--window 3600]
#
# The sequencer is Hardhat's account #1 (its key is public: for local chains only); account #0
# deploys and owns the contracts; account #2 holds the 1,000,000 OPEN that start on the EVM side
# (as much as a --dev chain's bridge escrow), its key in var/settle-local/depositor.key; OpenBridge
# holds the 999,000,000 that back a --dev chain's own supply. Files go to var/settle-local/.
set -euo pipefail
port=8545
every=5
window=3600
while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --every) every="$2"; shift 2 ;;
    --window) window="$2"; shift 2 ;;
    *) echo "settle-local.sh: unknown argument $1 (--port, --every, --window)" >&2; exit 1 ;;
  esac
done
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/var/settle-local"
mkdir -p "$out"
"$root/tools/contracts-test.sh" --no-test  # npm packages and compiled contracts

seq_key=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
seq_address=0x70997970C51812dc3A010C7d01b50e0d17dc79C8
depositor_key=0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a
depositor_address=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC
url="http://127.0.0.1:$port"

cd "$root/contracts"
export HARDHAT_DISABLE_TELEMETRY_PROMPT=true
node node_modules/.bin/hardhat node --hostname 127.0.0.1 --port "$port" >"$out/hardhat.log" 2>&1 &
hardhat=$!
trap 'kill $hardhat 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  if ! kill -0 "$hardhat" 2>/dev/null; then
    echo "settle-local.sh: the Hardhat node exited (port $port taken?):" >&2
    tail -5 "$out/hardhat.log" >&2
    exit 1
  fi
  if node -e "fetch('$url',{method:'POST',headers:{'content-type':'application/json'},body:'{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}'}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then
    break
  fi
  sleep 0.2
done
deployed="$(SEQUENCER=$seq_address INTERVAL=$every WINDOW=$window RPC_URL=$url \
  MINT=$depositor_address=1000000 LOCK=999000000 \
  node node_modules/.bin/hardhat run --network localhost scripts/deploy.js | tail -1)"
echo "$deployed" >"$out/deployed.json"
field() { node -e 'console.log(JSON.parse(process.argv[1])[process.argv[2]])' "$deployed" "$1"; }
commitments="$(field TributaryCommitments)"
bridge="$(field OpenBridge)"
rewards="$(field RewardDistributor)"
(umask 077 && echo "$seq_key" >"$out/evm.key" && echo "$depositor_key" >"$out/depositor.key")

cat <<MSG
Hardhat node: $url (chain 31337), log in var/settle-local/hardhat.log
Contracts (var/settle-local/deployed.json): $deployed

Start a node that posts a commitment every $every blocks and relays the bridge (in another
terminal, from $root):
  build/tributary node --dev --settle-rpc $url --settle-key var/settle-local/evm.key \\
    --settle-every $every --settle-commitments $commitments \\
    --settle-bridge $bridge --settle-confirmations 2 \\
    --settle-rewards $rewards --settle-epoch-blocks 50
  curl -s http://127.0.0.1:8645/v1/settlement

Move OPEN across (account #2 $depositor_address holds 1,000,000 OPEN here):
  build/tributary bridge deposit --rpc $url --bridge $bridge \\
    --evm-key var/settle-local/depositor.key --to dev --amount 250 --wait
  build/tributary bridge withdraw --from dev --to $depositor_address --amount 100

Be paid on the EVM chain for what your data earns (then ask a priced model a question):
  build/tributary rewards payout --from dev --evm-address 0x90F79bf6EB2c4f870365E785982E1f101E93b906
  build/tributary claim --epoch E --from dev --send --rpc $url --evm-key var/settle-local/depositor.key
Stop with Ctrl-C (the local chain goes with it).
MSG
wait "$hardhat"
