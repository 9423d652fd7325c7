// Proof checking against proofs a real node handed out (fixtures/, captured from a dev node with
// `curl`), and against each of them tampered with: every change must fail, with the reason.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../src/bytes";
import { decodeHeader, leafHash, verifyInclusion, verifyPrecedingLeaves, verifyProof } from "../src/proof";

const fixture = (name: string) => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8"));
const sequencer = readFileSync(new URL("./fixtures/sequencer.txt", import.meta.url), "utf8").trim();
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

//! Flips one bit of the hex string's byte at `index` (negative: from the end).
function flip(hex: string, index: number): string {
  const b = fromHex(hex);
  b[index < 0 ? b.length + index : index] ^= 1;
  return toHex(b);
}

describe("proofs from a real node verify", () => {
  it.each([
    ["tx.json", "tx"],
    ["account.json", "account"],
    ["account-absent.json", "account"],
    ["receipt.json", "state"],
    ["row.json", "datanet_row"],
  ])("%s", async (name, kind) => {
    const v = await verifyProof(fixture(name), sequencer);
    expect(v.error).toBeUndefined();
    expect(v.ok).toBe(true);
    expect(v.kind).toBe(kind);
    expect(v.steps.every((s) => s.ok)).toBe(true);
    expect(v.height).toBeGreaterThan(0);
  });

  it("an account proof's decoded balance is the API's balance", async () => {
    const doc = fixture("account.json");
    const v = await verifyProof(doc, sequencer);
    expect(v.fields?.balance).toBe(doc.balance);
    expect(v.summary).toContain(doc.address);
  });

  it("an absent account proves a zero balance", async () => {
    const v = await verifyProof(fixture("account-absent.json"), sequencer);
    expect(v.fields?.balance).toBe("0");
  });

  it("a tx proof names the tx's kind and hash", async () => {
    const doc = fixture("tx.json");
    const v = await verifyProof(doc, sequencer);
    expect(v.fields?.hash).toBe(doc.hash);
    expect(v.fields?.kind).toBe(doc.tx.kind);
  });

  it("accepts the bare proof object as well as the API response", async () => {
    expect((await verifyProof(fixture("tx.json").proof, sequencer)).ok).toBe(true);
  });

  it("without a trusted key it still checks the signature", async () => {
    expect((await verifyProof(fixture("row.json"))).ok).toBe(true);
  });
});

describe("tampered proofs fail", () => {
  const cases: [string, string, (p: any) => void, RegExp][] = [
    ["tx.json", "the tx bytes", (p) => (p.tx = flip(p.tx, -70)), /tx root/],
    ["tx.json", "the receipt bytes", (p) => (p.receipt = flip(p.receipt, 40)), /receipts root/],
    ["tx.json", "the header's signature", (p) => (p.header = flip(p.header, -1)), /signed/],
    ["tx.json", "the header's tx root", (p) => (p.header = flip(p.header, 100)), /signed/],
    ["tx.json", "the leaf index", (p) => (p.tx_inclusion.leaf_index ^= 1), /same position|tx root/],
    ["tx.json", "an audit path entry", (p) => (p.tx_inclusion.path[0] = flip(p.tx_inclusion.path[0], 0)), /tx root/],
    ["account.json", "the account's value (its balance)", (p) => (p.value = flip(p.value, 15)), /state root/],
    ["account.json", "the address", (p) => (p.address = p.address.slice(0, 10) + (p.address[10] === "0" ? "1" : "0") + p.address.slice(11)), /state root/],
    ["account.json", "a sibling", (p) => (p.siblings[0] = flip(p.siblings[0], 31)), /state root/],
    ["account.json", "the proof's claim of absence", (p) => delete p.value, /absent/],
    ["receipt.json", "the receipt's value", (p) => (p.value = flip(p.value, 3)), /state root/],
    ["row.json", "the row's text", (p) => (p.row = p.row.replace("a", "b")), /row id/],
    ["row.json", "the row id and text together", (p) => (p.row = p.row + " "), /row id/],
    ["row.json", "the contributor", (p) => (p.contribution.contributor = "trb" + "1".repeat(48)), /version's root/],
    ["row.json", "the version label", (p) => (p.version += 1), /labels/],
    ["row.json", "the version record", (p) => (p.version_record = flip(p.version_record, 20)), /version's root|state root/],
    ["row.json", "the header", (p) => (p.header = flip(p.header, 60)), /signed/],
    ["row.json", "the row's index", (p) => (p.index += 1), /index/],
    ["row.json", "a preceding contribution's row count", (p) => (p.preceding[0] = flip(p.preceding[0], 71)), /before the row/],
    ["row.json", "the preceding contributions left out", (p) => (p.preceding = []), /before the row/],
  ];
  it.each(cases)("%s: %s", async (name, _what, tamper, reason) => {
    const doc = clone(fixture(name));
    tamper(doc.proof ?? doc);
    const v = await verifyProof(doc, sequencer);
    expect(v.ok).toBe(false);
    expect(v.error).toMatch(reason);
    expect(v.summary).toMatch(/^not proven/);
  });

  // The readable members beside the proof must say what the bytes prove.
  const readable: [string, string, (d: any) => void][] = [
    ["tx.json", "hash", (d) => (d.hash = d.hash.replace(/^./, (x: string) => (x === "0" ? "1" : "0")))],
    ["tx.json", "height", (d) => (d.height += 1)],
    ["tx.json", "index", (d) => (d.index += 1)],
    ["tx.json", "tx.raw", (d) => (d.tx.raw = flip(d.tx.raw, -70))],
    ["tx.json", "tx.kind", (d) => (d.tx.kind = "transfer")],
    ["tx.json", "tx.nonce", (d) => (d.tx.nonce += 1)],
    ["tx.json", "tx.max_fee", (d) => (d.tx.max_fee = "1")],
    ["tx.json", "tx.sender", (d) => (d.tx.sender = flip(d.tx.sender, 0))],
    ["tx.json", "receipt.fee_charged", (d) => (d.receipt.fee_charged = "1")],
    ["tx.json", "receipt.status", (d) => (d.receipt.status = "failed")],
    ["tx.json", "receipt.events", (d) => (d.receipt.events[0].attrs.name = "Something else")],
    ["account.json", "balance", (d) => (d.balance = (BigInt(d.balance) + 1n).toString())],
    ["account.json", "nonce", (d) => (d.nonce += 1)],
    ["account.json", "height", (d) => (d.height += 1)],
  ];
  it.each(readable)("%s: a readable %s that disagrees with the bytes", async (name, field, edit) => {
    const doc = clone(fixture(name));
    edit(doc);
    const v = await verifyProof(doc, sequencer);
    expect(v.ok).toBe(false);
    expect(v.error).toContain(`readable ${field} `);
  });

  it("a header signed by another key than the trusted sequencer fails", async () => {
    const other = sequencer.replace(/^./, (c) => (c === "0" ? "1" : "0"));
    const v = await verifyProof(fixture("tx.json"), other);
    expect(v.ok).toBe(false);
    expect(v.error).toMatch(/sequencer/);
  });
});

describe("malformed input is a verdict, never an exception", () => {
  it.each([
    [null],
    ["a string"],
    [{}],
    [{ proof: { type: "nonsense" } }],
    [{ proof: { type: "tx" } }],
    [{ proof: { type: "tx", header: "zz" } }],
    [{ proof: { type: "account", header: "00" } }],
    [{ proof: { type: "datanet_row", row: 5 } }],
  ])("%j", async (doc) => {
    const v = await verifyProof(doc, sequencer);
    expect(v.ok).toBe(false);
    expect(v.error).toBeTruthy();
  });

  it("a truncated header names the problem", async () => {
    const doc = clone(fixture("tx.json"));
    doc.proof.header = doc.proof.header.slice(0, 50);
    const v = await verifyProof(doc, sequencer);
    expect(v.error).toMatch(/truncated/);
  });
});

describe("RFC 6962 inclusion", () => {
  it("checks every leaf of trees of 1 to 9 leaves and rejects a wrong index", async () => {
    const { concat } = await import("../src/bytes");
    const { sha256 } = await import("../src/proof");
    const node = async (l: Uint8Array, r: Uint8Array) => sha256(concat(new Uint8Array([1]), l, r));
    // The reference tree: split at the largest power of two below n (RFC 6962 2.1).
    const root = async (leaves: Uint8Array[]): Promise<Uint8Array> => {
      if (leaves.length === 1) return leaves[0];
      let k = 1;
      while (k * 2 < leaves.length) k *= 2;
      return node(await root(leaves.slice(0, k)), await root(leaves.slice(k)));
    };
    const path = async (leaves: Uint8Array[], i: number): Promise<Uint8Array[]> => {
      if (leaves.length === 1) return [];
      let k = 1;
      while (k * 2 < leaves.length) k *= 2;
      return i < k ? [...(await path(leaves.slice(0, k), i)), await root(leaves.slice(k))] : [...(await path(leaves.slice(k), i - k)), await root(leaves.slice(0, k))];
    };
    for (let n = 1; n <= 9; n++) {
      const leaves = await Promise.all(Array.from({ length: n }, (_, i) => leafHash(new Uint8Array([i]))));
      const r = await root(leaves);
      for (let i = 0; i < n; i++) {
        const proof = { leafIndex: BigInt(i), treeSize: BigInt(n), path: await path(leaves, i) };
        expect(await verifyInclusion(leaves[i], proof, r)).toBe(true);
        expect(await verifyPrecedingLeaves(leaves.slice(0, i), proof)).toBe(true);
        if (i > 0) {
          const forged = [...leaves.slice(0, i)];
          forged[i - 1] = leaves[i];
          expect(await verifyPrecedingLeaves(forged, proof)).toBe(false);
          expect(await verifyPrecedingLeaves(leaves.slice(0, i - 1), proof)).toBe(false);
        }
        if (n > 1) expect(await verifyInclusion(leaves[(i + 1) % n], proof, r)).toBe(false);
      }
    }
  });
});

it("decodes a real block header", () => {
  const doc = fixture("tx.json");
  const h = decodeHeader(fromHex(doc.proof.header));
  expect(Number(h.height)).toBe(doc.height);
  expect(toHex(h.proposer)).toBe(sequencer);
});
