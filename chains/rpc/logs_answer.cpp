#include "chains/rpc/logs_answer.h"

#include <simdjson.h>

#include <algorithm>
#include <optional>

#include "chains/rpc/block_json.h"
#include "chains/rpc/json_fields.h"

namespace vigil::rpc {
namespace {

namespace dom = simdjson::dom;

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// "0x" + exactly 2*N hex digits into `out`.
bool fixed_hex(std::string_view s, uint8_t* out, size_t n) {
    if (s.size() != 2 + 2 * n || s[0] != '0' || (s[1] != 'x' && s[1] != 'X')) return false;
    for (size_t i = 0; i < n; ++i) {
        const int hi = hex_value(s[2 + 2 * i]), lo = hex_value(s[3 + 2 * i]);
        if (hi < 0 || lo < 0) return false;
        out[i] = static_cast<uint8_t>(hi << 4 | lo);
    }
    return true;
}

bool bytes_hex(std::string_view s, eth::Bytes& out) {
    if (s.size() < 2 || s.size() % 2 != 0 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return false;
    out.resize((s.size() - 2) / 2);
    return fixed_hex(s, out.data(), out.size());
}

// A JSON-RPC quantity as parse_quantity takes it; anything unusual declines.
bool quantity(std::string_view s, uint64_t& out) {
    auto q = eth::parse_quantity(s);
    if (!q) return false;
    out = *q;
    return true;
}

bool string_field(dom::element v, std::string_view& out) { return v.get_string().get(out) == 0; }

enum Field : uint32_t {
    kBlockNumber = 1,
    kBlockHash = 2,
    kTxIndex = 4,
    kTxHash = 8,
    kLogIndex = 16,
    kAddress = 32,
    kData = 64,
    kTopics = 128,
    kAll = 255,
};

bool parse_entry(dom::object entry, LogEntry& log) {
    uint32_t seen = 0;
    for (dom::key_value_pair field : entry) {
        const std::string_view key = field.key;
        const dom::element v = field.value;
        std::string_view s;
        auto once = [&](Field f) {
            if (seen & f) return false;  // a repeated key: let the slow path decide
            seen |= f;
            return true;
        };
        if (key == "blockNumber") {
            if (!once(kBlockNumber) || !string_field(v, s) || !quantity(s, log.block_number))
                return false;
        } else if (key == "blockHash") {
            if (!once(kBlockHash) || !string_field(v, s) ||
                !fixed_hex(s, log.block_hash.bytes.data(), 32))
                return false;
        } else if (key == "transactionIndex") {
            if (!once(kTxIndex) || !string_field(v, s) || !quantity(s, log.tx_index)) return false;
        } else if (key == "transactionHash") {
            if (!once(kTxHash) || !string_field(v, s) ||
                !fixed_hex(s, log.tx_hash.bytes.data(), 32))
                return false;
        } else if (key == "logIndex") {
            if (!once(kLogIndex) || !string_field(v, s) || !quantity(s, log.log_index))
                return false;
        } else if (key == "address") {
            // Mixed case is an EIP-55 checksum the tree decoder checks: only plain lowercase
            // (what nodes send) is taken here.
            if (!once(kAddress) || !string_field(v, s) ||
                std::any_of(s.begin() + std::min<size_t>(2, s.size()), s.end(),
                            [](char c) { return c >= 'A' && c <= 'F'; }) ||
                !fixed_hex(s, log.address.bytes.data(), 20))
                return false;
        } else if (key == "data") {
            if (!once(kData) || !string_field(v, s) || !bytes_hex(s, log.data)) return false;
        } else if (key == "topics") {
            if (!once(kTopics)) return false;
            dom::array topics;
            if (v.get_array().get(topics)) return false;
            log.topics.clear();
            for (dom::element t : topics) {
                std::string_view ts;
                if (t.get_string().get(ts) || log.topics.size() == 4) return false;
                eth::Hash32 h;
                if (!fixed_hex(ts, h.bytes.data(), 32)) return false;
                log.topics.push_back(h);
            }
        } else if (key == "removed") {
            bool removed = false;
            if (v.get_bool().get(removed) || removed) return false;
        } else if (key == "blockTimestamp") {
            // Not kept, but the tree decoder refuses a malformed one: so must this one.
            uint64_t timestamp = 0;
            if (v.get_uint64().get(timestamp) && (!string_field(v, s) || !quantity(s, timestamp)))
                return false;
        } else {
            // Fields neither decoder reads (transactionLogIndex, ...): skipped unread.
        }
    }
    return seen == kAll;
}

// A position field of a mined log.
template <class T>
Result<T> position(const std::optional<T>& value, const char* key) {
    if (!value) return fail(std::string("field '") + key + "': missing or null (a pending log)");
    return *value;
}

}  // namespace

Result<LogEntry> parse_log_entry(const Json& e) {
    VIGIL_TRY(RpcLog parsed, parse_log(e));
    // eth_getLogs answers for mined blocks: a removed log is the node's reorg notice, and
    // the position fields that parse_log leaves optional (pending logs) are required.
    if (parsed.removed) return fail("log marked removed");
    LogEntry log;
    VIGIL_TRY(log.block_number, position(parsed.block_number, "blockNumber"));
    VIGIL_TRY(log.block_hash, position(parsed.block_hash, "blockHash"));
    VIGIL_TRY(log.tx_index, position(parsed.transaction_index, "transactionIndex"));
    VIGIL_TRY(log.tx_hash, position(parsed.transaction_hash, "transactionHash"));
    VIGIL_TRY(log.log_index, position(parsed.log_index, "logIndex"));
    log.address = parsed.log.address;
    log.topics = std::move(parsed.log.topics);
    log.data = std::move(parsed.log.data);
    return log;
}

Result<std::vector<LogEntry>> parse_logs_answer(std::string_view body, uint64_t id) {
    Json answer = Json::parse(body, nullptr, false);
    if (answer.is_discarded())
        return fail("malformed JSON answer (" + std::to_string(body.size()) + " bytes)",
                    kMalformed);
    VIGIL_TRY(Json result, take_result(answer, id));
    if (!result.is_array()) return fail("eth_getLogs answer is not an array", kMalformed);
    std::vector<LogEntry> logs;
    logs.reserve(result.size());
    for (size_t i = 0; i < result.size(); ++i) {
        auto log = parse_log_entry(result[i]);
        if (!log)
            return fail("eth_getLogs entry " + std::to_string(i) + ": " + log.error().message,
                        kMalformed);
        logs.push_back(std::move(*log));
    }
    return logs;
}

bool parse_logs_answer_fast(std::string& body, uint64_t id, std::vector<LogEntry>& out) {
    // The DOM front end picks the best SIMD kernel for this CPU at run time.
    thread_local dom::parser parser;
    const size_t size = body.size();
    body.reserve(size + simdjson::SIMDJSON_PADDING);
    dom::element doc;
    if (parser.parse(body.data(), size, false).get(doc)) return false;
    dom::object top;
    if (doc.get_object().get(top)) return false;
    bool have_id = false, have_result = false;
    out.clear();
    for (dom::key_value_pair field : top) {
        const std::string_view key = field.key;
        const dom::element v = field.value;
        if (key == "id") {
            uint64_t got = 0;
            if (have_id || v.get_uint64().get(got) || got != id) return false;
            have_id = true;
        } else if (key == "result") {
            dom::array entries;
            if (have_result || v.get_array().get(entries)) return false;
            have_result = true;
            out.reserve(entries.size());
            for (dom::element e : entries) {
                dom::object entry;
                if (e.get_object().get(entry)) return false;
                LogEntry log;
                if (!parse_entry(entry, log)) return false;
                out.push_back(std::move(log));
            }
        } else if (key == "jsonrpc") {
            std::string_view s;
            if (!string_field(v, s)) return false;
        } else {
            return false;  // "error" or anything unexpected: the tree decoder explains
        }
    }
    return have_id && have_result;
}

}  // namespace vigil::rpc
