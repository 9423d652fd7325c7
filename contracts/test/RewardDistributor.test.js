// RewardDistributor: per-epoch roots built with OpenZeppelin's StandardMerkleTree
// (@openzeppelin/merkle-tree), so the on-chain leaf encoding is proven to match standard tooling.
const { expect } = require("chai");
const { ethers } = require("hardhat");
const { loadFixture } = require("@nomicfoundation/hardhat-network-helpers");
const { StandardMerkleTree } = require("@openzeppelin/merkle-tree");
const rewardVector = require("./vectors/reward-tree-vector.json");

const OPEN = (n) => ethers.parseUnits(String(n), 18);
const LEAF = ["address", "uint256"];

function tree(entries) {
  return StandardMerkleTree.of(
    entries.map(([a, v]) => [a, v.toString()]),
    LEAF,
  );
}
const sum = (entries) => entries.reduce((s, [, v]) => s + v, 0n);
const proofOf = (t, account) => {
  for (const [i, [a]] of t.entries()) if (a.toLowerCase() === account.toLowerCase()) return t.getProof(i);
  throw new Error(`no leaf for ${account}`);
};

async function deploy() {
  const [owner, poster, alice, bob, carol, relayer, other] = await ethers.getSigners();
  const token = await ethers.deployContract("OpenToken");
  const distributor = await ethers.deployContract("RewardDistributor", [await token.getAddress(), poster.address]);
  await token.mint(poster.address, OPEN(1_000_000));
  await token.connect(poster).approve(await distributor.getAddress(), ethers.MaxUint256);
  const epoch1 = [
    [alice.address, OPEN(10)],
    [bob.address, OPEN(25)],
    [carol.address, 123456789n],
  ];
  const epoch2 = [
    [alice.address, OPEN(7)],
    [carol.address, OPEN(1)],
  ];
  return { token, distributor, owner, poster, alice, bob, carol, relayer, other, epoch1, epoch2 };
}

async function posted() {
  const f = await deploy();
  const t1 = tree(f.epoch1);
  const t2 = tree(f.epoch2);
  await f.distributor.connect(f.poster).postEpoch(1, t1.root, sum(f.epoch1));
  await f.distributor.connect(f.poster).postEpoch(2, t2.root, sum(f.epoch2));
  return { ...f, t1, t2 };
}

describe("RewardDistributor", function () {
  describe("constructor", function () {
    it("stores the token, poster and owner", async function () {
      const { token, distributor, owner, poster } = await loadFixture(deploy);
      expect(await distributor.token()).to.equal(await token.getAddress());
      expect(await distributor.poster()).to.equal(poster.address);
      expect(await distributor.owner()).to.equal(owner.address);
      expect(await distributor.lastEpoch()).to.equal(0n);
    });

    it("rejects zero addresses", async function () {
      const { token, poster } = await loadFixture(deploy);
      const F = await ethers.getContractFactory("RewardDistributor");
      await expect(F.deploy(ethers.ZeroAddress, poster.address)).to.be.revertedWithCustomError(F, "ZeroAddress");
      await expect(F.deploy(await token.getAddress(), ethers.ZeroAddress)).to.be.revertedWithCustomError(F, "ZeroAddress");
    });
  });

  describe("leaf encoding", function () {
    it("leaf(account, amount) is StandardMerkleTree's leaf hash", async function () {
      const { distributor, epoch1 } = await loadFixture(deploy);
      const t = tree(epoch1);
      for (const [i, v] of t.entries()) {
        expect(await distributor.leaf(v[0], v[1])).to.equal(t.leafHash(v));
        expect(t.leafHash(v)).to.equal(
          ethers.keccak256(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(LEAF, v))),
        );
        expect(t.verify(i, t.getProof(i))).to.equal(true);
      }
    });
  });

  describe("fixed vector (test/vectors/reward-tree-vector.json, for the node's tests)", function () {
    it("the library rebuilds it, and the contract pays every leaf with its stored proof", async function () {
      const { token, distributor, poster } = await loadFixture(deploy);
      const t = StandardMerkleTree.of(
        rewardVector.entries.map((e) => [e.account, e.amount]),
        rewardVector.encoding,
      );
      expect(t.root).to.equal(rewardVector.root);
      const total = rewardVector.entries.reduce((s, e) => s + BigInt(e.amount), 0n);
      await token.mint(poster.address, total);
      await distributor.connect(poster).postEpoch(1, rewardVector.root, total);
      for (const e of rewardVector.entries) {
        expect(t.leafHash([e.account, e.amount])).to.equal(e.leaf);
        expect(await distributor.leaf(e.account, e.amount)).to.equal(e.leaf);
        expect(t.getProof([e.account, e.amount])).to.deep.equal(e.proof);
        await distributor.claim(1, e.account, e.amount, e.proof);
        expect(await token.balanceOf(e.account)).to.equal(BigInt(e.amount));
      }
      expect(await distributor.outstanding()).to.equal(0n);
    });
  });

  describe("postEpoch", function () {
    it("records the root, pulls the total from the poster and emits EpochPosted", async function () {
      const { token, distributor, poster, epoch1 } = await loadFixture(deploy);
      const t = tree(epoch1);
      const total = sum(epoch1);
      const tx = await distributor.connect(poster).postEpoch(1, t.root, total);
      await expect(tx).to.emit(distributor, "EpochPosted").withArgs(1, t.root, total);
      await expect(tx).to.changeTokenBalances(token, [poster, distributor], [-total, total]);
      expect(await distributor.lastEpoch()).to.equal(1n);
      expect(await distributor.epochs(1)).to.deep.equal([t.root, total, 0n]);
      expect(await distributor.outstanding()).to.equal(total);
    });

    it("accepts an empty epoch (total 0)", async function () {
      const { distributor, poster } = await loadFixture(deploy);
      await distributor.connect(poster).postEpoch(1, ethers.ZeroHash, 0);
      expect(await distributor.lastEpoch()).to.equal(1n);
    });

    it("reverts for anyone but the poster", async function () {
      const { distributor, owner, other, epoch1 } = await loadFixture(deploy);
      for (const s of [owner, other]) {
        await expect(distributor.connect(s).postEpoch(1, tree(epoch1).root, sum(epoch1)))
          .to.be.revertedWithCustomError(distributor, "NotPoster")
          .withArgs(s.address);
      }
    });

    it("reverts for an epoch that is not the next one (0, a gap, a repeat)", async function () {
      const { distributor, poster, epoch1 } = await loadFixture(deploy);
      const root = tree(epoch1).root;
      await expect(distributor.connect(poster).postEpoch(0, root, 1))
        .to.be.revertedWithCustomError(distributor, "WrongEpoch")
        .withArgs(0, 1);
      await expect(distributor.connect(poster).postEpoch(2, root, 1))
        .to.be.revertedWithCustomError(distributor, "WrongEpoch")
        .withArgs(2, 1);
      await distributor.connect(poster).postEpoch(1, root, 1);
      await expect(distributor.connect(poster).postEpoch(1, root, 1))
        .to.be.revertedWithCustomError(distributor, "WrongEpoch")
        .withArgs(1, 2);
      await expect(distributor.connect(poster).postEpoch(3, root, 1))
        .to.be.revertedWithCustomError(distributor, "WrongEpoch")
        .withArgs(3, 2);
    });

    it("reverts when the poster has not approved or cannot fund the total", async function () {
      const { token, distributor, poster, epoch1 } = await loadFixture(deploy);
      const root = tree(epoch1).root;
      await token.connect(poster).approve(await distributor.getAddress(), OPEN(1));
      await expect(distributor.connect(poster).postEpoch(1, root, OPEN(2))).to.be.revertedWithCustomError(
        token,
        "ERC20InsufficientAllowance",
      );
      await token.connect(poster).approve(await distributor.getAddress(), ethers.MaxUint256);
      await expect(distributor.connect(poster).postEpoch(1, root, OPEN(2_000_000))).to.be.revertedWithCustomError(
        token,
        "ERC20InsufficientBalance",
      );
      expect(await distributor.lastEpoch()).to.equal(0n);
    });
  });

  describe("claim", function () {
    it("pays the account (whoever submits) and emits Claimed", async function () {
      const { token, distributor, alice, bob, relayer, t1, epoch1 } = await loadFixture(posted);
      const amount = epoch1[0][1];
      const tx = await distributor.connect(relayer).claim(1, alice.address, amount, proofOf(t1, alice.address));
      await expect(tx).to.emit(distributor, "Claimed").withArgs(1, alice.address, amount);
      await expect(tx).to.changeTokenBalances(token, [alice, distributor, relayer], [amount, -amount, 0]);
      expect(await distributor.isClaimed(1, alice.address)).to.equal(true);
      expect(await distributor.isClaimed(1, bob.address)).to.equal(false);
      expect(await distributor.isClaimed(2, alice.address)).to.equal(false);
      expect((await distributor.epochs(1))[2]).to.equal(amount);
    });

    it("pays every leaf of every epoch once, leaving nothing owed", async function () {
      const { token, distributor, t1, t2, epoch1, epoch2 } = await loadFixture(posted);
      for (const [epoch, t, entries] of [
        [1, t1, epoch1],
        [2, t2, epoch2],
      ]) {
        for (const [account, amount] of entries) {
          await distributor.claim(epoch, account, amount, proofOf(t, account));
        }
        expect((await distributor.epochs(epoch))[2]).to.equal(sum(entries));
      }
      expect(await distributor.outstanding()).to.equal(0n);
      expect(await token.balanceOf(await distributor.getAddress())).to.equal(0n);
    });

    it("pays a one-leaf epoch with an empty proof", async function () {
      const { distributor, poster, alice } = await loadFixture(posted);
      const t3 = tree([[alice.address, 5n]]);
      expect(t3.getProof(0)).to.deep.equal([]);
      await distributor.connect(poster).postEpoch(3, t3.root, 5n);
      await expect(distributor.claim(3, alice.address, 5n, [])).to.emit(distributor, "Claimed").withArgs(3, alice.address, 5n);
    });

    it("reverts a double claim (same or other submitter)", async function () {
      const { distributor, alice, relayer, t1, epoch1 } = await loadFixture(posted);
      const proof = proofOf(t1, alice.address);
      await distributor.connect(alice).claim(1, alice.address, epoch1[0][1], proof);
      for (const s of [alice, relayer]) {
        await expect(distributor.connect(s).claim(1, alice.address, epoch1[0][1], proof))
          .to.be.revertedWithCustomError(distributor, "AlreadyClaimed")
          .withArgs(1, alice.address);
      }
    });

    it("reverts a forged proof: wrong amount, wrong account, tampered or foreign proof", async function () {
      const { distributor, alice, bob, other, t1, t2, epoch1 } = await loadFixture(posted);
      const amount = epoch1[0][1];
      const proof = proofOf(t1, alice.address);
      const cases = [
        [1, alice.address, amount + 1n, proof], // inflated amount
        [1, other.address, amount, proof], // someone else's leaf
        [1, bob.address, amount, proof], // a real account, the wrong proof
        [1, alice.address, amount, [...proof].reverse()],
        [1, alice.address, amount, [ethers.keccak256("0x01"), ...proof.slice(1)]],
        [1, alice.address, amount, []],
        [2, alice.address, amount, proof], // epoch 1's leaf against epoch 2's root
        [1, alice.address, OPEN(7), proofOf(t2, alice.address)], // epoch 2's leaf against epoch 1
      ];
      for (const args of cases) {
        await expect(distributor.claim(...args)).to.be.revertedWithCustomError(distributor, "InvalidProof");
      }
      expect(await distributor.isClaimed(1, alice.address)).to.equal(false);
    });

    it("reverts for an unknown epoch (0, or not posted yet)", async function () {
      const { distributor, alice, t1, epoch1 } = await loadFixture(posted);
      const proof = proofOf(t1, alice.address);
      for (const epoch of [0, 3, 1000]) {
        await expect(distributor.claim(epoch, alice.address, epoch1[0][1], proof))
          .to.be.revertedWithCustomError(distributor, "UnknownEpoch")
          .withArgs(epoch);
      }
    });

    it("never pays an epoch more than its posted total", async function () {
      const { token, distributor, poster, alice, bob } = await loadFixture(posted);
      // A tree whose leaves sum above the total posted for it.
      const entries = [
        [alice.address, 60n],
        [bob.address, 60n],
      ];
      const t3 = tree(entries);
      await distributor.connect(poster).postEpoch(3, t3.root, 100n);
      await distributor.claim(3, alice.address, 60n, proofOf(t3, alice.address));
      await expect(distributor.claim(3, bob.address, 60n, proofOf(t3, bob.address)))
        .to.be.revertedWithCustomError(distributor, "EpochTotalExceeded")
        .withArgs(3, 60n, 40n);
      // The other epochs' funds are intact.
      expect(await token.balanceOf(await distributor.getAddress())).to.equal(await distributor.outstanding());
    });
  });

  describe("setPoster", function () {
    it("the owner changes the poster", async function () {
      const { distributor, poster, other, epoch1 } = await loadFixture(deploy);
      await expect(distributor.setPoster(other.address))
        .to.emit(distributor, "PosterChanged")
        .withArgs(poster.address, other.address);
      await expect(distributor.connect(poster).postEpoch(1, tree(epoch1).root, 0)).to.be.revertedWithCustomError(
        distributor,
        "NotPoster",
      );
      await distributor.connect(other).postEpoch(1, tree(epoch1).root, 0);
    });

    it("reverts for a non-owner and the zero address", async function () {
      const { distributor, other } = await loadFixture(deploy);
      await expect(distributor.connect(other).setPoster(other.address)).to.be.revertedWithCustomError(
        distributor,
        "OwnableUnauthorizedAccount",
      );
      await expect(distributor.setPoster(ethers.ZeroAddress)).to.be.revertedWithCustomError(distributor, "ZeroAddress");
    });
  });
});
