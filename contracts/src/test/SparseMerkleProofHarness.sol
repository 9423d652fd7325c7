// SPDX-License-Identifier: UNLICENSED
pragma solidity ^0.8.24;

import {SparseMerkleProof} from "../SparseMerkleProof.sol";

/// @dev Test-only: exposes the SparseMerkleProof library to the Hardhat tests.
contract SparseMerkleProofHarness {
    function leafHash(bytes32 keyHash, bytes32 valueHash) external pure returns (bytes32) {
        return SparseMerkleProof.leafHash(keyHash, valueHash);
    }

    function computeRoot(bytes32 keyHash, bytes32 valueHash, bytes32[] calldata siblings)
        external
        pure
        returns (bytes32)
    {
        return SparseMerkleProof.computeRoot(keyHash, valueHash, siblings);
    }

    function verify(bytes32 root, bytes32 keyHash, bytes32 valueHash, bytes32[] calldata siblings)
        external
        pure
        returns (bool)
    {
        return SparseMerkleProof.verify(root, keyHash, valueHash, siblings);
    }

    function verifyKeyValue(bytes32 root, bytes calldata key, bytes calldata value, bytes32[] calldata siblings)
        external
        pure
        returns (bool)
    {
        return SparseMerkleProof.verifyKeyValue(root, key, value, siblings);
    }
}
