// run_services: the loop shared by `vigil verify`, `vigil relay` and `vigil run`.
#include <algorithm>
#include <optional>

#include "chains/chain_metrics.h"
#include "chains/signer.h"
#include "chains/signer_pool.h"
#include "cmd/vigil/daemon.h"
#include "relayer/service.h"
#include "verifier/service.h"

namespace vigil::cmd {

int run_services(Daemon& d, const ServiceSet& services) {
    chains::SignerPool signers(
        d.config, *d.store,
        [](const core::SignerConfig& signer) { return chains::load_signer_key(signer); },
        d.log->with("signers"), d.registry);
    std::optional<verifier::VerifierService> verifier;
    std::optional<relayer::RelayerService> relayer;
    auto stop_all = [&] {
        if (relayer) relayer->request_stop();
        if (verifier) verifier->request_stop();
    };
    auto wait_all = [&]() -> Status {
        Status first;
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
    auto tick = [&] {
        std::vector<chains::ListenerStatus> listeners;
        if (verifier)
            for (const auto& r : verifier->status()) listeners.push_back(r.l1);
        if (relayer) {
            for (const auto& r : relayer->status()) listeners.push_back(r.l2);
            relayer->publish_metrics();
        }
        chain_metrics.publish(listeners);
        signers.poll_balances();
    };
    d.wait(stop_all, [&] { return !running(); }, tick);
    stop_all();
    Status s = wait_all();
    d.http.stop();
    if (!s.ok()) {
        d.log->error(d.name + " stopped on a fatal condition", {{"error", s.error().message}});
        return 4;
    }
    d.log->info(d.name + " stopped");
    return 0;
}

}  // namespace vigil::cmd
