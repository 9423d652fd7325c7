// A small reimplementation of Tributary's SHA-256 sparse Merkle tree (the node's
// include/tributary/ledger/smt.h and ledger/state.h), for tests and tooling:
//
//   key hash      = sha256(key bytes)            value hash = sha256(value bytes)
//   empty subtree = 32 zero bytes
//   leaf          = sha256(0x00 || key_hash || value_hash)
//   inner node    = sha256(0x01 || left || right)
//
// Bit i of the key hash (most significant bit of byte 0 first) picks the child at depth i
// (0 = left); a subtree with exactly one leaf is that leaf's hash at the highest level where it
// is alone. Proofs list sibling hashes from the root down. Straightforward rather than fast:
// root() and prove() rebuild from the key set (O(n log n) hashes), fine for tests.
"use strict";

const crypto = require("node:crypto");

const ZERO = Buffer.alloc(32);

function toBuf(x) {
  if (typeof x === "string") {
    const hex = x.startsWith("0x") ? x.slice(2) : x;
    if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new Error(`not hex: ${x}`);
    return Buffer.from(hex, "hex");
  }
  return Buffer.from(x);
}

function hex(b) {
  return "0x" + Buffer.from(b).toString("hex");
}

function sha256(...parts) {
  const h = crypto.createHash("sha256");
  for (const p of parts) h.update(toBuf(p));
  return h.digest();
}

function leafHash(keyHash, valueHash) {
  return sha256(Buffer.from([0x00]), keyHash, valueHash);
}

function innerHash(left, right) {
  return sha256(Buffer.from([0x01]), left, right);
}

function bit(keyHash, i) {
  return (keyHash[i >> 3] >> (7 - (i & 7))) & 1;
}

// Hash of the subtree at `depth` holding `entries` (all share the path above it).
function subtreeHash(entries, depth) {
  if (entries.length === 0) return ZERO;
  if (entries.length === 1) return leafHash(entries[0].keyHash, entries[0].valueHash);
  const left = entries.filter((e) => bit(e.keyHash, depth) === 0);
  const right = entries.filter((e) => bit(e.keyHash, depth) === 1);
  return innerHash(subtreeHash(left, depth + 1), subtreeHash(right, depth + 1));
}

class SparseMerkleTree {
  constructor() {
    this.entries = new Map(); // hex key hash -> { keyHash, valueHash }
  }

  get size() {
    return this.entries.size;
  }

  // Sets the value hash of a key hash (both 32 bytes).
  putHashes(keyHash, valueHash) {
    const k = toBuf(keyHash);
    const v = toBuf(valueHash);
    if (k.length !== 32 || v.length !== 32) throw new Error("hashes must be 32 bytes");
    this.entries.set(k.toString("hex"), { keyHash: k, valueHash: v });
    return this;
  }

  // Sets state key `key` to `value` (raw bytes; hashed with SHA-256 as the node's state does).
  put(key, value) {
    return this.putHashes(sha256(key), sha256(value));
  }

  deleteHash(keyHash) {
    this.entries.delete(toBuf(keyHash).toString("hex"));
    return this;
  }

  delete(key) {
    return this.deleteHash(sha256(key));
  }

  // The root as 0x-hex.
  root() {
    return hex(subtreeHash([...this.entries.values()], 0));
  }

  // Membership proof for a key hash: sibling hashes (0x-hex) from the root down.
  proveHash(keyHash) {
    const k = toBuf(keyHash);
    if (!this.entries.has(k.toString("hex"))) throw new Error(`key hash ${hex(k)} is not in the tree`);
    const siblings = [];
    let path = [...this.entries.values()];
    for (let depth = 0; path.length > 1; ++depth) {
      const b = bit(k, depth);
      const same = path.filter((e) => bit(e.keyHash, depth) === b);
      const other = path.filter((e) => bit(e.keyHash, depth) !== b);
      siblings.push(hex(subtreeHash(other, depth + 1)));
      path = same;
    }
    return siblings;
  }

  prove(key) {
    return this.proveHash(sha256(key));
  }
}

// Checks a membership proof, as SparseMerkleProof.verify does on chain.
function verify(root, keyHash, valueHash, siblings) {
  if (siblings.length > 256) return false;
  const k = toBuf(keyHash);
  let h = leafHash(k, toBuf(valueHash));
  for (let i = siblings.length - 1; i >= 0; --i) {
    h = bit(k, i) === 0 ? innerHash(h, toBuf(siblings[i])) : innerHash(toBuf(siblings[i]), h);
  }
  return hex(h) === hex(toBuf(root));
}

// Tributary state key of bridge withdrawal `id`: "B" || uint64 big-endian (9 bytes).
function withdrawalKey(id) {
  const b = Buffer.alloc(9);
  b[0] = 0x42;
  b.writeBigUInt64BE(BigInt(id), 1);
  return hex(b);
}

module.exports = {
  SparseMerkleTree,
  ZERO: hex(ZERO),
  sha256: (...parts) => hex(sha256(...parts)),
  leafHash: (k, v) => hex(leafHash(toBuf(k), toBuf(v))),
  innerHash: (l, r) => hex(innerHash(toBuf(l), toBuf(r))),
  verify,
  withdrawalKey,
};
