// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

/// @title SparseMerkleProof
/// @notice Verifies membership proofs against a Tributary state root.
/// @dev Tributary's state root is a SHA-256 sparse Merkle tree over 256-bit key hashes
/// (include/tributary/ledger/smt.h in the node):
///
///   key hash          = sha256(key bytes)
///   value hash        = sha256(value bytes)
///   empty subtree     = bytes32(0)
///   leaf              = sha256(0x00 || key_hash || value_hash)        (65 bytes hashed)
///   inner node        = sha256(0x01 || left || right)                 (65 bytes hashed)
///
/// Bit i of the key hash (i = 0 is the most significant bit of byte 0) chooses the child at depth
/// i: 0 = left, 1 = right. A subtree that holds exactly one leaf is represented by that leaf's hash
/// at the highest level where the leaf is alone, so a path is as deep as needed to separate its
/// key from all others (plus nothing more). A membership proof is the list of sibling hashes on
/// the path, from the root down: siblings[i] is the sibling at depth i (an empty sibling is
/// bytes32(0)); siblings.length is the depth of the leaf, at most 256. This is the same check as
/// the node's VerifySmtProof for a membership proof.
library SparseMerkleProof {
    /// @notice The deepest path a 256-bit key can have.
    uint256 internal constant MAX_DEPTH = 256;

    /// @notice Leaf hash: sha256(0x00 || keyHash || valueHash).
    function leafHash(bytes32 keyHash, bytes32 valueHash) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x00), keyHash, valueHash));
    }

    /// @notice Inner node hash: sha256(0x01 || left || right).
    function innerHash(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        return sha256(abi.encodePacked(bytes1(0x01), left, right));
    }

    /// @notice The root implied by a leaf for (keyHash, valueHash) and its siblings (root first).
    /// @dev Returns bytes32(0) for a proof deeper than 256 levels; `verify` rejects those before
    /// comparing, so use `verify` to check a proof.
    function computeRoot(bytes32 keyHash, bytes32 valueHash, bytes32[] calldata siblings)
        internal
        pure
        returns (bytes32)
    {
        uint256 depth = siblings.length;
        if (depth > MAX_DEPTH) return bytes32(0);
        bytes32 h = leafHash(keyHash, valueHash);
        uint256 k = uint256(keyHash);
        for (uint256 i = depth; i > 0;) {
            unchecked {
                --i;
            }
            // Bit i, most significant first.
            if ((k >> (255 - i)) & 1 == 0) {
                h = innerHash(h, siblings[i]);
            } else {
                h = innerHash(siblings[i], h);
            }
        }
        return h;
    }

    /// @notice True when `siblings` proves that `keyHash` maps to `valueHash` under `root`.
    function verify(bytes32 root, bytes32 keyHash, bytes32 valueHash, bytes32[] calldata siblings)
        internal
        pure
        returns (bool)
    {
        if (siblings.length > MAX_DEPTH) return false;
        return computeRoot(keyHash, valueHash, siblings) == root;
    }

    /// @notice True when `siblings` proves that the state key `key` holds `value` under `root`
    /// (hashes both with SHA-256 first, as the node's state does).
    function verifyKeyValue(bytes32 root, bytes memory key, bytes memory value, bytes32[] calldata siblings)
        internal
        pure
        returns (bool)
    {
        return verify(root, sha256(key), sha256(value), siblings);
    }
}
