#include "chains/sender.h"

#include <algorithm>
#include <cctype>

#include "chains/eth/transaction.h"

namespace vigil::chains {
namespace {

constexpr std::string_view kNamespace = "sender";
constexpr size_t kMaxIdSize = 200;

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

std::string encode_record(const TxRecord& r) {
    rpc::Json attempts = rpc::Json::array();
    for (const TxAttempt& a : r.attempts)
        attempts.push_back({{"hash", a.hash.to_hex()},
                            {"maxFeePerGas", a.max_fee_per_gas.to_hex()},
                            {"maxPriorityFeePerGas", a.max_priority_fee_per_gas.to_hex()},
                            {"sentAt", a.sent_at_ms},
                            {"raw", eth::to_hex(a.raw)}});
    rpc::Json j = {{"id", r.id},
                   {"state", tx_state_name(r.state)},
                   {"nonce", r.nonce},
                   {"gasLimit", r.gas_limit},
                   {"to", r.to.to_hex()},
                   {"value", r.value.to_hex()},
                   {"data", eth::to_hex(r.data)},
                   {"attempts", attempts}};
    if (r.included_hash) {
        j["includedHash"] = r.included_hash->to_hex();
        j["block"] = r.block;
        j["gasUsed"] = r.gas_used;
        j["effectiveGasPrice"] = r.effective_gas_price.to_hex();
    }
    return j.dump();
}

Result<TxRecord> decode_record(std::string_view text) {
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

Status Sender::persist(const TxRecord& record, bool with_next_nonce) {
    core::WriteBatch batch;
    batch.put(kNamespace, key("tx/") + record.id, encode_record(record));
    if (record.final())
        batch.erase(kNamespace, key("pending/") + record.id);
    else
        batch.put(kNamespace, key("pending/") + record.id, "");
    if (with_next_nonce) batch.put(kNamespace, key("next_nonce"), core::be_key(next_nonce_));
    return store_.commit(batch);
}

Status Sender::broadcast(TxRecord& record) {
    const TxAttempt& a = record.attempts.back();
    auto sent = rpc_.call("eth_sendRawTransaction", rpc::Json::array({eth::to_hex(a.raw)}));
    if (sent.ok()) return {};
    const std::string& m = sent.error().message;
    if (lower_contains(m,
                       {"already known", "known transaction", "already imported", "alreadyknown"}))
        return {};
    log_.warn("broadcast refused", {{"id", record.id}, {"nonce", record.nonce}, {"error", m}});
    return sent.error();
}

Result<TxRecord> Sender::submit(const TxRequest& request) {
    if (request.id.empty() || request.id.size() > kMaxIdSize)
        return fail("sender: request id must be 1 to 200 bytes");
    if (auto it = pending_.find(request.id); it != pending_.end()) return it->second;
    VIGIL_TRY(auto existing, find(request.id));
    if (existing) return *existing;

    TxRecord r;
    r.id = request.id;
    r.to = request.to;
    r.value = request.value;
    r.data = request.data;
    if (request.gas_limit) {
        r.gas_limit = *request.gas_limit;
    } else {
        rpc::Json call = {{"from", address_.to_hex()},
                          {"to", r.to.to_hex()},
                          {"value", r.value.to_hex()},
                          {"data", eth::to_hex(r.data)}};
        auto estimate = rpc_.call("eth_estimateGas", rpc::Json::array({call}));
        if (!estimate.ok()) {
            if (estimate.error().code == rpc::kRpcError)
                return fail("sender " + chain_ + ": " + request.id +
                                " would revert: " + estimate.error().message,
                            kWouldRevert);
            return estimate.error();
        }
        if (!estimate->is_string()) return fail("eth_estimateGas: not a quantity", rpc::kMalformed);
        VIGIL_TRY(uint64_t gas, eth::parse_quantity(estimate->get<std::string>()));
        r.gas_limit = static_cast<uint64_t>(static_cast<double>(gas) * options_.gas_margin) + 1;
    }
    VIGIL_TRY(Fees fees, suggest_fees());
    r.nonce = next_nonce_;
    VIGIL_TRY(TxAttempt attempt, sign(r, fees));
    r.attempts.push_back(std::move(attempt));
    ++next_nonce_;
    // Persist before broadcast: after a crash from here on, start() finds this record.
    Status saved = persist(r, /*with_next_nonce=*/true);
    if (!saved.ok()) {
        --next_nonce_;
        return saved.error();
    }
    pending_.emplace(r.id, r);
    log_.info("sending", {{"id", r.id},
                          {"nonce", r.nonce},
                          {"hash", r.attempts.back().hash.to_hex()},
                          {"gas_limit", r.gas_limit},
                          {"max_fee", r.attempts.back().max_fee_per_gas.to_dec()}});
    (void)broadcast(pending_.at(r.id));  // a refusal is retried by poll()
    return r;
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
    std::optional<uint64_t> latest_nonce;
    const int64_t now = clock_();
    // Same head as the last poll: no receipt can have changed; only stuck transactions
    // (a matter of time) need a look.
    const bool same_head = receipts_head_ == head;
    receipts_head_ = head;

    for (auto it = pending_.begin(); it != pending_.end();) {
        TxRecord& r = it->second;
        if (same_head && now - r.attempts.back().sent_at_ms < options_.stuck_after.count()) {
            ++it;
            continue;
        }
        // Any of its attempts may have been included.
        std::optional<rpc::Json> receipt;
        for (auto a = r.attempts.rbegin(); a != r.attempts.rend() && !receipt; ++a) {
            VIGIL_TRY(rpc::Json rc,
                      rpc_.call("eth_getTransactionReceipt", rpc::Json::array({a->hash.to_hex()})));
            if (!rc.is_null()) receipt = std::move(rc);
        }
        if (receipt) {
            VIGIL_TRY(uint64_t block, rpc::field_uint64(*receipt, "blockNumber"));
            if (block + options_.confirmations > head + 1) {
                ++it;  // included, not yet deep enough
                continue;
            }
            VIGIL_TRY(eth::Hash32 hash, rpc::field_hash(*receipt, "transactionHash"));
            VIGIL_TRY(uint64_t status, rpc::field_uint64(*receipt, "status"));
            VIGIL_TRY(r.gas_used, rpc::field_uint64(*receipt, "gasUsed"));
            if (rpc::has_field(*receipt, "effectiveGasPrice")) {
                VIGIL_TRY(r.effective_gas_price, rpc::field_u256(*receipt, "effectiveGasPrice"));
            }
            r.included_hash = hash;
            r.block = block;
            r.state = status == 1 ? TxRecord::State::succeeded : TxRecord::State::reverted;
            VIGIL_CHECK(persist(r, false));
            nonce_taken_polls_.erase(r.id);
            log_.info("transaction final", {{"id", r.id},
                                            {"state", tx_state_name(r.state)},
                                            {"hash", hash.to_hex()},
                                            {"block", block}});
            done.push_back(std::move(r));
            it = pending_.erase(it);
            continue;
        }
        if (!latest_nonce) {
            VIGIL_TRY(latest_nonce, chain_nonce("latest"));
        }
        if (*latest_nonce > r.nonce) {
            // The nonce is used on chain, but by none of our attempts (or the receipt is
            // not indexed yet): wait for a second sighting, at a later head (polls at the
            // same head are skipped above), before moving the request.
            if (++nonce_taken_polls_[r.id] >= 2) {
                nonce_taken_polls_.erase(r.id);
                (void)reassign_nonce(r);
            }
            ++it;
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
                ++it;
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
        } else {
            // Re-broadcast when the node no longer knows the transaction (dropped from
            // its pool, node restarted, or the block holding it was reorged away).
            VIGIL_TRY(rpc::Json known,
                      rpc_.call("eth_getTransactionByHash",
                                rpc::Json::array({r.attempts.back().hash.to_hex()})));
            if (known.is_null()) (void)broadcast(r);
        }
        ++it;
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
