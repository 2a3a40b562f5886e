#include "verifier/challenger.h"

#include <algorithm>
#include <vector>

#include "chains/rpc/json_fields.h"

namespace vigil::verifier {
namespace {

constexpr std::string_view kNamespace = "challenger";

// Why a game was not attacked; persisted, so later calls give the same final answer.
constexpr std::string_view kSkipAlreadyChallenged = "already-challenged";
constexpr std::string_view kSkipGameOver = "game-over";
constexpr std::string_view kSkipTooLate = "too-late";

int skip_code(std::string_view skip) {
    if (skip == kSkipAlreadyChallenged) return kAlreadyChallenged;
    if (skip == kSkipGameOver) return kGameOver;
    return kTooLate;
}

bool is_pending(const std::optional<chains::TxRecord>& r) {
    return r && r->state == chains::TxRecord::State::pending;
}

}  // namespace

// The persisted state of one tracked game.
struct Challenger::Tracked {
    Proposal proposal;
    uint64_t max_clock = 0;   // maxClockDuration, once read (0: not yet)
    uint64_t not_before = 0;  // L1 time before which the game cannot resolve (0: unknown)
    std::string skipped;      // a kSkip* reason, when challenge() decided not to attack
    std::string skip_detail;
    bool attack_seen_final = false;  // the attack's final state was counted and logged
    bool step_alarmed = false;       // a reverted resolve step was reported
    bool finished = false;           // the resolution was counted and logged
    bool credit_alarmed = false;     // kMaxCreditClaims reached while credit remains

    std::string encode() const {
        const Proposal& p = proposal;
        rpc::Json j = {{"rollup", p.rollup},
                       {"game", p.game.to_hex()},
                       {"gameType", p.game_type},
                       {"gameIndex", p.game_index},
                       {"rootClaim", p.root_claim.to_hex()},
                       {"l2Block", p.l2_block},
                       {"l1Block", p.l1_block},
                       {"l1Tx", p.l1_tx.to_hex()},
                       {"maxClock", max_clock},
                       {"notBefore", not_before},
                       {"skipped", skipped},
                       {"skipDetail", skip_detail},
                       {"attackSeenFinal", attack_seen_final},
                       {"stepAlarmed", step_alarmed},
                       {"finished", finished},
                       {"creditAlarmed", credit_alarmed}};
        return j.dump();
    }

    static Result<Tracked> decode(std::string_view text) {
        VIGIL_TRY(rpc::Json j, rpc::parse_json(text));
        Tracked t;
        Proposal& p = t.proposal;
        VIGIL_TRY(p.rollup, rpc::field_string(j, "rollup"));
        VIGIL_TRY(p.game, rpc::field_address(j, "game"));
        VIGIL_TRY(uint64_t type, rpc::field_uint64(j, "gameType"));
        if (type > UINT32_MAX) return fail("gameType beyond 32 bits");
        p.game_type = static_cast<uint32_t>(type);
        VIGIL_TRY(p.game_index, rpc::field_uint64(j, "gameIndex"));
        VIGIL_TRY(p.root_claim, rpc::field_hash(j, "rootClaim"));
        VIGIL_TRY(p.l2_block, rpc::field_uint64(j, "l2Block"));
        VIGIL_TRY(p.l1_block, rpc::field_uint64(j, "l1Block"));
        VIGIL_TRY(p.l1_tx, rpc::field_hash(j, "l1Tx"));
        VIGIL_TRY(t.max_clock, rpc::field_uint64(j, "maxClock"));
        VIGIL_TRY(t.not_before, rpc::field_uint64(j, "notBefore"));
        VIGIL_TRY(t.skipped, rpc::field_string(j, "skipped"));
        VIGIL_TRY(t.skip_detail, rpc::field_string(j, "skipDetail"));
        for (auto [name, flag] :
             {std::pair{"attackSeenFinal", &t.attack_seen_final},
              std::pair{"stepAlarmed", &t.step_alarmed}, std::pair{"finished", &t.finished},
              std::pair{"creditAlarmed", &t.credit_alarmed}}) {
            if (!j.contains(name) || !j[name].is_boolean())
                return fail(std::string("'") + name + "' is not a boolean");
            *flag = j[name].get<bool>();
        }
        if (!t.skipped.empty() && t.skipped != kSkipAlreadyChallenged &&
            t.skipped != kSkipGameOver && t.skipped != kSkipTooLate)
            return fail("unknown skip reason '" + t.skipped + "'");
        return t;
    }
};

Challenger::Challenger(const core::RollupConfig& rollup, rpc::RpcClient& l1, chains::Sender& sender,
                       core::Store& store, core::Logger log)
    : rollup_(rollup),
      l1_(l1),
      sender_(sender),
      store_(store),
      log_(log.with("challenger", rollup.l1_chain)) {}

std::string Challenger::key(const eth::Address& game) const {
    return rollup_.name + "/game/" + game.to_hex();
}
std::string Challenger::attack_id(const eth::Address& game) const {
    return "challenge/" + rollup_.name + "/" + game.to_hex();
}
std::string Challenger::resolve_claim_id(const eth::Address& game, uint64_t claim_index) const {
    return "resolve-claim/" + rollup_.name + "/" + game.to_hex() + "/" +
           std::to_string(claim_index);
}
std::string Challenger::resolve_id(const eth::Address& game) const {
    return "resolve/" + rollup_.name + "/" + game.to_hex();
}
std::string Challenger::credit_id(const eth::Address& game, uint32_t n) const {
    return "credit/" + rollup_.name + "/" + game.to_hex() + "/" + std::to_string(n);
}

Result<std::optional<Challenger::Tracked>> Challenger::load(const eth::Address& game) const {
    VIGIL_TRY(auto text, store_.get(kNamespace, key(game)));
    if (!text) return std::optional<Tracked>();
    auto t = Tracked::decode(*text);
    if (!t)
        return fail("challenger: stored state of " + key(game) +
                    " is corrupt: " + t.error().message);
    return std::optional<Tracked>(std::move(t).value());
}

Status Challenger::save(const Tracked& t) {
    return store_.put(kNamespace, key(t.proposal.game), t.encode());
}

Result<bool> Challenger::tracking(const eth::Address& game) const {
    VIGIL_TRY(auto text, store_.get(kNamespace, key(game)));
    return text.has_value();
}

Status Challenger::start() {
    size_t tracked = 0;
    std::string corrupt;
    VIGIL_CHECK(store_.scan(kNamespace, rollup_.name + "/game/",
                            [&](std::string_view k, std::string_view v) {
                                if (!Tracked::decode(v).ok()) {
                                    corrupt = std::string(k);
                                    return false;
                                }
                                ++tracked;
                                return true;
                            }));
    if (!corrupt.empty())
        return fail("challenger " + rollup_.name + ": stored state '" + corrupt + "' is corrupt");
    log_.info("challenger ready", {{"rollup", rollup_.name},
                                   {"signer", sender_.address().to_hex()},
                                   {"challenge", rollup_.challenge},
                                   {"tracked", tracked}});
    return {};
}

void Challenger::track(const Proposal& p, core::WriteBatch& batch) const {
    if (p.game.is_zero()) return;  // an L2OutputOracle output: no game to follow
    if (p.rollup != rollup_.name) {
        log_.error("track: proposal of another rollup ignored",
                   {{"rollup", rollup_.name}, {"proposal_rollup", p.rollup}});
        return;
    }
    // Keep the state of a game already tracked (e.g. challenge() ran first). If the store
    // cannot be read, staging anyway loses at most cached facts, never a transaction.
    auto existing = store_.get(kNamespace, key(p.game));
    if (existing.ok() && existing->has_value()) return;
    Tracked t;
    t.proposal = p;
    batch.put(kNamespace, key(p.game), t.encode());
}

Result<Challenger::Head> Challenger::head() {
    VIGIL_TRY(rpc::Json block,
              l1_.call("eth_getBlockByNumber", rpc::Json::array({"latest", false})));
    if (!block.is_object()) return fail("challenger: the L1 node has no latest block");
    Head h;
    VIGIL_TRY(h.number, rpc::field_uint64(block, "number"));
    VIGIL_TRY(h.timestamp, rpc::field_uint64(block, "timestamp"));
    h.tag = eth::to_quantity(h.number);
    return h;
}

Result<chains::TxRecord> Challenger::challenge(const VerdictRecord& record) {
    const Proposal& p = record.proposal;
    const std::string game_hex = p.game.to_hex();
    if (!rollup_.challenge)
        return fail("challenger " + rollup_.name + ": challenges are disabled (challenge: false)",
                    kChallengeDisabled);
    if (record.verdict != Verdict::invalid || !record.computed)
        return fail("challenger: game " + game_hex + " is judged " + verdict_name(record.verdict) +
                        ", not invalid with a computed root: not attacking",
                    kNotInvalid);
    if (p.rollup != rollup_.name || p.game.is_zero())
        return fail("challenger " + rollup_.name + ": proposal of rollup '" + p.rollup +
                        "' at game " + game_hex + " is not a game of this rollup",
                    kWrongGame);
    const eth::Hash32 correct = record.computed->output_root;
    if (correct == p.root_claim || record.computed->l2_block != p.l2_block)
        return fail("challenger: game " + game_hex +
                        ": the computed output does not contradict the claim (same root or "
                        "another L2 block)",
                    kNotInvalid);

    // Sent before (by this process or before a restart): the Sender's record is the answer.
    const std::string id = attack_id(p.game);
    VIGIL_TRY(auto sent_before, sender_.find(id));
    if (sent_before) return *sent_before;

    VIGIL_TRY(auto stored, load(p.game));
    Tracked t;
    t.proposal = p;
    if (stored) t = *stored;
    if (!t.skipped.empty())
        return fail("challenger: game " + game_hex + " not attacked: " + t.skip_detail,
                    skip_code(t.skipped));
    // Follow the game before anything is sent, so a crash after the submit cannot leave
    // an attack whose game nobody resolves.
    if (!stored) VIGIL_CHECK(save(t));

    auto skip = [&](std::string_view reason, std::string detail,
                    core::LogLevel level) -> Result<chains::TxRecord> {
        t.skipped = std::string(reason);
        t.skip_detail = detail;
        VIGIL_CHECK(save(t));
        log_.log(level, "invalid game not attacked",
                 {{"rollup", rollup_.name},
                  {"game", game_hex},
                  {"reason", std::string(reason)},
                  {"detail", detail}});
        return fail("challenger: game " + game_hex + " not attacked: " + detail, skip_code(reason));
    };

    // The chain's state right before attacking, all at one block.
    VIGIL_TRY(Head h, head());
    VIGIL_TRY(GameInfo info, read_game(l1_, p.game, h.tag));
    if (info.root_claim != p.root_claim || info.l2_block != p.l2_block) {
        log_.error("game on chain differs from the proposal judged",
                   {{"game", game_hex},
                    {"chain_root_claim", info.root_claim.to_hex()},
                    {"judged_root_claim", p.root_claim.to_hex()},
                    {"chain_l2_block", info.l2_block},
                    {"judged_l2_block", p.l2_block}});
        return fail("challenger: game " + game_hex + " claims " + info.root_claim.to_hex() +
                        " for L2 block " + std::to_string(info.l2_block) +
                        ", not the proposal judged",
                    kWrongGame);
    }
    VIGIL_TRY(GameVersion version, parse_game_version(info.version));
    if (info.status != kGameInProgress)
        return skip(
            kSkipGameOver,
            std::string("the game is already resolved ") + game_status_name(info.status),
            info.status == kGameDefenderWins ? core::LogLevel::error : core::LogLevel::warn);
    VIGIL_TRY(uint64_t max_clock, read_max_clock_duration(l1_, p.game, h.tag));
    t.max_clock = max_clock;
    VIGIL_TRY(ClaimData root, read_claim(l1_, p.game, 0, h.tag));
    const eth::U256 position = attack_position(root.position);
    VIGIL_TRY(uint64_t count, read_claim_count(l1_, p.game, h.tag));
    for (uint64_t i = 1; i < count; ++i) {
        VIGIL_TRY(ClaimData c, read_claim(l1_, p.game, i, h.tag));
        // The same (claim, position, parent) again would revert with ClaimAlreadyExists.
        if (c.parent_index == 0 && c.position == position && c.claim == correct)
            return skip(kSkipAlreadyChallenged,
                        "claim " + std::to_string(i) + " by " + c.claimant.to_hex() +
                            " already attacks the root with the correct output root",
                        core::LogLevel::warn);
    }
    // Checked after the claims: a root already countered with our value is no alarm.
    if (challenger_duration(root, nullptr, h.timestamp, max_clock) >= max_clock)
        return skip(kSkipTooLate,
                    "the root claim's clock ran out at L1 time " +
                        std::to_string(root.clock_timestamp() + max_clock) + " (head time " +
                        std::to_string(h.timestamp) + ")",
                    core::LogLevel::error);
    VIGIL_TRY(eth::U256 bond, read_required_bond(l1_, p.game, position, h.tag));
    VIGIL_TRY(eth::Bytes data, encode_attack(version.move_abi, root.claim, 0, correct));

    chains::TxRequest request;
    request.id = id;
    request.to = p.game;
    request.value = bond;
    request.data = std::move(data);
    auto sent = sender_.submit(request);
    if (!sent) {
        log_.warn(
            "attack not sent",
            {{"game", game_hex}, {"code", sent.error().code}, {"error", sent.error().message}});
        return sent;
    }
    log_.warn("attacking invalid game", {{"rollup", rollup_.name},
                                         {"game", game_hex},
                                         {"l2_block", p.l2_block},
                                         {"root_claim", p.root_claim.to_hex()},
                                         {"correct_root", correct.to_hex()},
                                         {"bond_wei", bond.to_dec()},
                                         {"nonce", sent->nonce},
                                         {"tx", sent->attempts.back().hash.to_hex()}});
    return sent;
}

Result<ChallengerRound> Challenger::poll() {
    ChallengerRound round;
    // Idempotent; our own records are read back by id below.
    if (auto polled = sender_.poll(); !polled.ok()) {
        log_.warn("sender poll failed", {{"error", polled.error().message}});
        ++round.errors;
    }
    VIGIL_TRY(Head h, head());
    round.l1_block = h.number;
    round.l1_timestamp = h.timestamp;

    std::vector<std::pair<std::string, std::string>> entries;
    VIGIL_CHECK(store_.scan(kNamespace, rollup_.name + "/game/",
                            [&](std::string_view k, std::string_view v) {
                                entries.emplace_back(k, v);
                                return true;
                            }));
    round.tracked = entries.size();
    for (auto& [k, v] : entries) {
        auto t = Tracked::decode(v);
        if (!t) {
            log_.error("corrupt challenger state", {{"key", k}, {"error", t.error().message}});
            ++round.errors;
            continue;
        }
        auto forget = poll_game(*t, h, round);
        if (!forget) {
            log_.warn("game round failed",
                      {{"game", t->proposal.game.to_hex()}, {"error", forget.error().message}});
            ++round.errors;
            continue;
        }
        if (*forget) {
            VIGIL_CHECK(store_.erase(kNamespace, k));
            ++round.forgotten;
            log_.info("game settled; no longer tracked", {{"game", t->proposal.game.to_hex()}});
        }
    }
    return round;
}

Result<bool> Challenger::poll_game(Tracked& t, const Head& h, ChallengerRound& round) {
    VIGIL_CHECK(follow_attack(t, round));
    // Nobody can resolve the game before its clocks run out: no reads until then.
    if (t.not_before > h.timestamp) {
        ++round.waiting;
        return false;
    }
    VIGIL_TRY(uint8_t status, read_game_status(l1_, t.proposal.game, h.tag));
    if (status != kGameInProgress) return settle_game(t, status, h, round);
    VIGIL_CHECK(resolve_game(t, h, round));
    return false;
}

Status Challenger::follow_attack(Tracked& t, ChallengerRound& round) {
    if (t.attack_seen_final) return {};
    VIGIL_TRY(auto attack, sender_.find(attack_id(t.proposal.game)));
    if (!attack || !attack->final()) return {};
    t.attack_seen_final = true;
    const std::string tx = attack->included_hash ? attack->included_hash->to_hex() : "";
    if (attack->state == chains::TxRecord::State::succeeded) {
        ++round.attacks_confirmed;
        log_.info("attack included",
                  {{"game", t.proposal.game.to_hex()}, {"tx", tx}, {"block", attack->block}});
    } else {
        // The bond came back with the revert; only an operator can tell why it failed
        // (a race with another challenger, the clock, a changed bond), so no blind retry.
        ++round.attacks_reverted;
        log_.error("ALARM: attack on invalid game reverted on inclusion; not retrying",
                   {{"rollup", rollup_.name},
                    {"game", t.proposal.game.to_hex()},
                    {"tx", tx},
                    {"block", attack->block}});
    }
    return save(t);
}

Status Challenger::resolve_game(Tracked& t, const Head& h, ChallengerRound& round) {
    const eth::Address& game = t.proposal.game;
    if (t.max_clock == 0) {
        VIGIL_TRY(t.max_clock, read_max_clock_duration(l1_, game, h.tag));
        VIGIL_CHECK(save(t));
    }
    VIGIL_TRY(uint64_t count, read_claim_count(l1_, game, h.tag));
    std::vector<ClaimData> claims;
    claims.reserve(count);
    for (uint64_t i = 0; i < count; ++i) {
        VIGIL_TRY(ClaimData c, read_claim(l1_, game, i, h.tag));
        claims.push_back(std::move(c));
    }
    // The game can resolve once every claim's clock has run out: the latest such time.
    uint64_t ready_at = 0;
    std::vector<uint64_t> children(count, 0);
    for (const ClaimData& c : claims) {
        const ClaimData* parent = c.is_root() ? nullptr : &claims[c.parent_index];
        if (parent) ++children[c.parent_index];
        const uint64_t used = parent ? std::min(parent->clock_duration(), t.max_clock) : 0;
        ready_at = std::max(ready_at, c.clock_timestamp() + (t.max_clock - used));
    }
    if (ready_at > h.timestamp) {
        // New moves only add claims, so this stays a lower bound: no reads until then.
        t.not_before = ready_at;
        ++round.waiting;
        return save(t);
    }

    // Children before parents: a child always has a larger index than its parent.
    auto step = [&](const std::string& id, eth::Bytes data, const char* what,
                    int64_t claim_index) -> Result<bool> {
        VIGIL_TRY(auto before, sender_.find(id));
        if (before) {
            if (before->state == chains::TxRecord::State::pending) return false;  // wait
            if (before->state == chains::TxRecord::State::reverted) {
                if (!t.step_alarmed) {
                    t.step_alarmed = true;
                    VIGIL_CHECK(save(t));
                    log_.error(
                        "ALARM: a resolution step reverted and the game is still open; "
                        "not retrying",
                        {{"game", game.to_hex()}, {"step", id}});
                }
                return false;
            }
            return true;  // succeeded after the head we read at
        }
        chains::TxRequest request;
        request.id = id;
        request.to = game;
        request.data = std::move(data);
        auto sent = sender_.submit(request);
        if (!sent) {
            if (sent.error().code == chains::kWouldRevert) {
                // Usually the previous step is not mined yet; the next round retries.
                log_.debug(
                    "resolution step not ready",
                    {{"game", game.to_hex()}, {"step", id}, {"error", sent.error().message}});
                return false;
            }
            return sent.error();
        }
        ++round.resolve_txs;
        log_.info("resolving", {{"game", game.to_hex()},
                                {"call", what},
                                {"claim", claim_index},
                                {"nonce", sent->nonce},
                                {"tx", sent->attempts.back().hash.to_hex()}});
        return true;
    };
    for (uint64_t i = count; i-- > 0;) {
        VIGIL_TRY(bool resolved, read_subgame_resolved(l1_, game, i, h.tag));
        if (resolved) continue;
        VIGIL_TRY(bool go_on, step(resolve_claim_id(game, i), encode_resolve_claim(i, children[i]),
                                   "resolveClaim", static_cast<int64_t>(i)));
        if (!go_on) return {};
    }
    VIGIL_TRY(bool done, step(resolve_id(game), encode_resolve(), "resolve", -1));
    (void)done;
    return {};
}

Result<bool> Challenger::settle_game(Tracked& t, uint8_t status, const Head& h,
                                     ChallengerRound& round) {
    const eth::Address& game = t.proposal.game;
    if (!t.finished) {
        t.finished = true;
        ++round.games_finished;
        // Compare with our own judgement, if there is one.
        VerdictStore verdicts(store_);
        auto judged = verdicts.get(rollup_.name, game);
        const Verdict v =
            judged.ok() && judged->has_value() ? (*judged)->verdict : Verdict::pending;
        const bool unexpected = (v == Verdict::invalid && status == kGameDefenderWins) ||
                                (v == Verdict::valid && status == kGameChallengerWins);
        if (unexpected) {
            ++round.unexpected_outcomes;
            log_.error("ALARM: game resolved against our verdict",
                       {{"rollup", rollup_.name},
                        {"game", game.to_hex()},
                        {"status", game_status_name(status)},
                        {"verdict", verdict_name(v)}});
        } else {
            log_.info("game resolved", {{"game", game.to_hex()},
                                        {"status", game_status_name(status)},
                                        {"verdict", verdict_name(v)}});
        }
        VIGIL_CHECK(save(t));
    }
    VIGIL_TRY(auto attack, sender_.find(attack_id(game)));
    if (is_pending(attack)) return false;

    VIGIL_TRY(eth::U256 credit, read_credit(l1_, game, sender_.address(), h.tag));
    uint32_t n = 0;
    for (; n < kMaxCreditClaims; ++n) {
        VIGIL_TRY(auto claim, sender_.find(credit_id(game, n)));
        if (!claim) break;
        if (is_pending(claim)) return false;  // wait for it
    }
    if (credit.is_zero()) return true;  // final and settled
    if (n >= kMaxCreditClaims) {
        if (!t.credit_alarmed) {
            t.credit_alarmed = true;
            VIGIL_CHECK(save(t));
            log_.error("ALARM: credit remains after the maximum number of claimCredit calls",
                       {{"game", game.to_hex()}, {"credit_wei", credit.to_dec()}});
        }
        return false;
    }
    chains::TxRequest request;
    request.id = credit_id(game, n);
    request.to = game;
    request.data = encode_claim_credit(sender_.address());
    auto sent = sender_.submit(request);
    if (!sent) {
        if (sent.error().code == chains::kWouldRevert) {
            // E.g. DelayedWETH's withdrawal delay has not passed yet.
            log_.debug("credit not claimable yet",
                       {{"game", game.to_hex()}, {"error", sent.error().message}});
            return false;
        }
        return sent.error();
    }
    ++round.credit_claims;
    log_.info("claiming credit", {{"game", game.to_hex()},
                                  {"credit_wei", credit.to_dec()},
                                  {"tx", sent->attempts.back().hash.to_hex()}});
    return false;
}

}  // namespace vigil::verifier
