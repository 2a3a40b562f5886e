#include "relayer/withdrawals.h"

#include <chrono>

#include "chains/rpc/json_fields.h"

namespace vigil::relayer {
namespace {

constexpr std::string_view kNamespace = "withdrawals";
constexpr std::array<const char*, kWithdrawalStates> kStateNames = {
    "observed", "provable", "proving", "proven", "finalizing", "finalized", "failed"};

std::string record_key(std::string_view route, const eth::Hash32& hash) {
    return "w/" + std::string(route) + "/" + hash.to_hex();
}
std::string state_key(std::string_view route, WithdrawalState s, uint64_t block,
                      const eth::Hash32& hash) {
    return "s/" + std::string(route) + "/" + state_name(s) + "/" + core::be_key(block) +
           std::string(hash.bytes.begin(), hash.bytes.end());
}
std::string block_key(std::string_view route, uint64_t block, const eth::Hash32& hash) {
    return "b/" + std::string(route) + "/" + core::be_key(block) +
           std::string(hash.bytes.begin(), hash.bytes.end());
}
std::string counts_key(std::string_view route) { return "counts/" + std::string(route); }

int64_t system_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// The hash at the end of an index key ("...<8-byte block><32-byte hash>").
Result<eth::Hash32> key_hash(std::string_view key) {
    if (key.size() < 40) return fail("withdrawal index key too short");
    eth::Hash32 h;
    std::copy(key.end() - 32, key.end(), h.bytes.begin());
    return h;
}

}  // namespace

const char* state_name(WithdrawalState s) {
    const auto i = static_cast<size_t>(s);
    return i < kStateNames.size() ? kStateNames[i] : "unknown";
}

std::optional<WithdrawalState> parse_state(std::string_view name) {
    for (size_t i = 0; i < kStateNames.size(); ++i)
        if (name == kStateNames[i]) return static_cast<WithdrawalState>(i);
    return std::nullopt;
}

uint64_t RouteCounts::total() const {
    uint64_t n = 0;
    for (uint64_t c : by_state) n += c;
    return n;
}

std::string encode_withdrawal(const WithdrawalRecord& r) {
    rpc::Json j = {{"route", r.route},
                   {"nonce", r.tx.nonce.to_hex()},
                   {"sender", r.tx.sender.to_hex()},
                   {"target", r.tx.target.to_hex()},
                   {"value", r.tx.value.to_hex()},
                   {"gasLimit", r.tx.gas_limit.to_hex()},
                   {"data", eth::to_hex(r.tx.data)},
                   {"hash", r.hash.to_hex()},
                   {"l2Block", r.l2_block},
                   {"l2BlockHash", r.l2_block_hash.to_hex()},
                   {"l2Tx", r.l2_tx.to_hex()},
                   {"logIndex", r.log_index},
                   {"state", state_name(r.state)},
                   {"reason", r.reason},
                   {"attempts", r.attempts},
                   {"observedAt", r.observed_at_ms},
                   {"updatedAt", r.updated_at_ms}};
    if (r.proof_game) {
        j["proofGame"] = r.proof_game->to_hex();
        j["proofGameIndex"] = r.proof_game_index;
    }
    if (r.proven_at != 0) j["provenAt"] = r.proven_at;
    return j.dump();
}

Result<WithdrawalRecord> decode_withdrawal(std::string_view text) {
    VIGIL_TRY(rpc::Json j, rpc::parse_json(text));
    WithdrawalRecord r;
    VIGIL_TRY(r.route, rpc::field_string(j, "route"));
    VIGIL_TRY(r.tx.nonce, rpc::field_u256(j, "nonce"));
    VIGIL_TRY(r.tx.sender, rpc::field_address(j, "sender"));
    VIGIL_TRY(r.tx.target, rpc::field_address(j, "target"));
    VIGIL_TRY(r.tx.value, rpc::field_u256(j, "value"));
    VIGIL_TRY(r.tx.gas_limit, rpc::field_u256(j, "gasLimit"));
    VIGIL_TRY(r.tx.data, rpc::field_bytes(j, "data"));
    VIGIL_TRY(r.hash, rpc::field_hash(j, "hash"));
    VIGIL_TRY(r.l2_block, rpc::field_uint64(j, "l2Block"));
    VIGIL_TRY(r.l2_block_hash, rpc::field_hash(j, "l2BlockHash"));
    VIGIL_TRY(r.l2_tx, rpc::field_hash(j, "l2Tx"));
    VIGIL_TRY(r.log_index, rpc::field_uint64(j, "logIndex"));
    VIGIL_TRY(std::string state, rpc::field_string(j, "state"));
    auto s = parse_state(state);
    if (!s) return fail("withdrawal record: unknown state '" + state + "'");
    r.state = *s;
    VIGIL_TRY(r.reason, rpc::field_string(j, "reason"));
    VIGIL_TRY(uint64_t attempts, rpc::field_uint64(j, "attempts"));
    r.attempts = static_cast<uint32_t>(attempts);
    for (const char* f : {"observedAt", "updatedAt"})
        if (!j.contains(f) || !j[f].is_number_integer())
            return fail(std::string("withdrawal record: bad ") + f);
    r.observed_at_ms = j["observedAt"].get<int64_t>();
    r.updated_at_ms = j["updatedAt"].get<int64_t>();
    if (j.contains("provenAt")) {
        VIGIL_TRY(r.proven_at, rpc::field_uint64(j, "provenAt"));
    }
    if (j.contains("proofGame")) {
        VIGIL_TRY(r.proof_game, rpc::field_address(j, "proofGame"));
        VIGIL_TRY(r.proof_game_index, rpc::field_uint64(j, "proofGameIndex"));
    }
    if (eth::opstack::withdrawal_hash(r.tx) != r.hash)
        return fail("withdrawal record " + r.hash.to_hex() + ": fields do not hash to it");
    return r;
}

// ---- WithdrawalStore ----

void WithdrawalStore::stage(const WithdrawalRecord& r, std::optional<WithdrawalState> before,
                            RouteCounts& counts, core::WriteBatch& batch) const {
    batch.put(kNamespace, record_key(r.route, r.hash), encode_withdrawal(r));
    if (before) {
        batch.erase(kNamespace, state_key(r.route, *before, r.l2_block, r.hash));
        auto& c = counts.by_state[static_cast<size_t>(*before)];
        c = c > 0 ? c - 1 : 0;
    } else {
        batch.put(kNamespace, block_key(r.route, r.l2_block, r.hash), "");
    }
    batch.put(kNamespace, state_key(r.route, r.state, r.l2_block, r.hash), "");
    counts.by_state[static_cast<size_t>(r.state)]++;
    rpc::Json c = rpc::Json::array();
    for (uint64_t n : counts.by_state) c.push_back(n);
    batch.put(kNamespace, counts_key(r.route), c.dump());
}

void WithdrawalStore::stage_erase(const WithdrawalRecord& r, RouteCounts& counts,
                                  core::WriteBatch& batch) const {
    batch.erase(kNamespace, record_key(r.route, r.hash));
    batch.erase(kNamespace, state_key(r.route, r.state, r.l2_block, r.hash));
    batch.erase(kNamespace, block_key(r.route, r.l2_block, r.hash));
    auto& n = counts.by_state[static_cast<size_t>(r.state)];
    n = n > 0 ? n - 1 : 0;
    rpc::Json c = rpc::Json::array();
    for (uint64_t v : counts.by_state) c.push_back(v);
    batch.put(kNamespace, counts_key(r.route), c.dump());
}

Result<std::optional<WithdrawalRecord>> WithdrawalStore::get(std::string_view route,
                                                             const eth::Hash32& hash) const {
    VIGIL_TRY(auto text, store_.get(kNamespace, record_key(route, hash)));
    if (!text) return std::optional<WithdrawalRecord>();
    auto r = decode_withdrawal(*text);
    if (!r) return fail("withdrawal " + hash.to_hex() + ": " + r.error().message);
    return std::optional<WithdrawalRecord>(std::move(r).value());
}

Result<std::vector<WithdrawalRecord>> WithdrawalStore::in_state(std::string_view route,
                                                                WithdrawalState state,
                                                                size_t limit) const {
    std::vector<eth::Hash32> hashes;
    Error bad = fail("");
    bool ok = true;
    const std::string prefix = "s/" + std::string(route) + "/" + state_name(state) + "/";
    VIGIL_CHECK(store_.scan(kNamespace, prefix, [&](std::string_view k, std::string_view) {
        auto h = key_hash(k);
        if (!h) {
            ok = false;
            bad = h.error();
            return false;
        }
        hashes.push_back(*h);
        return hashes.size() < limit;
    }));
    if (!ok) return bad;
    std::vector<WithdrawalRecord> out;
    for (const auto& h : hashes) {
        VIGIL_TRY(auto r, get(route, h));
        if (!r) return fail("withdrawal index names " + h.to_hex() + ", which has no record");
        out.push_back(std::move(*r));
    }
    return out;
}

Result<std::vector<WithdrawalRecord>> WithdrawalStore::from_block(std::string_view route,
                                                                  uint64_t from_block) const {
    std::vector<eth::Hash32> hashes;
    const std::string prefix = "b/" + std::string(route) + "/";
    VIGIL_CHECK(store_.scan(kNamespace, prefix, [&](std::string_view k, std::string_view) {
        auto block = core::parse_be_key(k.substr(prefix.size(), 8));
        auto h = key_hash(k);
        if (block.ok() && h.ok() && *block >= from_block) hashes.push_back(*h);
        return true;
    }));
    std::vector<WithdrawalRecord> out;
    for (const auto& h : hashes) {
        VIGIL_TRY(auto r, get(route, h));
        if (r) out.push_back(std::move(*r));
    }
    return out;
}

Result<RouteCounts> WithdrawalStore::counts(std::string_view route) const {
    RouteCounts c;
    VIGIL_TRY(auto text, store_.get(kNamespace, counts_key(route)));
    if (!text) return c;
    VIGIL_TRY(rpc::Json j, rpc::parse_json(*text));
    if (!j.is_array() || j.size() != kWithdrawalStates)
        return fail("withdrawal counts of " + std::string(route) + ": malformed");
    for (size_t i = 0; i < kWithdrawalStates; ++i) {
        if (!j[i].is_number_unsigned())
            return fail("withdrawal counts of " + std::string(route) + ": malformed");
        c.by_state[i] = j[i].get<uint64_t>();
    }
    return c;
}

// ---- WithdrawalObserver ----

WithdrawalObserver::WithdrawalObserver(std::string route, core::Store& store, core::Logger log,
                                       Clock clock, std::shared_ptr<RouteLedger> ledger)
    : route_(std::move(route)),
      withdrawals_(store),
      log_(std::move(log)),
      clock_(clock ? std::move(clock) : Clock(system_ms)),
      ledger_(ledger ? std::move(ledger) : std::make_shared<RouteLedger>()) {}

chains::LogFilter WithdrawalObserver::filter() {
    chains::LogFilter f;
    f.addresses = {eth::opstack::message_passer_address()};
    f.topics = {{eth::opstack::message_passed_topic()}};
    return f;
}

Status WithdrawalObserver::start() {
    std::lock_guard<std::mutex> lock(ledger_->mu);
    if (!ledger_->loaded) {
        VIGIL_TRY(ledger_->counts, withdrawals_.counts(route_));
        ledger_->loaded = true;
    }
    return Status{};
}

RouteCounts WithdrawalObserver::counts() const {
    if (held_.owns_lock()) return ledger_->counts;
    std::lock_guard<std::mutex> lock(ledger_->mu);
    return ledger_->counts;
}

Status WithdrawalObserver::on_confirmed(uint64_t, const chains::BlockRef&,
                                        const std::vector<chains::ConfirmedLog>& logs,
                                        core::WriteBatch& batch) {
    if (logs.empty()) return Status{};
    // Held until the listener commits or abandons this batch (also across a failure
    // below: the listener abandons the batch then).
    if (!held_.owns_lock()) held_ = std::unique_lock<std::mutex>(ledger_->mu);
    RouteCounts counts = ledger_->counts;
    std::map<eth::Hash32, bool> in_batch;
    for (const chains::ConfirmedLog& l : logs) {
        auto m = eth::opstack::decode_message_passed(l.address, l.topics, l.data);
        if (!m)
            // The filter asks for the predeploy's MessagePassed: a log that does not decode
            // means the L2 node's answer is wrong. Retried; nothing is committed.
            return fail("route " + route_ + ": MessagePassed in L2 block " +
                        std::to_string(l.block_number) + " log " + std::to_string(l.log_index) +
                        ": " + m.error().message);
        VIGIL_TRY(auto existing, withdrawals_.get(route_, m->withdrawal_hash));
        if (existing || in_batch[m->withdrawal_hash]) continue;  // replayed after a crash
        in_batch[m->withdrawal_hash] = true;
        WithdrawalRecord r;
        r.route = route_;
        r.tx = m->withdrawal;
        r.hash = m->withdrawal_hash;
        r.l2_block = l.block_number;
        r.l2_block_hash = l.block_hash;
        r.l2_tx = l.tx_hash;
        r.log_index = l.log_index;
        r.state = WithdrawalState::observed;
        r.observed_at_ms = r.updated_at_ms = clock_();
        withdrawals_.stage(r, std::nullopt, counts, batch);
        staged_new_ = true;
    }
    staged_ = counts;
    return Status{};
}

Status WithdrawalObserver::on_reorg(uint64_t first_orphaned, core::WriteBatch& batch) {
    if (!held_.owns_lock()) held_ = std::unique_lock<std::mutex>(ledger_->mu);
    RouteCounts counts = ledger_->counts;
    VIGIL_TRY(std::vector<WithdrawalRecord> orphaned,
              withdrawals_.from_block(route_, first_orphaned));
    for (const WithdrawalRecord& r : orphaned) {
        if (r.state == WithdrawalState::observed || r.state == WithdrawalState::provable ||
            r.state == WithdrawalState::failed) {
            withdrawals_.stage_erase(r, counts, batch);
            log_.warn(
                "withdrawal orphaned by an L2 reorg; forgotten",
                {{"route", route_}, {"withdrawal", r.hash.to_hex()}, {"l2_block", r.l2_block}});
        } else {
            log_.error(
                "ALARM: an L2 reorg orphaned a withdrawal already acted upon on L1; kept for the "
                "operator",
                {{"route", route_},
                 {"withdrawal", r.hash.to_hex()},
                 {"state", state_name(r.state)},
                 {"l2_block", r.l2_block}});
        }
    }
    staged_ = counts;
    return Status{};
}

void WithdrawalObserver::on_committed() {
    if (staged_) ledger_->counts = *staged_;
    staged_.reset();
    if (held_.owns_lock()) held_.unlock();
    if (staged_new_ && notify_) notify_();
    staged_new_ = false;
}

void WithdrawalObserver::on_abandoned() {
    staged_.reset();
    staged_new_ = false;
    if (held_.owns_lock()) held_.unlock();
}

}  // namespace vigil::relayer
