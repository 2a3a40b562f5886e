#include "verifier/watcher.h"

#include <algorithm>
#include <chrono>

#include "chains/eth/abi.h"
#include "chains/rpc/json_fields.h"
#include "verifier/game.h"

namespace vigil::verifier {
namespace {

constexpr std::string_view kNamespace = "verifier";

const eth::Hash32& dispute_game_created_topic() {
    static const eth::Hash32 topic = eth::abi::event_topic(
        *eth::abi::parse_event_signature("DisputeGameCreated(address,uint32,bytes32)"));
    return topic;
}

int64_t system_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string record_l1_key(std::string_view rollup, uint64_t l1_block, const eth::Address& game) {
    return "l1/" + std::string(rollup) + "/" + core::be_key(l1_block) + game.to_hex();
}

}  // namespace

// ---- Stats ----

std::string encode_stats(const RollupStats& s) {
    return rpc::Json{{"rollup", s.rollup},
                     {"proposals", s.proposals},
                     {"pending", s.pending},
                     {"valid", s.valid},
                     {"invalid", s.invalid},
                     {"unverifiable", s.unverifiable},
                     {"challenges", s.challenges},
                     {"latestProposedL2", s.latest_proposed_l2},
                     {"latestVerifiedL2", s.latest_verified_l2},
                     {"l1Block", s.l1_block},
                     {"lastUnverifiable", s.last_unverifiable}}
        .dump();
}

Result<RollupStats> decode_stats(std::string_view text) {
    VIGIL_TRY(rpc::Json j, rpc::parse_json(text));
    RollupStats s;
    VIGIL_TRY(s.rollup, rpc::field_string(j, "rollup"));
    VIGIL_TRY(s.proposals, rpc::field_uint64(j, "proposals"));
    VIGIL_TRY(s.pending, rpc::field_uint64(j, "pending"));
    VIGIL_TRY(s.valid, rpc::field_uint64(j, "valid"));
    VIGIL_TRY(s.invalid, rpc::field_uint64(j, "invalid"));
    VIGIL_TRY(s.unverifiable, rpc::field_uint64(j, "unverifiable"));
    VIGIL_TRY(s.challenges, rpc::field_uint64(j, "challenges"));
    VIGIL_TRY(s.latest_proposed_l2, rpc::field_uint64(j, "latestProposedL2"));
    VIGIL_TRY(s.latest_verified_l2, rpc::field_uint64(j, "latestVerifiedL2"));
    VIGIL_TRY(s.l1_block, rpc::field_uint64(j, "l1Block"));
    VIGIL_TRY(s.last_unverifiable, rpc::field_string(j, "lastUnverifiable"));
    return s;
}

Result<RollupStats> load_stats(const core::Store& store, std::string_view rollup) {
    VIGIL_TRY(auto text, store.get(kNamespace, "stats/" + std::string(rollup)));
    if (!text) {
        RollupStats s;
        s.rollup = std::string(rollup);
        return s;
    }
    auto s = decode_stats(*text);
    if (!s) return fail("verifier stats of " + std::string(rollup) + ": " + s.error().message);
    return s;
}

VerifierMetrics::VerifierMetrics(prometheus::Registry& r)
    : proposals(prometheus::BuildCounter()
                    .Name("vigil_verifier_proposals_total")
                    .Help("Output-root proposals judged, by verdict")
                    .Register(r)),
      invalid(prometheus::BuildCounter()
                  .Name("vigil_verifier_invalid_proposals_total")
                  .Help("Proposals whose root claim differs from the recomputed output root")
                  .Register(r)),
      unverifiable(prometheus::BuildCounter()
                       .Name("vigil_verifier_unverifiable_total")
                       .Help("Times the L2 node's answers failed their proofs (endpoint alarm)")
                       .Register(r)),
      challenges(prometheus::BuildCounter()
                     .Name("vigil_verifier_challenges_total")
                     .Help("Challenges of invalid games handed to the sender, by result")
                     .Register(r)),
      latest_verified(prometheus::BuildGauge()
                          .Name("vigil_verifier_latest_verified_l2_block")
                          .Help("Highest L2 block of a proposal judged valid")
                          .Register(r)),
      open(prometheus::BuildGauge()
               .Name("vigil_verifier_open_proposals")
               .Help("Proposals not judged yet (pending or unverifiable)")
               .Register(r)),
      verdicts(prometheus::BuildGauge()
                   .Name("vigil_verifier_verdicts")
                   .Help("Proposals by current verdict, as persisted (survives restarts)")
                   .Register(r)),
      latency(prometheus::BuildHistogram()
                  .Name("vigil_verifier_verdict_latency_seconds")
                  .Help("From the proposal's confirmation to its verdict")
                  .Register(r)) {}

// ---- Watcher ----

ProposalWatcher::ProposalWatcher(const core::RollupConfig& rollup, rpc::RpcClient& l1,
                                 rpc::RpcClient& l2, core::Finality l2_safety, core::Store& store,
                                 WatcherHooks hooks, std::shared_ptr<VerifierMetrics> metrics,
                                 core::Logger log, Options options, Clock clock)
    : rollup_(rollup),
      l1_(l1),
      recompute_(l2, l2_safety),
      store_(store),
      verdicts_(store),
      hooks_(std::move(hooks)),
      metrics_(std::move(metrics)),
      log_(std::move(log)),
      options_(options),
      clock_(clock ? std::move(clock) : Clock(system_ms)) {}

chains::LogFilter ProposalWatcher::filter(const core::RollupConfig& rollup) {
    chains::LogFilter f;
    f.addresses = {rollup.dispute_game_factory};
    f.topics = {{dispute_game_created_topic()}};
    return f;
}

std::string ProposalWatcher::key(std::string_view suffix) const {
    return std::string(suffix) + "/" + rollup_.name;
}

Status ProposalWatcher::start() {
    VIGIL_TRY(RollupStats s, load_stats(store_, rollup_.name));
    {
        std::lock_guard<std::mutex> lock(mu_);
        stats_ = s;
    }
    if (metrics_) {
        // Every series exists from the start at 0, so that alerts on increase() see the
        // first event.
        const prometheus::Labels rl = {{"rollup", rollup_.name}};
        metrics_->invalid.Add(rl);
        metrics_->unverifiable.Add(rl);
        for (const char* v : {"valid", "invalid", "unverifiable"})
            metrics_->proposals.Add({{"rollup", rollup_.name}, {"verdict", v}});
    }
    publish_stats(s);
    return Status{};
}

RollupStats ProposalWatcher::stats() const {
    std::lock_guard<std::mutex> lock(mu_);
    return stats_;
}

Result<std::vector<Proposal>> ProposalWatcher::proposals_in(
    const std::vector<chains::ConfirmedLog>& logs) {
    std::vector<Proposal> out;
    for (const auto& l : logs) {
        if (l.address != rollup_.dispute_game_factory || l.topics.size() != 4 ||
            l.topics[0] != dispute_game_created_topic())
            continue;
        const std::string where = "DisputeGameCreated in L1 block " +
                                  std::to_string(l.block_number) + " log " +
                                  std::to_string(l.log_index);
        for (size_t i = 0; i < 12; ++i)
            if (l.topics[1].bytes[i] != 0)
                return fail(where + ": the game topic is not an address", kBadGame);
        for (size_t i = 0; i < 28; ++i)
            if (l.topics[2].bytes[i] != 0)
                return fail(where + ": the game type topic is not a uint32", kBadGame);
        Proposal p;
        p.rollup = rollup_.name;
        std::copy(l.topics[1].bytes.begin() + 12, l.topics[1].bytes.end(), p.game.bytes.begin());
        for (size_t i = 28; i < 32; ++i) p.game_type = (p.game_type << 8) | l.topics[2].bytes[i];
        p.root_claim = l.topics[3];
        p.l1_block = l.block_number;
        p.l1_tx = l.tx_hash;
        if (std::find(rollup_.game_types.begin(), rollup_.game_types.end(), p.game_type) ==
            rollup_.game_types.end())
            continue;
        // A game's claim, L2 block and creation time never change: read them at the
        // latest block, which every node serves (state at an old block needs an archive
        // node). The factory index comes from the factory's list, read the same way.
        auto game = read_game(l1_, p.game, "latest");
        if (!game) return fail(where + ": game " + p.game.to_hex() + ": " + game.error().message);
        if (game->root_claim != p.root_claim)
            return fail(where + ": game " + p.game.to_hex() +
                            " answers a root claim other than its creation event's",
                        kBadGame);
        p.l2_block = game->l2_block;
        auto index = find_game_index(l1_, rollup_.dispute_game_factory, p.game, game->created_at);
        if (!index) return fail(where + ": " + index.error().message, kBadGame);
        p.game_index = *index;
        out.push_back(std::move(p));
    }
    return out;
}

bool ProposalWatcher::judge(VerdictRecord& r, std::optional<uint64_t> settled, RollupStats& stats) {
    const uint64_t l2_block = r.proposal.l2_block;
    // Not there yet (or the L2 node is unreachable): wait, write nothing.
    if (!settled || l2_block > *settled) return false;
    if (r.verdict == Verdict::unverifiable &&
        clock_() - r.decided_at_ms < options_.unverifiable_retry_ms)
        return false;
    auto in = source_->compute(l2_block, *settled);
    if (!in) {
        if (in.error().code == kNotYet) return false;
        if (in.error().code == kUnverifiable) {
            const bool fresh = r.verdict != Verdict::unverifiable;
            r.verdict = Verdict::unverifiable;
            r.reason = in.error().message;
            r.decided_at_ms = clock_();
            stats.last_unverifiable = r.reason;
            log_.error("L2 data failed its proofs: the L2 endpoint is not trustworthy",
                       {{"rollup", rollup_.name},
                        {"game", r.proposal.game.to_hex()},
                        {"l2_block", l2_block},
                        {"reason", r.reason}});
            staged_events_.push_back({Verdict::unverifiable, fresh, -1});
            return true;
        }
        // A transport error: the L2 endpoint is down; try again later.
        if (clock_() - last_l2_error_log_ms_ > 10'000) {
            last_l2_error_log_ms_ = clock_();
            log_.warn("cannot reach the L2 node; proposals wait",
                      {{"rollup", rollup_.name}, {"error", in.error().message}});
        }
        return false;
    }
    r.computed = *in;
    r.verdict = in->output_root == r.proposal.root_claim ? Verdict::valid : Verdict::invalid;
    r.reason.clear();
    r.decided_at_ms = clock_();
    return true;
}

std::string ProposalWatcher::alarm_json(const VerdictRecord& r) const {
    rpc::Json j = rpc::parse_json(encode_verdict(r)).value();
    j["kind"] = r.verdict == Verdict::invalid ? "invalid_output_root" : "unverifiable_l2_data";
    j["l1Chain"] = rollup_.l1_chain;
    j["l2Chain"] = rollup_.l2_chain;
    j["factory"] = rollup_.dispute_game_factory.to_hex();
    j["challenge"] = rollup_.challenge;
    return j.dump();
}

void ProposalWatcher::stage(const VerdictRecord& r, Verdict before, RollupStats& stats,
                            core::WriteBatch& batch) {
    verdicts_.stage(r, batch);
    auto dec = [](uint64_t& n) { n = n > 0 ? n - 1 : 0; };
    if (before == Verdict::pending) dec(stats.pending);
    if (before == Verdict::unverifiable) dec(stats.unverifiable);
    switch (r.verdict) {
        case Verdict::pending:
            stats.pending++;
            break;
        case Verdict::unverifiable:
            stats.unverifiable++;
            break;
        case Verdict::valid:
            stats.valid++;
            stats.latest_verified_l2 = std::max(stats.latest_verified_l2, r.proposal.l2_block);
            break;
        case Verdict::invalid:
            stats.invalid++;
            break;
    }
    const bool alarm = r.verdict == Verdict::invalid ||
                       (r.verdict == Verdict::unverifiable && before != Verdict::unverifiable);
    if (alarm && hooks_.stage_alarm) {
        hooks_.stage_alarm(alarm_json(r), batch);
        staged_alarms_ = true;
    }
    if (r.verdict == Verdict::invalid) {
        log_.error("INVALID output root proposed", {{"rollup", rollup_.name},
                                                    {"game", r.proposal.game.to_hex()},
                                                    {"game_index", r.proposal.game_index},
                                                    {"l2_block", r.proposal.l2_block},
                                                    {"claimed", r.proposal.root_claim.to_hex()},
                                                    {"computed", r.computed->output_root.to_hex()},
                                                    {"l1_block", r.proposal.l1_block},
                                                    {"l1_tx", r.proposal.l1_tx.to_hex()}});
        if (rollup_.challenge && hooks_.challenge) {
            batch.put(kNamespace, "due/" + rollup_.name + "/" + r.proposal.game.to_hex(), "");
            staged_due_ = true;
        }
    }
    if (r.verdict == Verdict::valid || r.verdict == Verdict::invalid) {
        const int64_t latency = r.decided_at_ms - r.seen_at_ms;
        staged_events_.push_back({r.verdict, false, latency});
    }
}

Status ProposalWatcher::on_confirmed(uint64_t, const chains::BlockRef& last,
                                     const std::vector<chains::ConfirmedLog>& logs,
                                     core::WriteBatch& batch) {
    staged_events_.clear();
    staged_alarms_ = false;
    staged_due_ = false;
    RollupStats stats = this->stats();

    VIGIL_TRY(std::vector<Proposal> fresh, proposals_in(logs));
    std::optional<uint64_t> settled;
    bool need_l2 = !fresh.empty() || stats.pending + stats.unverifiable > 0;
    if (need_l2) {
        auto s = source_->settled_height();
        if (s) settled = *s;
    }

    for (Proposal& p : fresh) {
        // A game is recorded once (a replayed range after a crash finds its record).
        VIGIL_TRY(auto existing, verdicts_.get(rollup_.name, p.game));
        if (existing) continue;
        VerdictRecord r;
        r.proposal = p;
        r.decided_at_ms = clock_();
        r.seen_at_ms = r.decided_at_ms;
        stats.proposals++;
        stats.latest_proposed_l2 = std::max(stats.latest_proposed_l2, p.l2_block);
        if (hooks_.track) hooks_.track(p, batch);
        batch.put(kNamespace, record_l1_key(rollup_.name, p.l1_block, p.game), "");
        log_.info("proposal", {{"rollup", rollup_.name},
                               {"game", p.game.to_hex()},
                               {"game_index", p.game_index},
                               {"l2_block", p.l2_block},
                               {"root_claim", p.root_claim.to_hex()},
                               {"l1_block", p.l1_block}});
        judge(r, settled, stats);
        stats.pending++;  // recorded as pending, then moved to its verdict
        stage(r, Verdict::pending, stats, batch);
    }

    // Open records of earlier blocks, oldest first.
    if (stats.pending + stats.unverifiable > 0) {
        VIGIL_TRY(std::vector<VerdictRecord> open, verdicts_.open(rollup_.name));
        size_t examined = 0;
        for (VerdictRecord& r : open) {
            if (examined++ >= options_.max_rejudge_per_block) break;
            if (std::any_of(fresh.begin(), fresh.end(),
                            [&](const Proposal& p) { return p.game == r.proposal.game; }))
                continue;
            const Verdict before = r.verdict;
            if (judge(r, settled, stats)) stage(r, before, stats, batch);
        }
    }
    stats.l1_block = last.number;
    batch.put(kNamespace, "stats/" + rollup_.name, encode_stats(stats));
    staged_stats_ = stats;
    return Status{};
}

Status ProposalWatcher::on_reorg(uint64_t first_orphaned, core::WriteBatch& batch) {
    staged_events_.clear();
    staged_alarms_ = false;
    staged_due_ = false;
    RollupStats stats = this->stats();
    const std::string prefix = "l1/" + rollup_.name + "/";
    std::vector<std::pair<std::string, eth::Address>> orphaned;
    VIGIL_CHECK(store_.scan(kNamespace, prefix, [&](std::string_view k, std::string_view) {
        auto block = core::parse_be_key(k.substr(prefix.size(), 8));
        auto game = eth::Address::from_hex(k.substr(prefix.size() + 8));
        if (block.ok() && game.ok() && *block >= first_orphaned)
            orphaned.emplace_back(std::string(k), *game);
        return true;
    }));
    for (const auto& [k, game] : orphaned) {
        VIGIL_TRY(auto r, verdicts_.get(rollup_.name, game));
        batch.erase(kNamespace, k);
        batch.erase(kNamespace, "due/" + rollup_.name + "/" + game.to_hex());
        if (!r) continue;
        verdicts_.erase(*r, batch);
        stats.proposals = stats.proposals > 0 ? stats.proposals - 1 : 0;
        auto dec = [](uint64_t& n) { n = n > 0 ? n - 1 : 0; };
        switch (r->verdict) {
            case Verdict::pending:
                dec(stats.pending);
                break;
            case Verdict::unverifiable:
                dec(stats.unverifiable);
                break;
            case Verdict::valid:
                dec(stats.valid);
                break;
            case Verdict::invalid:
                dec(stats.invalid);
                break;
        }
        log_.warn("proposal orphaned by an L1 reorg; forgotten",
                  {{"rollup", rollup_.name},
                   {"game", game.to_hex()},
                   {"verdict", verdict_name(r->verdict)},
                   {"l1_block", r->proposal.l1_block}});
    }
    stats.l1_block = first_orphaned > 0 ? first_orphaned - 1 : 0;
    batch.put(kNamespace, "stats/" + rollup_.name, encode_stats(stats));
    staged_stats_ = stats;
    return Status{};
}

void ProposalWatcher::publish_stats(const RollupStats& s) {
    if (!metrics_) return;
    const prometheus::Labels rl = {{"rollup", rollup_.name}};
    metrics_->latest_verified.Add(rl).Set(static_cast<double>(s.latest_verified_l2));
    metrics_->open.Add(rl).Set(static_cast<double>(s.pending + s.unverifiable));
    auto set = [&](const char* verdict, uint64_t n) {
        metrics_->verdicts.Add({{"rollup", rollup_.name}, {"verdict", verdict}})
            .Set(static_cast<double>(n));
    };
    set("pending", s.pending);
    set("valid", s.valid);
    set("invalid", s.invalid);
    set("unverifiable", s.unverifiable);
}

void ProposalWatcher::on_committed() {
    if (staged_stats_) {
        std::lock_guard<std::mutex> lock(mu_);
        stats_ = *staged_stats_;
    }
    const RollupStats s = stats();
    staged_stats_.reset();
    if (metrics_) {
        const prometheus::Labels rl = {{"rollup", rollup_.name}};
        for (const Event& e : staged_events_) {
            if (e.verdict != Verdict::unverifiable || e.fresh_unverifiable)
                metrics_->proposals
                    .Add({{"rollup", rollup_.name}, {"verdict", verdict_name(e.verdict)}})
                    .Increment();
            if (e.verdict == Verdict::invalid) metrics_->invalid.Add(rl).Increment();
            if (e.verdict == Verdict::unverifiable && e.fresh_unverifiable)
                metrics_->unverifiable.Add(rl).Increment();
            if (e.latency_ms >= 0)
                metrics_->latency
                    .Add(rl, prometheus::Histogram::BucketBoundaries{0.5, 1, 2, 5, 10, 30, 60, 300,
                                                                     900, 3600})
                    .Observe(static_cast<double>(e.latency_ms) / 1000.0);
        }
    }
    publish_stats(s);
    staged_events_.clear();
    if (staged_alarms_ && hooks_.alarms_committed) hooks_.alarms_committed();
    staged_alarms_ = false;
    if (staged_due_) due_left_ = true;
    staged_due_ = false;
    if (due_left_) run_due_challenges();
    if (hooks_.after_commit) hooks_.after_commit();
}

void ProposalWatcher::run_due_challenges() {
    if (!hooks_.challenge) return;
    const std::string prefix = "due/" + rollup_.name + "/";
    std::vector<std::pair<std::string, eth::Address>> due;
    Status scanned = store_.scan(kNamespace, prefix, [&](std::string_view k, std::string_view) {
        auto game = eth::Address::from_hex(k.substr(prefix.size()));
        if (game.ok()) due.emplace_back(std::string(k), *game);
        return true;
    });
    if (!scanned.ok()) {
        log_.error("cannot read due challenges", {{"error", scanned.error().message}});
        return;
    }
    size_t left = 0;
    for (const auto& [k, game] : due) {
        auto r = verdicts_.get(rollup_.name, game);
        if (!r.ok() || !*r || (*r)->verdict != Verdict::invalid) {
            if (r.ok()) (void)store_.erase(kNamespace, k);
            continue;
        }
        Status sent = hooks_.challenge(**r);
        const prometheus::Labels labels = {{"rollup", rollup_.name},
                                           {"result", sent.ok() ? "sent" : "error"}};
        if (metrics_) metrics_->challenges.Add(labels).Increment();
        if (!sent.ok()) {
            ++left;
            log_.error("challenge not sent yet; retrying on the next block",
                       {{"rollup", rollup_.name},
                        {"game", game.to_hex()},
                        {"error", sent.error().message}});
            continue;
        }
        core::WriteBatch batch;
        batch.erase(kNamespace, k);
        RollupStats s = stats();
        s.challenges++;
        batch.put(kNamespace, "stats/" + rollup_.name, encode_stats(s));
        if (Status c = store_.commit(batch); !c.ok()) {
            ++left;
            log_.error("cannot record a sent challenge", {{"error", c.error().message}});
            continue;
        }
        std::lock_guard<std::mutex> lock(mu_);
        stats_ = s;
    }
    due_left_ = left > 0;
}

}  // namespace vigil::verifier
