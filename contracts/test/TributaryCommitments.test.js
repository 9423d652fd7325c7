// TributaryCommitments: sequencer-only posts at increasing multiples of the interval, reads,
// the challenge window, revocation and sequencer rotation.
const { expect } = require("chai");
const { ethers } = require("hardhat");
const { loadFixture, time } = require("@nomicfoundation/hardhat-network-helpers");

const INTERVAL = 10n;
const WINDOW = 3600n; // one hour
const h32 = (s) => ethers.keccak256(ethers.toUtf8Bytes(s));

async function deploy() {
  const [owner, sequencer, other, newSequencer] = await ethers.getSigners();
  const commitments = await ethers.deployContract("TributaryCommitments", [sequencer.address, INTERVAL, WINDOW]);
  return { commitments, owner, sequencer, other, newSequencer };
}

describe("TributaryCommitments", function () {
  describe("constructor", function () {
    it("stores the sequencer, interval, window and owner", async function () {
      const { commitments, owner, sequencer } = await loadFixture(deploy);
      expect(await commitments.sequencer()).to.equal(sequencer.address);
      expect(await commitments.interval()).to.equal(INTERVAL);
      expect(await commitments.challengeWindow()).to.equal(WINDOW);
      expect(await commitments.owner()).to.equal(owner.address);
      expect(await commitments.latestHeight()).to.equal(0n);
    });

    it("rejects a zero sequencer and a zero interval", async function () {
      const [, sequencer] = await ethers.getSigners();
      const F = await ethers.getContractFactory("TributaryCommitments");
      await expect(F.deploy(ethers.ZeroAddress, INTERVAL, WINDOW)).to.be.revertedWithCustomError(F, "ZeroAddress");
      await expect(F.deploy(sequencer.address, 0n, WINDOW)).to.be.revertedWithCustomError(F, "ZeroInterval");
    });
  });

  describe("post", function () {
    it("stores the commitment, raises latestHeight and emits CommitmentPosted", async function () {
      const { commitments, sequencer } = await loadFixture(deploy);
      const tx = await commitments.connect(sequencer).post(10, h32("b10"), h32("s10"));
      const ts = BigInt(await time.latest());
      await expect(tx).to.emit(commitments, "CommitmentPosted").withArgs(10, h32("b10"), h32("s10"), ts);
      expect(await commitments.latestHeight()).to.equal(10n);
      expect(await commitments.commitment(10)).to.deep.equal([h32("b10"), h32("s10"), ts]);
      expect(await commitments.finalAt(10)).to.equal(ts + WINDOW);

      await commitments.connect(sequencer).post(30, h32("b30"), h32("s30")); // may skip multiples
      expect(await commitments.latestHeight()).to.equal(30n);
      expect((await commitments.commitment(30))[1]).to.equal(h32("s30"));
    });

    it("reads an unknown height as all zero", async function () {
      const { commitments } = await loadFixture(deploy);
      expect(await commitments.commitment(20)).to.deep.equal([ethers.ZeroHash, ethers.ZeroHash, 0n]);
      expect(await commitments.isFinal(20)).to.equal(false);
      expect(await commitments.finalAt(20)).to.equal(0n);
    });

    it("reverts for anyone but the sequencer, the owner included", async function () {
      const { commitments, owner, other } = await loadFixture(deploy);
      for (const s of [owner, other]) {
        await expect(commitments.connect(s).post(10, h32("b"), h32("s")))
          .to.be.revertedWithCustomError(commitments, "NotSequencer")
          .withArgs(s.address);
      }
    });

    it("reverts for a height not above the latest (zero, equal, lower)", async function () {
      const { commitments, sequencer } = await loadFixture(deploy);
      await expect(commitments.connect(sequencer).post(0, h32("b"), h32("s")))
        .to.be.revertedWithCustomError(commitments, "HeightNotIncreasing")
        .withArgs(0, 0);
      await commitments.connect(sequencer).post(20, h32("b20"), h32("s20"));
      await expect(commitments.connect(sequencer).post(20, h32("b"), h32("s")))
        .to.be.revertedWithCustomError(commitments, "HeightNotIncreasing")
        .withArgs(20, 20);
      await expect(commitments.connect(sequencer).post(10, h32("b"), h32("s")))
        .to.be.revertedWithCustomError(commitments, "HeightNotIncreasing")
        .withArgs(10, 20);
      expect((await commitments.commitment(20))[0]).to.equal(h32("b20")); // unchanged
    });

    it("reverts for a height that is not a multiple of the interval", async function () {
      const { commitments, sequencer } = await loadFixture(deploy);
      for (const height of [1, 9, 11, 25]) {
        await expect(commitments.connect(sequencer).post(height, h32("b"), h32("s")))
          .to.be.revertedWithCustomError(commitments, "HeightNotOnInterval")
          .withArgs(height, INTERVAL);
      }
      expect(await commitments.latestHeight()).to.equal(0n);
    });
  });

  describe("challenge window", function () {
    it("a commitment is final exactly challengeWindow seconds after its post", async function () {
      const { commitments, sequencer } = await loadFixture(deploy);
      await commitments.connect(sequencer).post(10, h32("b"), h32("s"));
      const finalAt = await commitments.finalAt(10);
      expect(await commitments.isFinal(10)).to.equal(false);
      await time.increaseTo(finalAt - 2n); // latest block at finalAt - 2
      expect(await commitments.isFinal(10)).to.equal(false);
      await time.increaseTo(finalAt);
      expect(await commitments.isFinal(10)).to.equal(true);
    });

    it("a zero window makes a commitment final at once", async function () {
      const [, sequencer] = await ethers.getSigners();
      const c = await ethers.deployContract("TributaryCommitments", [sequencer.address, 1, 0]);
      await c.connect(sequencer).post(1, h32("b"), h32("s"));
      expect(await c.isFinal(1)).to.equal(true);
    });
  });

  describe("revoke", function () {
    it("the owner strikes a provisional commitment", async function () {
      const { commitments, sequencer } = await loadFixture(deploy);
      await commitments.connect(sequencer).post(10, h32("b"), h32("s"));
      await expect(commitments.revoke(10)).to.emit(commitments, "CommitmentRevoked").withArgs(10, h32("b"), h32("s"));
      expect(await commitments.commitment(10)).to.deep.equal([ethers.ZeroHash, ethers.ZeroHash, 0n]);
      expect(await commitments.latestHeight()).to.equal(10n);
      await time.increase(WINDOW * 2n);
      expect(await commitments.isFinal(10)).to.equal(false);
      // The height is never posted again; the next multiple is.
      await expect(commitments.connect(sequencer).post(10, h32("b"), h32("s2"))).to.be.revertedWithCustomError(
        commitments,
        "HeightNotIncreasing",
      );
      await commitments.connect(sequencer).post(20, h32("b20"), h32("s20"));
    });

    it("reverts for a non-owner, an unknown height and a final commitment", async function () {
      const { commitments, sequencer, other } = await loadFixture(deploy);
      await commitments.connect(sequencer).post(10, h32("b"), h32("s"));
      await expect(commitments.connect(other).revoke(10))
        .to.be.revertedWithCustomError(commitments, "OwnableUnauthorizedAccount")
        .withArgs(other.address);
      await expect(commitments.connect(sequencer).revoke(10)).to.be.revertedWithCustomError(
        commitments,
        "OwnableUnauthorizedAccount",
      );
      await expect(commitments.revoke(20)).to.be.revertedWithCustomError(commitments, "UnknownCommitment").withArgs(20);
      await time.increase(WINDOW);
      await expect(commitments.revoke(10)).to.be.revertedWithCustomError(commitments, "CommitmentFinal").withArgs(10);
    });
  });

  describe("sequencer rotation and ownership", function () {
    it("the owner rotates the sequencer; only the new key posts", async function () {
      const { commitments, sequencer, newSequencer } = await loadFixture(deploy);
      await expect(commitments.setSequencer(newSequencer.address))
        .to.emit(commitments, "SequencerChanged")
        .withArgs(sequencer.address, newSequencer.address);
      expect(await commitments.sequencer()).to.equal(newSequencer.address);
      await expect(commitments.connect(sequencer).post(10, h32("b"), h32("s")))
        .to.be.revertedWithCustomError(commitments, "NotSequencer")
        .withArgs(sequencer.address);
      await commitments.connect(newSequencer).post(10, h32("b"), h32("s"));
    });

    it("setSequencer reverts for a non-owner and for the zero address", async function () {
      const { commitments, other } = await loadFixture(deploy);
      await expect(commitments.connect(other).setSequencer(other.address)).to.be.revertedWithCustomError(
        commitments,
        "OwnableUnauthorizedAccount",
      );
      await expect(commitments.setSequencer(ethers.ZeroAddress)).to.be.revertedWithCustomError(commitments, "ZeroAddress");
    });

    it("ownership moves in two steps (Ownable2Step)", async function () {
      const { commitments, owner, other, newSequencer } = await loadFixture(deploy);
      await commitments.transferOwnership(other.address);
      expect(await commitments.owner()).to.equal(owner.address);
      expect(await commitments.pendingOwner()).to.equal(other.address);
      await expect(commitments.connect(newSequencer).acceptOwnership()).to.be.revertedWithCustomError(
        commitments,
        "OwnableUnauthorizedAccount",
      );
      await commitments.connect(other).acceptOwnership();
      expect(await commitments.owner()).to.equal(other.address);
      await commitments.connect(other).setSequencer(newSequencer.address);
    });
  });
});
