// SPDX-License-Identifier: MIT
// Vigil devnet: the OP Stack types and hashes the portal and the games agree on
// (contracts-bedrock src/libraries/Types.sol and Hashing.sol; op-stack.md 1.1, 1.8).
pragma solidity 0.8.28;

/// Types.WithdrawalTransaction: what the L2ToL1MessagePasser commits to and the portal proves.
struct WithdrawalTransaction {
    uint256 nonce;
    address sender;
    address target;
    uint256 value;
    uint256 gasLimit;
    bytes data;
}

/// Types.OutputRootProof: the 128-byte preimage of an output root (version 0).
struct OutputRootProof {
    bytes32 version;
    bytes32 stateRoot;
    bytes32 messagePasserStorageRoot;
    bytes32 latestBlockhash;
}

/// GameStatus (src/dispute/lib/Types.sol).
enum GameStatus {
    IN_PROGRESS,
    CHALLENGER_WINS,
    DEFENDER_WINS
}

library Hashing {
    /// Hashing.hashWithdrawal: keccak256(abi.encode(nonce, sender, target, value, gasLimit, data)).
    function hashWithdrawal(WithdrawalTransaction memory _tx) internal pure returns (bytes32) {
        return keccak256(abi.encode(_tx.nonce, _tx.sender, _tx.target, _tx.value, _tx.gasLimit, _tx.data));
    }

    /// Hashing.hashOutputRootProof: keccak256(version ‖ stateRoot ‖ messagePasserStorageRoot ‖ blockhash).
    function hashOutputRootProof(OutputRootProof memory _proof) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(_proof.version, _proof.stateRoot, _proof.messagePasserStorageRoot, _proof.latestBlockhash)
        );
    }
}
