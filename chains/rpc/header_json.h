// The JSON form of block headers (eth_getBlockByNumber / eth_getBlockByHash results),
// parsed into eth::BlockHeader.
//
// The fields present decide the fork shape (baseFeePerGas: London; withdrawalsRoot:
// Shanghai; blobGasUsed + excessBlobGas + parentBeaconBlockRoot: Cancun; requestsHash:
// Prague); a shape no fork produces is an error. Block-level fields (hash, size,
// transactions, uncles, totalDifficulty …) are not part of the header and are ignored,
// except `hash` when verification is asked for.
#pragma once

#include <vector>

#include "chains/eth/header.h"
#include "chains/rpc/json_fields.h"

namespace vigil::rpc {

// Parses the header fields of a block object.
Result<eth::BlockHeader> parse_header(const Json& block);

// Parses the header and checks that it hashes to the object's "hash" field: the header
// is then exactly the block the node named. An error names both hashes on mismatch.
Result<eth::BlockHeader> parse_verified_header(const Json& block);

// Parses a block's "withdrawals" array ({index, validatorIndex, address, amount}).
Result<std::vector<eth::Withdrawal>> parse_withdrawals(const Json& withdrawals);

}  // namespace vigil::rpc
