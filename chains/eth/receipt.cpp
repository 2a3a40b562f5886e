#include "chains/eth/receipt.h"

#include <string>

#include "chains/eth/keccak.h"
#include "chains/eth/rlp.h"
#include "chains/eth/trie.h"

namespace vigil::eth {
namespace {

// A bloom is 2048 bits; each item sets the bits chosen by three 11-bit slices of its hash.
constexpr size_t kBloomBits = 2048;
constexpr size_t kBloomHashPairs[] = {0, 2, 4};
// Fields of rlp([status, cumulativeGasUsed, logsBloom, logs]) and the deposit extensions.
constexpr size_t kReceiptFields = 4;
constexpr size_t kDepositNonceFields = 5;    // + depositNonce (Regolith)
constexpr size_t kDepositVersionFields = 6;  // + depositReceiptVersion (Canyon)

// Byte index and mask of bloom bit `bit` (bit 0 is the lowest bit of the last byte).
struct BloomBit {
    size_t byte;
    uint8_t mask;
};
std::array<BloomBit, 3> bloom_bits(BytesView item) {
    const Hash32 h = keccak256(item);
    std::array<BloomBit, 3> out{};
    for (size_t i = 0; i < 3; ++i) {
        const size_t k = kBloomHashPairs[i];
        const size_t bit = ((size_t{h[k]} << 8) | h[k + 1]) % kBloomBits;
        out[i] = {Bloom::size() - 1 - bit / 8, static_cast<uint8_t>(1u << (bit % 8))};
    }
    return out;
}

size_t payload_offset(const rlp::Item& item, size_t item_offset) {
    return item_offset + item.encoded_size - item.payload.size();
}

std::string type_name(TxType type) { return std::string("receipt (") + tx_type_name(type) + "): "; }

Status check_encodable(const Receipt& r) {
    if (r.type != TxType::kDeposit && (r.deposit_nonce || r.deposit_receipt_version))
        return fail(type_name(r.type) + "depositNonce/depositReceiptVersion belong to deposits");
    if (r.deposit_receipt_version && !r.deposit_nonce)
        return fail(type_name(r.type) + "depositReceiptVersion without depositNonce");
    for (size_t i = 0; i < r.logs.size(); ++i)
        if (r.logs[i].topics.size() > kMaxLogTopics)
            return fail(type_name(r.type) + "logs[" + std::to_string(i) +
                        "]: " + std::to_string(r.logs[i].topics.size()) + " topics (at most 4)");
    return {};
}

// rlp(fields) with or without the deposit extensions, prefixed by the type byte.
Bytes encode_receipt(const Receipt& r, bool with_deposit_fields) {
    Bytes payload;
    if (r.post_state) {
        rlp::encode_bytes(payload, r.post_state->view());
    } else {
        rlp::encode_uint(payload, uint64_t{r.status ? 1u : 0u});
    }
    rlp::encode_uint(payload, r.cumulative_gas_used);
    rlp::encode_bytes(payload, r.logs_bloom.view());
    Bytes logs;
    for (const Log& log : r.logs) append(logs, log.encode());
    rlp::encode_list_header(payload, logs.size());
    append(payload, logs);
    if (with_deposit_fields && r.deposit_nonce) {
        rlp::encode_uint(payload, *r.deposit_nonce);
        if (r.deposit_receipt_version) rlp::encode_uint(payload, *r.deposit_receipt_version);
    }
    Bytes out;
    out.reserve(payload.size() + 6);
    if (r.type != TxType::kLegacy) out.push_back(static_cast<uint8_t>(r.type));
    rlp::encode_list_header(out, payload.size());
    append(out, payload);
    return out;
}

Result<TxType> receipt_type(uint8_t first) {
    switch (first) {
        case 0x01:
            return TxType::kAccessList;
        case 0x02:
            return TxType::kDynamicFee;
        case 0x03:
            return TxType::kBlob;
        case 0x04:
            return TxType::kSetCode;
        case 0x7e:
            return TxType::kDeposit;
        default:
            return fail("receipt: unsupported receipt type 0x" + to_hex_bare(BytesView(&first, 1)));
    }
}

Result<Log> decode_log(rlp::ListReader& logs, const std::string& where) {
    const size_t log_offset = logs.offset();
    auto item = logs.next_list();
    if (!item) return fail(where + ": " + item.error().message);
    rlp::ListReader r(*item, payload_offset(*item, log_offset));
    Log log;
    auto address = r.next_fixed<20>();
    if (!address) return fail(where + ".address: " + address.error().message);
    log.address = Address(*address);
    const size_t topics_offset = r.offset();
    auto topics = r.next_list();
    if (!topics) return fail(where + ".topics: " + topics.error().message);
    rlp::ListReader t(*topics, payload_offset(*topics, topics_offset));
    while (!t.done()) {
        const std::string name = where + ".topics[" + std::to_string(log.topics.size()) + "]";
        if (log.topics.size() == kMaxLogTopics)
            return fail(name + ": more than 4 topics (LOG0 to LOG4 only)");
        auto topic = t.next_fixed<32>();
        if (!topic) return fail(name + ": " + topic.error().message);
        log.topics.push_back(*topic);
    }
    auto data = r.next_bytes();
    if (!data) return fail(where + ".data: " + data.error().message);
    log.data.assign(data->begin(), data->end());
    if (!r.done()) return fail(where + ": a log has exactly 3 items");
    return log;
}

}  // namespace

Bytes Log::encode() const {
    Bytes p;
    rlp::encode_bytes(p, address.view());
    Bytes t;
    for (const Hash32& topic : topics) rlp::encode_bytes(t, topic.view());
    rlp::encode_list_header(p, t.size());
    append(p, t);
    rlp::encode_bytes(p, data);
    return rlp::wrap_list(p);
}

void bloom_add(Bloom& bloom, BytesView item) {
    for (const BloomBit& b : bloom_bits(item)) bloom[b.byte] |= b.mask;
}

bool bloom_may_contain(const Bloom& bloom, BytesView item) {
    for (const BloomBit& b : bloom_bits(item))
        if (!(bloom[b.byte] & b.mask)) return false;
    return true;
}

Bloom logs_bloom(std::span<const Log> logs) {
    Bloom bloom;
    for (const Log& log : logs) {
        bloom_add(bloom, log.address.view());
        for (const Hash32& topic : log.topics) bloom_add(bloom, topic.view());
    }
    return bloom;
}

void bloom_merge(Bloom& into, const Bloom& other) {
    for (size_t i = 0; i < Bloom::size(); ++i) into[i] |= other[i];
}

Result<Bytes> Receipt::encode() const {
    VIGIL_CHECK(check_encodable(*this));
    return encode_receipt(*this, /*with_deposit_fields=*/true);
}

Result<Bytes> Receipt::encode_for_trie() const {
    VIGIL_CHECK(check_encodable(*this));
    return encode_receipt(*this, /*with_deposit_fields=*/deposit_receipt_version.has_value());
}

Result<Receipt> Receipt::decode(BytesView raw) {
    if (raw.empty()) return fail("receipt: empty input");
    Receipt r;
    size_t start = 0;
    // EIP-2718: a first byte below 0x80 is the type; a legacy receipt is an RLP list.
    if (raw[0] < 0x80) {
        VIGIL_TRY(r.type, receipt_type(raw[0]));
        start = 1;
    } else if (raw[0] < 0xc0) {
        return fail("receipt: first byte 0x" + to_hex_bare(raw.first(1)) +
                    " is neither a receipt type nor an RLP list");
    }
    const std::string where = type_name(r.type);
    auto item = rlp::decode_prefix(raw.subspan(start), start);
    if (!item) return fail(where + item.error().message);
    if (item->encoded_size != raw.size() - start)
        return fail(where + std::to_string(raw.size() - start - item->encoded_size) +
                    " trailing bytes after the payload");
    if (!item->is_list) return fail(where + "payload must be an RLP list");

    rlp::ListReader f(*item, payload_offset(*item, start));
    auto count = f.count();
    if (!count) return fail(where + count.error().message);
    const bool deposit = r.type == TxType::kDeposit;
    if (*count != kReceiptFields &&
        !(deposit && (*count == kDepositNonceFields || *count == kDepositVersionFields)))
        return fail(where + std::to_string(*count) + " fields (expected 4" +
                    (deposit ? ", 5 or 6 for a deposit)" : ")"));

    auto status = f.next_bytes();
    if (!status) return fail(where + "field 'status': " + status.error().message);
    if (status->size() == 32) {
        r.post_state = *Hash32::from_view(*status);
    } else if (status->empty() || (status->size() == 1 && (*status)[0] == 1)) {
        r.status = status->size() == 1;
    } else {
        return fail(where +
                    "field 'status': must be 0x80 (failure), 0x01 (success) or a "
                    "32-byte post-state root, got " +
                    std::to_string(status->size()) + " bytes");
    }
    auto gas = f.next_uint64();
    if (!gas) return fail(where + "field 'cumulativeGasUsed': " + gas.error().message);
    r.cumulative_gas_used = *gas;
    auto bloom = f.next_fixed<256>();
    if (!bloom) return fail(where + "field 'logsBloom': " + bloom.error().message);
    r.logs_bloom = *bloom;
    const size_t logs_offset = f.offset();
    auto logs = f.next_list();
    if (!logs) return fail(where + "field 'logs': " + logs.error().message);
    rlp::ListReader l(*logs, payload_offset(*logs, logs_offset));
    while (!l.done()) {
        VIGIL_TRY(Log log, decode_log(l, where + "logs[" + std::to_string(r.logs.size()) + "]"));
        r.logs.push_back(std::move(log));
    }
    if (*count >= kDepositNonceFields) {
        auto nonce = f.next_uint64();
        if (!nonce) return fail(where + "field 'depositNonce': " + nonce.error().message);
        r.deposit_nonce = *nonce;
    }
    if (*count == kDepositVersionFields) {
        auto version = f.next_uint64();
        if (!version)
            return fail(where + "field 'depositReceiptVersion': " + version.error().message);
        r.deposit_receipt_version = *version;
    }
    return r;
}

Status Receipt::check_bloom() const {
    const Bloom computed = eth::logs_bloom(logs);
    if (computed != logs_bloom)
        return fail(type_name(type) + "logsBloom does not match the bloom of its " +
                    std::to_string(logs.size()) + " logs");
    return {};
}

Result<Hash32> receipts_root(std::span<const Receipt> receipts) {
    std::vector<Bytes> encoded;
    encoded.reserve(receipts.size());
    for (size_t i = 0; i < receipts.size(); ++i) {
        auto e = receipts[i].encode_for_trie();
        if (!e) return fail("receipts[" + std::to_string(i) + "]: " + e.error().message);
        encoded.push_back(std::move(*e));
    }
    return ordered_trie_root(encoded);
}

}  // namespace vigil::eth
