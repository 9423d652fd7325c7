// Gas used by the calls the node and claimants make, from receipt.gasUsed on the Hardhat network
// (solc 0.8.28, optimizer 200 runs, Cancun). Prints a table; contracts/README.md records it.
// Run alone with: npx hardhat test test/Gas.test.js
//
// Conditions: "first" is the first call of its kind on a fresh contract (counters go from zero to
// non-zero, which costs more); the other rows are steady state (not the first claim of an epoch,
// not the first release). Every claim and release pays an account that held no OPEN before (the
// dearer case: its balance slot goes from zero to non-zero).
const { expect } = require("chai");
const { ethers } = require("hardhat");
const { time } = require("@nomicfoundation/hardhat-network-helpers");
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");
const smt = require("../lib/smt");

const abi = ethers.AbiCoder.defaultAbiCoder();
const h32 = (s) => ethers.keccak256(ethers.toUtf8Bytes(s));
let nextAccount = 0x1000;
const fresh = () => ethers.getAddress(ethers.zeroPadValue(ethers.toBeHex(nextAccount++), 20));
const gas = async (txPromise) => (await (await txPromise).wait()).gasUsed;

describe("Gas", function () {
  const rows = [];
  after(function () {
    console.log("\n    gas used (receipt.gasUsed):");
    for (const [what, used] of rows) console.log(`      ${what.padEnd(60)} ${used}`);
  });

  it("measures commitments, reward epochs and claims, and bridge calls", async function () {
    const [, sequencer, poster, alice] = await ethers.getSigners();
    const token = await ethers.deployContract("OpenToken");
    const commitments = await ethers.deployContract("TributaryCommitments", [sequencer.address, 100, 3600]);
    const distributor = await ethers.deployContract("RewardDistributor", [await token.getAddress(), poster.address]);
    const bridge = await ethers.deployContract("OpenBridge", [await token.getAddress(), await commitments.getAddress()]);
    await token.mint(poster.address, ethers.parseUnits("1000000", 18));
    await token.mint(alice.address, ethers.parseUnits("1000000", 18));
    await token.connect(poster).approve(await distributor.getAddress(), ethers.MaxUint256);
    await token.connect(alice).approve(await bridge.getAddress(), ethers.MaxUint256);

    rows.push(["TributaryCommitments.post (first)", await gas(commitments.connect(sequencer).post(100, h32("b1"), h32("s1")))]);
    rows.push(["TributaryCommitments.post", await gas(commitments.connect(sequencer).post(200, h32("b2"), h32("s2")))]);

    for (const n of [3, 1000, 10000]) {
      const values = Array.from({ length: n }, (_, i) => [fresh(), (1000n + BigInt(i)).toString()]);
      const tree = StandardMerkleTree.of(values, ["address", "uint256"]);
      const total = values.reduce((s, [, v]) => s + BigInt(v), 0n);
      const epoch = (await distributor.lastEpoch()) + 1n;
      const posted = await gas(distributor.connect(poster).postEpoch(epoch, tree.root, total));
      if (epoch <= 2n) rows.push([`RewardDistributor.postEpoch${epoch === 1n ? " (first)" : ""}`, posted]);
      const claims = [...tree.entries()].slice(0, 2).map(([i, v]) => [v, tree.getProof(i)]);
      for (const [k, [v, proof]] of claims.entries()) {
        const used = await gas(distributor.claim(epoch, v[0], v[1], proof));
        if (k === 1) rows.push([`RewardDistributor.claim (${n} leaves, proof of ${proof.length})`, used]);
      }
    }

    rows.push(["OpenBridge.deposit (first)", await gas(bridge.connect(alice).deposit(1000n, ethers.zeroPadValue("0x01", 20)))]);
    rows.push(["OpenBridge.deposit", await gas(bridge.connect(alice).deposit(100000n, ethers.zeroPadValue("0x02", 20)))]);

    // Releases against a state of n unrelated keys plus the withdrawal records.
    let height = 200;
    let id = 0n;
    for (const n of [10, 1000, 10000]) {
      const state = new smt.SparseMerkleTree();
      for (let i = 0; i < n; ++i) state.put(Buffer.from(`other-${i}`), Buffer.from(`value-${i}`));
      const ws = [
        [++id, fresh()],
        [++id, fresh()],
      ];
      for (const [w, to] of ws) state.put(smt.withdrawalKey(w), abi.encode(["address", "uint256"], [to, 500n]));
      height += 100;
      await commitments.connect(sequencer).post(height, h32(`b${height}`), state.root());
      await time.increase(3600);
      for (const [k, [w, to]] of ws.entries()) {
        const siblings = state.prove(smt.withdrawalKey(w));
        const used = await gas(bridge.release(w, to, 500n, height, siblings));
        if (n === 10 && k === 0) rows.push([`OpenBridge.release (first; ${n + 2}-key state, ${siblings.length} siblings)`, used]);
        if (k === 1) rows.push([`OpenBridge.release (${n + 2}-key state, ${siblings.length} siblings)`, used]);
      }
    }
    expect(rows.length).to.equal(13);
  });
});
