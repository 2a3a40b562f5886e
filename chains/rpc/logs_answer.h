// Decoding an eth_getLogs answer (untrusted bytes from an RPC endpoint) into logs.
//
// Two decoders with one meaning: `parse_logs_answer` builds a JSON tree (nlohmann) and
// checks each entry with parse_log_entry (rpc::parse_log, the decoder of receipts' logs,
// plus what a mined log must have); `parse_logs_answer_fast` reads the body once with
// simdjson's on-demand parser, decoding hex straight into the fields, without a tree.
// The fast one handles the common case only (a well-formed successful answer); on
// anything else (an error object, a missing or odd field, invalid JSON) it declines and
// the caller uses the slow one, which says exactly what is wrong. A fuzz target checks
// that whatever the fast one accepts, the slow one accepts with the same logs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "chains/eth/address.h"
#include "chains/eth/bytes.h"
#include "chains/rpc/http_client.h"

namespace vigil::rpc {

// One log of an eth_getLogs answer with every position field present (a mined log).
struct LogEntry {
    uint64_t block_number = 0;
    eth::Hash32 block_hash;
    uint64_t tx_index = 0;
    eth::Hash32 tx_hash;
    uint64_t log_index = 0;
    eth::Address address;
    std::vector<eth::Hash32> topics;
    eth::Bytes data;
};

// One entry: a log under parse_log's rules (block_json.h), with every position field
// present and "removed" not true.
Result<LogEntry> parse_log_entry(const Json& entry);

// The logs of the answer to request `id`. Errors: rpc::kMalformed (not a valid answer or
// a bad entry, naming it) or rpc::kRpcError (the node's error object).
Result<std::vector<LogEntry>> parse_logs_answer(std::string_view body, uint64_t id);

// True with `out` filled when `body` is a well-formed successful answer to `id` whose
// entries all decode; false (and `out` unspecified) otherwise. `body` gets capacity for
// the parser's padding (its content is unchanged).
bool parse_logs_answer_fast(std::string& body, uint64_t id, std::vector<LogEntry>& out);

}  // namespace vigil::rpc
