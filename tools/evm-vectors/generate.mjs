// Writes tests/data/evm/vectors.json: reference vectors for the evm library's tests (Keccak-256,
// secp256k1 keys and recoverable signatures, EIP-55, EIP-1559 transactions, ABI encodings, event
// logs and OpenZeppelin StandardMerkleTree roots and proofs), produced by ethers and
// @openzeppelin/merkle-tree at the versions pinned in package-lock.json.
//
// The fixture is committed; regenerate it only when adding vectors:
//
//   cd tools/evm-vectors && npm ci && node generate.mjs
//
// Every input is fixed (no randomness), so running it again gives the same file byte for byte.
// Quantities are written as 0x-prefixed hex strings, byte strings as 0x-prefixed hex.

import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import {
  AbiCoder,
  Interface,
  SigningKey,
  Transaction,
  Wallet,
  computeAddress,
  getAddress,
  hashMessage,
  id,
  keccak256,
  toUtf8Bytes,
} from 'ethers';
import { StandardMerkleTree } from '@openzeppelin/merkle-tree';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'tests', 'data', 'evm', 'vectors.json');
const versionOf = (pkg) =>
  JSON.parse(readFileSync(join(here, 'node_modules', pkg, 'package.json'), 'utf8')).version;
const versions = {
  ethers: versionOf('ethers'),
  '@openzeppelin/merkle-tree': versionOf('@openzeppelin/merkle-tree'),
};

const q = (n) => '0x' + BigInt(n).toString(16);  // JSON-RPC style quantity
const U256_MAX = (1n << 256n) - 1n;

// Deterministic filler: keccak256 of a label, as bytes.
const seeded = (label) => keccak256(toUtf8Bytes(label));
const seededAddress = (label) => getAddress('0x' + seeded(label).slice(26));

// --- Keccak-256 -------------------------------------------------------------------------------
// Inputs are described rather than stored: "repeat" is `byte` repeated `length` times, "counter"
// is bytes 0, 1, 2, ... (mod 256).
function keccakInput(kind, length, byte) {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = kind === 'repeat' ? byte : i % 256;
  return b;
}
const keccak = [];
for (const length of [0, 1, 31, 32, 55, 56, 135, 136, 137, 271, 272, 273, 1000, 1000000]) {
  keccak.push({ kind: 'counter', length, hash: keccak256(keccakInput('counter', length)) });
}
for (const length of [135, 136, 137, 1000000]) {
  keccak.push({ kind: 'repeat', byte: '0x61', length, hash: keccak256(keccakInput('repeat', length, 0x61)) });
}

// --- Keys and signatures ----------------------------------------------------------------------
const privateKeys = [
  '0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318',
  '0x0000000000000000000000000000000000000000000000000000000000000001',
  // n - 1, the largest valid key
  '0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364140',
  // Hardhat's first default account
  '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80',
  seeded('tributary/evm-vectors/key/0'),
  seeded('tributary/evm-vectors/key/1'),
];
const keys = privateKeys.map((pk) => {
  const k = new SigningKey(pk);
  return {
    private_key: pk,
    public_key: k.publicKey,  // 0x04 || x || y
    compressed_public_key: k.compressedPublicKey,
    address: computeAddress(pk),  // EIP-55 checksummed
  };
});

const digests = [
  keccak256(toUtf8Bytes('hello')),
  '0x0000000000000000000000000000000000000000000000000000000000000001',
  '0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
  hashMessage('Hello World'),  // EIP-191 personal_sign digest
  seeded('tributary/evm-vectors/digest'),
];
const signatures = [];
for (const pk of privateKeys) {
  const k = new SigningKey(pk);
  for (const digest of digests) {
    const sig = k.sign(digest);  // RFC 6979 nonce, low s
    signatures.push({
      private_key: pk,
      digest,
      r: sig.r,
      s: sig.s,
      y_parity: sig.yParity,
      serialized: sig.serialized,  // r || s || v (27 + yParity)
    });
  }
}

// EIP-55: lowercase addresses and their checksummed form.
const eip55 = [];
for (let i = 0; i < 8; i++) {
  const a = seededAddress('tributary/evm-vectors/eip55/' + i);
  eip55.push({ lower: a.toLowerCase(), checksummed: a });
}

// --- EIP-1559 transactions --------------------------------------------------------------------
const settlement = new Interface([
  'function postRoot(uint64 epoch, bytes32 root, bytes32[] leaves, string uri)',
  'function claim(uint64 epoch, address account, uint256 amount, bytes32[] proof)',
]);
const txSpecs = [
  {
    key: privateKeys[0],
    tx: {
      chainId: 1n, nonce: 0, maxPriorityFeePerGas: 1000000000n, maxFeePerGas: 100000000000n,
      gasLimit: 21000n, to: '0x3535353535353535353535353535353535353535', value: 10n ** 18n,
      data: '0x', accessList: [],
    },
  },
  {
    key: privateKeys[3],
    tx: {
      chainId: 31337n, nonce: 7, maxPriorityFeePerGas: 1500000000n, maxFeePerGas: 3000000000n,
      gasLimit: 250000n, to: seededAddress('tributary/evm-vectors/contract'), value: 0n,
      data: settlement.encodeFunctionData('postRoot', [
        42n, seeded('root'), [seeded('a'), seeded('b')], 'ipfs://tributary/epoch/42']),
      accessList: [
        { address: seededAddress('tributary/evm-vectors/contract'),
          storageKeys: [seeded('slot0'), seeded('slot1')] },
        { address: seededAddress('tributary/evm-vectors/other'), storageKeys: [] },
      ],
    },
  },
  {
    key: privateKeys[4],
    tx: {  // contract creation: no `to`
      chainId: 11155111n, nonce: 1, maxPriorityFeePerGas: 0n, maxFeePerGas: 20000000000n,
      gasLimit: 1000000n, to: null, value: 0n,
      data: '0x6080604052348015600f57600080fd5b50603f80601d6000396000f3fe6080604052600080fdfea164736f6c6343000818000a',
      accessList: [],
    },
  },
  {
    key: privateKeys[5],
    tx: {  // extreme quantities
      chainId: 4294967295n, nonce: 9007199254740991, maxPriorityFeePerGas: 1n << 255n,
      maxFeePerGas: U256_MAX, gasLimit: 30000000n,
      to: '0x0000000000000000000000000000000000000000', value: U256_MAX,
      data: '0x00', accessList: [],
    },
  },
  {
    key: privateKeys[1],
    tx: {  // zero quantities
      chainId: 1n, nonce: 0, maxPriorityFeePerGas: 0n, maxFeePerGas: 0n, gasLimit: 0n,
      to: seededAddress('tributary/evm-vectors/zero'), value: 0n, data: '0x', accessList: [],
    },
  },
  {
    key: privateKeys[2],
    tx: {
      chainId: 8453n, nonce: 300, maxPriorityFeePerGas: 1000n, maxFeePerGas: 5000000n,
      gasLimit: 120000n, to: seededAddress('tributary/evm-vectors/claims'), value: 0n,
      data: settlement.encodeFunctionData('claim', [
        3n, seededAddress('tributary/evm-vectors/account'), 123456789n,
        [seeded('p0'), seeded('p1'), seeded('p2')]]),
      accessList: [],
    },
  },
];
const eip1559 = [];
for (const { key, tx } of txSpecs) {
  const t = Transaction.from({ type: 2, ...tx });
  const wallet = new Wallet(key);
  const raw = await wallet.signTransaction(t);
  const signed = Transaction.from(raw);
  eip1559.push({
    private_key: key,
    from: wallet.address,
    chain_id: q(tx.chainId),
    nonce: q(tx.nonce),
    max_priority_fee_per_gas: q(tx.maxPriorityFeePerGas),
    max_fee_per_gas: q(tx.maxFeePerGas),
    gas_limit: q(tx.gasLimit),
    to: tx.to,
    value: q(tx.value),
    data: tx.data,
    access_list: tx.accessList.map((e) => ({ address: e.address, storage_keys: e.storageKeys })),
    unsigned: t.unsignedSerialized,
    signing_hash: t.unsignedHash,
    raw,
    hash: signed.hash,
    y_parity: signed.signature.yParity,
    r: signed.signature.r,
    s: signed.signature.s,
  });
}

// --- ABI --------------------------------------------------------------------------------------
// Values in the fixture: uints as 0x quantities, addresses checksummed, bytes as 0x hex, strings
// as strings, bools as bools, arrays and tuples as JSON arrays.
const coder = AbiCoder.defaultAbiCoder();
const abiCases = [
  { types: ['uint256', 'uint64', 'uint8', 'address', 'bool', 'bytes32'],
    values: [U256_MAX, (1n << 64n) - 1n, 255n, seededAddress('abi/addr'), true, seeded('abi/b32')] },
  { types: ['uint256', 'uint64', 'uint8', 'address', 'bool', 'bytes32'],
    values: [0n, 0n, 0n, '0x0000000000000000000000000000000000000000', false, '0x' + '00'.repeat(32)] },
  { types: ['bytes', 'string'], values: ['0x', ''] },
  { types: ['bytes', 'string'], values: ['0x' + 'ab'.repeat(32), 'héllo wörld 🌊'] },
  { types: ['bytes', 'bytes', 'string'],
    values: ['0x' + 'cd'.repeat(33), '0x01', 'a string longer than thirty-two bytes, to take two words'] },
  { types: ['bytes32[]'], values: [[]] },
  { types: ['bytes32[]'], values: [[seeded('x0'), seeded('x1'), seeded('x2')]] },
  { types: ['(address,uint256)'], values: [[seededAddress('abi/t'), 1234567890123456789n]] },
  { types: ['(address,bytes,string)', 'uint256'],
    values: [[seededAddress('abi/u'), '0xdeadbeef', 'tuple with dynamic members'], 77n] },
  { types: ['(bytes32,bytes32[],uint64)[]'],
    values: [[[seeded('t0'), [seeded('t0/0')], 1n], [seeded('t1'), [], 2n],
              [seeded('t2'), [seeded('t2/0'), seeded('t2/1')], 3n]]] },
  { types: ['uint256[]', 'address[]', 'bool'],
    values: [[1n, 2n, 3n], [seededAddress('abi/a0'), seededAddress('abi/a1')], true] },
  { types: ['((uint8,bool),bytes)', 'string[]'],
    values: [[[7n, true], '0x0102'], ['one', '', 'three']] },
  { types: ['bytes32[2]', '(uint256,string)[2]', 'uint8[3]'],
    values: [[seeded('f0'), seeded('f1')], [[1n, 'a'], [2n, 'bb']], [1n, 2n, 3n]] },
  { types: ['uint64', 'bytes32', 'bytes32[]', 'string'],
    values: [42n, seeded('root'), [seeded('a'), seeded('b')], 'ipfs://tributary/epoch/42'] },
  { types: [], values: [] },
];
function jsonValue(type, value) {
  if (type.endsWith(']')) {
    const inner = type.slice(0, type.lastIndexOf('['));
    return value.map((v) => jsonValue(inner, v));
  }
  if (type.startsWith('(')) {
    const parts = splitTuple(type);
    return value.map((v, i) => jsonValue(parts[i], v));
  }
  if (type.startsWith('uint')) return q(value);
  return value;
}
function splitTuple(type) {
  const inner = type.slice(1, -1);
  const parts = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === '(') depth++;
    if (inner[i] === ')') depth--;
    if (inner[i] === ',' && depth === 0) {
      parts.push(inner.slice(start, i));
      start = i + 1;
    }
  }
  if (inner.length) parts.push(inner.slice(start));
  return parts;
}
const abi = abiCases.map(({ types, values }) => ({
  types,
  values: values.map((v, i) => jsonValue(types[i], v)),
  encoded: coder.encode(types, values),
}));

const selectorSignatures = [
  'transfer(address,uint256)',
  'balanceOf(address)',
  'postRoot(uint64,bytes32,bytes32[],string)',
  'claim(uint64,address,uint256,bytes32[])',
  'f(uint256,uint32[],bytes10,bytes)',
];
const selectors = selectorSignatures.map((s) => ({ signature: s, selector: id(s).slice(0, 10) }));
const calls = [
  { signature: 'claim(uint64,address,uint256,bytes32[])',
    types: ['uint64', 'address', 'uint256', 'bytes32[]'],
    values: [3n, seededAddress('tributary/evm-vectors/account'), 123456789n, [seeded('p0'), seeded('p1')]] },
].map(({ signature, types, values }) => ({
  signature,
  values: values.map((v, i) => jsonValue(types[i], v)),
  calldata: new Interface(['function ' + signature]).encodeFunctionData(signature, values),
}));

// --- Events -----------------------------------------------------------------------------------
const eventSpecs = [
  { decl: 'event Transfer(address indexed from, address indexed to, uint256 value)',
    signature: 'Transfer(address,address,uint256)', indexed: [true, true, false],
    types: ['address', 'address', 'uint256'],
    values: [seededAddress('ev/from'), seededAddress('ev/to'), 5000n] },
  { decl: 'event RootPosted(uint64 indexed epoch, bytes32 root, bytes32[] leaves, string uri)',
    signature: 'RootPosted(uint64,bytes32,bytes32[],string)', indexed: [true, false, false, false],
    types: ['uint64', 'bytes32', 'bytes32[]', 'string'],
    values: [9n, seeded('ev/root'), [seeded('ev/l0')], 'uri'] },
  { decl: 'event Claimed(uint64 indexed epoch, address indexed account, uint256 amount)',
    signature: 'Claimed(uint64,address,uint256)', indexed: [true, true, false],
    types: ['uint64', 'address', 'uint256'],
    values: [3n, seededAddress('ev/account'), 10n ** 20n] },
  // An indexed string is stored as the keccak256 of its bytes: not decodable, only matchable.
  { decl: 'event Note(string indexed tag, bytes data, bool flag)',
    signature: 'Note(string,bytes,bool)', indexed: [true, false, false],
    types: ['string', 'bytes', 'bool'], values: ['settlement', '0x0badf00d', true] },
];
const events = eventSpecs.map((e) => {
  const iface = new Interface([e.decl]);
  const fragment = iface.fragments[0];
  const log = iface.encodeEventLog(fragment, e.values);
  return {
    signature: e.signature,
    indexed: e.indexed,
    types: e.types,
    values: e.values.map((v, i) => jsonValue(e.types[i], v)),
    topic0: fragment.topicHash,
    topics: log.topics,
    data: log.data,
  };
});

// --- OpenZeppelin StandardMerkleTree over (address, uint256) ----------------------------------
const merkle = [];
for (const size of [1, 2, 3, 4, 5, 7, 8, 13]) {
  const values = [];
  for (let i = 0; i < size; i++) {
    const account = seededAddress(`merkle/${size}/${i}`);
    const amount = i === 2 ? 10n ** 18n : BigInt(seeded(`merkle/${size}/${i}/amount`)) >> 160n;
    values.push([account, amount]);
  }
  const tree = StandardMerkleTree.of(values, ['address', 'uint256']);
  const dump = tree.dump();
  const proofs = [];
  for (const [i, v] of tree.entries()) {
    const proof = tree.getProof(i);
    if (!StandardMerkleTree.verify(tree.root, ['address', 'uint256'], v, proof)) {
      throw new Error('proof does not verify');
    }
    proofs.push({
      value_index: i,
      tree_index: dump.values[i].treeIndex,
      leaf: tree.leafHash(v),
      proof,
    });
  }
  const multiproofs = [];
  const subsets = size >= 3 ? [[0, 1], [0, size - 1], [...Array(size).keys()]] : [[0]];
  for (const subset of subsets) {
    const mp = tree.getMultiProof(subset);
    multiproofs.push({
      value_indices: subset,
      leaves: mp.leaves.map((v) => tree.leafHash(v)),
      proof: mp.proof,
      proof_flags: mp.proofFlags,
    });
  }
  merkle.push({
    leaf_encoding: ['address', 'uint256'],
    values: values.map(([a, n]) => [a, q(n)]),
    root: tree.root,
    tree: dump.tree,
    proofs,
    multiproofs,
  });
}

const doc = {
  generator: 'tools/evm-vectors/generate.mjs',
  versions,
  keccak,
  keys,
  signatures,
  eip55,
  eip1559,
  abi,
  selectors,
  calls,
  events,
  merkle,
};
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, JSON.stringify(doc, null, 1) + '\n');
console.log('wrote', out);
