// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";

/// @title TributaryCommitments
/// @notice Tributary block commitments on an EVM chain. Every `interval` blocks the sequencer's
/// EVM key posts (height, block hash, state root) of the Tributary chain; anyone can read them.
///
/// Challenge window: a commitment is *final* `challengeWindow` seconds after the EVM block that
/// posted it (`isFinal`). Until then it is provisional: anyone who replays Tributary's blocks can
/// check the posted block hash and state root, and the owner (a multisig or governance) can revoke
/// a wrong commitment with `revoke`. Contracts that act on a state root (OpenBridge's releases)
/// accept only final commitments, so a wrong root has `challengeWindow` seconds to be caught
/// before it can move funds. A revoked height is never posted again (heights only increase); the
/// sequencer posts the next multiple of `interval`, whose root commits to the same state.
///
/// Roles: the owner (Ownable2Step: transfer, then accept) rotates the sequencer key and revokes
/// commitments; the sequencer posts.
contract TributaryCommitments is Ownable2Step {
    /// @notice One posted commitment. `postedAt` is the EVM block timestamp of the post; zero means
    /// no commitment at that height (never posted, or revoked).
    struct Commitment {
        bytes32 blockHash;
        bytes32 stateRoot;
        uint64 postedAt;
    }

    /// @notice Posts are allowed only at heights that are multiples of this (> 0).
    uint64 public immutable interval;
    /// @notice Seconds after a post before the commitment is final.
    uint256 public immutable challengeWindow;

    /// @notice The EVM account allowed to post.
    address public sequencer;
    /// @notice The highest height posted so far (0 before the first post). Revocation does not
    /// lower it.
    uint64 public latestHeight;

    mapping(uint64 height => Commitment) private _commitments;

    /// @notice A commitment was posted. The node watches this event.
    event CommitmentPosted(uint64 indexed height, bytes32 blockHash, bytes32 stateRoot, uint64 postedAt);
    /// @notice The owner struck a commitment during its challenge window.
    event CommitmentRevoked(uint64 indexed height, bytes32 blockHash, bytes32 stateRoot);
    /// @notice The owner rotated the sequencer key.
    event SequencerChanged(address indexed previousSequencer, address indexed newSequencer);

    /// @notice The caller is not the sequencer.
    error NotSequencer(address caller);
    /// @notice `height` is not above the latest posted height.
    error HeightNotIncreasing(uint64 height, uint64 latestHeight);
    /// @notice `height` is not a multiple of `interval`.
    error HeightNotOnInterval(uint64 height, uint64 interval);
    /// @notice No commitment at `height` (never posted, or revoked).
    error UnknownCommitment(uint64 height);
    /// @notice The commitment at `height` is already final and can no longer be revoked.
    error CommitmentFinal(uint64 height);
    /// @notice A zero address where an account is required.
    error ZeroAddress();
    /// @notice `interval` must be positive.
    error ZeroInterval();

    /// @param sequencer_ The EVM account allowed to post.
    /// @param interval_ Posts go at heights that are multiples of this (> 0).
    /// @param challengeWindowSeconds Seconds after a post before it is final.
    /// @dev The deployer becomes the owner.
    constructor(address sequencer_, uint64 interval_, uint256 challengeWindowSeconds) Ownable(msg.sender) {
        if (sequencer_ == address(0)) revert ZeroAddress();
        if (interval_ == 0) revert ZeroInterval();
        sequencer = sequencer_;
        interval = interval_;
        challengeWindow = challengeWindowSeconds;
        emit SequencerChanged(address(0), sequencer_);
    }

    /// @notice Posts the commitment for Tributary block `height`. Only the sequencer; `height` must
    /// be above `latestHeight` and a multiple of `interval` (so height 0, genesis, is never posted).
    function post(uint64 height, bytes32 blockHash, bytes32 stateRoot) external {
        if (msg.sender != sequencer) revert NotSequencer(msg.sender);
        if (height <= latestHeight) revert HeightNotIncreasing(height, latestHeight);
        if (height % interval != 0) revert HeightNotOnInterval(height, interval);
        uint64 postedAt = uint64(block.timestamp);
        latestHeight = height;
        _commitments[height] = Commitment(blockHash, stateRoot, postedAt);
        emit CommitmentPosted(height, blockHash, stateRoot, postedAt);
    }

    /// @notice The commitment at `height`: all zero when there is none.
    /// @return blockHash The Tributary block hash.
    /// @return stateRoot The Tributary state root after that block.
    /// @return postedAt The EVM timestamp of the post (0: no commitment).
    function commitment(uint64 height)
        external
        view
        returns (bytes32 blockHash, bytes32 stateRoot, uint64 postedAt)
    {
        Commitment storage c = _commitments[height];
        return (c.blockHash, c.stateRoot, c.postedAt);
    }

    /// @notice True when a commitment exists at `height` and its challenge window has passed
    /// (block.timestamp >= postedAt + challengeWindow).
    function isFinal(uint64 height) public view returns (bool) {
        uint64 postedAt = _commitments[height].postedAt;
        return postedAt != 0 && block.timestamp >= uint256(postedAt) + challengeWindow;
    }

    /// @notice The timestamp at which the commitment at `height` becomes final (0: none).
    function finalAt(uint64 height) external view returns (uint256) {
        uint64 postedAt = _commitments[height].postedAt;
        return postedAt == 0 ? 0 : uint256(postedAt) + challengeWindow;
    }

    /// @notice Strikes a provisional commitment found wrong. Only the owner, only before it is
    /// final.
    function revoke(uint64 height) external onlyOwner {
        Commitment memory c = _commitments[height];
        if (c.postedAt == 0) revert UnknownCommitment(height);
        if (isFinal(height)) revert CommitmentFinal(height);
        delete _commitments[height];
        emit CommitmentRevoked(height, c.blockHash, c.stateRoot);
    }

    /// @notice Rotates the sequencer key. Only the owner.
    function setSequencer(address newSequencer) external onlyOwner {
        if (newSequencer == address(0)) revert ZeroAddress();
        emit SequencerChanged(sequencer, newSequencer);
        sequencer = newSequencer;
    }
}
