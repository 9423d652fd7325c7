// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title RewardDistributor
/// @notice Pays contributors the earnings settled on Tributary, one Merkle root per epoch.
///
/// Tree format (OpenZeppelin StandardMerkleTree with leaf encoding ["address", "uint256"]):
///   leaf  = keccak256(bytes.concat(keccak256(abi.encode(account, amount))))
///   nodes = keccak256 of the two children sorted (OpenZeppelin MerkleProof's commutative hash)
/// so `StandardMerkleTree.of(values, ["address", "uint256"])` of OpenZeppelin's merkle-tree
/// library (npm) builds the same root and proofs. One leaf per account per epoch, holding the
/// account's whole earnings for the epoch; an account can claim once per epoch.
///
/// Funding: `postEpoch` pulls the epoch's `total` from the poster with transferFrom (the poster
/// approves this contract first), in the same transaction as the root, so every posted epoch is
/// fully funded. Claims in an epoch can never pay out more than that epoch's total, so one
/// epoch's bad root cannot reach another epoch's funds.
contract RewardDistributor is Ownable2Step, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice One posted epoch.
    struct Epoch {
        bytes32 root;
        uint256 total;
        uint256 claimed;
    }

    /// @notice The token paid out (OPEN).
    IERC20 public immutable token;
    /// @notice The account allowed to post epochs (the sequencer's EVM key).
    address public poster;
    /// @notice The last epoch posted; epochs go 1, 2, 3, ...
    uint64 public lastEpoch;
    /// @notice Sum over epochs of (total - claimed): what the contract still owes.
    uint256 public outstanding;

    mapping(uint64 epoch => Epoch) private _epochs;
    mapping(uint64 epoch => mapping(address account => bool)) private _claimed;

    /// @notice An epoch's root was posted and its total pulled in.
    event EpochPosted(uint64 indexed epoch, bytes32 root, uint256 total);
    /// @notice `account` received `amount` for `epoch`.
    event Claimed(uint64 indexed epoch, address indexed account, uint256 amount);
    /// @notice The owner changed the poster.
    event PosterChanged(address indexed previousPoster, address indexed newPoster);

    /// @notice The caller is not the poster.
    error NotPoster(address caller);
    /// @notice Epochs are consecutive: the next one is `expected`.
    error WrongEpoch(uint64 epoch, uint64 expected);
    /// @notice No epoch `epoch` has been posted.
    error UnknownEpoch(uint64 epoch);
    /// @notice `account` already claimed for `epoch`.
    error AlreadyClaimed(uint64 epoch, address account);
    /// @notice The proof does not lead from (account, amount) to the epoch's root.
    error InvalidProof();
    /// @notice Paying `amount` would exceed the epoch's posted total.
    error EpochTotalExceeded(uint64 epoch, uint256 amount, uint256 remaining);
    /// @notice A zero address where an account is required.
    error ZeroAddress();

    /// @param token_ The token paid out (OPEN).
    /// @param poster_ The account allowed to post epochs. The deployer becomes the owner.
    constructor(IERC20 token_, address poster_) Ownable(msg.sender) {
        if (address(token_) == address(0) || poster_ == address(0)) revert ZeroAddress();
        token = token_;
        poster = poster_;
        emit PosterChanged(address(0), poster_);
    }

    /// @notice Posts epoch `epoch` (must be lastEpoch + 1) with the root of its earnings tree and
    /// the sum of its leaves' amounts, and pulls `total` tokens from the poster (approve first).
    function postEpoch(uint64 epoch, bytes32 root, uint256 total) external nonReentrant {
        if (msg.sender != poster) revert NotPoster(msg.sender);
        uint64 expected = lastEpoch + 1;
        if (epoch != expected) revert WrongEpoch(epoch, expected);
        lastEpoch = epoch;
        _epochs[epoch] = Epoch(root, total, 0);
        outstanding += total;
        emit EpochPosted(epoch, root, total);
        if (total != 0) token.safeTransferFrom(msg.sender, address(this), total);
    }

    /// @notice Pays `amount` to `account` for `epoch`, given the proof of the leaf
    /// (account, amount) in the epoch's tree. Anyone may submit; the tokens go to `account`.
    function claim(uint64 epoch, address account, uint256 amount, bytes32[] calldata proof)
        external
        nonReentrant
    {
        if (epoch == 0 || epoch > lastEpoch) revert UnknownEpoch(epoch);
        if (_claimed[epoch][account]) revert AlreadyClaimed(epoch, account);
        Epoch storage e = _epochs[epoch];
        if (!MerkleProof.verifyCalldata(proof, e.root, leaf(account, amount))) revert InvalidProof();
        uint256 remaining = e.total - e.claimed;
        if (amount > remaining) revert EpochTotalExceeded(epoch, amount, remaining);
        _claimed[epoch][account] = true;
        e.claimed += amount;
        outstanding -= amount;
        emit Claimed(epoch, account, amount);
        token.safeTransfer(account, amount);
    }

    /// @notice The leaf for (account, amount), as OpenZeppelin's StandardMerkleTree encodes it.
    function leaf(address account, uint256 amount) public pure returns (bytes32) {
        return keccak256(bytes.concat(keccak256(abi.encode(account, amount))));
    }

    /// @notice Epoch `epoch`'s root, total and amount claimed so far (all zero if not posted).
    function epochs(uint64 epoch) external view returns (bytes32 root, uint256 total, uint256 claimed) {
        Epoch storage e = _epochs[epoch];
        return (e.root, e.total, e.claimed);
    }

    /// @notice True when `account` has claimed for `epoch`.
    function isClaimed(uint64 epoch, address account) external view returns (bool) {
        return _claimed[epoch][account];
    }

    /// @notice Changes the poster. Only the owner.
    function setPoster(address newPoster) external onlyOwner {
        if (newPoster == address(0)) revert ZeroAddress();
        emit PosterChanged(poster, newPoster);
        poster = newPoster;
    }
}
