// Receipts and logs: the consensus encodings a block's receiptsRoot commits to, the logs
// bloom filter, and strict decoding (yellow paper, section 4.3.1; EIP-658, EIP-2718).
//
// A receipt is rlp([statusOrPostState, cumulativeGasUsed, logsBloom, logs]), prefixed by the
// transaction type byte for typed transactions; each log is rlp([address, [topics], data]).
// Before Byzantium (EIP-658) the first field is the 32-byte post-transaction state root
// instead of the status. OP Stack deposit receipts (type 0x7e) append depositNonce
// (Regolith) and depositReceiptVersion (Canyon); see Receipt::encode_for_trie for how the
// receipts root treats them.
//
// Decoding accepts exactly one canonical encoding, so decode -> encode gives back the input
// byte for byte. Thread-safety: values only, no shared state.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/header.h"
#include "chains/eth/result.h"
#include "chains/eth/transaction.h"

namespace vigil::eth {

// LOG0 … LOG4: a log has at most four topics (yellow paper, appendix H, LOGn).
inline constexpr size_t kMaxLogTopics = 4;

// One event emitted by a contract.
struct Log {
    Address address;
    std::vector<Hash32> topics;  // at most kMaxLogTopics
    Bytes data;

    // rlp([address, [topics…], data]).
    Bytes encode() const;

    friend bool operator==(const Log&, const Log&) = default;
};

// --- Logs bloom (yellow paper, section 4.3.1, M3:2048) -----------------------------------

// Sets the three bits of `item` in `bloom`: for i in {0, 2, 4}, bit (keccak256(item)[i..i+1]
// mod 2048) counted from the least significant bit of the big-endian 256-byte filter.
void bloom_add(Bloom& bloom, BytesView item);
// True when all three bits of `item` are set: the item may be present (false positives are
// possible, false negatives are not).
bool bloom_may_contain(const Bloom& bloom, BytesView item);
// The bloom of a set of logs: every log's address and every topic (never the data).
Bloom logs_bloom(std::span<const Log> logs);
// The union of blooms (a block's logsBloom is the union of its receipts' blooms).
void bloom_merge(Bloom& into, const Bloom& other);

// --- Receipts ----------------------------------------------------------------------------

struct Receipt {
    TxType type = TxType::kLegacy;
    // Before Byzantium: the state root after the transaction (status is then meaningless).
    std::optional<Hash32> post_state;
    bool status = false;  // EIP-658: true = success
    uint64_t cumulative_gas_used = 0;
    Bloom logs_bloom;
    std::vector<Log> logs;
    // Deposit receipts only (type 0x7e): the nonce the deposit used (Regolith and later) and
    // the receipt version (Canyon and later; requires deposit_nonce).
    std::optional<uint64_t> deposit_nonce;
    std::optional<uint64_t> deposit_receipt_version;

    // The encoding clients exchange and store (eth/66 Receipts, debug_getRawReceipts): type
    // byte (typed only) ‖ rlp(fields), with a deposit's nonce and version when present. An
    // error when deposit fields appear on another type, a version has no nonce, or a log has
    // more than four topics.
    Result<Bytes> encode() const;
    // The encoding receiptsRoot commits to. Identical to encode(), except for a deposit
    // receipt without depositReceiptVersion (Regolith to Canyon): its depositNonce is left out
    // of the root, as op-geth's Receipts.EncodeIndex does ("post-canyon receipt hash
    // computation update").
    Result<Bytes> encode_for_trie() const;
    // Strict decoding of encode()'s form: the type byte (0x01 to 0x04, 0x7e) or an RLP list
    // (legacy), 4 fields (5 or 6 for deposits), a status of 0x80 / 0x01 or a 32-byte state
    // root, canonical integers, a 256-byte bloom, 20-byte addresses, 32-byte topics, at most
    // four topics per log, no trailing bytes. Errors name the field and the log index.
    static Result<Receipt> decode(BytesView raw);

    // An error unless logs_bloom equals logs_bloom(logs).
    Status check_bloom() const;

    friend bool operator==(const Receipt&, const Receipt&) = default;
};

// The root of a block's receipts: ordered trie of encode_for_trie() under rlp(index).
Result<Hash32> receipts_root(std::span<const Receipt> receipts);

}  // namespace vigil::eth
