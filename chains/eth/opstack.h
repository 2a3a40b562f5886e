// OP Stack commitments: output roots, withdrawal hashes, the message passer's storage key.
// Facts: ../shared/protocol/op-stack.md ("L2 Output Commitment Construction", "Withdrawals").
#pragma once

#include <cstdint>
#include <span>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/result.h"
#include "chains/eth/u256.h"

namespace vigil::eth::opstack {

// The L2ToL1MessagePasser predeploy, 0x4200000000000000000000000000000000000016.
Address message_passer_address();

// Output root version 0: keccak256(bytes32(0) ‖ stateRoot ‖ messagePasserStorageRoot ‖
// blockHash).
Hash32 output_root_v0(const Hash32& state_root, const Hash32& message_passer_storage_root,
                      const Hash32& block_hash);

// The storage slot of sentMessages[withdrawal_hash] in the message passer (mapping at
// slot 0): keccak256(withdrawal_hash ‖ uint256(0)).
Hash32 sent_messages_slot(const Hash32& withdrawal_hash);

// Types.WithdrawalTransaction (contracts-bedrock src/libraries/Types.sol): what a user
// proves and finalizes on L1. `nonce` is the versioned nonce (see below).
struct WithdrawalTransaction {
    U256 nonce;
    Address sender;
    Address target;
    U256 value;
    U256 gas_limit;
    Bytes data;

    friend bool operator==(const WithdrawalTransaction&, const WithdrawalTransaction&) = default;
};

// Hashing.hashWithdrawal: keccak256(abi.encode(nonce, sender, target, value, gasLimit,
// data)) with the types (uint256, address, address, uint256, uint256, bytes).
Hash32 withdrawal_hash(const WithdrawalTransaction& tx);

// Versioned nonces (Encoding.encodeVersionedNonce): the version lives in the top 16 bits,
// the counter in the low 240. The message passer emits version 1.
inline constexpr uint16_t kMessagePasserVersion = 1;
uint16_t nonce_version(const U256& versioned_nonce);
U256 nonce_counter(const U256& versioned_nonce);
// (version << 240) | counter; a counter of more than 240 bits is an error (Solidity would
// silently let it spill into the version).
Result<U256> versioned_nonce(uint16_t version, const U256& counter);

// The L2ToL1MessagePasser event (op-stack.md section 1.8), one per initiated withdrawal:
// MessagePassed(uint256 indexed nonce, address indexed sender, address indexed target,
//               uint256 value, uint256 gasLimit, bytes data, bytes32 withdrawalHash)
inline constexpr const char* kMessagePassedSignature =
    "MessagePassed(uint256 indexed nonce, address indexed sender, address indexed target, "
    "uint256 value, uint256 gasLimit, bytes data, bytes32 withdrawalHash)";
// keccak256("MessagePassed(uint256,address,address,uint256,uint256,bytes,bytes32)").
Hash32 message_passed_topic();

struct MessagePassed {
    WithdrawalTransaction withdrawal;
    // The hash the contract logged; equal to withdrawal_hash(withdrawal) once decoded.
    Hash32 withdrawal_hash;
};

// Decodes a MessagePassed log. Errors if the log was not emitted by the message passer
// predeploy (any contract can emit an event with the same topic), if topic0 or the topic
// count is wrong, if the data is not a strict ABI encoding, or if the logged
// withdrawalHash differs from the hash recomputed from the logged fields.
Result<MessagePassed> decode_message_passed(const Address& emitter, std::span<const Hash32> topics,
                                            BytesView data);

}  // namespace vigil::eth::opstack
