// run_services: the loop shared by `vigil verify`, `vigil relay` and `vigil run`.
#include <algorithm>
#include <atomic>
#include <optional>

#include "chains/chain_metrics.h"
#include "chains/rpc/json_fields.h"
#include "chains/signer.h"
#include "chains/signer_pool.h"
#include "cmd/vigil/admin_backend.h"
#include "cmd/vigil/daemon.h"
#include "core/admin_api.h"
#include "core/health.h"
#include "core/version.h"
#include "relayer/service.h"
#include "verifier/service.h"

namespace vigil::cmd {

namespace {

rpc::Json listener_json(const chains::ListenerStatus& l) {
    rpc::Json j = {{"chain", l.chain}, {"head", l.head}, {"confirmed", l.confirmed}};
    if (l.cursor) j["cursor"] = l.cursor->number;
    if (!l.last_error.empty()) j["last_error"] = l.last_error;
    return j;
}

}  // namespace

int run_services(Daemon& d, const ServiceSet& services) {
    chains::SignerPool signers(
        d.config, *d.store,
        [](const core::SignerConfig& signer) { return chains::load_signer_key(signer); },
        d.log->with("signers"), d.registry);
    std::optional<verifier::VerifierService> verifier;
    std::optional<relayer::RelayerService> relayer;
    std::atomic<relayer::RelayerService*> relayer_ptr{nullptr};  // once started, for wake-ups
    auto stop_all = [&] {
        if (relayer) relayer->request_stop();
        if (verifier) verifier->request_stop();
    };
    auto wait_all = [&]() -> Status {
        Status first;
        relayer_ptr = nullptr;
        if (relayer)
            if (Status s = relayer->wait(); !s.ok() && first.ok()) first = s;
        if (verifier)
            if (Status s = verifier->wait(); !s.ok() && first.ok()) first = s;
        return first;
    };

    if (services.verifier || services.judge_routes) {
        verifier::VerifierService::Options vo;
        if (!services.verifier) {
            vo.judge_only = true;
            for (const auto& route : d.config.relayer.routes)
                if (std::find(vo.only_rollups.begin(), vo.only_rollups.end(), route.rollup) ==
                    vo.only_rollups.end())
                    vo.only_rollups.push_back(route.rollup);
        }
        // New verdicts wake the relayer at once (it proves only against judged games).
        vo.on_commit = [&relayer_ptr]() {
            if (auto* r = relayer_ptr.load()) r->wake();
        };
        verifier.emplace(d.config, *d.store, d.registry, d.log->with("verifier"), signers, vo);
        if (Status s = verifier->start(); !s.ok()) {
            d.log->error("cannot start the verifier", {{"error", s.error().message}});
            stop_all();
            (void)wait_all();
            return 1;
        }
        verifier->add_readiness(d.readiness);
    }
    if (services.relayer) {
        relayer.emplace(d.config, *d.store, d.registry, d.log->with("relayer"), signers,
                        relayer::RelayerService::Options{});
        if (Status s = relayer->start(); !s.ok()) {
            d.log->error("cannot start the relayer", {{"error", s.error().message}});
            stop_all();
            (void)wait_all();
            return 1;
        }
        relayer->add_readiness(d.readiness);
        relayer_ptr = &*relayer;
    }
    // The admin API, on its own address, only when configured.
    auto status_json = [&]() -> std::string {
        rpc::Json out = {{"service", d.name}, {"version", core::kVersion}};
        if (verifier) {
            rpc::Json rollups = rpc::Json::array();
            for (const auto& r : verifier->status())
                rollups.push_back({{"rollup", r.stats.rollup},
                                   {"proposals", r.stats.proposals},
                                   {"valid", r.stats.valid},
                                   {"invalid", r.stats.invalid},
                                   {"pending", r.stats.pending},
                                   {"latest_verified_l2", r.stats.latest_verified_l2},
                                   {"l1", listener_json(r.l1)}});
            out["rollups"] = std::move(rollups);
        }
        if (relayer) {
            const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count();
            rpc::Json routes = rpc::Json::array();
            for (const auto& r : relayer->status()) {
                rpc::Json counts = rpc::Json::object();
                for (size_t i = 0; i < relayer::kWithdrawalStates; ++i)
                    counts[relayer::state_name(static_cast<relayer::WithdrawalState>(i))] =
                        r.counts.by_state[i];
                rpc::Json j = {{"route", r.name},
                               {"paused", r.paused},
                               {"counts", std::move(counts)},
                               {"l2", listener_json(r.l2)}};
                if (r.oldest_pending_ms)
                    j["oldest_pending_seconds"] =
                        std::max<int64_t>(0, now - *r.oldest_pending_ms) / 1000;
                if (!r.last_error.empty()) j["last_error"] = r.last_error;
                routes.push_back(std::move(j));
            }
            out["routes"] = std::move(routes);
        }
        return out.dump();
    };
    DaemonAdmin admin_backend(d.config, *d.store, relayer ? &*relayer : nullptr, status_json);
    core::AdminApi admin_api(admin_backend, d.log->with("admin"));
    core::HttpServer admin_http;
    if (d.config.admin_listen) {
        Status s = d.config.admin_token_file ? admin_api.load_token(*d.config.admin_token_file)
                                             : Status(fail("admin.listen needs admin.token_file"));
        if (s.ok()) {
            admin_api.install(admin_http);
            core::add_health_routes(admin_http, d.readiness);
            s = admin_http.start(*d.config.admin_listen);
        }
        if (!s.ok()) {
            d.log->error("cannot serve the admin API", {{"error", s.error().message}});
            stop_all();
            (void)wait_all();
            return 1;
        }
        d.log->info("serving the admin API", {{"listen", *d.config.admin_listen},
                                              {"port", static_cast<uint64_t>(admin_http.port())}});
    }
    if (Status s = d.serve_http(); !s.ok()) {
        d.log->error("cannot serve the operational endpoints", {{"error", s.error().message}});
        stop_all();
        (void)wait_all();
        return 1;
    }
    chains::ChainMetrics chain_metrics(*d.registry);
    auto running = [&] {
        return (verifier && verifier->running()) || (relayer && relayer->running());
    };
    std::chrono::steady_clock::time_point last_relayer_publish{};
    auto tick = [&] {
        std::vector<chains::ListenerStatus> listeners;
        if (verifier)
            for (const auto& r : verifier->status()) listeners.push_back(r.l1);
        if (relayer) {
            for (const auto& r : relayer->status(false)) listeners.push_back(r.l2);
            // The relayer gauges read the store (oldest pending): every 2 s is enough.
            const auto now = std::chrono::steady_clock::now();
            if (now - last_relayer_publish >= std::chrono::seconds(2)) {
                last_relayer_publish = now;
                relayer->publish_metrics();
            }
        }
        chain_metrics.publish(listeners);
        signers.poll_balances();
    };
    d.wait(
        stop_all, [&] { return !running(); }, tick);
    stop_all();
    Status s = wait_all();
    admin_http.stop();
    d.http.stop();
    if (!s.ok()) {
        d.log->error(d.name + " stopped on a fatal condition", {{"error", s.error().message}});
        return 4;
    }
    d.log->info(d.name + " stopped");
    return 0;
}

}  // namespace vigil::cmd
