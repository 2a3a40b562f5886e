#include "relayer/service.h"

#include <algorithm>
#include <chrono>

#include "chains/chain_clients.h"
#include "chains/head_subscription.h"
#include "chains/signer_pool.h"

namespace vigil::relayer {
namespace {

constexpr std::string_view kNamespace = "relayer";

std::string paused_key(const std::string& route) { return "paused/" + route; }

int64_t system_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

double wei_double(const eth::U256& v) {
    double out = 0;
    for (int i = 3; i >= 0; --i)
        out = out * 18446744073709551616.0 + static_cast<double>(v.limbs[i]);
    return out;
}

constexpr WithdrawalState kPending[] = {WithdrawalState::observed, WithdrawalState::provable,
                                        WithdrawalState::proving, WithdrawalState::proven,
                                        WithdrawalState::finalizing};

}  // namespace

struct RelayerService::Metrics {
    prometheus::Family<prometheus::Gauge>& messages;
    prometheus::Family<prometheus::Gauge>& queue;
    prometheus::Family<prometheus::Gauge>& oldest;
    prometheus::Family<prometheus::Histogram>& state_seconds;
    prometheus::Family<prometheus::Counter>& fees;
    prometheus::Family<prometheus::Counter>& txs;
    prometheus::Family<prometheus::Gauge>& paused;

    explicit Metrics(prometheus::Registry& r)
        : messages(prometheus::BuildGauge()
                       .Name("vigil_relayer_messages")
                       .Help("Withdrawals by route and state")
                       .Register(r)),
          queue(prometheus::BuildGauge()
                    .Name("vigil_relayer_queue_depth")
                    .Help("Withdrawals neither finalized nor failed")
                    .Register(r)),
          oldest(prometheus::BuildGauge()
                     .Name("vigil_relayer_oldest_pending_seconds")
                     .Help("Age of the oldest withdrawal neither finalized nor failed (0: none)")
                     .Register(r)),
          state_seconds(prometheus::BuildHistogram()
                            .Name("vigil_relayer_state_seconds")
                            .Help("Time a withdrawal spent in a state before leaving it")
                            .Register(r)),
          fees(prometheus::BuildCounter()
                   .Name("vigil_relayer_fees_wei_total")
                   .Help("L1 fees paid by the relayer's transactions, in wei")
                   .Register(r)),
          txs(prometheus::BuildCounter()
                  .Name("vigil_relayer_transactions_total")
                  .Help("The relayer's transactions that became final, by kind and outcome")
                  .Register(r)),
          paused(prometheus::BuildGauge()
                     .Name("vigil_relayer_paused")
                     .Help("1 while the route is paused (config or operator)")
                     .Register(r)) {}
};

struct RelayerService::Route {
    const core::RouteConfig* config = nullptr;
    const core::ChainConfig* l1 = nullptr;
    const core::ChainConfig* l2 = nullptr;
    std::unique_ptr<rpc::RpcClient> l1_rpc;
    std::unique_ptr<rpc::RpcClient> l2_rpc;
    chains::SignerLane* signer = nullptr;
    std::shared_ptr<RouteLedger> ledger = std::make_shared<RouteLedger>();
    std::unique_ptr<WithdrawalObserver> observer;
    std::unique_ptr<Prover> prover;
    std::unique_ptr<chains::Listener> listener;
    std::unique_ptr<chains::HeadSubscription> heads;
    std::atomic<bool> operator_paused{false};
    std::atomic<bool> wake{false};
    mutable std::mutex mu;  // last_error
    std::string last_error;
};

RelayerService::RelayerService(const core::Config& config, core::Store& store,
                               std::shared_ptr<prometheus::Registry> registry, core::Logger log,
                               chains::SignerPool& signers, Options options)
    : config_(config),
      store_(store),
      registry_(std::move(registry)),
      metrics_(registry_ ? std::make_unique<Metrics>(*registry_) : nullptr),
      log_(std::move(log)),
      signers_(signers),
      options_(options) {}

RelayerService::~RelayerService() {
    request_stop();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    routes_.clear();  // subscriptions and listeners before the clients they use
}

Status RelayerService::start() {
    if (config_.relayer.routes.empty())
        return fail("relayer: no routes configured (relayer.routes)");
    for (const core::RouteConfig& rc : config_.relayer.routes) {
        auto route = std::make_unique<Route>();
        Route& r = *route;
        r.config = &rc;
        r.l1 = config_.chain(rc.l1_chain);
        r.l2 = config_.chain(rc.l2_chain);
        if (!r.l1 || !r.l2)
            return fail("route " + rc.name + ": unknown chain " +
                        (r.l1 ? rc.l2_chain : rc.l1_chain));
        r.l1_rpc = std::make_unique<rpc::RpcClient>(chains::rpc_options(*r.l1));
        r.l2_rpc = std::make_unique<rpc::RpcClient>(chains::rpc_options(*r.l2));
        if (Status s = r.l1_rpc->connect(); !s.ok())
            return fail("route " + rc.name + ": L1: " + s.error().message, s.error().code);
        if (Status s = r.l2_rpc->connect(); !s.ok())
            return fail("route " + rc.name + ": L2: " + s.error().message, s.error().code);
        auto lane = signers_.lane(*r.l1, rc.signer);
        if (!lane) return fail("route " + rc.name + ": " + lane.error().message, lane.error().code);
        r.signer = *lane;
        VIGIL_TRY(auto stored_pause, store_.get(kNamespace, paused_key(rc.name)));
        r.operator_paused = stored_pause.has_value();

        core::Logger log = log_.with("route", rc.name);
        RouteSpec spec;
        spec.name = rc.name;
        spec.rollup = rc.rollup;
        spec.portal = rc.optimism_portal;
        spec.policy = rc.policy;
        Prover::Hooks hooks;
        if (metrics_) {
            Metrics* m = metrics_.get();
            const std::string name = rc.name;
            hooks.moved = [m, name](WithdrawalState from, WithdrawalState, double seconds) {
                static const prometheus::Histogram::BucketBoundaries buckets = {
                    1,   2,   5,    10,   30,       60,        120,
                    300, 600, 1800, 3600, 4 * 3600, 24 * 3600, 7 * 24 * 3600};
                m->state_seconds.Add({{"route", name}, {"state", state_name(from)}}, buckets)
                    .Observe(seconds);
            };
            hooks.tx_final = [m, name](const char* kind, const chains::TxRecord& tx) {
                m->fees.Add({{"route", name}, {"kind", kind}})
                    .Increment(wei_double(tx.effective_gas_price * eth::U256(tx.gas_used)));
                m->txs
                    .Add({{"route", name},
                          {"kind", kind},
                          {"outcome", chains::tx_state_name(tx.state)}})
                    .Increment();
            };
        }
        {
            std::lock_guard<std::mutex> lock(r.signer->mu);
            r.prover = std::make_unique<Prover>(spec, *r.l1_rpc, *r.l2_rpc, store_,
                                                *r.signer->sender, log.with("prover", rc.name),
                                                system_ms, r.ledger, std::move(hooks));
            VIGIL_CHECK(r.prover->start());
        }
        r.prover->set_paused(rc.policy.paused || r.operator_paused);
        r.prover->set_stop_flag(&stopping_);
        r.observer =
            std::make_unique<WithdrawalObserver>(rc.name, store_, log, system_ms, r.ledger);
        VIGIL_CHECK(r.observer->start());
        Route* rp = &r;
        r.observer->set_notify([this, rp]() {
            rp->wake = true;
            wake_.notify_all();
        });
        r.listener = std::make_unique<chains::Listener>(
            *r.l2, "relayer/" + rc.name, WithdrawalObserver::filter(), *r.l2_rpc, store_,
            *r.observer, log.with("listener", r.l2->name));
        if (Status s = r.listener->start(); !s.ok())
            return fail("route " + rc.name + ": " + s.error().message, s.error().code);
        const RouteCounts c = r.prover->counts();
        log.info(
            "route ready",
            {{"l2", r.l2->name},
             {"portal", rc.optimism_portal.to_hex()},
             {"signer", rc.signer},
             {"paused", rc.policy.paused || r.operator_paused.load()},
             {"pending", c.total() - c.by_state[static_cast<size_t>(WithdrawalState::finalized)] -
                             c.by_state[static_cast<size_t>(WithdrawalState::failed)]}});
        routes_.push_back(std::move(route));
    }
    for (auto& route : routes_) {
        auto heads = chains::HeadSubscription::start(*route->l2, *route->listener,
                                                     log_.with("ws", route->l2->name));
        if (!heads) return fail("route " + route->config->name + ": " + heads.error().message);
        route->heads = std::move(heads).value();
        Route* rp = route.get();
        live_ += 2;
        threads_.emplace_back([this, rp]() {
            Status s = rp->listener->run();
            --live_;
            if (!s.ok()) {
                log_.error("relayer route stopped",
                           {{"route", rp->config->name}, {"error", s.error().message}});
                {
                    std::lock_guard<std::mutex> lock(mu_);
                    if (!fatal_) fatal_ = s.error();
                }
                request_stop();
            }
        });
        threads_.emplace_back([this, rp]() {
            work(*rp);
            --live_;
        });
    }
    log_.info("relayer started", {{"routes", static_cast<uint64_t>(routes_.size())}});
    return Status{};
}

void RelayerService::work(Route& r) {
    const std::string& name = r.config->name;
    while (!stopping_) {
        std::string error;
        {
            std::lock_guard<std::mutex> lock(r.signer->mu);
            auto proved = r.prover->poll(options_.max_per_round);
            if (!proved) error = "prove round: " + proved.error().message;
            if (!stopping_) {
                auto finalized = r.prover->finalize(options_.max_per_round);
                if (!finalized && error.empty())
                    error = "finalize round: " + finalized.error().message;
            }
        }
        if (!error.empty()) log_.warn("relayer round failed", {{"route", name}, {"error", error}});
        {
            std::lock_guard<std::mutex> lock(r.mu);
            r.last_error = error;
        }
        std::unique_lock<std::mutex> lock(mu_);
        wake_.wait_for(lock, options_.round_every, [&] { return stopping_ || r.wake.load(); });
        r.wake = false;
    }
}

void RelayerService::wake() {
    for (auto& r : routes_) r->wake = true;
    wake_.notify_all();
}

void RelayerService::request_stop() {
    stopping_ = true;
    wake_.notify_all();
    for (auto& r : routes_)
        if (r->listener) r->listener->request_stop();
}

Status RelayerService::wait() {
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
    std::lock_guard<std::mutex> lock(mu_);
    if (fatal_) return *fatal_;
    return Status{};
}

RelayerService::Route* RelayerService::route(const std::string& name) const {
    for (const auto& r : routes_)
        if (r->config->name == name) return r.get();
    return nullptr;
}

std::vector<RouteStatus> RelayerService::status(bool oldest) const {
    std::vector<RouteStatus> out;
    WithdrawalStore store(store_);
    for (const auto& r : routes_) {
        RouteStatus s;
        s.name = r->config->name;
        s.counts = r->prover->counts();
        s.paused = r->prover->paused();
        s.l2 = r->listener->status();
        s.l2_socket_up = r->heads && r->heads->socket_up();
        for (WithdrawalState st : kPending) {
            if (!oldest) break;
            auto first = store.in_state(s.name, st, 1);
            if (first && !first->empty() &&
                (!s.oldest_pending_ms || first->front().observed_at_ms < *s.oldest_pending_ms))
                s.oldest_pending_ms = first->front().observed_at_ms;
        }
        {
            std::lock_guard<std::mutex> lock(r->mu);
            s.last_error = r->last_error;
        }
        out.push_back(std::move(s));
    }
    return out;
}

void RelayerService::publish_metrics() {
    if (!metrics_) return;
    const int64_t now = system_ms();
    for (const RouteStatus& s : status()) {
        uint64_t pending = 0;
        for (size_t i = 0; i < kWithdrawalStates; ++i) {
            const auto st = static_cast<WithdrawalState>(i);
            metrics_->messages.Add({{"route", s.name}, {"state", state_name(st)}})
                .Set(static_cast<double>(s.counts.by_state[i]));
            if (st != WithdrawalState::finalized && st != WithdrawalState::failed)
                pending += s.counts.by_state[i];
        }
        metrics_->queue.Add({{"route", s.name}}).Set(static_cast<double>(pending));
        metrics_->oldest.Add({{"route", s.name}})
            .Set(s.oldest_pending_ms
                     ? static_cast<double>(std::max<int64_t>(0, now - *s.oldest_pending_ms)) / 1000
                     : 0.0);
        metrics_->paused.Add({{"route", s.name}}).Set(s.paused ? 1 : 0);
    }
}

void RelayerService::add_readiness(core::Readiness& readiness) const {
    for (const auto& r : routes_) {
        const chains::Listener* listener = r->listener.get();
        const uint64_t max_lag = r->l2->max_lag_blocks;
        readiness.add("relayer/" + r->config->name, [listener, max_lag]() -> std::string {
            chains::ListenerStatus s = listener->status();
            if (!s.cursor) return "no confirmed L2 block processed yet";
            if (s.confirmed > s.cursor->number + max_lag)
                return "L2 cursor " + std::to_string(s.cursor->number) + " lags confirmed " +
                       std::to_string(s.confirmed) + " by more than " + std::to_string(max_lag);
            if (!s.last_error.empty() && s.head == 0) return s.last_error;
            return {};
        });
    }
}

Result<std::optional<WithdrawalRecord>> RelayerService::find(const eth::Hash32& hash) const {
    WithdrawalStore store(store_);
    for (const auto& r : routes_) {
        VIGIL_TRY(auto rec, store.get(r->config->name, hash));
        if (rec) return rec;
    }
    return std::optional<WithdrawalRecord>();
}

Status RelayerService::retry(const eth::Hash32& hash) {
    // One hash may name a withdrawal on several routes (the message passer's nonce is per
    // L2): every failed one is queued again.
    WithdrawalStore store(store_);
    size_t found = 0, requeued = 0;
    for (const auto& r : routes_) {
        VIGIL_TRY(auto rec, store.get(r->config->name, hash));
        if (!rec) continue;
        ++found;
        if (rec->state != WithdrawalState::failed) continue;
        if (Status s = r->prover->requeue(hash); !s.ok()) {
            if (s.error().code == kWithdrawalChanged) continue;
            return s;
        }
        ++requeued;
        log_.info("withdrawal re-queued by an operator",
                  {{"route", r->config->name}, {"withdrawal", hash.to_hex()}});
        r->wake = true;
    }
    wake_.notify_all();
    if (requeued > 0) return Status{};
    if (found > 0)
        return fail("withdrawal " + hash.to_hex() + " has not failed: nothing to retry",
                    kNotFailed);
    return fail("no withdrawal " + hash.to_hex() + " on any route", kNoSuchWithdrawal);
}

Status RelayerService::set_paused(const std::string& name, bool paused) {
    Route* r = route(name);
    if (!r) return fail("no route named '" + name + "'", kNoSuchRoute);
    if (paused)
        VIGIL_CHECK(store_.put(kNamespace, paused_key(name), "operator"));
    else
        VIGIL_CHECK(store_.erase(kNamespace, paused_key(name)));
    r->operator_paused = paused;
    r->prover->set_paused(paused || r->config->policy.paused);
    log_.warn(paused ? "route paused by an operator" : "route resumed by an operator",
              {{"route", name}});
    if (!paused && r->config->policy.paused)
        return fail("route '" + name + "' stays paused: its config says paused: true",
                    kPausedByConfig);
    r->wake = true;
    wake_.notify_all();
    return Status{};
}

}  // namespace vigil::relayer
