// Ethereum transactions: the value type, signing, the wire encodings and strict decoding.
//
// Covered: legacy (with or without the EIP-155 chain id), type 1 (EIP-2930 access list),
// type 2 (EIP-1559 fee market), and, decode-only (decode, re-encode, hash, recover the
// sender, but no signing), type 3 (EIP-4844 blob transaction, the canonical form without
// the blob sidecar), type 4 (EIP-7702 set-code transaction with its authorization list) and
// type 0x7e (OP Stack deposit, unsigned).
// Decoding accepts exactly one canonical encoding per transaction, so decode -> encode
// gives back the input byte for byte, and every rejection names the field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/eth/result.h"
#include "chains/eth/secp256k1.h"
#include "chains/eth/u256.h"

namespace vigil::eth {

enum class TxType : uint8_t {
    kLegacy = 0x00,
    kAccessList = 0x01,  // EIP-2930
    kDynamicFee = 0x02,  // EIP-1559
    kBlob = 0x03,        // EIP-4844 (decode only)
    kSetCode = 0x04,     // EIP-7702 (decode only)
    kDeposit = 0x7e,     // OP Stack deposit (decode only; deposited-transaction spec)
};

// "legacy", "access-list", "dynamic-fee", "blob", "set-code", "deposit".
const char* tx_type_name(TxType type);

// One EIP-2930 access-list entry.
struct AccessListEntry {
    Address address;
    std::vector<Hash32> storage_keys;

    friend bool operator==(const AccessListEntry&, const AccessListEntry&) = default;
};
using AccessList = std::vector<AccessListEntry>;

// One EIP-7702 authorization: the account `authority` (recovered from the signature) lets
// its code be delegated to `address`. An invalid signature does not make the transaction
// invalid (the authorization is skipped when executed), so decoding keeps any y_parity byte
// and any r, s below 2^256; recover_authority applies the EIP's checks.
struct Authorization {
    U256 chain_id;  // 0 = valid on every chain
    Address address;
    uint64_t nonce = 0;
    uint8_t y_parity = 0;
    U256 r;
    U256 s;

    friend bool operator==(const Authorization&, const Authorization&) = default;
};

// A transaction of any supported type. Fields a type does not have stay at their defaults
// and are ignored by that type's encoding.
struct Transaction {
    TxType type = TxType::kLegacy;
    // Legacy: absent for pre-EIP-155 transactions (v = 27/28). Typed: always present.
    // Not present on deposits.
    std::optional<uint64_t> chain_id;
    uint64_t nonce = 0;
    U256 gas_price;                 // legacy, type 1
    U256 max_priority_fee_per_gas;  // type 2, 3, 4
    U256 max_fee_per_gas;           // type 2, 3, 4
    uint64_t gas_limit = 0;
    std::optional<Address> to;  // absent = contract creation (never for type 3 or 4)
    U256 value;
    Bytes data;
    AccessList access_list;  // type 1, 2, 3, 4
    // Type 3 only.
    U256 max_fee_per_blob_gas;
    std::vector<Hash32> blob_versioned_hashes;
    // Type 4 only.
    std::vector<Authorization> authorization_list;
    // Type 0x7e only.
    Hash32 source_hash;
    Address from;
    U256 mint;
    bool is_system_tx = false;
    // Absent on unsigned transactions and on deposits.
    std::optional<Signature> signature;

    friend bool operator==(const Transaction&, const Transaction&) = default;
};

// Decoding rules that changed over Ethereum's history.
struct DecodeOptions {
    // Frontier accepted s above n/2; every fork since Homestead (EIP-2) rejects it.
    bool allow_high_s = false;
};

// Decodes a raw transaction as it travels over the wire and in blocks: an RLP list
// (legacy) or a type byte followed by one RLP list. Strict: non-canonical RLP, a wrong
// number of fields, trailing bytes, an unknown type, an address that is not 20 bytes,
// integers beyond their width (nonce and gas limit 64 bits, the rest 256), an invalid v
// or y parity, r or s zero or >= n, and high s are all errors naming the field.
Result<Transaction> decode_transaction(BytesView raw, DecodeOptions options = {});

// The raw (signed) encoding: what decode_transaction reads. An error if a signed type
// has no signature, or a type 3 or 4 transaction has no recipient.
Result<Bytes> encode_transaction(const Transaction& tx);

// The serialisation whose keccak256 is signed (EIP-155 appends chainId, 0, 0 for legacy;
// typed transactions are type ‖ rlp(fields without the signature)). An error for
// deposits, which are not signed.
Result<Bytes> signing_payload(const Transaction& tx);
Result<Hash32> signing_hash(const Transaction& tx);

// keccak256 of the raw encoding (for deposits too: keccak256(0x7e ‖ rlp(fields))).
Result<Hash32> transaction_hash(const Transaction& tx);

// Returns `tx` with the signature of `key` set. Legacy, type 1 and type 2 only.
Result<Transaction> sign_transaction(Transaction tx, const PrivateKey& key);

// The sender: recovered from the signature (low s required unless `rule` says
// otherwise), or the `from` field of a deposit.
Result<Address> recover_sender(const Transaction& tx, SRule rule = SRule::kLowS);

// EIP-7702: keccak256(0x05 ‖ rlp([chainId, address, nonce])), the digest an authority signs.
Hash32 authorization_signing_hash(const Authorization& auth);
// The authority of an authorization: an error when y_parity > 1, r or s is zero or >= n, s
// is above n/2 (EIP-7702 requires low s), or no key recovers.
Result<Address> recover_authority(const Authorization& auth);

// The rules validate_intrinsic applies (Cancun-era mainnet behaviour by default).
struct TxRules {
    // When set, a transaction bound to another chain id is invalid. Unprotected legacy
    // transactions (no chain id) stay valid, as on mainnet.
    std::optional<uint64_t> chain_id;
    // EIP-3860 (Shanghai): initcode size limit and 2 gas per initcode word.
    bool eip3860 = true;
};

// Intrinsic gas (yellow paper 6.2 with its amendments): 21000, +32000 for a creation
// (EIP-2), 4 per zero and 16 per non-zero data byte (EIP-2028), 2400 per access-list
// address and 1900 per storage key (EIP-2930), 2 per initcode word (EIP-3860), 25000 per
// authorization (EIP-7702).
uint64_t intrinsic_gas(const Transaction& tx, const TxRules& rules);

// Stateless validity beyond decoding: chain id, nonce below 2^64-1 (EIP-2681), priority
// fee not above max fee (EIP-1559), gas limit x fee cap within 256 bits, initcode size
// (EIP-3860), at least one blob hash (EIP-4844), at least one authorization (EIP-7702),
// gas limit >= intrinsic gas. Deposits pass (their gas is bought on L1).
Status validate_intrinsic(const Transaction& tx, const TxRules& rules);

}  // namespace vigil::eth
