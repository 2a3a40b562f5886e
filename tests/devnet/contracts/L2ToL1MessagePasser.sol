// SPDX-License-Identifier: MIT
// Vigil devnet: the L2ToL1MessagePasser predeploy (0x4200000000000000000000000000000000000016),
// with upstream's storage layout: sentMessages at slot 0, the 240-bit nonce at slot 1
// (contracts-bedrock src/L2/L2ToL1MessagePasser.sol; op-stack.md 1.8).
//
// Installed with anvil_setCode, so no constructor ever runs: every field starts at zero,
// which is also upstream's genesis state.
pragma solidity 0.8.28;

import {WithdrawalTransaction, Hashing} from "./Hashing.sol";

contract L2ToL1MessagePasser {
    /// Gas limit of withdrawals made by sending ETH to this contract (upstream's value).
    uint256 internal constant RECEIVE_DEFAULT_GAS_LIMIT = 100_000;

    /// Version of the nonce encoding (Encoding.encodeVersionedNonce): the top 16 bits.
    uint16 public constant MESSAGE_VERSION = 1;

    /// Withdrawal hashes that were initiated here; append-only (slot 0).
    mapping(bytes32 => bool) public sentMessages;

    /// Counter of initiated withdrawals (slot 1).
    uint240 internal msgNonce;

    event MessagePassed(
        uint256 indexed nonce,
        address indexed sender,
        address indexed target,
        uint256 value,
        uint256 gasLimit,
        bytes data,
        bytes32 withdrawalHash
    );

    receive() external payable {
        initiateWithdrawal(msg.sender, RECEIVE_DEFAULT_GAS_LIMIT, bytes(""));
    }

    /// Starts a withdrawal to `_target` on L1 carrying msg.value and `_data`.
    function initiateWithdrawal(address _target, uint256 _gasLimit, bytes memory _data) public payable {
        uint256 nonce = messageNonce();
        bytes32 withdrawalHash = Hashing.hashWithdrawal(
            WithdrawalTransaction({
                nonce: nonce,
                sender: msg.sender,
                target: _target,
                value: msg.value,
                gasLimit: _gasLimit,
                data: _data
            })
        );
        sentMessages[withdrawalHash] = true;
        emit MessagePassed(nonce, msg.sender, _target, msg.value, _gasLimit, _data, withdrawalHash);
        unchecked {
            ++msgNonce;
        }
    }

    /// The next withdrawal's versioned nonce: (MESSAGE_VERSION << 240) | counter.
    function messageNonce() public view returns (uint256) {
        return (uint256(MESSAGE_VERSION) << 240) | uint256(msgNonce);
    }

    function version() external pure returns (string memory) {
        return "1.1.0";
    }
}
