// JSON forms of transactions: the request a user writes to have a transaction signed, the
// JSON-RPC-style object a decoded transaction is shown as, and the signed transaction objects
// nodes return (eth_getTransactionByHash, eth_getBlockByNumber(…, true)).
//
// Quantities are 0x hex (JSON numbers are accepted on input), byte strings 0x hex,
// addresses lowercase 0x hex on output. Errors name the field; nothing here throws.
#pragma once

#include <optional>
#include <string_view>

#include "chains/eth/transaction.h"
#include "chains/rpc/json_fields.h"

namespace vigil::rpc {

// Parses an unsigned transaction request:
//   {"type": "0x2" | 2, "chainId", "nonce", "to", "value", "gas" | "gasLimit",
//    "maxFeePerGas", "maxPriorityFeePerGas", "gasPrice", "data" | "input", "accessList"}
// The type defaults to 2 when a 1559 fee field is present, else 1 with an access list,
// else 0. Types 0, 1 and 2 only. Required: chainId (no unprotected transactions), nonce,
// gas, and the type's fee fields; "to" absent or null means a contract creation; value
// and data default to zero/empty. Unknown keys, fields another type owns, and both
// spellings of one field are errors naming the key.
Result<eth::Transaction> parse_tx_request(const Json& request);
Result<eth::Transaction> parse_tx_request(std::string_view text);

// The transaction as a JSON object: type, chainId, nonce, to (null for a creation), value,
// gas, the type's fee fields, input, accessList, blob fields, v/r/s (and yParity for typed
// transactions), hash, from (null if the signature does not recover). Deposits show their
// own fields (sourceHash, from, mint, isSystemTx) instead of chainId, nonce and signature.
Json tx_to_json(const eth::Transaction& tx);

// Error::code values of parse_rpc_transaction, for callers that tell a lying node from a
// malformed answer.
enum TxJsonError : int {
    kTxMalformed = 2101,       // a field is missing, mistyped or out of range
    kTxHashMismatch = 2102,    // the fields re-encode to bytes with another hash
    kTxSenderMismatch = 2103,  // `from` is not the signer (or the deposit's from)
};

// A signed transaction as a node returns it, re-encoded and checked.
struct RpcTransaction {
    eth::Transaction tx;
    eth::Bytes raw;     // the canonical encoding of tx; keccak256(raw) == hash
    eth::Hash32 hash;   // the object's "hash", verified
    eth::Address from;  // the object's "from", verified unless the options say otherwise
    // Where the node says it was included; absent (null) for a pending transaction.
    std::optional<eth::Hash32> block_hash;
    std::optional<uint64_t> block_number;
    std::optional<uint64_t> transaction_index;
};

struct RpcTxOptions {
    // Recover the signer and compare it with "from" (one ECDSA recovery per transaction).
    bool check_sender = true;
    // Frontier-era transactions may carry s above n/2 (EIP-2 forbade it from Homestead on).
    bool allow_high_s = false;
};

// Parses a transaction object of any supported type: legacy (v = 27/28 or EIP-155, with an
// optional chainId that must agree with v), 0x1, 0x2, 0x3 (maxFeePerBlobGas,
// blobVersionedHashes), 0x4 (authorizationList) and 0x7e deposits (sourceHash, from, mint,
// isSystemTx; mint and isSystemTx may be omitted, as op-geth does for zero/false). Typed
// transactions need chainId and accessList, and v and yParity (when both are given) must
// agree. The fields are re-encoded and decoded again under every rule of
// eth::decode_transaction; the result must hash to "hash" (else kTxHashMismatch, naming both
// hashes) and recover to "from" (else kTxSenderMismatch). The type is compared as a number,
// so "0x7E" and "0x7e" are the same. Fields the encoding does not cover (gasPrice of a 1559
// transaction, blockTimestamp …) are ignored.
Result<RpcTransaction> parse_rpc_transaction(const Json& object, const RpcTxOptions& options = {});

}  // namespace vigil::rpc
