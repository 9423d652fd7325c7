// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {TributaryCommitments} from "./TributaryCommitments.sol";
import {SparseMerkleProof} from "./SparseMerkleProof.sol";

/// @title OpenBridge
/// @notice Moves OPEN between this EVM chain and Tributary.
///
/// EVM -> Tributary: `deposit` locks OPEN in this contract and emits `Deposited` with a
/// sequential id (1, 2, 3, ...). Once the deposit's EVM block has N confirmations, the sequencer
/// credits the amount to the given 20-byte Tributary account (the node's `bridge.credit`, once
/// per deposit id). The confirmation count is the node's setting; this contract does not see it.
///
/// Tributary -> EVM: a withdrawal burns OPEN on Tributary and writes a record into Tributary
/// state that stays there (the node never deletes or rewrites it):
///
///   key   = 0x42 ("B") || uint64 withdrawalId, big-endian         (9 bytes)
///   value = abi.encode(address recipient, uint256 amount)         (64 bytes)
///
/// Once a commitment whose state root includes the record is final (TributaryCommitments'
/// challenge window has passed), anyone may call `release` with the SMT membership proof of that
/// key and value (see SparseMerkleProof) to pay `recipient` from the locked OPEN. Each
/// withdrawal id is released at most once.
contract OpenBridge is ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice First byte of a bridge withdrawal record's state key on Tributary ("B"; "W" is taken by vote checkpoints).
    bytes1 public constant WITHDRAWAL_KEY_PREFIX = 0x42;

    /// @notice The bridged token (OPEN).
    IERC20 public immutable token;
    /// @notice Where the Tributary state roots come from.
    TributaryCommitments public immutable commitments;

    /// @notice The number of deposits so far, which is also the last deposit id.
    uint256 public depositCount;
    /// @notice Total ever deposited and total ever released, in base units.
    uint256 public totalDeposited;
    uint256 public totalReleased;

    mapping(uint64 withdrawalId => bool) private _released;

    /// @notice OPEN locked here for `tributaryAccount`; the node credits it after N confirmations.
    event Deposited(uint256 indexed depositId, address indexed from, bytes20 tributaryAccount, uint256 amount);
    /// @notice Withdrawal `withdrawalId` paid `amount` to `recipient`, proven at `commitmentHeight`.
    event Released(uint64 indexed withdrawalId, address indexed recipient, uint256 amount, uint64 commitmentHeight);

    /// @notice A deposit of zero.
    error ZeroAmount();
    /// @notice A deposit to the zero Tributary account, or a zero constructor address.
    error ZeroAddress();
    /// @notice No commitment at `height` (never posted, or revoked).
    error UnknownCommitment(uint64 height);
    /// @notice The commitment at `height` is still in its challenge window, until `finalAt`.
    error ChallengeWindowOpen(uint64 height, uint256 finalAt);
    /// @notice The proof does not show the withdrawal record under the committed state root.
    error InvalidProof();
    /// @notice Withdrawal `withdrawalId` was already released.
    error AlreadyReleased(uint64 withdrawalId);

    /// @param token_ The bridged token (OPEN).
    /// @param commitments_ The contract the sequencer posts Tributary commitments to.
    constructor(IERC20 token_, TributaryCommitments commitments_) {
        if (address(token_) == address(0) || address(commitments_) == address(0)) revert ZeroAddress();
        token = token_;
        commitments = commitments_;
    }

    /// @notice Locks `amount` OPEN from the caller (approve first) for `tributaryAccount`, the
    /// 20-byte Tributary address to credit. Returns the deposit id.
    function deposit(uint256 amount, bytes20 tributaryAccount) external nonReentrant returns (uint256 depositId) {
        if (amount == 0) revert ZeroAmount();
        if (tributaryAccount == bytes20(0)) revert ZeroAddress();
        depositId = ++depositCount;
        totalDeposited += amount;
        emit Deposited(depositId, msg.sender, tributaryAccount, amount);
        token.safeTransferFrom(msg.sender, address(this), amount);
    }

    /// @notice Pays withdrawal `withdrawalId` (`amount` to `recipient`) given the proof that
    /// Tributary's state at `commitmentHeight` holds its record. Anyone may submit.
    /// @param siblings The SMT membership proof's sibling hashes, root first.
    function release(
        uint64 withdrawalId,
        address recipient,
        uint256 amount,
        uint64 commitmentHeight,
        bytes32[] calldata siblings
    ) external nonReentrant {
        if (_released[withdrawalId]) revert AlreadyReleased(withdrawalId);
        (, bytes32 stateRoot, uint64 postedAt) = commitments.commitment(commitmentHeight);
        if (postedAt == 0) revert UnknownCommitment(commitmentHeight);
        if (!commitments.isFinal(commitmentHeight)) {
            revert ChallengeWindowOpen(commitmentHeight, commitments.finalAt(commitmentHeight));
        }
        if (!SparseMerkleProof.verify(
                stateRoot,
                sha256(withdrawalKey(withdrawalId)),
                sha256(withdrawalValue(recipient, amount)),
                siblings
            )) revert InvalidProof();
        _released[withdrawalId] = true;
        totalReleased += amount;
        emit Released(withdrawalId, recipient, amount, commitmentHeight);
        token.safeTransfer(recipient, amount);
    }

    /// @notice True when withdrawal `withdrawalId` has been released.
    function isReleased(uint64 withdrawalId) external view returns (bool) {
        return _released[withdrawalId];
    }

    /// @notice The Tributary state key of withdrawal `withdrawalId`: "B" || uint64 big-endian.
    function withdrawalKey(uint64 withdrawalId) public pure returns (bytes memory) {
        return abi.encodePacked(WITHDRAWAL_KEY_PREFIX, withdrawalId);
    }

    /// @notice The Tributary state value of a withdrawal: abi.encode(recipient, amount).
    function withdrawalValue(address recipient, uint256 amount) public pure returns (bytes memory) {
        return abi.encode(recipient, amount);
    }
}
