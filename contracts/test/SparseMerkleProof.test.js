// SparseMerkleProof: the Solidity check of Tributary state proofs, against the node's own vector
// (test/vectors/node-smt-vector.json, computed by the C++ SparseMerkleTree) and against trees
// built here with the JS reimplementation (lib/smt.js).
const { expect } = require("chai");
const { ethers } = require("hardhat");
const { loadFixture } = require("@nomicfoundation/hardhat-network-helpers");
const smt = require("../lib/smt");
const nodeVector = require("./vectors/node-smt-vector.json");

// Deterministic pseudo-random 32-byte strings.
const rand = (label, i) => smt.sha256(Buffer.from(`${label}:${i}`));

function flipByte(hex, byte = 31) {
  const b = Buffer.from(hex.slice(2), "hex");
  b[byte] ^= 0x01;
  return "0x" + b.toString("hex");
}

async function deployHarness() {
  const harness = await ethers.deployContract("SparseMerkleProofHarness");
  return { harness };
}

describe("SparseMerkleProof", function () {
  it("hashes a leaf as sha256(0x00 || key hash || value hash)", async function () {
    const { harness } = await loadFixture(deployHarness);
    const k = rand("k", 0);
    const v = rand("v", 0);
    expect(await harness.leafHash(k, v)).to.equal(smt.sha256("0x00", k, v));
    expect(await harness.leafHash(k, v)).to.equal(smt.leafHash(k, v));
  });

  it("the JS tree reproduces the node's root and proofs (C++ vector)", async function () {
    const tree = new smt.SparseMerkleTree();
    for (const e of nodeVector.entries) tree.put(e.key, e.value);
    expect(tree.root()).to.equal(nodeVector.root);
    for (const e of nodeVector.entries) expect(tree.prove(e.key)).to.deep.equal(e.siblings);
  });

  it("verifies every proof of the node's vector, and rejects altered ones", async function () {
    const { harness } = await loadFixture(deployHarness);
    const root = nodeVector.root;
    // The vector has empty (zero) siblings on some paths.
    expect(nodeVector.entries.some((e) => e.siblings.includes(smt.ZERO))).to.equal(true);
    for (const e of nodeVector.entries) {
      expect(await harness.verifyKeyValue(root, e.key, e.value, e.siblings)).to.equal(true);
      expect(await harness.computeRoot(smt.sha256(e.key), smt.sha256(e.value), e.siblings)).to.equal(root);
      expect(await harness.verifyKeyValue(root, e.key, e.value + "00", e.siblings)).to.equal(false);
      expect(await harness.verifyKeyValue(flipByte(root), e.key, e.value, e.siblings)).to.equal(false);
      expect(await harness.verifyKeyValue(root, e.key, e.value, e.siblings.slice(1))).to.equal(false);
      expect(await harness.verifyKeyValue(root, e.key, e.value, [...e.siblings, smt.ZERO])).to.equal(false);
    }
  });

  it("verifies every key of trees built by inserting keys one by one", async function () {
    const { harness } = await loadFixture(deployHarness);
    const tree = new smt.SparseMerkleTree();
    const kv = [];
    for (let i = 0; i < 40; ++i) {
      const key = Buffer.from(`key-${i}`);
      const value = Buffer.from(rand("value", i).slice(2, 2 + 2 * (1 + (i % 31))), "hex");
      tree.put(key, value);
      kv.push([key, value]);
      // After each insertion every key so far proves under the new root.
      if (i === 0 || i === 1 || i === 7 || i === 39) {
        const root = tree.root();
        for (const [k, v] of kv) {
          const siblings = tree.prove(k);
          expect(smt.verify(root, smt.sha256(k), smt.sha256(v), siblings)).to.equal(true);
          expect(await harness.verifyKeyValue(root, k, v, siblings)).to.equal(true);
        }
      }
    }
    expect(tree.size).to.equal(40);
  });

  it("rejects a wrong value, a wrong key, a tampered sibling and a swapped proof", async function () {
    const { harness } = await loadFixture(deployHarness);
    const tree = new smt.SparseMerkleTree();
    for (let i = 0; i < 16; ++i) tree.putHashes(rand("k", i), rand("v", i));
    const root = tree.root();
    for (let i = 0; i < 16; ++i) {
      const k = rand("k", i);
      const v = rand("v", i);
      const siblings = tree.proveHash(k);
      expect(await harness.verify(root, k, v, siblings)).to.equal(true);
      expect(await harness.verify(root, k, rand("v", i + 100), siblings)).to.equal(false);
      expect(await harness.verify(root, rand("k", i + 100), v, siblings)).to.equal(false);
      for (let s = 0; s < siblings.length; ++s) {
        const bad = [...siblings];
        bad[s] = flipByte(bad[s], 0);
        expect(await harness.verify(root, k, v, bad)).to.equal(false);
      }
      const other = tree.proveHash(rand("k", (i + 1) % 16));
      if (JSON.stringify(other) !== JSON.stringify(siblings)) {
        expect(await harness.verify(root, k, v, other)).to.equal(false);
      }
    }
  });

  it("handles a one-key tree (root = leaf, empty proof)", async function () {
    const { harness } = await loadFixture(deployHarness);
    const tree = new smt.SparseMerkleTree().put("0x57", "0x01");
    const k = smt.sha256("0x57");
    const v = smt.sha256("0x01");
    expect(tree.root()).to.equal(smt.leafHash(k, v));
    expect(tree.prove("0x57")).to.deep.equal([]);
    expect(await harness.verify(tree.root(), k, v, [])).to.equal(true);
    expect(await harness.verify(tree.root(), k, rand("v", 1), [])).to.equal(false);
  });

  it("handles the deepest path: keys that differ only in the last bit (256 siblings)", async function () {
    const { harness } = await loadFixture(deployHarness);
    const a = "0x" + "00".repeat(31) + "00";
    const b = "0x" + "00".repeat(31) + "01";
    const c = "0x" + "80" + "00".repeat(31); // differs at bit 0
    const tree = new smt.SparseMerkleTree().putHashes(a, rand("v", 1)).putHashes(b, rand("v", 2)).putHashes(c, rand("v", 3));
    const root = tree.root();
    const pa = tree.proveHash(a);
    const pb = tree.proveHash(b);
    expect(pa.length).to.equal(256);
    expect(pb.length).to.equal(256);
    expect(tree.proveHash(c).length).to.equal(1);
    expect(await harness.verify(root, a, rand("v", 1), pa)).to.equal(true);
    expect(await harness.verify(root, b, rand("v", 2), pb)).to.equal(true);
    expect(await harness.verify(root, c, rand("v", 3), tree.proveHash(c))).to.equal(true);
    expect(await harness.verify(root, a, rand("v", 1), pb)).to.equal(false);
  });

  it("rejects proofs deeper than 256 levels", async function () {
    const { harness } = await loadFixture(deployHarness);
    const k = rand("k", 1);
    const v = rand("v", 1);
    const siblings = Array.from({ length: 257 }, (_, i) => rand("s", i));
    // Whatever root 257 levels would give, verify refuses it.
    let h = smt.leafHash(k, v);
    const bits = BigInt(k);
    for (let i = 256; i >= 0; --i) {
      const bitI = i < 256 ? Number((bits >> BigInt(255 - i)) & 1n) : 0;
      h = bitI === 0 ? smt.innerHash(h, siblings[i]) : smt.innerHash(siblings[i], h);
    }
    expect(await harness.verify(h, k, v, siblings)).to.equal(false);
    expect(await harness.computeRoot(k, v, siblings)).to.equal(ethers.ZeroHash);
    expect(await harness.verify(ethers.ZeroHash, k, v, siblings)).to.equal(false);
  });
});
