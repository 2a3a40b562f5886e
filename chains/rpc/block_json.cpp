#include "chains/rpc/block_json.h"

#include <algorithm>
#include <string>

#include "chains/eth/keccak.h"
#include "chains/eth/rlp.h"
#include "chains/eth/trie.h"
#include "chains/rpc/header_json.h"

namespace vigil::rpc {
namespace {

using eth::Bytes;
using eth::BytesView;
using eth::Hash32;

// Fields of rlp([header, transactions, uncles]) and, from Shanghai (EIP-4895), + withdrawals.
constexpr size_t kBlockFields = 3;
constexpr size_t kShanghaiBlockFields = 4;
constexpr size_t kWithdrawalFields = 4;

// keccak256(rlp([])) = keccak256(0xc0): sha3Uncles of a block without uncles.
Hash32 empty_ommers_hash() {
    static const Hash32 h = eth::keccak256(BytesView(eth::Bytes{0xc0}));
    return h;
}

std::string index_name(const char* list, size_t i) {
    return std::string(list) + "[" + std::to_string(i) + "]";
}

Error with_code(const Error& e, int code, const std::string& prefix = "") {
    return fail(prefix + e.message, code);
}

// Adds a code to a field reader's error.
template <class T>
Result<T> coded(Result<T> r, int code, const std::string& prefix = "") {
    if (!r) return with_code(r.error(), code, prefix);
    return r;
}

Result<std::optional<Hash32>> optional_hash(const Json& o, std::string_view key) {
    if (!has_field(o, key)) return std::optional<Hash32>();
    VIGIL_TRY(Hash32 h, field_hash(o, key));
    return std::optional<Hash32>(h);
}
Result<std::optional<uint64_t>> optional_uint64(const Json& o, std::string_view key) {
    if (!has_field(o, key)) return std::optional<uint64_t>();
    VIGIL_TRY(uint64_t v, field_uint64(o, key));
    return std::optional<uint64_t>(v);
}
Result<std::optional<eth::Address>> optional_address(const Json& o, std::string_view key) {
    if (!has_field(o, key)) return std::optional<eth::Address>();
    VIGIL_TRY(eth::Address a, field_address(o, key));
    return std::optional<eth::Address>(a);
}

Result<std::vector<Hash32>> hash_list(const Json& o, const char* key) {
    if (!o.contains(key)) return fail(std::string("missing field '") + key + "'");
    const Json& list = o.at(key);
    if (!list.is_array()) return fail(std::string("field '") + key + "': expected an array");
    std::vector<Hash32> out;
    out.reserve(list.size());
    for (size_t i = 0; i < list.size(); ++i) {
        if (!list[i].is_string())
            return fail("field '" + index_name(key, i) + "': expected a hash string");
        auto h = Hash32::from_hex(list[i].get<std::string>());
        if (!h) return fail("field '" + index_name(key, i) + "': " + h.error().message);
        out.push_back(*h);
    }
    return out;
}

// --- Raw block pieces ------------------------------------------------------------------

size_t payload_offset(const eth::rlp::Item& item, size_t item_offset) {
    return item_offset + item.encoded_size - item.payload.size();
}

Result<eth::Withdrawal> decode_withdrawal(const eth::rlp::Item& item, size_t offset) {
    if (!item.is_list) return fail("expected a list");
    auto count = eth::rlp::ListReader(item).count();
    if (!count) return count.error();
    if (*count != kWithdrawalFields)
        return fail("a withdrawal has 4 items, got " + std::to_string(*count));
    eth::rlp::ListReader r(item, payload_offset(item, offset));
    eth::Withdrawal w;
    VIGIL_TRY(w.index, r.next_uint64());
    VIGIL_TRY(w.validator_index, r.next_uint64());
    VIGIL_TRY(const eth::FixedBytes<20> address, r.next_fixed<20>());
    w.address = eth::Address(address);
    VIGIL_TRY(w.amount_gwei, r.next_uint64());
    return w;
}

// The body commitments shared by RpcBlock and RawBlock.
Status check_transactions_root(const eth::BlockHeader& header, std::span<const Bytes> raws) {
    const Hash32 root = eth::ordered_trie_root(raws);
    if (root != header.transactions_root)
        return fail("the " + std::to_string(raws.size()) + " transactions give root " +
                        root.to_hex() + ", the header says transactionsRoot " +
                        header.transactions_root.to_hex(),
                    kBlockTransactionsRoot);
    return {};
}

Status check_withdrawals(const eth::BlockHeader& header,
                         const std::optional<std::vector<eth::Withdrawal>>& withdrawals,
                         bool root_is_message_passer) {
    if (header.withdrawals_root.has_value() != withdrawals.has_value())
        return fail(header.withdrawals_root ? "withdrawalsRoot without a withdrawals list"
                                            : "a withdrawals list without withdrawalsRoot",
                    kBlockWithdrawalsRoot);
    if (!withdrawals) return {};
    if (root_is_message_passer) {
        // The root commits to state, not to the list, which must be empty.
        if (!withdrawals->empty())
            return fail("an OP Stack Isthmus block with " + std::to_string(withdrawals->size()) +
                            " withdrawals",
                        kBlockWithdrawalsRoot);
        return {};
    }
    const Hash32 root = eth::withdrawals_root(*withdrawals);
    if (root != *header.withdrawals_root)
        return fail("the " + std::to_string(withdrawals->size()) + " withdrawals give root " +
                        root.to_hex() + ", the header says withdrawalsRoot " +
                        header.withdrawals_root->to_hex(),
                    kBlockWithdrawalsRoot);
    return {};
}

// --- Receipts --------------------------------------------------------------------------

Result<eth::TxType> receipt_type(const Json& o) {
    if (!has_field(o, "type")) return eth::TxType::kLegacy;
    VIGIL_TRY(uint64_t type, field_uint64(o, "type"));
    switch (type) {
        case 0x00:
            return eth::TxType::kLegacy;
        case 0x01:
            return eth::TxType::kAccessList;
        case 0x02:
            return eth::TxType::kDynamicFee;
        case 0x03:
            return eth::TxType::kBlob;
        case 0x04:
            return eth::TxType::kSetCode;
        case 0x7e:
            return eth::TxType::kDeposit;
        default:
            return fail("field 'type': unsupported receipt type " + eth::to_quantity(type));
    }
}

Result<RpcReceipt> receipt_fields(const Json& o) {
    RpcReceipt out;
    eth::Receipt& r = out.receipt;
    VIGIL_TRY(out.transaction_hash, field_hash(o, "transactionHash"));
    VIGIL_TRY(out.transaction_index, field_uint64(o, "transactionIndex"));
    VIGIL_TRY(out.block_hash, optional_hash(o, "blockHash"));
    VIGIL_TRY(out.block_number, optional_uint64(o, "blockNumber"));
    VIGIL_TRY(out.from, optional_address(o, "from"));
    VIGIL_TRY(out.to, optional_address(o, "to"));
    VIGIL_TRY(out.contract_address, optional_address(o, "contractAddress"));
    VIGIL_TRY(out.gas_used, optional_uint64(o, "gasUsed"));
    VIGIL_TRY(r.type, receipt_type(o));
    const bool has_root = has_field(o, "root"), has_status = has_field(o, "status");
    if (has_root == has_status)
        return fail("exactly one of 'status' (Byzantium on) and 'root' (before) is expected");
    if (has_root) {
        VIGIL_TRY(r.post_state, field_hash(o, "root"));
    } else {
        VIGIL_TRY(uint64_t status, field_uint64(o, "status"));
        if (status > 1)
            return fail("field 'status': must be 0x0 or 0x1, got " + eth::to_quantity(status));
        r.status = status == 1;
    }
    VIGIL_TRY(r.cumulative_gas_used, field_uint64(o, "cumulativeGasUsed"));
    VIGIL_TRY(const std::string bloom_hex, field_string(o, "logsBloom"));
    auto bloom = eth::Bloom::from_hex(bloom_hex);
    if (!bloom) return fail("field 'logsBloom': " + bloom.error().message);
    r.logs_bloom = *bloom;
    if (!o.contains("logs")) return fail("missing field 'logs'");
    VIGIL_TRY(out.logs, parse_logs(o.at("logs")));
    for (const RpcLog& log : out.logs) r.logs.push_back(log.log);
    if (has_field(o, "depositNonce") || has_field(o, "depositReceiptVersion")) {
        if (r.type != eth::TxType::kDeposit)
            return fail("depositNonce/depositReceiptVersion on a non-deposit receipt");
        VIGIL_TRY(r.deposit_nonce, field_uint64(o, "depositNonce"));
        if (has_field(o, "depositReceiptVersion")) {
            VIGIL_TRY(r.deposit_receipt_version, field_uint64(o, "depositReceiptVersion"));
        }
    }
    return out;
}

// Logs inside a receipt must name the receipt's transaction and block.
Status check_log_context(const RpcReceipt& rc) {
    for (size_t i = 0; i < rc.logs.size(); ++i) {
        const RpcLog& log = rc.logs[i];
        const std::string where = index_name("logs", i) + ": ";
        if (log.transaction_hash && *log.transaction_hash != rc.transaction_hash)
            return fail(where + "names transaction " + log.transaction_hash->to_hex(),
                        kBlockReceiptContext);
        if (log.transaction_index && *log.transaction_index != rc.transaction_index)
            return fail(where + "names transaction index " + std::to_string(*log.transaction_index),
                        kBlockReceiptContext);
        if (log.block_hash && rc.block_hash && *log.block_hash != *rc.block_hash)
            return fail(where + "names block " + log.block_hash->to_hex(), kBlockReceiptContext);
        if (log.block_number && rc.block_number && *log.block_number != *rc.block_number)
            return fail(where + "names block number " + std::to_string(*log.block_number),
                        kBlockReceiptContext);
    }
    return {};
}

// --- Filters ---------------------------------------------------------------------------

Result<BlockRef> parse_block_ref(const Json& value, const char* key) {
    const std::string where = std::string("field '") + key + "': ";
    if (!value.is_string()) return fail(where + "expected a block number or tag string");
    const std::string s = value.get<std::string>();
    if (s == "earliest") return BlockRef{BlockRef::kEarliest, 0};
    if (s == "latest") return BlockRef{BlockRef::kLatest, 0};
    if (s == "pending") return BlockRef{BlockRef::kPending, 0};
    if (s == "safe") return BlockRef{BlockRef::kSafe, 0};
    if (s == "finalized") return BlockRef{BlockRef::kFinalized, 0};
    // Nodes require the 0x prefix for block numbers.
    if (s.size() < 3 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X'))
        return fail(where + "'" + s.substr(0, 80) + "' is neither a tag nor a 0x quantity");
    auto n = eth::parse_quantity(s);
    if (!n) return fail(where + n.error().message);
    return BlockRef{BlockRef::kNumber, *n};
}

Result<uint64_t> resolve(const BlockRef& ref, const ChainHeads& heads, const char* name) {
    switch (ref.tag) {
        case BlockRef::kNumber:
            return ref.number;
        case BlockRef::kEarliest:
            return uint64_t{0};
        case BlockRef::kLatest:
        case BlockRef::kPending:
            return heads.latest;
        case BlockRef::kSafe:
            if (!heads.safe) return fail(std::string(name) + ": the safe block is not known");
            return *heads.safe;
        case BlockRef::kFinalized:
            if (!heads.finalized)
                return fail(std::string(name) + ": the finalized block is not known");
            return *heads.finalized;
    }
    return fail(std::string(name) + ": unknown tag");
}

Result<Hash32> topic_hash(const Json& v, const std::string& where) {
    if (!v.is_string()) return fail(where + ": expected a 32-byte hash string");
    auto h = Hash32::from_hex(v.get<std::string>());
    if (!h) return fail(where + ": " + h.error().message);
    return h;
}

}  // namespace

// --- Blocks ------------------------------------------------------------------------------

Result<RpcBlock> parse_block(const Json& block, const RpcTxOptions& options) {
    if (!block.is_object()) return fail("block: expected a JSON object", kBlockMalformed);
    RpcBlock out;
    VIGIL_TRY(out.header, coded(parse_header(block), kBlockMalformed));
    VIGIL_TRY(out.hash, coded(field_hash(block, "hash"), kBlockMalformed, "block: "));
    const std::string where = "block " + out.hash.to_hex() + ": ";

    if (!block.contains("transactions"))
        return fail(where + "missing field 'transactions'", kBlockMalformed);
    const Json& txs = block.at("transactions");
    if (!txs.is_array()) return fail(where + "'transactions' must be an array", kBlockMalformed);
    out.full_transactions = txs.empty() || !txs[0].is_string();
    for (size_t i = 0; i < txs.size(); ++i) {
        const Json& entry = txs[i];
        const std::string name = where + index_name("transactions", i);
        if (entry.is_null()) return fail(name + " is null", kBlockTransactionMissing);
        if (entry.is_string() == out.full_transactions)
            return fail(name + ": hashes and transaction objects are mixed", kBlockMalformed);
        if (entry.is_string()) {
            auto h = Hash32::from_hex(entry.get<std::string>());
            if (!h) return fail(name + ": " + h.error().message, kBlockMalformed);
            out.transaction_hashes.push_back(*h);
            continue;
        }
        auto tx = parse_rpc_transaction(entry, options);
        if (!tx) return fail(name + ": " + tx.error().message, kBlockTransactionInvalid);
        out.transaction_hashes.push_back(tx->hash);
        out.transactions.push_back(std::move(*tx));
    }
    VIGIL_TRY(out.uncle_hashes, coded(hash_list(block, "uncles"), kBlockMalformed, where));
    if (has_field(block, "withdrawals")) {
        VIGIL_TRY(out.withdrawals,
                  coded(parse_withdrawals(block.at("withdrawals")), kBlockMalformed, where));
    }
    return out;
}

Status verify_block(const RpcBlock& block, const BlockCheckOptions& options) {
    const std::string where = "block " + block.hash.to_hex() + ": ";
    const Hash32 computed = block.header.hash();
    if (computed != block.hash)
        return fail(where + "header hashes to " + computed.to_hex() + ", not to the claimed hash",
                    kBlockHeaderHash);
    if (block.full_transactions) {
        std::vector<Bytes> raws;
        raws.reserve(block.transactions.size());
        for (const RpcTransaction& tx : block.transactions) raws.push_back(tx.raw);
        if (auto st = check_transactions_root(block.header, raws); !st)
            return with_code(st.error(), st.error().code, where);
    }
    if (auto st = check_withdrawals(block.header, block.withdrawals,
                                    options.withdrawals_root_is_message_passer);
        !st)
        return with_code(st.error(), st.error().code, where);
    if (block.uncle_hashes.empty() && block.header.ommers_hash != empty_ommers_hash())
        return fail(where + "no uncles, but sha3Uncles is " + block.header.ommers_hash.to_hex(),
                    kBlockOmmersHash);
    for (size_t i = 0; i < block.transactions.size(); ++i) {
        const RpcTransaction& tx = block.transactions[i];
        const std::string name =
            where + index_name("transactions", i) + " (" + tx.hash.to_hex() + ") ";
        if (tx.block_hash && *tx.block_hash != block.hash)
            return fail(name + "names block " + tx.block_hash->to_hex(), kBlockTransactionContext);
        if (tx.block_number && *tx.block_number != block.header.number)
            return fail(name + "names block number " + std::to_string(*tx.block_number),
                        kBlockTransactionContext);
        if (tx.transaction_index && *tx.transaction_index != i)
            return fail(name + "names index " + std::to_string(*tx.transaction_index),
                        kBlockTransactionContext);
    }
    return {};
}

Result<RpcBlock> parse_verified_block(const Json& block, const RpcTxOptions& options,
                                      const BlockCheckOptions& checks) {
    VIGIL_TRY(RpcBlock b, parse_block(block, options));
    VIGIL_CHECK(verify_block(b, checks));
    return b;
}

Bytes RawBlock::encode() const {
    Bytes payload = header.encode();
    Bytes txs;
    for (const Bytes& raw : raw_transactions) {
        if (!raw.empty() && raw[0] >= 0xc0)
            eth::append(txs, raw);  // legacy: the list itself
        else
            eth::rlp::encode_bytes(txs, raw);  // typed: wrapped in a string
    }
    eth::rlp::encode_list_header(payload, txs.size());
    eth::append(payload, txs);
    Bytes ommers;
    for (const eth::BlockHeader& u : uncles) eth::append(ommers, u.encode());
    eth::rlp::encode_list_header(payload, ommers.size());
    eth::append(payload, ommers);
    if (withdrawals) {
        Bytes ws;
        for (const eth::Withdrawal& w : *withdrawals) eth::append(ws, w.encode());
        eth::rlp::encode_list_header(payload, ws.size());
        eth::append(payload, ws);
    }
    return eth::rlp::wrap_list(payload);
}

Result<RawBlock> decode_raw_block(BytesView raw, eth::DecodeOptions options) {
    auto top = eth::rlp::decode_exact(raw);
    if (!top) return fail("raw block: " + top.error().message, kBlockMalformed);
    if (!top->is_list) return fail("raw block: expected an RLP list", kBlockMalformed);
    auto count = eth::rlp::ListReader(*top).count();
    if (!count) return fail("raw block: " + count.error().message, kBlockMalformed);
    if (*count != kBlockFields && *count != kShanghaiBlockFields)
        return fail(
            "raw block: " + std::to_string(*count) + " items (expected 3, or 4 with withdrawals)",
            kBlockMalformed);
    eth::rlp::ListReader r(*top, payload_offset(*top, 0));
    RawBlock out;

    const size_t header_offset = r.offset();
    auto header_item = r.next_list();
    if (!header_item)
        return fail("raw block: header: " + header_item.error().message, kBlockMalformed);
    auto header = eth::BlockHeader::decode(raw.subspan(header_offset, header_item->encoded_size));
    if (!header) return fail("raw block: " + header.error().message, kBlockMalformed);
    out.header = std::move(*header);

    const size_t txs_offset = r.offset();
    auto txs = r.next_list();
    if (!txs) return fail("raw block: transactions: " + txs.error().message, kBlockMalformed);
    eth::rlp::ListReader tr(*txs, payload_offset(*txs, txs_offset));
    for (size_t i = 0; !tr.done(); ++i) {
        const std::string name = "raw block: " + index_name("transactions", i) + ": ";
        const size_t tx_offset = tr.offset();
        auto item = tr.next();
        if (!item) return fail(name + item.error().message, kBlockMalformed);
        BytesView tx_bytes;
        if (item->is_list) {
            tx_bytes = raw.subspan(tx_offset, item->encoded_size);
        } else {
            // EIP-2718: a typed transaction travels as a string holding type ‖ payload.
            tx_bytes = item->payload;
            if (tx_bytes.empty() || tx_bytes[0] >= 0x80)
                return fail(name + "a string must hold a typed transaction (type byte < 0x80)",
                            kBlockTransactionInvalid);
        }
        auto tx = eth::decode_transaction(tx_bytes, options);
        if (!tx) return fail(name + tx.error().message, kBlockTransactionInvalid);
        out.transactions.push_back(std::move(*tx));
        out.raw_transactions.emplace_back(tx_bytes.begin(), tx_bytes.end());
    }

    const size_t ommers_offset = r.offset();
    auto ommers = r.next_list();
    if (!ommers) return fail("raw block: uncles: " + ommers.error().message, kBlockMalformed);
    const BytesView ommers_bytes = raw.subspan(ommers_offset, ommers->encoded_size);
    eth::rlp::ListReader ur(*ommers, payload_offset(*ommers, ommers_offset));
    for (size_t i = 0; !ur.done(); ++i) {
        const size_t u_offset = ur.offset();
        auto item = ur.next_list();
        if (!item)
            return fail("raw block: " + index_name("uncles", i) + ": " + item.error().message,
                        kBlockMalformed);
        auto uncle = eth::BlockHeader::decode(raw.subspan(u_offset, item->encoded_size));
        if (!uncle)
            return fail("raw block: " + index_name("uncles", i) + ": " + uncle.error().message,
                        kBlockMalformed);
        out.uncles.push_back(std::move(*uncle));
    }

    if (*count == kShanghaiBlockFields) {
        const size_t ws_offset = r.offset();
        auto ws = r.next_list();
        if (!ws) return fail("raw block: withdrawals: " + ws.error().message, kBlockMalformed);
        eth::rlp::ListReader wr(*ws, payload_offset(*ws, ws_offset));
        out.withdrawals.emplace();
        for (size_t i = 0; !wr.done(); ++i) {
            const size_t w_offset = wr.offset();
            auto item = wr.next();
            Result<eth::Withdrawal> w =
                item ? decode_withdrawal(*item, w_offset) : Result<eth::Withdrawal>(item.error());
            if (!w)
                return fail("raw block: " + index_name("withdrawals", i) + ": " + w.error().message,
                            kBlockMalformed);
            out.withdrawals->push_back(*w);
        }
    }

    const std::string where = "raw block " + out.header.hash().to_hex() + ": ";
    if (auto st = check_transactions_root(out.header, out.raw_transactions); !st)
        return with_code(st.error(), st.error().code, where);
    const Hash32 ommers_hash = eth::keccak256(ommers_bytes);
    if (ommers_hash != out.header.ommers_hash)
        return fail(where + "the uncles hash to " + ommers_hash.to_hex() + ", not sha3Uncles " +
                        out.header.ommers_hash.to_hex(),
                    kBlockOmmersHash);
    if (auto st = check_withdrawals(out.header, out.withdrawals, false); !st)
        return with_code(st.error(), st.error().code, where);
    return out;
}

// --- Logs and receipts -------------------------------------------------------------------

Result<RpcLog> parse_log(const Json& log) {
    if (!log.is_object()) return fail("log: expected a JSON object");
    RpcLog out;
    VIGIL_TRY(out.log.address, field_address(log, "address"));
    if (!log.contains("topics")) return fail("missing field 'topics'");
    const Json& topics = log.at("topics");
    if (!topics.is_array()) return fail("field 'topics': expected an array");
    if (topics.size() > eth::kMaxLogTopics)
        return fail("field 'topics': " + std::to_string(topics.size()) +
                    " topics (LOG0 to LOG4 give at most 4)");
    for (size_t i = 0; i < topics.size(); ++i) {
        VIGIL_TRY(Hash32 t, topic_hash(topics[i], "field '" + index_name("topics", i) + "'"));
        out.log.topics.push_back(t);
    }
    VIGIL_TRY(out.log.data, field_bytes(log, "data"));
    VIGIL_TRY(out.block_hash, optional_hash(log, "blockHash"));
    VIGIL_TRY(out.block_number, optional_uint64(log, "blockNumber"));
    VIGIL_TRY(out.transaction_hash, optional_hash(log, "transactionHash"));
    VIGIL_TRY(out.transaction_index, optional_uint64(log, "transactionIndex"));
    VIGIL_TRY(out.log_index, optional_uint64(log, "logIndex"));
    VIGIL_TRY(out.block_timestamp, optional_uint64(log, "blockTimestamp"));
    if (has_field(log, "removed")) {
        if (!log.at("removed").is_boolean()) return fail("field 'removed': expected a boolean");
        out.removed = log.at("removed").get<bool>();
    }
    return out;
}

Result<std::vector<RpcLog>> parse_logs(const Json& logs) {
    if (!logs.is_array()) return fail("logs: expected an array");
    std::vector<RpcLog> out;
    out.reserve(logs.size());
    for (size_t i = 0; i < logs.size(); ++i) {
        auto log = parse_log(logs[i]);
        if (!log) return fail(index_name("logs", i) + ": " + log.error().message);
        out.push_back(std::move(*log));
    }
    return out;
}

Result<RpcReceipt> parse_receipt(const Json& receipt) {
    if (!receipt.is_object()) return fail("receipt: expected a JSON object", kBlockMalformed);
    auto parsed = receipt_fields(receipt);
    std::string name = "receipt";
    if (auto h = field_hash(receipt, "transactionHash")) name += " of " + h->to_hex();
    if (!parsed) return fail(name + ": " + parsed.error().message, kBlockMalformed);
    if (auto st = parsed->receipt.check_bloom(); !st)
        return fail(name + ": " + st.error().message, kBlockLogsBloom);
    if (auto st = check_log_context(*parsed); !st)
        return fail(name + ": " + st.error().message, st.error().code);
    return parsed;
}

Result<std::vector<RpcReceipt>> parse_block_receipts(const Json& receipts) {
    if (!receipts.is_array()) return fail("receipts: expected an array", kBlockMalformed);
    std::vector<RpcReceipt> out;
    out.reserve(receipts.size());
    uint64_t previous_gas = 0, next_log_index = 0;
    for (size_t i = 0; i < receipts.size(); ++i) {
        const std::string where = index_name("receipts", i) + ": ";
        auto rc = parse_receipt(receipts[i]);
        if (!rc) return fail(where + rc.error().message, rc.error().code);
        if (rc->transaction_index != i)
            return fail(where + "transactionIndex is " + std::to_string(rc->transaction_index),
                        kBlockReceiptContext);
        if (i > 0 && (rc->block_hash != out.front().block_hash ||
                      rc->block_number != out.front().block_number))
            return fail(where + "names another block than receipts[0]", kBlockReceiptContext);
        const uint64_t cumulative = rc->receipt.cumulative_gas_used;
        if (cumulative < previous_gas)
            return fail(where + "cumulativeGasUsed decreases", kBlockGasUsed);
        if (rc->gas_used && *rc->gas_used != cumulative - previous_gas)
            return fail(where + "gasUsed " + std::to_string(*rc->gas_used) +
                            " is not the step of cumulativeGasUsed " +
                            std::to_string(cumulative - previous_gas),
                        kBlockGasUsed);
        previous_gas = cumulative;
        for (const RpcLog& log : rc->logs) {
            if (log.log_index && *log.log_index != next_log_index)
                return fail(where + "logIndex " + std::to_string(*log.log_index) +
                                " where the block's log count says " +
                                std::to_string(next_log_index),
                            kBlockReceiptContext);
            ++next_log_index;
        }
        out.push_back(std::move(*rc));
    }
    return out;
}

Status verify_receipts(const eth::BlockHeader& header, std::span<const RpcReceipt> receipts) {
    const Hash32 block_hash = header.hash();
    const std::string where = "receipts of block " + block_hash.to_hex() + ": ";
    std::vector<eth::Receipt> plain;
    plain.reserve(receipts.size());
    eth::Bloom bloom;
    for (size_t i = 0; i < receipts.size(); ++i) {
        const RpcReceipt& rc = receipts[i];
        if ((rc.block_hash && *rc.block_hash != block_hash) ||
            (rc.block_number && *rc.block_number != header.number))
            return fail(where + index_name("receipts", i) + " names another block",
                        kBlockReceiptContext);
        eth::bloom_merge(bloom, rc.receipt.logs_bloom);
        plain.push_back(rc.receipt);
    }
    auto root = eth::receipts_root(plain);
    if (!root) return fail(where + root.error().message, kBlockMalformed);
    if (*root != header.receipts_root)
        return fail(where + "give root " + root->to_hex() + ", the header says receiptsRoot " +
                        header.receipts_root.to_hex(),
                    kBlockReceiptsRoot);
    if (bloom != header.logs_bloom)
        return fail(where + "the union of the receipts' blooms is not the header's logsBloom",
                    kBlockLogsBloom);
    const uint64_t gas = receipts.empty() ? 0 : receipts.back().receipt.cumulative_gas_used;
    if (gas != header.gas_used)
        return fail(where + "the last cumulativeGasUsed is " + std::to_string(gas) +
                        ", the header says gasUsed " + std::to_string(header.gas_used),
                    kBlockGasUsed);
    return {};
}

// --- Filters -----------------------------------------------------------------------------

Result<LogFilter> parse_log_filter(const Json& filter) {
    if (!filter.is_object()) return fail("log filter: expected a JSON object");
    for (const auto& [key, _] : filter.items())
        if (key != "fromBlock" && key != "toBlock" && key != "blockHash" && key != "address" &&
            key != "topics")
            return fail("log filter: unknown field '" + key + "'");
    LogFilter out;
    const bool has_from = has_field(filter, "fromBlock"), has_to = has_field(filter, "toBlock");
    if (has_field(filter, "blockHash")) {
        if (has_from || has_to)
            return fail("log filter: blockHash cannot be combined with fromBlock/toBlock");
        VIGIL_TRY(out.block_hash, field_hash(filter, "blockHash"));
    }
    if (has_from) {
        VIGIL_TRY(out.from_block, parse_block_ref(filter.at("fromBlock"), "fromBlock"));
    }
    if (has_to) {
        VIGIL_TRY(out.to_block, parse_block_ref(filter.at("toBlock"), "toBlock"));
    }
    if (out.from_block.tag == BlockRef::kNumber && out.to_block.tag == BlockRef::kNumber &&
        out.from_block.number > out.to_block.number)
        return fail("log filter: invalid block range: fromBlock " +
                    eth::to_quantity(out.from_block.number) + " is above toBlock " +
                    eth::to_quantity(out.to_block.number));
    if (has_field(filter, "address")) {
        const Json& a = filter.at("address");
        if (a.is_string()) {
            VIGIL_TRY(eth::Address addr, field_address(filter, "address"));
            out.addresses.push_back(addr);
        } else if (a.is_array()) {
            for (size_t i = 0; i < a.size(); ++i) {
                if (!a[i].is_string())
                    return fail("log filter: field '" + index_name("address", i) +
                                "': expected a string");
                auto addr = eth::Address::from_hex(a[i].get<std::string>());
                if (!addr)
                    return fail("log filter: field '" + index_name("address", i) +
                                "': " + addr.error().message);
                out.addresses.push_back(*addr);
            }
        } else {
            return fail("log filter: field 'address': expected a string or an array");
        }
    }
    if (has_field(filter, "topics")) {
        const Json& t = filter.at("topics");
        if (!t.is_array()) return fail("log filter: field 'topics': expected an array");
        if (t.size() > eth::kMaxLogTopics)
            return fail("log filter: " + std::to_string(t.size()) +
                        " topic positions (logs have at most 4)");
        for (size_t i = 0; i < t.size(); ++i) {
            const std::string where = "log filter: field '" + index_name("topics", i) + "'";
            std::vector<Hash32> alternatives;
            if (t[i].is_string()) {
                VIGIL_TRY(Hash32 h, topic_hash(t[i], where));
                alternatives.push_back(h);
            } else if (t[i].is_array()) {
                for (size_t k = 0; k < t[i].size(); ++k) {
                    // A null alternative matches anything, as in go-ethereum.
                    if (t[i][k].is_null()) {
                        alternatives.clear();
                        break;
                    }
                    VIGIL_TRY(Hash32 h, topic_hash(t[i][k], where + "[" + std::to_string(k) + "]"));
                    alternatives.push_back(h);
                }
            } else if (!t[i].is_null()) {
                return fail(where + ": expected null, a hash or an array of hashes");
            }
            out.topics.push_back(std::move(alternatives));
        }
    }
    return out;
}

Result<std::pair<uint64_t, uint64_t>> LogFilter::range(const ChainHeads& heads) const {
    if (block_hash) return fail("log filter: a blockHash filter has no block range");
    VIGIL_TRY(uint64_t from, resolve(from_block, heads, "fromBlock"));
    VIGIL_TRY(uint64_t to, resolve(to_block, heads, "toBlock"));
    if (from > to)
        return fail("log filter: invalid block range " + eth::to_quantity(from) + " > " +
                    eth::to_quantity(to));
    if (to > heads.latest)
        return fail("log filter: block range extends beyond the head block " +
                    eth::to_quantity(heads.latest));
    return std::make_pair(from, to);
}

bool LogFilter::matches(const RpcLog& log, const ChainHeads& heads) const {
    if (!addresses.empty() &&
        std::find(addresses.begin(), addresses.end(), log.log.address) == addresses.end())
        return false;
    if (topics.size() > log.log.topics.size()) return false;
    for (size_t i = 0; i < topics.size(); ++i) {
        if (topics[i].empty()) continue;  // wildcard position
        if (std::find(topics[i].begin(), topics[i].end(), log.log.topics[i]) == topics[i].end())
            return false;
    }
    if (block_hash) return log.block_hash && *log.block_hash == *block_hash;
    auto r = range(heads);
    if (!r || !log.block_number) return false;
    return *log.block_number >= r->first && *log.block_number <= r->second;
}

}  // namespace vigil::rpc
