// OpenBridge: deposits (EVM -> Tributary) and proof-checked releases (Tributary -> EVM) against
// state roots posted to TributaryCommitments, with Tributary's state simulated by lib/smt.js.
const { expect } = require("chai");
const { ethers } = require("hardhat");
const { loadFixture, time } = require("@nomicfoundation/hardhat-network-helpers");
const smt = require("../lib/smt");
const nodeVector = require("./vectors/node-smt-vector.json");

const OPEN = (n) => ethers.parseUnits(String(n), 18);
const INTERVAL = 100n;
const WINDOW = 7200n;
const abi = ethers.AbiCoder.defaultAbiCoder();
const withdrawalValue = (recipient, amount) => abi.encode(["address", "uint256"], [recipient, amount]);
const trb = (n) => ethers.zeroPadValue(ethers.toBeHex(n), 20); // a 20-byte Tributary address
const h32 = (s) => ethers.keccak256(ethers.toUtf8Bytes(s));

// Tributary state as the node keeps it: a few unrelated keys plus withdrawal records.
function stateWith(withdrawals) {
  const tree = new smt.SparseMerkleTree();
  tree.put(Buffer.from("a" + "x".repeat(20)), "0x0102");
  tree.put(Buffer.from("Xfee"), "0x09");
  for (const [id, recipient, amount] of withdrawals) tree.put(smt.withdrawalKey(id), withdrawalValue(recipient, amount));
  return tree;
}

async function deploy() {
  const [owner, sequencer, alice, bob, relayer, other] = await ethers.getSigners();
  const token = await ethers.deployContract("OpenToken");
  const commitments = await ethers.deployContract("TributaryCommitments", [sequencer.address, INTERVAL, WINDOW]);
  const bridge = await ethers.deployContract("OpenBridge", [await token.getAddress(), await commitments.getAddress()]);
  for (const s of [alice, bob]) {
    await token.mint(s.address, OPEN(1000));
    await token.connect(s).approve(await bridge.getAddress(), ethers.MaxUint256);
  }
  return { token, commitments, bridge, owner, sequencer, alice, bob, relayer, other };
}

// Alice and Bob deposit 300 OPEN in all; Tributary records withdrawals 1 (alice, 50) and 2 (bob, 70);
// height 100 commits that state and is final.
async function withWithdrawals() {
  const f = await deploy();
  await f.bridge.connect(f.alice).deposit(OPEN(200), trb(1));
  await f.bridge.connect(f.bob).deposit(OPEN(100), trb(2));
  const withdrawals = [
    [1n, f.alice.address, OPEN(50)],
    [2n, f.bob.address, OPEN(70)],
  ];
  const tree = stateWith(withdrawals);
  await f.commitments.connect(f.sequencer).post(100, h32("block100"), tree.root());
  await time.increase(WINDOW);
  // loadFixture hands every test the same objects: tests rebuild the tree with stateWith(withdrawals).
  return { ...f, withdrawals };
}

describe("OpenBridge", function () {
  describe("constructor", function () {
    it("stores the token and the commitments contract; rejects zero addresses", async function () {
      const { token, commitments, bridge } = await loadFixture(deploy);
      expect(await bridge.token()).to.equal(await token.getAddress());
      expect(await bridge.commitments()).to.equal(await commitments.getAddress());
      const F = await ethers.getContractFactory("OpenBridge");
      await expect(F.deploy(ethers.ZeroAddress, await commitments.getAddress())).to.be.revertedWithCustomError(F, "ZeroAddress");
      await expect(F.deploy(await token.getAddress(), ethers.ZeroAddress)).to.be.revertedWithCustomError(F, "ZeroAddress");
    });
  });

  describe("deposit", function () {
    it("locks the tokens and emits Deposited with sequential ids from 1", async function () {
      const { token, bridge, alice, bob } = await loadFixture(deploy);
      const tx1 = await bridge.connect(alice).deposit(OPEN(5), trb(0xabc));
      await expect(tx1).to.emit(bridge, "Deposited").withArgs(1, alice.address, trb(0xabc), OPEN(5));
      await expect(tx1).to.changeTokenBalances(token, [alice, bridge], [-OPEN(5), OPEN(5)]);
      await expect(bridge.connect(bob).deposit(OPEN(7), trb(0xdef)))
        .to.emit(bridge, "Deposited")
        .withArgs(2, bob.address, trb(0xdef), OPEN(7));
      expect(await bridge.depositCount()).to.equal(2n);
      expect(await bridge.totalDeposited()).to.equal(OPEN(12));
      // deposit's return value is the id.
      expect(await bridge.connect(alice).deposit.staticCall(1, trb(1))).to.equal(3n);
    });

    it("reverts for zero, for the zero Tributary account and without allowance or balance", async function () {
      const { token, bridge, alice, other } = await loadFixture(deploy);
      await expect(bridge.connect(alice).deposit(0, trb(1))).to.be.revertedWithCustomError(bridge, "ZeroAmount");
      await expect(bridge.connect(alice).deposit(1, ethers.ZeroHash.slice(0, 42))).to.be.revertedWithCustomError(
        bridge,
        "ZeroAddress",
      );
      await expect(bridge.connect(other).deposit(1, trb(1))).to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance");
      await token.connect(other).approve(await bridge.getAddress(), ethers.MaxUint256);
      await expect(bridge.connect(other).deposit(1, trb(1))).to.be.revertedWithCustomError(token, "ERC20InsufficientBalance");
      expect(await bridge.depositCount()).to.equal(0n);
    });
  });

  describe("withdrawal record format", function () {
    it('key = "B" || uint64 big-endian id; value = abi.encode(recipient, amount)', async function () {
      const { bridge, alice } = await loadFixture(deploy);
      expect(await bridge.WITHDRAWAL_KEY_PREFIX()).to.equal("0x42");
      expect(await bridge.withdrawalKey(1)).to.equal("0x420000000000000001");
      expect(await bridge.withdrawalKey(0x0102030405060708n)).to.equal("0x420102030405060708");
      expect(await bridge.withdrawalKey(0x0102030405060708n)).to.equal(smt.withdrawalKey(0x0102030405060708n));
      expect(await bridge.withdrawalValue(alice.address, 5)).to.equal(withdrawalValue(alice.address, 5));
      expect(ethers.getBytes(await bridge.withdrawalValue(alice.address, 5)).length).to.equal(64);
    });
  });

  describe("release", function () {
    it("pays the recipient (whoever submits) and emits Released", async function () {
      const { token, bridge, alice, relayer, withdrawals } = await loadFixture(withWithdrawals);
      const tree = stateWith(withdrawals);
      const siblings = tree.prove(smt.withdrawalKey(1));
      const tx = await bridge.connect(relayer).release(1, alice.address, OPEN(50), 100, siblings);
      await expect(tx).to.emit(bridge, "Released").withArgs(1, alice.address, OPEN(50), 100);
      await expect(tx).to.changeTokenBalances(token, [alice, bridge, relayer], [OPEN(50), -OPEN(50), 0]);
      expect(await bridge.isReleased(1)).to.equal(true);
      expect(await bridge.isReleased(2)).to.equal(false);
      expect(await bridge.totalReleased()).to.equal(OPEN(50));
    });

    it("reverts before the challenge window has passed, and succeeds exactly when it has", async function () {
      const { commitments, bridge, sequencer, alice, withdrawals } = await loadFixture(withWithdrawals);
      const tree = stateWith(withdrawals);
      // A new commitment at 200 with withdrawal 3 added.
      tree.put(smt.withdrawalKey(3), withdrawalValue(alice.address, OPEN(1)));
      await commitments.connect(sequencer).post(200, h32("block200"), tree.root());
      const finalAt = await commitments.finalAt(200);
      const siblings = tree.prove(smt.withdrawalKey(3));
      await expect(bridge.release(3, alice.address, OPEN(1), 200, siblings))
        .to.be.revertedWithCustomError(bridge, "ChallengeWindowOpen")
        .withArgs(200, finalAt);
      await time.setNextBlockTimestamp(finalAt - 1n);
      await expect(bridge.release(3, alice.address, OPEN(1), 200, siblings))
        .to.be.revertedWithCustomError(bridge, "ChallengeWindowOpen")
        .withArgs(200, finalAt);
      await time.setNextBlockTimestamp(finalAt);
      await expect(bridge.release(3, alice.address, OPEN(1), 200, siblings)).to.emit(bridge, "Released");
    });

    it("reverts against an unknown height (never posted, or revoked)", async function () {
      const { commitments, bridge, sequencer, alice, withdrawals } = await loadFixture(withWithdrawals);
      const tree = stateWith(withdrawals);
      const siblings = tree.prove(smt.withdrawalKey(1));
      for (const height of [0, 50, 300]) {
        await expect(bridge.release(1, alice.address, OPEN(50), height, siblings))
          .to.be.revertedWithCustomError(bridge, "UnknownCommitment")
          .withArgs(height);
      }
      await commitments.connect(sequencer).post(200, h32("bad"), tree.root());
      await commitments.revoke(200);
      await time.increase(WINDOW);
      await expect(bridge.release(1, alice.address, OPEN(50), 200, siblings))
        .to.be.revertedWithCustomError(bridge, "UnknownCommitment")
        .withArgs(200);
    });

    it("reverts a forged SMT proof", async function () {
      const { bridge, alice, bob, withdrawals } = await loadFixture(withWithdrawals);
      const tree = stateWith(withdrawals);
      const p1 = tree.prove(smt.withdrawalKey(1));
      const p2 = tree.prove(smt.withdrawalKey(2));
      const tampered = [...p1];
      tampered[tampered.length - 1] = h32("forged");
      const cases = [
        [1, alice.address, OPEN(51), 100, p1], // inflated amount
        [1, bob.address, OPEN(50), 100, p1], // other recipient
        [2, alice.address, OPEN(50), 100, p1], // record 1 under id 2
        [1, alice.address, OPEN(50), 100, p2], // another record's path
        [1, alice.address, OPEN(50), 100, tampered],
        [1, alice.address, OPEN(50), 100, p1.slice(1)],
        [1, alice.address, OPEN(50), 100, []],
        [3, alice.address, OPEN(50), 100, p1], // a withdrawal that does not exist
      ];
      // A record the node never wrote, proven against a tree that has it, but under the posted root.
      const fake = stateWith([[1n, alice.address, OPEN(50)], [2n, bob.address, OPEN(70)], [9n, bob.address, OPEN(200)]]);
      cases.push([9, bob.address, OPEN(200), 100, fake.prove(smt.withdrawalKey(9))]);
      for (const args of cases) {
        await expect(bridge.release(...args)).to.be.revertedWithCustomError(bridge, "InvalidProof");
      }
      expect(await bridge.totalReleased()).to.equal(0n);
    });

    it("reverts a double release, also against a later commitment", async function () {
      const { commitments, bridge, sequencer, alice, withdrawals } = await loadFixture(withWithdrawals);
      const tree = stateWith(withdrawals);
      await bridge.release(1, alice.address, OPEN(50), 100, tree.prove(smt.withdrawalKey(1)));
      await expect(bridge.release(1, alice.address, OPEN(50), 100, tree.prove(smt.withdrawalKey(1))))
        .to.be.revertedWithCustomError(bridge, "AlreadyReleased")
        .withArgs(1);
      // The record stays in Tributary state, so later roots prove it too: still only once.
      tree.put(Buffer.from("other"), "0x01");
      await commitments.connect(sequencer).post(200, h32("block200"), tree.root());
      await time.increase(WINDOW);
      await expect(bridge.release(1, alice.address, OPEN(50), 200, tree.prove(smt.withdrawalKey(1))))
        .to.be.revertedWithCustomError(bridge, "AlreadyReleased")
        .withArgs(1);
    });

    it("releases a withdrawal record written by the node's own tree (C++ vector)", async function () {
      const { token, commitments, bridge, sequencer, alice } = await loadFixture(deploy);
      await bridge.connect(alice).deposit(OPEN(100), trb(1));
      await commitments.connect(sequencer).post(100, h32("block100"), nodeVector.root);
      await time.increase(WINDOW);
      let released = 0n;
      for (const e of nodeVector.entries) {
        if (!e.key.startsWith("0x42") || e.key.length !== 2 + 18) continue;
        const id = BigInt("0x" + e.key.slice(4));
        const [recipient, amount] = abi.decode(["address", "uint256"], e.value);
        await expect(bridge.release(id, recipient, amount, 100, e.siblings))
          .to.emit(bridge, "Released")
          .withArgs(id, recipient, amount, 100);
        expect(await token.balanceOf(recipient)).to.equal(amount);
        released += amount;
      }
      expect(released).to.be.greaterThan(0n);
      expect(await bridge.totalReleased()).to.equal(released);
    });
  });

  describe("round trip", function () {
    it("deposits credited on Tributary and withdrawn back conserve supply", async function () {
      const { token, commitments, bridge, sequencer, alice, bob, relayer } = await loadFixture(deploy);
      const supply = await token.totalSupply();
      const start = { [alice.address]: await token.balanceOf(alice.address), [bob.address]: await token.balanceOf(bob.address) };

      // EVM -> Tributary: lock, then (after N confirmations) the sequencer credits the Tributary accounts.
      const tributary = new Map(); // 20-byte Tributary account -> balance (the node's ledger)
      const credited = new Set();
      const deposits = [
        [alice, OPEN(120), trb(0xa1)],
        [bob, OPEN(80), trb(0xb0)],
        [alice, OPEN(30), trb(0xa1)],
      ];
      for (const [who, amount, account] of deposits) await bridge.connect(who).deposit(amount, account);
      for (const log of await bridge.queryFilter(bridge.filters.Deposited())) {
        const { depositId, tributaryAccount, amount } = log.args;
        if (credited.has(depositId)) continue; // bridge.credit is once per deposit id
        credited.add(depositId);
        tributary.set(tributaryAccount, (tributary.get(tributaryAccount) ?? 0n) + amount);
      }
      const lockedOnEvm = await token.balanceOf(await bridge.getAddress());
      expect([...tributary.values()].reduce((a, b) => a + b, 0n)).to.equal(lockedOnEvm);

      // Tributary -> EVM: each account burns all it holds and names an EVM recipient.
      const state = stateWith([]);
      const withdrawals = [
        [1n, alice.address, tributary.get(trb(0xa1)), trb(0xa1)],
        [2n, bob.address, tributary.get(trb(0xb0)), trb(0xb0)],
      ];
      for (const [id, recipient, amount, account] of withdrawals) {
        tributary.set(account, tributary.get(account) - amount); // burn
        state.put(smt.withdrawalKey(id), withdrawalValue(recipient, amount));
      }
      await commitments.connect(sequencer).post(INTERVAL, h32("block"), state.root());
      await time.increase(WINDOW);
      for (const [id, recipient, amount] of withdrawals) {
        await bridge.connect(relayer).release(id, recipient, amount, INTERVAL, state.prove(smt.withdrawalKey(id)));
      }

      expect(await token.totalSupply()).to.equal(supply);
      expect(await token.balanceOf(alice.address)).to.equal(start[alice.address]);
      expect(await token.balanceOf(bob.address)).to.equal(start[bob.address]);
      expect(await token.balanceOf(await bridge.getAddress())).to.equal(0n);
      expect(await bridge.totalDeposited()).to.equal(await bridge.totalReleased());
      expect([...tributary.values()].every((v) => v === 0n)).to.equal(true);
    });
  });
});
