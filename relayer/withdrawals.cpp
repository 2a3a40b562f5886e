#include "relayer/withdrawals.h"

#include <algorithm>
#include <chrono>
#include <climits>

#include "chains/eth/rlp.h"
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

rpc::Json withdrawal_json(const WithdrawalRecord& r) {
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
    return j;
}

std::string encode_withdrawal(const WithdrawalRecord& r) {
    using namespace eth::rlp;
    eth::Bytes payload;
    payload.reserve(r.tx.data.size() + 512);
    encode_bytes(payload,
                 eth::BytesView(reinterpret_cast<const uint8_t*>(r.route.data()), r.route.size()));
    encode_uint(payload, r.tx.nonce);
    encode_bytes(payload, r.tx.sender.view());
    encode_bytes(payload, r.tx.target.view());
    encode_uint(payload, r.tx.value);
    encode_uint(payload, r.tx.gas_limit);
    encode_bytes(payload, r.tx.data);
    encode_bytes(payload, r.hash.view());
    encode_uint(payload, r.l2_block);
    encode_bytes(payload, r.l2_block_hash.view());
    encode_bytes(payload, r.l2_tx.view());
    encode_uint(payload, r.log_index);
    encode_uint(payload, static_cast<uint64_t>(r.state));
    encode_bytes(payload, eth::BytesView(reinterpret_cast<const uint8_t*>(r.reason.data()),
                                         r.reason.size()));
    encode_uint(payload, r.attempts);
    encode_uint(payload, static_cast<uint64_t>(std::max<int64_t>(0, r.observed_at_ms)));
    encode_uint(payload, static_cast<uint64_t>(std::max<int64_t>(0, r.updated_at_ms)));
    encode_bytes(payload, r.proof_game ? r.proof_game->view() : eth::BytesView());
    encode_uint(payload, r.proof_game_index);
    encode_uint(payload, r.proven_at);
    std::string out(1, static_cast<char>(kBinaryRecord));
    eth::Bytes header;
    encode_list_header(header, payload.size());
    out.reserve(1 + header.size() + payload.size());
    out.append(header.begin(), header.end());
    out.append(payload.begin(), payload.end());
    return out;
}

namespace {

Result<std::string> next_text(eth::rlp::ListReader& in) {
    VIGIL_TRY(eth::BytesView b, in.next_bytes());
    return std::string(b.begin(), b.end());
}

Result<int64_t> next_ms(eth::rlp::ListReader& in) {
    VIGIL_TRY(uint64_t v, in.next_uint64());
    if (v > static_cast<uint64_t>(INT64_MAX)) return fail("time out of range");
    return static_cast<int64_t>(v);
}

Result<WithdrawalRecord> decode_binary(std::string_view text) {
    const eth::BytesView bytes(reinterpret_cast<const uint8_t*>(text.data()) + 1, text.size() - 1);
    VIGIL_TRY(eth::rlp::Item list, eth::rlp::decode_exact(bytes));
    if (!list.is_list) return fail("not a list");
    eth::rlp::ListReader in(list, 1);
    WithdrawalRecord r;
    VIGIL_TRY(r.route, next_text(in));
    VIGIL_TRY(r.tx.nonce, in.next_u256());
    VIGIL_TRY(eth::BytesView sender_bytes, in.next_bytes());
    VIGIL_TRY(r.tx.sender, eth::Address::from_view(sender_bytes));
    VIGIL_TRY(eth::BytesView target_bytes, in.next_bytes());
    VIGIL_TRY(r.tx.target, eth::Address::from_view(target_bytes));
    VIGIL_TRY(r.tx.value, in.next_u256());
    VIGIL_TRY(r.tx.gas_limit, in.next_u256());
    VIGIL_TRY(eth::BytesView data, in.next_bytes());
    r.tx.data.assign(data.begin(), data.end());
    VIGIL_TRY(r.hash, in.next_fixed<32>());
    VIGIL_TRY(r.l2_block, in.next_uint64());
    VIGIL_TRY(r.l2_block_hash, in.next_fixed<32>());
    VIGIL_TRY(r.l2_tx, in.next_fixed<32>());
    VIGIL_TRY(r.log_index, in.next_uint64());
    VIGIL_TRY(uint64_t state, in.next_uint64());
    if (state >= kWithdrawalStates) return fail("unknown state " + std::to_string(state));
    r.state = static_cast<WithdrawalState>(state);
    VIGIL_TRY(r.reason, next_text(in));
    VIGIL_TRY(uint64_t attempts, in.next_uint64());
    if (attempts > UINT32_MAX) return fail("attempts out of range");
    r.attempts = static_cast<uint32_t>(attempts);
    VIGIL_TRY(r.observed_at_ms, next_ms(in));
    VIGIL_TRY(r.updated_at_ms, next_ms(in));
    VIGIL_TRY(eth::BytesView game, in.next_bytes());
    if (!game.empty()) {
        VIGIL_TRY(r.proof_game, eth::Address::from_view(game));
    }
    VIGIL_TRY(r.proof_game_index, in.next_uint64());
    VIGIL_TRY(r.proven_at, in.next_uint64());
    if (!in.done()) return fail("trailing items");
    return r;
}

Result<WithdrawalRecord> decode_json(std::string_view text);

}  // namespace

Result<WithdrawalRecord> decode_withdrawal(std::string_view text) {
    Result<WithdrawalRecord> r = fail("withdrawal record: empty");
    if (!text.empty() && static_cast<uint8_t>(text[0]) == kBinaryRecord) {
        r = decode_binary(text);
        if (!r) return fail("withdrawal record: " + r.error().message);
    } else if (!text.empty() && text[0] == '{') {
        r = decode_json(text);  // written before binary records (Vigil 0.x sessions 1-11)
        if (!r) return r;
    } else if (!text.empty()) {
        return fail("withdrawal record: unknown encoding");
    } else {
        return r;
    }
    if (eth::opstack::withdrawal_hash(r->tx) != r->hash)
        return fail("withdrawal record " + r->hash.to_hex() + ": fields do not hash to it");
    return r;
}

namespace {

Result<WithdrawalRecord> decode_json(std::string_view text) {
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
    return r;
}

}  // namespace

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

Result<std::vector<WithdrawalStore::Indexed>> WithdrawalStore::index(std::string_view route,
                                                                     WithdrawalState state,
                                                                     size_t limit) const {
    std::vector<Indexed> out;
    if (limit == 0) return out;
    Error bad = fail("");
    bool ok = true;
    const std::string prefix = "s/" + std::string(route) + "/" + state_name(state) + "/";
    VIGIL_CHECK(store_.scan(kNamespace, prefix, [&](std::string_view k, std::string_view) {
        auto h = key_hash(k);
        auto block = k.size() >= prefix.size() + 8 + 32
                         ? core::parse_be_key(k.substr(prefix.size(), 8))
                         : Result<uint64_t>(fail("withdrawal state index key too short"));
        if (!h || !block) {
            ok = false;
            bad = !h ? h.error() : block.error();
            return false;
        }
        out.push_back({*block, *h});
        return out.size() < limit;
    }));
    if (!ok) return bad;
    return out;
}

Result<bool> WithdrawalStore::is_in_state(std::string_view route, WithdrawalState state,
                                          uint64_t l2_block, const eth::Hash32& hash) const {
    VIGIL_TRY(auto v, store_.get(kNamespace, state_key(route, state, l2_block, hash)));
    return v.has_value();
}

Result<std::vector<WithdrawalRecord>> WithdrawalStore::in_state(std::string_view route,
                                                                WithdrawalState state,
                                                                size_t limit) const {
    VIGIL_TRY(auto entries, index(route, state, limit));
    std::vector<WithdrawalRecord> out;
    out.reserve(entries.size());
    for (const auto& e : entries) {
        VIGIL_TRY(auto r, get(route, e.hash));
        if (!r) return fail("withdrawal index names " + e.hash.to_hex() + ", which has no record");
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
