// The token-moving entry points refuse reentrant calls (a hostile token calling back mid-transfer).
const { expect } = require("chai");
const { ethers } = require("hardhat");
const { loadFixture } = require("@nomicfoundation/hardhat-network-helpers");
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");
const smt = require("../lib/smt");

const abi = ethers.AbiCoder.defaultAbiCoder();

async function deploy() {
  const [, sequencer, poster, alice, bob] = await ethers.getSigners();
  const token = await ethers.deployContract("ReentrantToken");
  const commitments = await ethers.deployContract("TributaryCommitments", [sequencer.address, 1, 0]);
  const distributor = await ethers.deployContract("RewardDistributor", [await token.getAddress(), poster.address]);
  const bridge = await ethers.deployContract("OpenBridge", [await token.getAddress(), await commitments.getAddress()]);
  await token.mint(poster.address, 1000n);
  await token.mint(alice.address, 1000n);
  await token.connect(poster).approve(await distributor.getAddress(), ethers.MaxUint256);
  await token.connect(alice).approve(await bridge.getAddress(), ethers.MaxUint256);
  return { token, commitments, distributor, bridge, sequencer, poster, alice, bob };
}

describe("Reentrancy", function () {
  it("RewardDistributor.claim cannot be re-entered from the token transfer", async function () {
    const { token, distributor, poster, alice, bob } = await loadFixture(deploy);
    const t = StandardMerkleTree.of(
      [
        [alice.address, "10"],
        [bob.address, "20"],
      ],
      ["address", "uint256"],
    );
    await distributor.connect(poster).postEpoch(1, t.root, 30n);
    const bobCall = distributor.interface.encodeFunctionData("claim", [1, bob.address, 20n, t.getProof([bob.address, "20"])]);
    await token.arm(await distributor.getAddress(), bobCall);
    await expect(distributor.claim(1, alice.address, 10n, t.getProof([alice.address, "10"]))).to.be.revertedWithCustomError(
      distributor,
      "ReentrancyGuardReentrantCall",
    );
    // Unarmed, both claims go through.
    await token.arm(ethers.ZeroAddress, "0x");
    await distributor.claim(1, alice.address, 10n, t.getProof([alice.address, "10"]));
    await distributor.claim(1, bob.address, 20n, t.getProof([bob.address, "20"]));
  });

  it("OpenBridge.release and deposit cannot be re-entered from the token transfer", async function () {
    const { token, commitments, bridge, sequencer, alice, bob } = await loadFixture(deploy);
    await bridge.connect(alice).deposit(100n, ethers.zeroPadValue("0x01", 20));
    const state = new smt.SparseMerkleTree();
    state.put(smt.withdrawalKey(1), abi.encode(["address", "uint256"], [alice.address, 10n]));
    state.put(smt.withdrawalKey(2), abi.encode(["address", "uint256"], [bob.address, 20n]));
    await commitments.connect(sequencer).post(1, ethers.ZeroHash, state.root());
    const bobCall = bridge.interface.encodeFunctionData("release", [2, bob.address, 20n, 1, state.prove(smt.withdrawalKey(2))]);
    await token.arm(await bridge.getAddress(), bobCall);
    await expect(bridge.release(1, alice.address, 10n, 1, state.prove(smt.withdrawalKey(1)))).to.be.revertedWithCustomError(
      bridge,
      "ReentrancyGuardReentrantCall",
    );
    const depositCall = bridge.interface.encodeFunctionData("deposit", [1n, ethers.zeroPadValue("0x02", 20)]);
    await token.arm(await bridge.getAddress(), depositCall);
    await expect(bridge.connect(alice).deposit(5n, ethers.zeroPadValue("0x01", 20))).to.be.revertedWithCustomError(
      bridge,
      "ReentrancyGuardReentrantCall",
    );
    await token.arm(ethers.ZeroAddress, "0x");
    await bridge.release(1, alice.address, 10n, 1, state.prove(smt.withdrawalKey(1)));
    await bridge.release(2, bob.address, 20n, 1, state.prove(smt.withdrawalKey(2)));
  });
});
