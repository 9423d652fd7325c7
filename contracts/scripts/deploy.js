// Deploys Tributary's settlement contracts and prints their addresses as one line of JSON:
//
//   SEQUENCER=0x... INTERVAL=5 WINDOW=3600 npx hardhat run --network localhost scripts/deploy.js
//
// Environment:
//   SEQUENCER  the EVM address that posts commitments (and reward epochs): the address of the
//              key given to `tributary node --settle-key` (required)
//   INTERVAL   post a commitment every INTERVAL Tributary blocks (required; the node's
//              --settle-every must equal it)
//   WINDOW     challenge window in seconds (default 3600)
//   POSTER     the RewardDistributor's poster (default SEQUENCER)
//   RPC_URL    the `localhost` network's URL (default http://127.0.0.1:8545; hardhat.config.js)
//   MINT       OPEN to mint, as ADDRESS=TOKENS[,ADDRESS=TOKENS...] (whole OPEN; default none):
//              the OPEN that starts on the EVM side, which should equal what the Tributary
//              chain's bridge escrow holds at genesis (1,000,000 on a --dev chain)
//   LOCK       OPEN to mint straight into OpenBridge (whole OPEN; default 0): the backing of what
//              starts on Tributary's side (its genesis supply less the escrow: 999,000,000 on a
//              --dev chain), so that everything withdrawn from Tributary can be released
//
// Deploys, from the network's first account (the owner of every contract): OpenToken,
// TributaryCommitments(SEQUENCER, INTERVAL, WINDOW), RewardDistributor(OPEN, POSTER),
// OpenBridge(OPEN, TributaryCommitments). On a real chain OPEN already exists and ownership goes to
// a multisig (contracts/README.md, "Deploying"); this script is for local chains and tests.
const hre = require("hardhat");

function required(name) {
  const v = process.env[name];
  if (v === undefined || v === "") throw new Error(`deploy.js: set ${name} (see the comment at the top)`);
  return v;
}

function whole(name, text, min) {
  if (!/^[0-9]+$/.test(text) || BigInt(text) < BigInt(min)) {
    throw new Error(`deploy.js: ${name} must be a whole number >= ${min}, not '${text}'`);
  }
  return BigInt(text);
}

async function main() {
  const { ethers } = hre;
  const sequencer = ethers.getAddress(required("SEQUENCER"));
  const interval = whole("INTERVAL", required("INTERVAL"), 1);
  const window = whole("WINDOW", process.env.WINDOW || "3600", 0);
  const poster = ethers.getAddress(process.env.POSTER || sequencer);
  const [deployer] = await ethers.getSigners();
  const mints = (process.env.MINT || "")
    .split(",")
    .filter((m) => m !== "")
    .map((m) => {
      const [to, tokens] = m.split("=");
      return [ethers.getAddress(to), whole("MINT amount", tokens || "", 1) * 10n ** 18n];
    });

  const open = await ethers.deployContract("OpenToken");
  await open.waitForDeployment();
  const commitments = await ethers.deployContract("TributaryCommitments", [sequencer, interval, window]);
  await commitments.waitForDeployment();
  const rewards = await ethers.deployContract("RewardDistributor", [await open.getAddress(), poster]);
  await rewards.waitForDeployment();
  const bridge = await ethers.deployContract("OpenBridge", [
    await open.getAddress(),
    await commitments.getAddress(),
  ]);
  await bridge.waitForDeployment();
  for (const [to, amount] of mints) await (await open.mint(to, amount)).wait();
  const lock = whole("LOCK", process.env.LOCK || "0", 0) * 10n ** 18n;
  if (lock > 0n) await (await open.mint(await bridge.getAddress(), lock)).wait();

  const network = await ethers.provider.getNetwork();
  console.log(
    JSON.stringify({
      chainId: Number(network.chainId),
      deployer: deployer.address,
      sequencer,
      interval: Number(interval),
      challengeWindow: Number(window),
      poster,
      OpenToken: await open.getAddress(),
      TributaryCommitments: await commitments.getAddress(),
      RewardDistributor: await rewards.getAddress(),
      OpenBridge: await bridge.getAddress(),
    }),
  );
}

main().catch((e) => {
  console.error(e.message || e);
  process.exitCode = 1;
});
