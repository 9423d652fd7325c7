const { expect } = require("chai");
const { ethers } = require("hardhat");
const { loadFixture } = require("@nomicfoundation/hardhat-network-helpers");

async function deploy() {
  const [owner, alice] = await ethers.getSigners();
  const token = await ethers.deployContract("OpenToken");
  return { token, owner, alice };
}

describe("OpenToken", function () {
  it("is OPEN with 18 decimals and no initial supply", async function () {
    const { token, owner } = await loadFixture(deploy);
    expect(await token.name()).to.equal("Open");
    expect(await token.symbol()).to.equal("OPEN");
    expect(await token.decimals()).to.equal(18n);
    expect(await token.totalSupply()).to.equal(0n);
    expect(await token.owner()).to.equal(owner.address);
  });

  it("the owner mints to accounts; others cannot", async function () {
    const { token, alice } = await loadFixture(deploy);
    await expect(token.mint(alice.address, 5n)).to.changeTokenBalance(token, alice, 5n);
    expect(await token.totalSupply()).to.equal(5n);
    await expect(token.connect(alice).mint(alice.address, 1n))
      .to.be.revertedWithCustomError(token, "OwnableUnauthorizedAccount")
      .withArgs(alice.address);
  });
});
