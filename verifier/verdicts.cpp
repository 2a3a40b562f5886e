#include "verifier/verdicts.h"

#include "chains/rpc/json_fields.h"

namespace vigil::verifier {
namespace {

constexpr std::string_view kNamespace = "verdicts";

std::string record_key(std::string_view rollup, const eth::Address& game) {
    return "game/" + std::string(rollup) + "/" + game.to_hex();
}
std::string open_key(std::string_view rollup, uint64_t index, const eth::Address& game) {
    return "open/" + std::string(rollup) + "/" + core::be_key(index) + game.to_hex();
}
// Valid games by descending L2 block (the key holds the complement), so the newest valid
// game is the first entry of the rollup's prefix.
std::string valid_key(std::string_view rollup, uint64_t l2_block, const eth::Address& game) {
    return "valid/" + std::string(rollup) + "/" + core::be_key(~l2_block) + game.to_hex();
}
bool is_open(Verdict v) { return v == Verdict::pending || v == Verdict::unverifiable; }

}  // namespace

const char* verdict_name(Verdict v) {
    switch (v) {
        case Verdict::pending:
            return "pending";
        case Verdict::valid:
            return "valid";
        case Verdict::invalid:
            return "invalid";
        case Verdict::unverifiable:
            return "unverifiable";
    }
    return "pending";
}

std::string encode_verdict(const VerdictRecord& r) {
    const Proposal& p = r.proposal;
    rpc::Json j = {{"rollup", p.rollup},
                   {"game", p.game.to_hex()},
                   {"gameType", p.game_type},
                   {"gameIndex", p.game_index},
                   {"rootClaim", p.root_claim.to_hex()},
                   {"l2Block", p.l2_block},
                   {"l1Block", p.l1_block},
                   {"l1Tx", p.l1_tx.to_hex()},
                   {"verdict", verdict_name(r.verdict)},
                   {"reason", r.reason},
                   {"decidedAt", r.decided_at_ms},
                   {"seenAt", r.seen_at_ms}};
    if (r.computed) {
        j["computed"] = {
            {"outputRoot", r.computed->output_root.to_hex()},
            {"stateRoot", r.computed->state_root.to_hex()},
            {"messagePasserStorageRoot", r.computed->message_passer_storage_root.to_hex()},
            {"blockHash", r.computed->block_hash.to_hex()}};
    }
    return j.dump();
}

Result<VerdictRecord> decode_verdict(std::string_view text) {
    VIGIL_TRY(rpc::Json j, rpc::parse_json(text));
    VerdictRecord r;
    Proposal& p = r.proposal;
    VIGIL_TRY(p.rollup, rpc::field_string(j, "rollup"));
    VIGIL_TRY(p.game, rpc::field_address(j, "game"));
    VIGIL_TRY(uint64_t type, rpc::field_uint64(j, "gameType"));
    p.game_type = static_cast<uint32_t>(type);
    VIGIL_TRY(p.game_index, rpc::field_uint64(j, "gameIndex"));
    VIGIL_TRY(p.root_claim, rpc::field_hash(j, "rootClaim"));
    VIGIL_TRY(p.l2_block, rpc::field_uint64(j, "l2Block"));
    VIGIL_TRY(p.l1_block, rpc::field_uint64(j, "l1Block"));
    VIGIL_TRY(p.l1_tx, rpc::field_hash(j, "l1Tx"));
    VIGIL_TRY(std::string v, rpc::field_string(j, "verdict"));
    if (v == "pending")
        r.verdict = Verdict::pending;
    else if (v == "valid")
        r.verdict = Verdict::valid;
    else if (v == "invalid")
        r.verdict = Verdict::invalid;
    else if (v == "unverifiable")
        r.verdict = Verdict::unverifiable;
    else
        return fail("verdict record: unknown verdict '" + v + "'");
    if (j.contains("reason")) {
        VIGIL_TRY(r.reason, rpc::field_string(j, "reason"));
    }
    if (!j.contains("decidedAt") || !j["decidedAt"].is_number_integer())
        return fail("verdict record: bad decidedAt");
    r.decided_at_ms = j["decidedAt"].get<int64_t>();
    if (j.contains("seenAt")) {
        if (!j["seenAt"].is_number_integer()) return fail("verdict record: bad seenAt");
        r.seen_at_ms = j["seenAt"].get<int64_t>();
    }
    if (j.contains("computed")) {
        const rpc::Json& c = j["computed"];
        OutputRootInputs in;
        in.l2_block = p.l2_block;
        VIGIL_TRY(in.output_root, rpc::field_hash(c, "outputRoot"));
        VIGIL_TRY(in.state_root, rpc::field_hash(c, "stateRoot"));
        VIGIL_TRY(in.message_passer_storage_root, rpc::field_hash(c, "messagePasserStorageRoot"));
        VIGIL_TRY(in.block_hash, rpc::field_hash(c, "blockHash"));
        r.computed = in;
    }
    return r;
}

void VerdictStore::stage(const VerdictRecord& r, core::WriteBatch& batch) const {
    const Proposal& p = r.proposal;
    batch.put(kNamespace, record_key(p.rollup, p.game), encode_verdict(r));
    if (is_open(r.verdict))
        batch.put(kNamespace, open_key(p.rollup, p.game_index, p.game), "");
    else
        batch.erase(kNamespace, open_key(p.rollup, p.game_index, p.game));
    if (r.verdict == Verdict::valid)
        batch.put(kNamespace, valid_key(p.rollup, p.l2_block, p.game), "");
    else
        batch.erase(kNamespace, valid_key(p.rollup, p.l2_block, p.game));
}

void VerdictStore::erase(const VerdictRecord& r, core::WriteBatch& batch) const {
    const Proposal& p = r.proposal;
    batch.erase(kNamespace, record_key(p.rollup, p.game));
    batch.erase(kNamespace, open_key(p.rollup, p.game_index, p.game));
    batch.erase(kNamespace, valid_key(p.rollup, p.l2_block, p.game));
}

Result<std::optional<VerdictRecord>> VerdictStore::get(std::string_view rollup,
                                                       const eth::Address& game) const {
    VIGIL_TRY(auto text, store_.get(kNamespace, record_key(rollup, game)));
    if (!text) return std::optional<VerdictRecord>();
    VIGIL_TRY(VerdictRecord r, decode_verdict(*text));
    return std::optional<VerdictRecord>(std::move(r));
}

Result<Verdict> VerdictStore::verdict(std::string_view rollup, const eth::Address& game) const {
    VIGIL_TRY(auto r, get(rollup, game));
    return r ? r->verdict : Verdict::pending;
}

Result<std::vector<VerdictRecord>> VerdictStore::valid_games(std::string_view rollup,
                                                             size_t limit) const {
    std::vector<eth::Address> games;
    const std::string prefix = "valid/" + std::string(rollup) + "/";
    std::optional<Error> bad;
    VIGIL_CHECK(store_.scan(kNamespace, prefix, [&](std::string_view k, std::string_view) {
        auto a = eth::Address::from_hex(k.substr(prefix.size() + 8));
        if (!a) {
            bad = fail("verdicts: corrupt valid-index key " + std::string(k));
            return false;
        }
        games.push_back(*a);
        return games.size() < limit;
    }));
    if (bad) return *bad;
    std::vector<VerdictRecord> out;
    for (const auto& g : games) {
        VIGIL_TRY(auto r, get(rollup, g));
        if (!r || r->verdict != Verdict::valid)
            return fail("verdicts: the valid index of " + std::string(rollup) + " names game " +
                        g.to_hex() + " whose record is not valid");
        out.push_back(std::move(*r));
    }
    return out;
}

Status VerdictStore::ensure_valid_index(std::string_view rollup) const {
    const std::string marker = "valid-indexed/" + std::string(rollup);
    VIGIL_TRY(auto done, store_.get(kNamespace, marker));
    if (done) return Status{};
    core::WriteBatch batch;
    std::optional<Error> bad;
    VIGIL_CHECK(store_.scan(
        kNamespace, "game/" + std::string(rollup) + "/", [&](std::string_view, std::string_view v) {
            auto r = decode_verdict(v);
            if (!r) {
                bad = r.error();
                return false;
            }
            if (r->verdict == Verdict::valid)
                batch.put(kNamespace, valid_key(rollup, r->proposal.l2_block, r->proposal.game),
                          "");
            return true;
        }));
    if (bad) return *bad;
    batch.put(kNamespace, marker, "1");
    return store_.commit(batch);
}

Result<std::optional<VerdictRecord>> VerdictStore::latest_valid(std::string_view rollup) const {
    VIGIL_TRY(auto games, valid_games(rollup, 1));
    if (games.empty()) return std::optional<VerdictRecord>();
    return std::optional<VerdictRecord>(std::move(games.front()));
}

Result<std::vector<VerdictRecord>> VerdictStore::open(std::string_view rollup) const {
    std::vector<eth::Address> games;
    const std::string prefix = "open/" + std::string(rollup) + "/";
    VIGIL_CHECK(store_.scan(kNamespace, prefix, [&](std::string_view k, std::string_view) {
        auto a = eth::Address::from_hex(k.substr(prefix.size() + 8));
        if (a.ok()) games.push_back(*a);
        return true;
    }));
    std::vector<VerdictRecord> out;
    for (const auto& g : games) {
        VIGIL_TRY(auto r, get(rollup, g));
        if (r) out.push_back(std::move(*r));
    }
    return out;
}

}  // namespace vigil::verifier
