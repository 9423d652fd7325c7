// Proofs checked in the browser with WebCrypto (SHA-256 and Ed25519), trusting nothing the node
// says but the bytes of the proof: the block header's Ed25519 signature, then the Merkle path(s)
// from the proven item to the header's roots. The same rules as the node's offline verifier
// (src/ledger/verify.cpp, src/datanet/service.cpp VerifyVersionRowProof):
//   - tx and receipt trees: RFC 6962 (leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || l || r)),
//     inclusion checked as in RFC 9162 section 2.1.3.2;
//   - state: the sparse Merkle tree of src/ledger/smt.h (key hash = SHA-256(key), value hash =
//     SHA-256(value), empty subtree = 32 zero bytes, leaves compressed at the highest level where
//     they are alone);
//   - block header: "tributary/block/v1" || body, signed with Ed25519 by the sequencer.
import { Reader, concat, equal, fromHex, toHex, u32be, u64be, utf8 } from "./bytes";
import { formatBase } from "./format";

export interface Step {
  what: string;
  ok: boolean;
  detail?: string;
}

export interface Verdict {
  ok: boolean;
  kind: string; //!< "tx", "account", "state" or "datanet_row"
  height?: number;
  proposer?: string;
  summary: string; //!< built only from verified bytes when ok
  steps: Step[];
  error?: string; //!< the first check that failed
  fields?: Record<string, string>; //!< decoded, verified values (balance, fee, ...)
}

export interface BlockHeader {
  chainId: string;
  height: bigint;
  prevHash: Uint8Array;
  timestampMs: bigint;
  proposer: Uint8Array;
  txRoot: Uint8Array;
  receiptsRoot: Uint8Array;
  stateRoot: Uint8Array;
  txCount: number;
  signature: Uint8Array;
  signingBytes: Uint8Array;
}

const subtle = (): SubtleCrypto => {
  const c = globalThis.crypto?.subtle;
  if (!c) throw new Error("WebCrypto is not available (the page must be served over http(s))");
  return c;
};

export async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest("SHA-256", data as BufferSource));
}

export async function ed25519Verify(
  publicKey: Uint8Array,
  message: Uint8Array,
  signature: Uint8Array,
): Promise<boolean> {
  const key = await subtle().importKey("raw", publicKey as BufferSource, { name: "Ed25519" }, false, [
    "verify",
  ]);
  return subtle().verify({ name: "Ed25519" }, key, signature as BufferSource, message as BufferSource);
}

// ---- RFC 6962 Merkle trees ----

export async function leafHash(data: Uint8Array): Promise<Uint8Array> {
  return sha256(concat(new Uint8Array([0]), data));
}

async function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  return sha256(concat(new Uint8Array([1]), left, right));
}

export interface Inclusion {
  leafIndex: bigint;
  treeSize: bigint;
  path: Uint8Array[];
}

export function parseInclusion(j: unknown, name: string): Inclusion {
  const o = j as { leaf_index?: unknown; tree_size?: unknown; path?: unknown };
  if (
    !o ||
    typeof o !== "object" ||
    typeof o.leaf_index !== "number" ||
    typeof o.tree_size !== "number" ||
    !Array.isArray(o.path)
  ) {
    throw new Error(`${name} needs leaf_index, tree_size and path`);
  }
  return {
    leafIndex: BigInt(o.leaf_index),
    treeSize: BigInt(o.tree_size),
    path: o.path.map((h) => hash32(h, `${name} path entry`)),
  };
}

//! RFC 9162 section 2.1.3.2.
export async function verifyInclusion(
  leaf: Uint8Array,
  proof: Inclusion,
  root: Uint8Array,
): Promise<boolean> {
  if (proof.leafIndex >= proof.treeSize) return false;
  let fn = proof.leafIndex;
  let sn = proof.treeSize - 1n;
  let r = leaf;
  for (const p of proof.path) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = await nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && equal(r, root);
}

//! RFC 6962 MTH over leaf hashes: split at the largest power of two below n.
async function rangeRoot(leaves: Uint8Array[]): Promise<Uint8Array> {
  if (leaves.length === 1) return leaves[0];
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return nodeHash(await rangeRoot(leaves.slice(0, k)), await rangeRoot(leaves.slice(k)));
}

//! True when `preceding` are exactly the leaves before proof.leafIndex: each subtree that the
//! audit path has on the left of the leaf's path must be the root of those leaves (as
//! merkle::VerifyPrecedingLeaves in src/ledger/merkle.cpp).
export async function verifyPrecedingLeaves(preceding: Uint8Array[], proof: Inclusion): Promise<boolean> {
  if (proof.leafIndex >= proof.treeSize || BigInt(preceding.length) !== proof.leafIndex) return false;
  const lefts: { level: number; lo: number; size: number }[] = [];
  let levels = 0;
  let lo = 0n;
  let hi = proof.treeSize;
  while (hi - lo > 1n) {
    let k = 1n;
    while (k * 2n < hi - lo) k *= 2n;
    if (proof.leafIndex < lo + k) {
      hi = lo + k;
    } else {
      lefts.push({ level: levels, lo: Number(lo), size: Number(k) });
      lo += k;
    }
    levels++;
  }
  if (proof.path.length !== levels) return false;
  for (const l of lefts) {
    const root = await rangeRoot(preceding.slice(l.lo, l.lo + l.size));
    if (!equal(root, proof.path[levels - 1 - l.level])) return false;
  }
  return true;
}

// ---- the sparse Merkle tree of the state ----

const kEmpty = new Uint8Array(32);

function bit(key: Uint8Array, i: number): number {
  return (key[i >> 3] >> (7 - (i & 7))) & 1;
}

export interface SmtProof {
  siblings: Uint8Array[];
  otherLeaf?: { keyHash: Uint8Array; valueHash: Uint8Array };
}

//! Throws with the reason when the proof does not show `valueHash` (or absence) under `root`.
export async function verifySmt(
  root: Uint8Array,
  keyHash: Uint8Array,
  valueHash: Uint8Array | null,
  proof: SmtProof,
): Promise<void> {
  const depth = proof.siblings.length;
  if (depth > 256) throw new Error("smt proof deeper than 256 levels");
  let h: Uint8Array;
  if (valueHash) {
    if (proof.otherLeaf) throw new Error("membership proof carries another leaf");
    h = await sha256(concat(new Uint8Array([0]), keyHash, valueHash));
  } else if (proof.otherLeaf) {
    const { keyHash: other, valueHash: otherValue } = proof.otherLeaf;
    if (equal(other, keyHash)) throw new Error("non-membership proof ends at the key itself");
    for (let i = 0; i < depth; i++) {
      if (bit(other, i) !== bit(keyHash, i)) {
        throw new Error("non-membership proof's leaf is off the key's path");
      }
    }
    h = await sha256(concat(new Uint8Array([0]), other, otherValue));
  } else {
    h = kEmpty;
  }
  for (let i = depth - 1; i >= 0; i--) {
    const s = proof.siblings[i];
    h = bit(keyHash, i) === 0 ? await nodeHash(h, s) : await nodeHash(s, h);
  }
  if (!equal(h, root)) throw new Error("smt proof does not match the root");
}

// ---- decoders of the ledger's records ----

const kBlockDomain = utf8("tributary/block/v1");
const kTxDomain = utf8("tributary/tx/v1");

export function decodeHeader(raw: Uint8Array): BlockHeader {
  const r = new Reader(raw);
  const version = r.u8();
  if (version !== 1) throw new Error(`block header version ${version} is unknown`);
  const h = {
    chainId: r.str(),
    height: r.u64(),
    prevHash: r.fixed(32),
    timestampMs: r.u64(),
    proposer: r.fixed(32),
    txRoot: r.fixed(32),
    receiptsRoot: r.fixed(32),
    stateRoot: r.fixed(32),
    txCount: r.u32(),
  };
  const bodyEnd = r.offset;
  const signature = r.fixed(64);
  r.expectEnd();
  return { ...h, signature, signingBytes: concat(kBlockDomain, raw.subarray(0, bodyEnd)) };
}

export interface Tx {
  chainId: string;
  sender: Uint8Array;
  nonce: bigint;
  maxFee: bigint;
  kind: string;
  payload: Uint8Array;
  signature: Uint8Array;
  signingBytes: Uint8Array;
}

export function decodeTx(raw: Uint8Array): Tx {
  const r = new Reader(raw);
  const version = r.u8();
  if (version !== 1) throw new Error(`tx version ${version} is unknown`);
  const t = {
    chainId: r.str(),
    sender: r.fixed(32),
    nonce: r.u64(),
    maxFee: r.u128(),
    kind: r.str(),
    payload: r.blob(),
  };
  const bodyEnd = r.offset;
  const signature = r.fixed(64);
  r.expectEnd();
  return { ...t, signature, signingBytes: concat(kTxDomain, raw.subarray(0, bodyEnd)) };
}

export interface Receipt {
  txHash: Uint8Array;
  status: number; //!< 0 success
  fee: bigint;
  error: string;
  events: { type: string; attrs: [string, string][] }[];
}

export function decodeReceipt(raw: Uint8Array): Receipt {
  const r = new Reader(raw);
  const rc: Receipt = { txHash: r.fixed(32), status: r.u8(), fee: r.u128(), error: r.str(), events: [] };
  const n = r.u32();
  for (let i = 0; i < n; i++) {
    const type = r.str();
    const m = r.u32();
    const attrs: [string, string][] = [];
    for (let j = 0; j < m; j++) attrs.push([r.str(), r.str()]);
    rc.events.push({ type, attrs });
  }
  r.expectEnd();
  return rc;
}

export interface Account {
  balance: bigint;
  nonce: bigint;
  staked: bigint;
  unbonding: bigint;
}

export function decodeAccount(raw: Uint8Array): Account {
  const r = new Reader(raw);
  const a = { balance: r.u128(), nonce: r.u64(), staked: r.u128(), unbonding: r.u128() };
  r.expectEnd();
  return a;
}

export interface VersionRecord {
  datanet: bigint;
  number: number;
  root: Uint8Array;
  contributions: bigint;
  rows: bigint;
}

export function decodeVersion(raw: Uint8Array): VersionRecord {
  const r = new Reader(raw);
  r.u8(); // record version
  const v = { datanet: r.u64(), number: r.u32(), root: r.fixed(32), contributions: r.u64(), rows: r.u64() };
  r.u64(); // bytes
  r.u64(); // height
  r.u64(); // timestamp
  r.expectEnd();
  return v;
}

//! "trb" + 40 hex digits + an 8-digit checksum. The checksum is BLAKE2b, which WebCrypto lacks; it
//! guards against typing errors only (the proof binds the 20 bytes themselves), so it is not checked.
export function addressBytes(address: string): Uint8Array {
  if (!/^trb[0-9a-f]{48}$/.test(address)) {
    throw new Error("address must be 'trb' followed by 48 lowercase hex digits");
  }
  return fromHex(address.slice(3, 43));
}

// ---- the checks ----

function hash32(v: unknown, what: string): Uint8Array {
  if (typeof v !== "string" || v.length !== 64) throw new Error(`${what} must be 32-byte hex`);
  return fromHex(v);
}

function hexField(p: Record<string, unknown>, name: string): Uint8Array {
  const v = p[name];
  if (typeof v !== "string") throw new Error(`proof is missing '${name}'`);
  return fromHex(v);
}

class Checks {
  steps: Step[] = [];
  async need(what: string, ok: boolean | Promise<boolean>, detail?: string): Promise<void> {
    const passed = await ok;
    this.steps.push({ what, ok: passed, detail });
    if (!passed) throw new CheckFailed(what);
  }
}

class CheckFailed extends Error {}

//! A readable member beside the proof (what a person or a page shows) must say what the proven
//! bytes say; members that are absent are not checked.
async function sameAsProven(c: Checks, name: string, shown: unknown, proven: unknown): Promise<void> {
  if (shown === undefined) return;
  const a = typeof shown === "object" ? JSON.stringify(shown) : String(shown);
  const b = typeof proven === "object" ? JSON.stringify(proven) : String(proven);
  await c.need(`readable ${name} is what the proof proves`, a === b, a === b ? undefined : `shows ${a.slice(0, 80)}, proven ${b.slice(0, 80)}`);
}

async function checkHeader(
  c: Checks,
  raw: Uint8Array,
  trustedSequencer?: string,
): Promise<BlockHeader> {
  const header = decodeHeader(raw);
  await c.need(
    `block ${header.height} header signed by ${toHex(header.proposer).slice(0, 16)}…`,
    ed25519Verify(header.proposer, header.signingBytes, header.signature),
  );
  if (trustedSequencer) {
    await c.need(
      "the signer is the chain's sequencer",
      toHex(header.proposer) === trustedSequencer.toLowerCase(),
      `expected ${trustedSequencer}`,
    );
  }
  return header;
}

function parseSmt(p: Record<string, unknown>): SmtProof {
  if (!Array.isArray(p.siblings)) throw new Error("proof needs 'siblings'");
  const proof: SmtProof = { siblings: p.siblings.map((s) => hash32(s, "sibling")) };
  const other = p.other_leaf as { key_hash?: unknown; value_hash?: unknown } | undefined;
  if (other && typeof other === "object") {
    proof.otherLeaf = {
      keyHash: hash32(other.key_hash, "other_leaf.key_hash"),
      valueHash: hash32(other.value_hash, "other_leaf.value_hash"),
    };
  }
  return proof;
}

async function smtStep(
  c: Checks,
  what: string,
  root: Uint8Array,
  key: Uint8Array,
  value: Uint8Array | null,
  proof: SmtProof,
): Promise<void> {
  try {
    await verifySmt(root, await sha256(key), value ? await sha256(value) : null, proof);
    await c.need(what, true);
  } catch (e) {
    if (e instanceof CheckFailed) throw e;
    await c.need(what, false, (e as Error).message);
  }
}

async function verifyTx(c: Checks, p: Record<string, unknown>, seq?: string, doc: Record<string, any> = {}): Promise<Verdict> {
  const header = await checkHeader(c, hexField(p, "header"), seq);
  const txRaw = hexField(p, "tx");
  const receiptRaw = hexField(p, "receipt");
  const txInc = parseInclusion(p.tx_inclusion, "tx_inclusion");
  const rcInc = parseInclusion(p.receipt_inclusion, "receipt_inclusion");
  await c.need(
    "tx and receipt proofs are for the same position",
    txInc.leafIndex === rcInc.leafIndex && txInc.treeSize === rcInc.treeSize,
  );
  await c.need("tree size is the block's tx count", txInc.treeSize === BigInt(header.txCount));
  await c.need(
    `tx is leaf ${txInc.leafIndex} of the block's tx root`,
    verifyInclusion(await leafHash(txRaw), txInc, header.txRoot),
  );
  await c.need(
    "its receipt is in the block's receipts root",
    verifyInclusion(await leafHash(receiptRaw), rcInc, header.receiptsRoot),
  );
  const tx = decodeTx(txRaw);
  const receipt = decodeReceipt(receiptRaw);
  const txHash = await sha256(txRaw);
  await c.need("the receipt belongs to this tx", equal(receipt.txHash, txHash));
  await c.need(
    "the tx is signed by its sender",
    ed25519Verify(tx.sender, tx.signingBytes, tx.signature),
  );
  const status = receipt.status === 0 ? "success" : `failed: ${receipt.error}`;
  // What the API response shows beside the proof. The payload's JSON is the node's decoding of
  // the payload bytes (each kind has its own codec); it is bound through tx.raw.
  const t = doc.tx ?? {};
  await sameAsProven(c, "hash", doc.hash, toHex(txHash));
  await sameAsProven(c, "height", doc.height, header.height);
  await sameAsProven(c, "index", doc.index, txInc.leafIndex);
  await sameAsProven(c, "tx.raw", t.raw, toHex(txRaw));
  await sameAsProven(c, "tx.hash", t.hash, toHex(txHash));
  await sameAsProven(c, "tx.kind", t.kind, tx.kind);
  await sameAsProven(c, "tx.nonce", t.nonce, tx.nonce);
  await sameAsProven(c, "tx.chain_id", t.chain_id, tx.chainId);
  await sameAsProven(c, "tx.sender", t.sender, toHex(tx.sender));
  await sameAsProven(c, "tx.max_fee", t.max_fee, tx.maxFee);
  const r = doc.receipt ?? {};
  await sameAsProven(c, "receipt.fee_charged", r.fee_charged, receipt.fee);
  await sameAsProven(c, "receipt.status", r.status, receipt.status === 0 ? "success" : "failed");
  await sameAsProven(c, "receipt.error", r.error, receipt.status === 0 ? undefined : receipt.error);
  await sameAsProven(c, "receipt.tx_hash", r.tx_hash, toHex(receipt.txHash));
  if (r.events !== undefined) {
    // The node's JSON lists attributes by name; compare them in that order.
    const sorted = (attrs: [string, string][]) => [...attrs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const proven = receipt.events.map((e) => ({ type: e.type, attrs: sorted(e.attrs) }));
    const shown = (r.events as { type: string; attrs: Record<string, string> }[]).map((e) => ({ type: e.type, attrs: sorted(Object.entries(e.attrs ?? {})) }));
    await sameAsProven(c, "receipt.events", shown, proven);
  }
  return {
    ok: true,
    kind: "tx",
    height: Number(header.height),
    proposer: toHex(header.proposer),
    steps: c.steps,
    summary:
      `tx ${toHex(txHash)} (${tx.kind}, nonce ${tx.nonce}) is in block ${header.height} at index ` +
      `${txInc.leafIndex} with receipt ${status}, fee ${formatBase(receipt.fee)}`,
    fields: {
      hash: toHex(txHash),
      kind: tx.kind,
      sender: toHex(tx.sender),
      nonce: tx.nonce.toString(),
      status,
      fee: receipt.fee.toString(),
      events: receipt.events.map((e) => e.type).join(", "),
    },
  };
}

async function verifyState(c: Checks, p: Record<string, unknown>, seq?: string, doc: Record<string, any> = {}): Promise<Verdict> {
  const account = p.type === "account";
  const header = await checkHeader(c, hexField(p, "header"), seq);
  let key: Uint8Array;
  let label: string;
  if (account) {
    if (typeof p.address !== "string") throw new Error("proof needs 'address'");
    key = concat(utf8("a"), addressBytes(p.address));
    label = `account ${p.address}`;
  } else {
    key = hexField(p, "key");
    // Most keys are a letter and an id in ASCII (a receipt's is "R" + its request id).
    const printable = key.every((b) => b >= 0x20 && b < 0x7f);
    label = printable ? `state key "${new TextDecoder().decode(key)}"` : `state key ${toHex(key).slice(0, 24)}…`;
  }
  const value = p.value === undefined || p.value === null ? null : hexField(p, "value");
  await smtStep(
    c,
    value ? `${label} is in the block's state root` : `${label} is absent from the state root`,
    header.stateRoot,
    key,
    value,
    parseSmt(p),
  );
  const out: Verdict = {
    ok: true,
    kind: account ? "account" : "state",
    height: Number(header.height),
    proposer: toHex(header.proposer),
    steps: c.steps,
    summary: "",
  };
  if (account) {
    const a = value ? decodeAccount(value) : { balance: 0n, nonce: 0n, staked: 0n, unbonding: 0n };
    if (doc !== p) {
      await sameAsProven(c, "address", doc.address, p.address);
      await sameAsProven(c, "height", doc.height, header.height);
      await sameAsProven(c, "balance", doc.balance, a.balance);
      await sameAsProven(c, "nonce", doc.nonce, a.nonce);
      await sameAsProven(c, "staked", doc.staked, a.staked);
      await sameAsProven(c, "unbonding", doc.unbonding, a.unbonding);
    }
    out.summary =
      `${label} at block ${header.height}: balance ${formatBase(a.balance)}, staked ` +
      `${formatBase(a.staked)}, unbonding ${formatBase(a.unbonding)}, nonce ${a.nonce}`;
    out.fields = {
      balance: a.balance.toString(),
      staked: a.staked.toString(),
      unbonding: a.unbonding.toString(),
      nonce: a.nonce.toString(),
    };
  } else {
    out.summary =
      `${label} at block ${header.height}: ` +
      (value ? `value sha256 ${toHex(await sha256(value))}` : "absent");
  }
  return out;
}

async function verifyRow(c: Checks, p: Record<string, unknown>, seq?: string): Promise<Verdict> {
  if (typeof p.row !== "string") throw new Error("proof needs 'row' (the row's canonical text)");
  const rowId = await sha256(utf8(p.row));
  await c.need("the row hashes to its row id", toHex(rowId) === p.row_id);
  const contribution = p.contribution as Record<string, unknown>;
  if (!contribution || typeof contribution !== "object") throw new Error("proof needs 'contribution'");
  const contributionId = hash32(contribution.id, "contribution.id");
  const contentRoot = hash32(contribution.content_root, "contribution.content_root");
  const contributor = String(contribution.contributor ?? "");
  const rows = contribution.rows;
  if (typeof rows !== "number") throw new Error("contribution.rows must be a number");
  const rowPath = parseInclusion(p.row_path, "row_path");
  await c.need("row path size is the contribution's row count", rowPath.treeSize === BigInt(rows));
  await c.need(
    `row is leaf ${rowPath.leafIndex} of contribution ${toHex(contributionId).slice(0, 12)}…`,
    verifyInclusion(await leafHash(rowId), rowPath, contentRoot),
  );
  const record = hexField(p, "version_record");
  const v = decodeVersion(record);
  await c.need(
    `the proof's labels match the record (Datanet ${v.datanet} version ${v.number})`,
    BigInt(p.datanet as number) === v.datanet && p.version === v.number,
  );
  const contribPath = parseInclusion(p.contribution_path, "contribution_path");
  await c.need(
    "contribution path size is the version's contribution count",
    contribPath.treeSize === v.contributions,
  );
  const leaf = concat(contributionId, contentRoot, u64be(BigInt(rows)), addressBytes(contributor));
  await c.need(
    `the contribution (by ${contributor.slice(0, 12)}…) is in the version's root`,
    verifyInclusion(await leafHash(leaf), contribPath, v.root),
  );
  // The row's index in the version: the rows of every contribution before its own (the proof
  // carries their version leaves, bound by the left side of the contribution's audit path), then
  // its place in its own contribution.
  let index: bigint | null = null;
  if (p.index !== undefined || p.preceding !== undefined) {
    if (!Array.isArray(p.preceding)) throw new Error("the proof lacks 'preceding', so its index cannot be checked");
    let before = 0n;
    const leaves: Uint8Array[] = [];
    for (const hex of p.preceding) {
      const bytes = fromHex(String(hex));
      if (bytes.length !== 92) throw new Error("preceding: a version leaf is 92 bytes");
      before += new Reader(bytes.subarray(64, 72)).u64();
      leaves.push(await leafHash(bytes));
    }
    await c.need("the contributions before the row's are the version's", verifyPrecedingLeaves(leaves, contribPath));
    index = before + rowPath.leafIndex;
    await c.need(`the row's index is ${index}`, p.index === undefined || BigInt(p.index as number) === index, `labelled ${p.index}`);
  }
  const header = await checkHeader(c, hexField(p, "header"), seq);
  const versionKey = concat(utf8("v"), u64be(v.datanet), u32be(v.number));
  await smtStep(c, "the version record is in the block's state root", header.stateRoot, versionKey, record, parseSmt(p));
  return {
    ok: true,
    kind: "datanet_row",
    height: Number(header.height),
    proposer: toHex(header.proposer),
    steps: c.steps,
    summary:
      `row ${index ?? "?"} of Datanet ${v.datanet} version ${v.number}, contributed by ${contributor}, ` +
      `is proven by block ${header.height}`,
    fields: { row: p.row, row_id: toHex(rowId), contributor },
  };
}

//! Checks any proof the node hands out: an API response with a "proof" member, or the proof
//! itself (GET /v1/tx/{hash}, /v1/accounts/{a}?prove=1, /v1/receipts/{id},
//! /v1/datanets/{d}/versions/{v}/rows/{i}/proof, or a file from `tributary tx get --out`).
//! Never throws: a malformed or false proof is a Verdict with ok=false and the reason.
export async function verifyProof(doc: unknown, trustedSequencer?: string): Promise<Verdict> {
  const c = new Checks();
  let kind = "unknown";
  try {
    const d = doc as Record<string, unknown>;
    const p = (d && typeof d === "object" && d.proof && typeof d.proof === "object" ? d.proof : d) as Record<
      string,
      unknown
    >;
    if (!p || typeof p !== "object" || typeof p.type !== "string") {
      throw new Error("no proof object with a 'type' found");
    }
    kind = p.type;
    switch (p.type) {
      case "tx":
        return await verifyTx(c, p, trustedSequencer, d);
      case "account":
      case "state":
        return await verifyState(c, p, trustedSequencer, d);
      case "datanet_row":
        return await verifyRow(c, p, trustedSequencer);
      default:
        throw new Error(`unknown proof type '${p.type}'`);
    }
  } catch (e) {
    const failed = c.steps.find((s) => !s.ok);
    const error = failed ? failed.what + (failed.detail ? `: ${failed.detail}` : "") : (e as Error).message;
    if (!failed) c.steps.push({ what: "the proof is well formed", ok: false, detail: error });
    return { ok: false, kind, steps: c.steps, summary: `not proven: ${error}`, error };
  }
}
