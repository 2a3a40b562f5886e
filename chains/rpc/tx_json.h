// JSON forms of transactions: the request a user writes to have a transaction signed, and
// the JSON-RPC-style object a decoded transaction is shown as.
//
// Quantities are 0x hex (JSON numbers are accepted on input), byte strings 0x hex,
// addresses lowercase 0x hex on output. Errors name the field; nothing here throws.
#pragma once

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

}  // namespace vigil::rpc
