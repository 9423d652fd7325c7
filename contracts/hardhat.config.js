// Hardhat configuration for Tributary's settlement contracts.
//
// The compiler comes from npm only: the pinned `solc` package (solc-js, the official
// Emscripten/WebAssembly build of solc) is handed to Hardhat in place of its usual download
// from binaries.soliditylang.org, which this project's build machines cannot reach. Any other
// compiler version is refused, so a build never tries the network.
require("@nomicfoundation/hardhat-chai-matchers");
require("@nomicfoundation/hardhat-ethers");

const path = require("path");
const { subtask } = require("hardhat/config");
const { TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD } = require("hardhat/builtin-tasks/task-names");

const SOLC_VERSION = "0.8.28";

subtask(TASK_COMPILE_SOLIDITY_GET_SOLC_BUILD, async ({ solcVersion }) => {
  const solc = require("solc");
  const longVersion = solc.version().replace(/\.Emscripten.*$/, ""); // 0.8.28+commit.7893614a
  if (solcVersion !== SOLC_VERSION || !longVersion.startsWith(`${SOLC_VERSION}+`)) {
    throw new Error(
      `hardhat.config.js: solc ${solcVersion} requested but only the npm package solc@${SOLC_VERSION} ` +
        `is available (installed: ${longVersion}); pin both to the same version`,
    );
  }
  return {
    compilerPath: require.resolve("solc/soljson.js"),
    isSolcJs: true,
    version: SOLC_VERSION,
    longVersion,
  };
});

/** @type import('hardhat/config').HardhatUserConfig */
module.exports = {
  solidity: {
    version: SOLC_VERSION,
    settings: {
      optimizer: { enabled: true, runs: 200 },
      // Cancun: supported by every chain we expect to settle on; set explicitly so that a solc
      // upgrade cannot silently change the target.
      evmVersion: "cancun",
    },
  },
  paths: {
    sources: path.join(__dirname, "src"),
    tests: path.join(__dirname, "test"),
    cache: path.join(__dirname, "cache"),
    artifacts: path.join(__dirname, "artifacts"),
  },
  networks: {
    hardhat: { hardfork: "cancun" },
    // `npx hardhat node` (scripts/deploy.js, tools/settle-local.sh); RPC_URL when not on 8545.
    localhost: { url: process.env.RPC_URL || "http://127.0.0.1:8545" },
  },
  mocha: { timeout: 120000 },
};
