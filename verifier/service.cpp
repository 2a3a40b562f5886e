#include "verifier/service.h"

#include <algorithm>

#include "chains/chain_clients.h"
#include "chains/head_subscription.h"
#include "chains/sender.h"
#include "chains/signer_pool.h"
#include "chains/webhook.h"
#include "verifier/chain_reexecutor.h"
#include "verifier/challenger.h"

namespace vigil::verifier {

struct VerifierService::Lane {
    const core::RollupConfig* rollup = nullptr;
    const core::ChainConfig* l1 = nullptr;
    const core::ChainConfig* l2 = nullptr;
    std::unique_ptr<rpc::RpcClient> l1_rpc;
    std::unique_ptr<rpc::RpcClient> l2_rpc;
    chains::SignerLane* signer = nullptr;
    std::unique_ptr<Challenger> challenger;
    std::unique_ptr<ProposalWatcher> watcher;
    std::unique_ptr<chains::Listener> listener;
    std::unique_ptr<chains::HeadSubscription> heads;
    // mode: reexecute: the re-executor and its own L2 client (used on its thread).
    std::unique_ptr<rpc::RpcClient> reexec_rpc;
    std::unique_ptr<ChainReexecutor> reexecutor;
    std::chrono::steady_clock::time_point last_resolve{};
};

VerifierService::VerifierService(const core::Config& config, core::Store& store,
                                 std::shared_ptr<prometheus::Registry> registry, core::Logger log,
                                 chains::SignerPool& signers, Options options)
    : config_(config),
      store_(store),
      registry_(std::move(registry)),
      metrics_(registry_ ? std::make_shared<VerifierMetrics>(*registry_) : nullptr),
      log_(std::move(log)),
      signers_(signers),
      options_(options) {}

VerifierService::~VerifierService() {
    request_stop();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    lanes_.clear();  // subscriptions and listeners before the clients they use
    if (outbox_) outbox_->stop();
}

Status VerifierService::start() {
    if (config_.verifier.rollups.empty())
        return fail("verifier: no rollups configured (verifier.rollups)");
    for (const std::string& name : options_.only_rollups)
        if (std::none_of(config_.verifier.rollups.begin(), config_.verifier.rollups.end(),
                         [&](const core::RollupConfig& rc) { return rc.name == name; }))
            return fail("verifier: no rollup named '" + name + "' in verifier.rollups");
    chains::WebhookOptions wo;
    outbox_ = std::make_unique<chains::WebhookOutbox>(store_, "verifier", wo, log_.with("webhook"),
                                                      registry_);
    for (const core::RollupConfig& rc : config_.verifier.rollups) {
        if (!options_.only_rollups.empty() &&
            std::find(options_.only_rollups.begin(), options_.only_rollups.end(), rc.name) ==
                options_.only_rollups.end())
            continue;
        // Said, not silently ignored: what this version cannot do for a rollup.
        if (rc.l2_output_oracle)
            return fail("rollup " + rc.name +
                        ": l2_output_oracle: legacy OutputProposed proposals are not followed "
                        "by this version (only DisputeGameFactory games); remove the key");
        auto lane = std::make_unique<Lane>();
        Lane& l = *lane;
        l.rollup = &rc;
        l.l1 = config_.chain(rc.l1_chain);
        l.l2 = config_.chain(rc.l2_chain);
        if (!l.l1 || !l.l2)
            return fail("rollup " + rc.name + ": unknown chain " +
                        (l.l1 ? rc.l2_chain : rc.l1_chain));
        l.l1_rpc = std::make_unique<rpc::RpcClient>(chains::rpc_options(*l.l1));
        l.l2_rpc = std::make_unique<rpc::RpcClient>(chains::rpc_options(*l.l2));
        if (Status s = l.l1_rpc->connect(); !s.ok())
            return fail("rollup " + rc.name + ": L1: " + s.error().message, s.error().code);
        if (Status s = l.l2_rpc->connect(); !s.ok())
            return fail("rollup " + rc.name + ": L2: " + s.error().message, s.error().code);
        core::Logger log = log_.with("verifier", rc.name);
        if (rc.challenge && !options_.judge_only) {
            if (!rc.signer) return fail("rollup " + rc.name + ": challenge: true needs a signer");
            VIGIL_TRY(l.signer, signers_.lane(*l.l1, *rc.signer));
            l.challenger = std::make_unique<Challenger>(rc, *l.l1_rpc, *l.signer->sender, store_,
                                                        log.with("challenger", rc.name));
            {
                std::lock_guard<std::mutex> lock(l.signer->mu);
                VIGIL_CHECK(l.challenger->start());
            }
        }
        WatcherHooks hooks;
        if (l.challenger) {
            Challenger* ch = l.challenger.get();
            chains::SignerLane* sl = l.signer;
            hooks.track = [ch](const Proposal& p, core::WriteBatch& b) { ch->track(p, b); };
            hooks.challenge = [ch, sl, log](const VerdictRecord& r) -> Status {
                std::lock_guard<std::mutex> lock(sl->mu);
                auto tx = ch->challenge(r);
                if (tx.ok()) return Status{};
                switch (tx.error().code) {
                    case kAlreadyChallenged:
                    case kGameOver:
                    case kTooLate:
                    case kNotInvalid:
                    case kChallengeDisabled:
                    case kWrongGame:
                        // Final answers (stored by the challenger): nothing to send, ever.
                        log.warn("invalid game not challenged by us",
                                 {{"game", r.proposal.game.to_hex()}, {"why", tx.error().message}});
                        return Status{};
                    default:
                        return tx.error();
                }
            };
            Lane* lp = &l;
            const auto every = options_.resolve_every;
            hooks.after_commit = [lp, every, log]() {
                auto now = std::chrono::steady_clock::now();
                if (now - lp->last_resolve < every) return;
                lp->last_resolve = now;
                std::lock_guard<std::mutex> lock(lp->signer->mu);
                if (auto r = lp->challenger->poll(); !r.ok())
                    log.warn("game resolution round failed", {{"error", r.error().message}});
            };
        }
        if (rc.webhook_url && !options_.judge_only) {
            const std::string url = *rc.webhook_url;
            chains::WebhookOutbox* ob = outbox_.get();
            hooks.stage_alarm = [ob, url](const std::string& json, core::WriteBatch& b) {
                ob->stage(url, json, b);
            };
            hooks.alarms_committed = [ob]() { ob->notify(); };
        }
        if (options_.on_commit) {
            auto inner = std::move(hooks.after_commit);
            auto outer = options_.on_commit;
            hooks.after_commit = [inner, outer]() {
                if (inner) inner();
                outer();
            };
        }
        l.watcher =
            std::make_unique<ProposalWatcher>(rc, *l.l1_rpc, *l.l2_rpc, l.l2->finality, store_,
                                              std::move(hooks), metrics_, log, options_.watcher);
        if (rc.mode == "reexecute") {
            auto ro = ChainReexecutor::options_for(rc, *l.l2);
            if (!ro) return ro.error();
            l.reexec_rpc = std::make_unique<rpc::RpcClient>(chains::rpc_options(*l.l2));
            if (Status s = l.reexec_rpc->connect(); !s.ok())
                return fail("rollup " + rc.name + ": L2: " + s.error().message, s.error().code);
            l.reexecutor = std::make_unique<ChainReexecutor>(
                rc.name, *l.reexec_rpc, store_, std::move(ro).value(),
                log.with("reexecute", rc.name), registry_.get());
            VIGIL_CHECK(l.reexecutor->start());
            l.watcher->use_source(*l.reexecutor);
        }
        VIGIL_CHECK(l.watcher->start());
        l.listener = std::make_unique<chains::Listener>(
            *l.l1, "verifier/" + rc.name, ProposalWatcher::filter(rc), *l.l1_rpc, store_,
            *l.watcher, log.with("listener", l.l1->name));
        if (Status s = l.listener->start(); !s.ok())
            return fail("rollup " + rc.name + ": " + s.error().message, s.error().code);
        lanes_.push_back(std::move(lane));
    }
    outbox_->start();
    for (auto& lane : lanes_) {
        auto heads = chains::HeadSubscription::start(*lane->l1, *lane->listener,
                                                     log_.with("ws", lane->l1->name));
        if (!heads) return fail("rollup " + lane->rollup->name + ": " + heads.error().message);
        lane->heads = std::move(heads).value();
        Lane* lp = lane.get();
        if (lp->reexecutor)
            threads_.emplace_back([this, lp]() { lp->reexecutor->run(stop_reexecution_); });
        ++live_;
        threads_.emplace_back([this, lp]() {
            Status s = lp->listener->run();
            --live_;
            if (!s.ok()) {
                log_.error("verifier stopped",
                           {{"rollup", lp->rollup->name}, {"error", s.error().message}});
                {
                    std::lock_guard<std::mutex> lock(mu_);
                    if (!fatal_) fatal_ = s.error();
                }
                request_stop();
            }
        });
    }
    log_.info("verifier started", {{"rollups", static_cast<uint64_t>(lanes_.size())}});
    return Status{};
}

void VerifierService::request_stop() {
    stop_reexecution_ = true;
    for (auto& lane : lanes_)
        if (lane->listener) lane->listener->request_stop();
}

Status VerifierService::wait() {
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
    if (outbox_) outbox_->stop();
    std::lock_guard<std::mutex> lock(mu_);
    if (fatal_) return *fatal_;
    return Status{};
}

std::vector<RollupStatus> VerifierService::status() const {
    std::vector<RollupStatus> out;
    for (const auto& lane : lanes_) {
        RollupStatus s;
        s.stats = lane->watcher->stats();
        s.l1 = lane->listener->status();
        s.l1_socket_up = lane->heads && lane->heads->socket_up();
        out.push_back(std::move(s));
    }
    return out;
}

void VerifierService::add_readiness(core::Readiness& readiness) const {
    for (const auto& lane : lanes_) {
        const chains::Listener* listener = lane->listener.get();
        const uint64_t max_lag = lane->l1->max_lag_blocks;
        readiness.add("verifier/" + lane->rollup->name, [listener, max_lag]() -> std::string {
            chains::ListenerStatus s = listener->status();
            if (!s.cursor) return "no confirmed block processed yet";
            if (s.confirmed > s.cursor->number + max_lag)
                return "L1 cursor " + std::to_string(s.cursor->number) + " lags confirmed " +
                       std::to_string(s.confirmed) + " by more than " + std::to_string(max_lag);
            if (!s.last_error.empty() && s.head == 0) return s.last_error;
            return {};
        });
    }
}

}  // namespace vigil::verifier
