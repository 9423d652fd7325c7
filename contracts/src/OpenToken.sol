// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";

/// @title OpenToken
/// @notice OPEN on the EVM side, for local chains and tests: a plain OpenZeppelin ERC-20 with 18
/// decimals whose owner may mint. On a chain where OPEN already exists, deploy RewardDistributor
/// and OpenBridge with that token's address instead; they take any standard ERC-20 (no fee on
/// transfer, no rebasing).
contract OpenToken is ERC20, Ownable {
    /// @dev The deployer becomes the owner; nothing is minted until the owner mints.
    constructor() ERC20("Open", "OPEN") Ownable(msg.sender) {}

    /// @notice Mints `amount` base units (10^-18 OPEN) to `to`. Only the owner.
    function mint(address to, uint256 amount) external onlyOwner {
        _mint(to, amount);
    }
}
