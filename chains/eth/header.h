// BlockHeader: an Ethereum execution-layer block header through Prague, with its RLP and
// hash (yellow paper, section 4.3; EIP-1559, EIP-4895, EIP-4844/4788, EIP-7685).
//
// The fork decides the shape: 15 legacy fields, then each fork appends its fields at the
// end. The optional fields therefore form a prefix of the fork order: a header with
// withdrawalsRoot but no baseFeePerGas does not exist, and check_shape() rejects it.
// OP Stack L2 headers use the same format.
#pragma once

#include <optional>
#include <span>
#include <vector>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/result.h"
#include "chains/eth/u256.h"

namespace vigil::eth {

using Bloom = FixedBytes<256>;

struct BlockHeader {
    // Legacy (Frontier) fields, in RLP order.
    Hash32 parent_hash;
    Hash32 ommers_hash;   // sha3Uncles
    Address beneficiary;  // miner / fee recipient
    Hash32 state_root;
    Hash32 transactions_root;
    Hash32 receipts_root;
    Bloom logs_bloom;
    U256 difficulty;
    uint64_t number = 0;
    uint64_t gas_limit = 0;
    uint64_t gas_used = 0;
    uint64_t timestamp = 0;
    Bytes extra_data;
    Hash32 mix_hash;  // prevRandao after the Merge
    FixedBytes<8> nonce;
    // London (EIP-1559).
    std::optional<U256> base_fee_per_gas;
    // Shanghai (EIP-4895).
    std::optional<Hash32> withdrawals_root;
    // Cancun (EIP-4844 blob gas, EIP-4788 beacon root): all three or none.
    std::optional<uint64_t> blob_gas_used;
    std::optional<uint64_t> excess_blob_gas;
    std::optional<Hash32> parent_beacon_block_root;
    // Prague (EIP-7685).
    std::optional<Hash32> requests_hash;

    // Number of RLP fields: 15, 16, 17, 20 or 21 for a well-shaped header.
    size_t field_count() const;
    // An error naming the first fork field present while an earlier one is missing.
    Status check_shape() const;

    // RLP of the header. Requires check_shape().ok(): fields are written in order and
    // the list stops at the first absent optional field.
    Bytes encode() const;
    // keccak256(encode()): the block hash.
    Hash32 hash() const;
    // Strict decoding: exactly one list of 15, 16, 17, 20 or 21 canonical items with the
    // right sizes (32-byte hashes, 20-byte address, 256-byte bloom, 8-byte nonce).
    static Result<BlockHeader> decode(BytesView rlp);

    friend bool operator==(const BlockHeader&, const BlockHeader&) = default;
};

// A beacon-chain withdrawal as committed by withdrawalsRoot (EIP-4895):
// rlp([index, validatorIndex, address, amount in Gwei]).
struct Withdrawal {
    uint64_t index = 0;
    uint64_t validator_index = 0;
    Address address;
    uint64_t amount_gwei = 0;

    Bytes encode() const;
};

// The root of the withdrawals list: ordered trie of encode() under rlp(i).
Hash32 withdrawals_root(std::span<const Withdrawal> withdrawals);

}  // namespace vigil::eth
