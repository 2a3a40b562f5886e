#include "chains/sender.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <utility>

#include "chains/eth/rlp.h"
#include "chains/eth/transaction.h"

namespace vigil::chains {
namespace {

constexpr std::string_view kNamespace = "sender";
constexpr size_t kMaxIdSize = 200;
// A transaction not included yet is asked for by hash (is it still in the node's pool?)
// only once it has had time to be: most are included in the next block or two, and the
// answer carries the whole transaction.
constexpr int64_t kKnownCheckAfterMs = 4000;

bool lower_contains(std::string s, std::initializer_list<const char*> needles) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
    for (const char* n : needles)
        if (s.find(n) != std::string::npos) return true;
    return false;
}

eth::U256 percent_of(const eth::U256& v, uint32_t percent) {
    return v * eth::U256(percent) / eth::U256(100);
}

Result<eth::U256> u256_field(const rpc::Json& j, const char* key) {
    auto v = rpc::field_u256(j, key);
    if (!v) return fail(std::string("record: ") + v.error().message);
    return v;
}

}  // namespace

const char* tx_state_name(TxRecord::State state) {
    switch (state) {
        case TxRecord::State::pending:
            return "pending";
        case TxRecord::State::succeeded:
            return "succeeded";
        case TxRecord::State::reverted:
            return "reverted";
    }
    return "pending";
}

namespace {

constexpr uint8_t kBinaryRecord = 0x01;

void encode_text(eth::Bytes& out, std::string_view text) {
    eth::rlp::encode_bytes(
        out, eth::BytesView(reinterpret_cast<const uint8_t*>(text.data()), text.size()));
}

Result<TxRecord> decode_binary(std::string_view text) {
    const eth::BytesView bytes(reinterpret_cast<const uint8_t*>(text.data()) + 1, text.size() - 1);
    VIGIL_TRY(eth::rlp::Item list, eth::rlp::decode_exact(bytes));
    if (!list.is_list) return fail("not a list");
    eth::rlp::ListReader in(list, 1);
    TxRecord r;
    VIGIL_TRY(eth::BytesView id, in.next_bytes());
    r.id.assign(id.begin(), id.end());
    VIGIL_TRY(uint64_t state, in.next_uint64());
    if (state > static_cast<uint64_t>(TxRecord::State::reverted))
        return fail("unknown state " + std::to_string(state));
    r.state = static_cast<TxRecord::State>(state);
    VIGIL_TRY(r.nonce, in.next_uint64());
    VIGIL_TRY(r.gas_limit, in.next_uint64());
    VIGIL_TRY(eth::BytesView to_bytes, in.next_bytes());
    VIGIL_TRY(r.to, eth::Address::from_view(to_bytes));
    VIGIL_TRY(r.value, in.next_u256());
    VIGIL_TRY(eth::BytesView data, in.next_bytes());
    r.data.assign(data.begin(), data.end());
    VIGIL_TRY(eth::rlp::Item attempts, in.next_list());
    eth::rlp::ListReader each(attempts);
    while (!each.done()) {
        VIGIL_TRY(eth::rlp::Item item, each.next_list());
        eth::rlp::ListReader a(item);
        TxAttempt t;
        VIGIL_TRY(t.hash, a.next_fixed<32>());
        VIGIL_TRY(t.max_fee_per_gas, a.next_u256());
        VIGIL_TRY(t.max_priority_fee_per_gas, a.next_u256());
        VIGIL_TRY(uint64_t sent_at, a.next_uint64());
        if (sent_at > static_cast<uint64_t>(INT64_MAX)) return fail("sentAt out of range");
        t.sent_at_ms = static_cast<int64_t>(sent_at);
        VIGIL_TRY(eth::BytesView raw, a.next_bytes());
        t.raw.assign(raw.begin(), raw.end());
        if (!a.done()) return fail("trailing attempt items");
        r.attempts.push_back(std::move(t));
    }
    if (r.attempts.empty()) return fail("no attempts");
    VIGIL_TRY(eth::BytesView included, in.next_bytes());
    if (!included.empty()) {
        VIGIL_TRY(eth::Hash32 h, eth::Hash32::from_view(included));
        r.included_hash = h;
    }
    VIGIL_TRY(r.block, in.next_uint64());
    VIGIL_TRY(r.gas_used, in.next_uint64());
    VIGIL_TRY(r.effective_gas_price, in.next_u256());
    if (!in.done()) return fail("trailing items");
    return r;
}

Result<TxRecord> decode_json(std::string_view text);

}  // namespace

// The stored form: a format byte and an RLP list (the raw transactions are most of it;
// JSON would double them as hex). Records stored as JSON by earlier versions are read too.
std::string encode_record(const TxRecord& r) {
    using namespace eth::rlp;
    size_t raw_size = r.data.size();
    for (const TxAttempt& a : r.attempts) raw_size += a.raw.size();
    eth::Bytes payload;
    payload.reserve(raw_size + 256);
    encode_text(payload, r.id);
    encode_uint(payload, static_cast<uint64_t>(r.state));
    encode_uint(payload, r.nonce);
    encode_uint(payload, r.gas_limit);
    encode_bytes(payload, r.to.view());
    encode_uint(payload, r.value);
    encode_bytes(payload, r.data);
    eth::Bytes attempts;
    for (const TxAttempt& a : r.attempts) {
        eth::Bytes one;
        encode_bytes(one, a.hash.view());
        encode_uint(one, a.max_fee_per_gas);
        encode_uint(one, a.max_priority_fee_per_gas);
        encode_uint(one, static_cast<uint64_t>(std::max<int64_t>(0, a.sent_at_ms)));
        encode_bytes(one, a.raw);
        encode_list_header(attempts, one.size());
        eth::append(attempts, one);
    }
    encode_list_header(payload, attempts.size());
    eth::append(payload, attempts);
    encode_bytes(payload, r.included_hash ? r.included_hash->view() : eth::BytesView());
    encode_uint(payload, r.block);
    encode_uint(payload, r.gas_used);
    encode_uint(payload, r.effective_gas_price);
    eth::Bytes header;
    encode_list_header(header, payload.size());
    std::string out(1, static_cast<char>(kBinaryRecord));
    out.reserve(1 + header.size() + payload.size());
    out.append(header.begin(), header.end());
    out.append(payload.begin(), payload.end());
    return out;
}

Result<TxRecord> decode_record(std::string_view text) {
    if (text.empty()) return fail("record: empty");
    if (static_cast<uint8_t>(text[0]) == kBinaryRecord) {
        auto r = decode_binary(text);
        if (!r) return fail("record: " + r.error().message);
        return r;
    }
    return decode_json(text);
}

namespace {

// Written before binary records.
Result<TxRecord> decode_json(std::string_view text) {
    VIGIL_TRY(rpc::Json j, rpc::parse_json(text));
    TxRecord r;
    VIGIL_TRY(r.id, rpc::field_string(j, "id"));
    VIGIL_TRY(std::string state, rpc::field_string(j, "state"));
    if (state == "pending")
        r.state = TxRecord::State::pending;
    else if (state == "succeeded")
        r.state = TxRecord::State::succeeded;
    else if (state == "reverted")
        r.state = TxRecord::State::reverted;
    else
        return fail("record: unknown state '" + state + "'");
    VIGIL_TRY(r.nonce, rpc::field_uint64(j, "nonce"));
    VIGIL_TRY(r.gas_limit, rpc::field_uint64(j, "gasLimit"));
    VIGIL_TRY(r.to, rpc::field_address(j, "to"));
    VIGIL_TRY(r.value, u256_field(j, "value"));
    VIGIL_TRY(r.data, rpc::field_bytes(j, "data"));
    if (!j.contains("attempts") || !j["attempts"].is_array()) return fail("record: no attempts");
    for (const rpc::Json& a : j["attempts"]) {
        TxAttempt t;
        VIGIL_TRY(t.hash, rpc::field_hash(a, "hash"));
        VIGIL_TRY(t.max_fee_per_gas, u256_field(a, "maxFeePerGas"));
        VIGIL_TRY(t.max_priority_fee_per_gas, u256_field(a, "maxPriorityFeePerGas"));
        if (!a.contains("sentAt") || !a["sentAt"].is_number_integer())
            return fail("record: bad sentAt");
        t.sent_at_ms = a["sentAt"].get<int64_t>();
        VIGIL_TRY(t.raw, rpc::field_bytes(a, "raw"));
        r.attempts.push_back(std::move(t));
    }
    if (rpc::has_field(j, "includedHash")) {
        VIGIL_TRY(eth::Hash32 h, rpc::field_hash(j, "includedHash"));
        r.included_hash = h;
        VIGIL_TRY(r.block, rpc::field_uint64(j, "block"));
        VIGIL_TRY(r.gas_used, rpc::field_uint64(j, "gasUsed"));
        VIGIL_TRY(r.effective_gas_price, u256_field(j, "effectiveGasPrice"));
    }
    return r;
}

}  // namespace

Sender::Sender(std::string chain, rpc::RpcClient& rpc, core::Store& store, eth::PrivateKey key,
               SenderOptions options, core::Logger log, Clock clock)
    : chain_(std::move(chain)),
      rpc_(rpc),
      store_(store),
      key_(std::move(key)),
      address_(key_.address()),
      options_(options),
      log_(log.with("sender", chain_)),
      clock_(clock ? std::move(clock) : Clock([] {
          return std::chrono::duration_cast<std::chrono::milliseconds>(
                     std::chrono::system_clock::now().time_since_epoch())
              .count();
      })) {}

std::string Sender::key(std::string_view suffix) const {
    return chain_ + "/" + address_.to_hex() + "/" + std::string(suffix);
}

Result<uint64_t> Sender::chain_nonce(const char* tag) {
    VIGIL_TRY(rpc::Json n,
              rpc_.call("eth_getTransactionCount", rpc::Json::array({address_.to_hex(), tag})));
    if (!n.is_string()) return fail("eth_getTransactionCount: not a quantity", rpc::kMalformed);
    return eth::parse_quantity(n.get<std::string>());
}

Status Sender::start() {
    std::vector<std::string> ids;
    VIGIL_CHECK(store_.scan(kNamespace, key("pending/"), [&](std::string_view k, std::string_view) {
        ids.emplace_back(k.substr(key("pending/").size()));
        return true;
    }));
    for (const std::string& id : ids) {
        VIGIL_TRY(auto text, store_.get(kNamespace, key("tx/") + id));
        if (!text)
            return fail("sender " + chain_ + ": pending index names '" + id +
                        "' but its record is missing");
        VIGIL_TRY(TxRecord r, decode_record(*text));
        pending_.emplace(id, std::move(r));
    }
    VIGIL_TRY(auto stored_next, store_.get(kNamespace, key("next_nonce")));
    uint64_t stored = 0;
    if (stored_next) {
        VIGIL_TRY(stored, core::parse_be_key(*stored_next));
    }
    VIGIL_TRY(uint64_t on_chain, chain_nonce("pending"));
    next_nonce_ = std::max(stored, on_chain);
    log_.info("sender ready", {{"address", address_.to_hex()},
                               {"next_nonce", next_nonce_},
                               {"in_flight", pending_.size()}});
    // Resolve what was in flight before anything new is sent.
    if (!pending_.empty()) VIGIL_CHECK(poll());
    return {};
}

Result<Sender::Fees> Sender::suggest_fees() {
    const int64_t now = clock_();
    if (fees_ && now - fees_at_ms_ < 1000) return *fees_;
    VIGIL_TRY(Fees fees, fresh_fees());
    fees_ = fees;
    fees_at_ms_ = now;
    return fees;
}

Result<Sender::Fees> Sender::fresh_fees() {
    Fees fees;
    auto history =
        rpc_.call("eth_feeHistory", rpc::Json::array({"0x5", "latest", rpc::Json::array({50})}));
    if (history.ok() && history->is_object() && (*history)["baseFeePerGas"].is_array() &&
        !(*history)["baseFeePerGas"].empty()) {
        // The last base fee is the next block's.
        const rpc::Json& bases = (*history)["baseFeePerGas"];
        VIGIL_TRY(eth::U256 next_base,
                  eth::U256::from_string(bases.back().is_string() ? bases.back().get<std::string>()
                                                                  : "x"));
        std::vector<eth::U256> tips;
        if ((*history)["reward"].is_array())
            for (const rpc::Json& r : (*history)["reward"])
                if (r.is_array() && !r.empty() && r[0].is_string())
                    if (auto t = eth::U256::from_string(r[0].get<std::string>()); t.ok())
                        tips.push_back(*t);
        std::sort(tips.begin(), tips.end());
        fees.priority = tips.empty() ? eth::U256() : tips[tips.size() / 2];
        fees.priority = std::max(fees.priority, options_.min_priority_fee);
        fees.max_fee = next_base * eth::U256(2) + fees.priority;
    } else {
        VIGIL_TRY(rpc::Json price, rpc_.call("eth_gasPrice"));
        if (!price.is_string()) return fail("eth_gasPrice: not a quantity", rpc::kMalformed);
        VIGIL_TRY(eth::U256 p, eth::U256::from_string(price.get<std::string>()));
        fees.priority = options_.min_priority_fee;
        fees.max_fee = p * eth::U256(2) + fees.priority;
    }
    return fees;
}

Result<TxAttempt> Sender::sign(const TxRecord& record, const Fees& fees) {
    if (!options_.max_fee_cap.is_zero() && fees.max_fee > options_.max_fee_cap)
        return fail("sender " + chain_ + ": fee " + fees.max_fee.to_dec() +
                        " wei/gas exceeds the cap " + options_.max_fee_cap.to_dec(),
                    kFeeCap);
    eth::Transaction tx;
    tx.type = eth::TxType::kDynamicFee;
    tx.chain_id = options_.chain_id;
    tx.nonce = record.nonce;
    tx.max_fee_per_gas = fees.max_fee;
    tx.max_priority_fee_per_gas = fees.priority;
    tx.gas_limit = record.gas_limit;
    tx.to = record.to;
    tx.value = record.value;
    tx.data = record.data;
    VIGIL_TRY(eth::Transaction signed_tx, eth::sign_transaction(std::move(tx), key_));
    TxAttempt a;
    VIGIL_TRY(a.raw, eth::encode_transaction(signed_tx));
    VIGIL_TRY(a.hash, eth::transaction_hash(signed_tx));
    a.max_fee_per_gas = fees.max_fee;
    a.max_priority_fee_per_gas = fees.priority;
    a.sent_at_ms = clock_();
    return a;
}

void Sender::stage(const TxRecord& record, core::WriteBatch& batch) const {
    batch.put(kNamespace, key("tx/") + record.id, encode_record(record));
    if (record.final())
        batch.erase(kNamespace, key("pending/") + record.id);
    else
        batch.put(kNamespace, key("pending/") + record.id, "");
}

Status Sender::persist(const TxRecord& record, bool with_next_nonce) {
    core::WriteBatch batch;
    stage(record, batch);
    if (with_next_nonce) batch.put(kNamespace, key("next_nonce"), core::be_key(next_nonce_));
    return store_.commit(batch);
}

Status Sender::broadcast_refused(const std::string& id, const Error& error) {
    const std::string& m = error.message;
    if (lower_contains(m,
                       {"already known", "known transaction", "already imported", "alreadyknown"}))
        return {};
    log_.warn("broadcast refused", {{"id", id}, {"error", m}});
    return error;
}

Status Sender::broadcast(TxRecord& record) {
    const TxAttempt& a = record.attempts.back();
    auto sent = rpc_.call("eth_sendRawTransaction", rpc::Json::array({eth::to_hex(a.raw)}));
    if (sent.ok()) return {};
    return broadcast_refused(record.id, sent.error());
}

Result<TxRecord> Sender::submit(const TxRequest& request) {
    auto results = submit_all({request});
    if (!results.ok()) return results.error();
    return std::move((*results)[0]);
}

Result<std::vector<Result<TxRecord>>> Sender::submit_all(const std::vector<TxRequest>& requests) {
    std::vector<std::optional<Result<TxRecord>>> out(requests.size());
    // 1. Earlier submits of the same id answer for themselves.
    std::vector<size_t> fresh;
    for (size_t i = 0; i < requests.size(); ++i) {
        const TxRequest& request = requests[i];
        if (request.id.empty() || request.id.size() > kMaxIdSize) {
            out[i] = fail("sender: request id must be 1 to 200 bytes");
            continue;
        }
        bool repeated = false;
        for (size_t j : fresh) repeated = repeated || requests[j].id == request.id;
        if (repeated) {
            out[i] = fail("sender: request id " + request.id + " given twice in one submit");
            continue;
        }
        VIGIL_TRY(auto existing, find(request.id));
        if (existing) {
            out[i] = std::move(*existing);
            continue;
        }
        fresh.push_back(i);
    }
    // 2. Gas: one batch of eth_estimateGas for the requests that do not fix it.
    std::vector<TxRecord> records(requests.size());
    std::vector<rpc::RpcCall> estimates;
    std::vector<size_t> estimated;
    for (size_t i : fresh) {
        const TxRequest& request = requests[i];
        TxRecord& r = records[i];
        r.id = request.id;
        r.to = request.to;
        r.value = request.value;
        r.data = request.data;
        if (request.gas_limit) {
            r.gas_limit = *request.gas_limit;
            continue;
        }
        estimates.push_back(
            {"eth_estimateGas", rpc::Json::array({{{"from", address_.to_hex()},
                                                   {"to", r.to.to_hex()},
                                                   {"value", r.value.to_hex()},
                                                   {"data", eth::to_hex(r.data)}}})});
        estimated.push_back(i);
    }
    VIGIL_TRY(auto answers, rpc_.batch(estimates));
    std::vector<size_t> ready;
    for (size_t k = 0; k < estimated.size(); ++k) {
        const size_t i = estimated[k];
        Result<rpc::Json>& estimate = answers[k];
        if (!estimate.ok()) {
            if (estimate.error().code == rpc::kRpcError)
                out[i] = fail("sender " + chain_ + ": " + requests[i].id +
                                  " would revert: " + estimate.error().message,
                              kWouldRevert);
            else
                out[i] = std::move(estimate).error();
            continue;
        }
        if (!estimate->is_string()) {
            out[i] = fail("eth_estimateGas: not a quantity", rpc::kMalformed);
            continue;
        }
        auto gas = eth::parse_quantity(estimate->get<std::string>());
        if (!gas.ok()) {
            out[i] = std::move(gas).error();
            continue;
        }
        records[i].gas_limit =
            static_cast<uint64_t>(static_cast<double>(*gas) * options_.gas_margin) + 1;
    }
    for (size_t i : fresh)
        if (!out[i]) ready.push_back(i);
    // 3. Nonces in request order, signed, and persisted in one commit before any broadcast:
    // after a crash from there on, start() finds every one of them.
    if (!ready.empty()) {
        VIGIL_TRY(Fees fees, suggest_fees());
        const uint64_t first_nonce = next_nonce_;
        std::vector<size_t> signed_ok;
        for (size_t i : ready) {
            TxRecord& r = records[i];
            r.nonce = next_nonce_;
            auto attempt = sign(r, fees);
            if (!attempt.ok()) {
                out[i] = std::move(attempt).error();
                continue;
            }
            r.attempts.push_back(std::move(attempt).value());
            ++next_nonce_;
            signed_ok.push_back(i);
        }
        core::WriteBatch batch;
        for (size_t i : signed_ok) stage(records[i], batch);
        batch.put(kNamespace, key("next_nonce"), core::be_key(next_nonce_));
        if (Status saved = store_.commit(batch); !saved.ok()) {
            next_nonce_ = first_nonce;
            return saved.error();
        }
        std::vector<rpc::RpcCall> sends;
        for (size_t i : signed_ok) {
            TxRecord& r = records[i];
            log_.info("sending", {{"id", r.id},
                                  {"nonce", r.nonce},
                                  {"hash", r.attempts.back().hash.to_hex()},
                                  {"gas_limit", r.gas_limit},
                                  {"max_fee", r.attempts.back().max_fee_per_gas.to_dec()}});
            sends.push_back(
                {"eth_sendRawTransaction", rpc::Json::array({eth::to_hex(r.attempts.back().raw)})});
            out[i] = r;
            pending_.emplace(r.id, std::move(r));
        }
        // A refusal (or a failed request) is retried by poll(): the records are safe.
        auto sent = rpc_.batch(sends);
        if (!sent.ok()) {
            log_.warn("broadcast failed",
                      {{"transactions", sends.size()}, {"error", sent.error().message}});
        } else {
            for (size_t k = 0; k < signed_ok.size(); ++k)
                if (!(*sent)[k].ok())
                    (void)broadcast_refused(requests[signed_ok[k]].id, (*sent)[k].error());
        }
    }
    std::vector<Result<TxRecord>> results;
    results.reserve(out.size());
    for (auto& r : out) results.push_back(std::move(*r));
    return results;
}

Status Sender::reassign_nonce(TxRecord& r) {
    VIGIL_TRY(uint64_t on_chain, chain_nonce("pending"));
    next_nonce_ = std::max(next_nonce_, on_chain);
    const uint64_t old = r.nonce;
    r.nonce = next_nonce_++;
    VIGIL_TRY(Fees fees, suggest_fees());
    VIGIL_TRY(TxAttempt a, sign(r, fees));
    r.attempts.push_back(std::move(a));
    VIGIL_CHECK(persist(r, true));
    log_.warn("nonce taken by another transaction; moved",
              {{"id", r.id}, {"old_nonce", old}, {"new_nonce", r.nonce}});
    return broadcast(r);
}

Result<std::vector<TxRecord>> Sender::poll() {
    std::vector<TxRecord> done;
    if (pending_.empty()) return done;
    VIGIL_TRY(rpc::Json head_json, rpc_.call("eth_blockNumber"));
    if (!head_json.is_string()) return fail("eth_blockNumber: not a quantity", rpc::kMalformed);
    VIGIL_TRY(uint64_t head, eth::parse_quantity(head_json.get<std::string>()));
    const int64_t now = clock_();
    // Same head as the last poll: no receipt can have changed; only stuck transactions
    // (a matter of time) need a look.
    const bool same_head = receipts_head_ == head;
    receipts_head_ = head;

    // At a new head every in-flight transaction is looked at; at the same head only those
    // that may be stuck.
    std::vector<TxRecord*> look;
    for (auto& [id, r] : pending_)
        if (!same_head || now - r.attempts.back().sent_at_ms >= options_.stuck_after.count())
            look.push_back(&r);
    if (look.empty()) return done;

    // Receipts of every attempt (any of them may have been included), newest first, all in
    // one batch.
    std::vector<rpc::RpcCall> calls;
    std::vector<size_t> owner;
    for (size_t k = 0; k < look.size(); ++k)
        for (auto a = look[k]->attempts.rbegin(); a != look[k]->attempts.rend(); ++a) {
            calls.push_back({"eth_getTransactionReceipt", rpc::Json::array({a->hash.to_hex()})});
            owner.push_back(k);
        }
    VIGIL_TRY(auto answers, rpc_.batch(calls));
    std::vector<std::optional<rpc::Json>> receipt(look.size());
    for (size_t c = 0; c < answers.size(); ++c) {
        if (!answers[c].ok()) return std::move(answers[c]).error();
        if (!answers[c]->is_null() && !receipt[owner[c]])
            receipt[owner[c]] = std::move(*answers[c]);
    }

    // Final ones: committed together, then dropped from the in-flight set.
    core::WriteBatch finals;
    std::vector<TxRecord*> waiting;
    for (size_t k = 0; k < look.size(); ++k) {
        if (!receipt[k]) {
            waiting.push_back(look[k]);
            continue;
        }
        const rpc::Json& rc = *receipt[k];
        VIGIL_TRY(uint64_t block, rpc::field_uint64(rc, "blockNumber"));
        if (block + options_.confirmations > head + 1) continue;  // included, not deep enough
        TxRecord r = *look[k];
        VIGIL_TRY(eth::Hash32 hash, rpc::field_hash(rc, "transactionHash"));
        VIGIL_TRY(uint64_t status, rpc::field_uint64(rc, "status"));
        VIGIL_TRY(r.gas_used, rpc::field_uint64(rc, "gasUsed"));
        if (rpc::has_field(rc, "effectiveGasPrice")) {
            VIGIL_TRY(r.effective_gas_price, rpc::field_u256(rc, "effectiveGasPrice"));
        }
        r.included_hash = hash;
        r.block = block;
        r.state = status == 1 ? TxRecord::State::succeeded : TxRecord::State::reverted;
        stage(r, finals);
        done.push_back(std::move(r));
    }
    if (!done.empty()) {
        VIGIL_CHECK(store_.commit(finals));
        for (const TxRecord& r : done) {
            pending_.erase(r.id);
            nonce_taken_polls_.erase(r.id);
            log_.info("transaction final", {{"id", r.id},
                                            {"state", tx_state_name(r.state)},
                                            {"hash", r.included_hash->to_hex()},
                                            {"block", r.block}});
        }
    }
    if (waiting.empty()) return done;

    VIGIL_TRY(uint64_t latest_nonce, chain_nonce("latest"));
    // The first look after a start asks for every one: the node may have lost them while
    // we were down.
    const bool check_all_known = std::exchange(known_unchecked_, false);
    std::vector<TxRecord*> check_known;
    for (TxRecord* rp : waiting) {
        TxRecord& r = *rp;
        if (latest_nonce > r.nonce) {
            // The nonce is used on chain, but by none of our attempts (or the receipt is
            // not indexed yet): wait for a second sighting, at a later head (polls at the
            // same head are skipped above), before moving the request.
            if (++nonce_taken_polls_[r.id] >= 2) {
                nonce_taken_polls_.erase(r.id);
                (void)reassign_nonce(r);
            }
            continue;
        }
        nonce_taken_polls_.erase(r.id);
        if (now - r.attempts.back().sent_at_ms >= options_.stuck_after.count()) {
            // Stuck: same nonce, fees up by at least fee_bump_percent, or the market's if higher.
            VIGIL_TRY(Fees market, suggest_fees());
            const TxAttempt& last = r.attempts.back();
            Fees bumped;
            const uint32_t factor = 100 + options_.fee_bump_percent;
            bumped.priority = std::max(
                percent_of(last.max_priority_fee_per_gas, factor) + eth::U256(1), market.priority);
            bumped.max_fee =
                std::max(percent_of(last.max_fee_per_gas, factor) + eth::U256(1), market.max_fee);
            bumped.max_fee = std::max(bumped.max_fee, bumped.priority);
            auto a = sign(r, bumped);
            if (!a.ok()) {
                log_.warn("cannot replace stuck transaction",
                          {{"id", r.id}, {"error", a.error().message}});
                continue;
            }
            r.attempts.push_back(std::move(a).value());
            VIGIL_CHECK(persist(r, false));
            log_.warn("replacing stuck transaction",
                      {{"id", r.id},
                       {"nonce", r.nonce},
                       {"attempt", r.attempts.size()},
                       {"max_fee", r.attempts.back().max_fee_per_gas.to_dec()}});
            (void)broadcast(r);
        } else if (check_all_known || now - r.attempts.back().sent_at_ms >= kKnownCheckAfterMs) {
            check_known.push_back(rp);
        }
    }
    // Re-broadcast what the node no longer knows (dropped from its pool, node restarted,
    // or the block holding it was reorged away): one batch of lookups.
    std::vector<rpc::RpcCall> lookups;
    for (TxRecord* r : check_known)
        lookups.push_back(
            {"eth_getTransactionByHash", rpc::Json::array({r->attempts.back().hash.to_hex()})});
    VIGIL_TRY(auto known, rpc_.batch(lookups));
    for (size_t k = 0; k < check_known.size(); ++k) {
        if (!known[k].ok()) return std::move(known[k]).error();
        if (known[k]->is_null()) (void)broadcast(*check_known[k]);
    }
    return done;
}

Result<std::optional<TxRecord>> Sender::find(const std::string& id) const {
    if (auto it = pending_.find(id); it != pending_.end())
        return std::optional<TxRecord>(it->second);
    VIGIL_TRY(auto text, store_.get(kNamespace, key("tx/") + id));
    if (!text) return std::optional<TxRecord>();
    VIGIL_TRY(TxRecord r, decode_record(*text));
    return std::optional<TxRecord>(std::move(r));
}

}  // namespace vigil::chains
