// The JSON form of eth_getProof (EIP-1186) results, parsed into eth::AccountProof.
//
// Parsing only reads what the node claims; eth::verify_account_proof decides whether
// it is true. Every missing field, wrong type or bad hex is an Error naming the field.
#pragma once

#include <string_view>

#include "chains/eth/proof.h"
#include "chains/rpc/json_fields.h"

namespace vigil::rpc {

// A storage key as eth_getProof echoes it: 0x-prefixed hex of at most 32 bytes (nodes send
// "0x0" as well as full words; odd digit counts occur), left-padded to a 32-byte slot.
Result<eth::Hash32> parse_storage_key(std::string_view text);

// Parses the `result` object of eth_getProof: address, nonce, balance, storageHash,
// codeHash, accountProof[] and storageProof[] ({key, value, proof[]}).
Result<eth::AccountProof> parse_account_proof(const Json& result);

}  // namespace vigil::rpc
