// RelayerService: the relayer half of `vigil relay` / `vigil run`. For every route of
// relayer.routes:
//  - an L2 listener (cursor "relayer/<route>") feeding a WithdrawalObserver, with a
//    WebSocket head subscription and polling fallback;
//  - a worker thread running the route's Prover: prove and finalize rounds every
//    `round_every` (sooner when the observer commits new withdrawals), holding the
//    signer lane's lock for the round, since routes (and the verifier's challenger) that
//    send with one key on one L1 share one Sender.
// The verdicts that gate the proofs are the VerdictStore's, written by the VerifierService
// running in the same process on the same store.
//
// Pausing: a route is paused by its config (policy.paused) or by an operator through the
// admin API (persisted, so a restart keeps it paused); resume clears the operator's flag
// only. Paused routes keep observing and following what is in flight, and send nothing.
//
// Metrics (names in ARCHITECTURE.md's conventions):
//   vigil_relayer_messages{route,state}         withdrawals by state (gauge)
//   vigil_relayer_queue_depth{route}            withdrawals not finalized nor failed
//   vigil_relayer_oldest_pending_seconds{route} age of the oldest of those (0: none)
//   vigil_relayer_state_seconds{route,state}    time spent in a state (histogram)
//   vigil_relayer_fees_wei_total{route,kind}    L1 fees of our prove/finalize transactions
//   vigil_relayer_transactions_total{route,kind,outcome}
//   vigil_relayer_paused{route}                 1 while paused
//
// Thread-safety: start(), request_stop() and wait() from the owner thread; status(),
// publish_metrics(), retry(), set_paused() and request_stop() from any thread.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "chains/listener.h"
#include "core/config.h"
#include "core/health.h"
#include "core/log.h"
#include "core/store.h"
#include "relayer/prover.h"
#include "relayer/withdrawals.h"

namespace vigil::chains {
class HeadSubscription;
class SignerPool;
struct SignerLane;
}  // namespace vigil::chains

namespace vigil::relayer {

// Error::code values of the service's operator calls.
enum RelayerError : int {
    kNoSuchWithdrawal = 4201,
    kNotFailed = 4202,  // retry of a withdrawal that is not failed
    kNoSuchRoute = 4203,
    kPausedByConfig = 4204,  // resume of a route the config pauses
};

struct RouteStatus {
    std::string name;
    RouteCounts counts;
    bool paused = false;
    chains::ListenerStatus l2;
    bool l2_socket_up = false;
    std::optional<int64_t> oldest_pending_ms;  // observed_at of the oldest pending one
    std::string last_error;                    // of the last round, if it failed
};

class RelayerService {
  public:
    struct Options {
        std::chrono::milliseconds round_every{500};
        size_t max_per_round = 64;
    };

    // All references must outlive the service; `registry` may be null (no metrics).
    RelayerService(const core::Config& config, core::Store& store,
                   std::shared_ptr<prometheus::Registry> registry, core::Logger log,
                   chains::SignerPool& signers, Options options);
    ~RelayerService();
    RelayerService(const RelayerService&) = delete;
    RelayerService& operator=(const RelayerService&) = delete;

    // Connects the clients (chain ids checked), loads the signers, starts the listeners
    // and workers. An error names the route, chain or signer.
    Status start();
    void request_stop();
    // Until every listener and worker has stopped; the first fatal error, if any.
    Status wait();
    bool running() const { return live_ > 0; }

    // With `oldest`, also the oldest pending withdrawal of each route (a few store reads).
    std::vector<RouteStatus> status(bool oldest = true) const;
    // Sets the relayer gauges from the routes' counts and oldest pending withdrawals.
    void publish_metrics();
    // /readyz: each route's L2 listener within its chain's lag threshold.
    void add_readiness(core::Readiness& readiness) const;

    // Starts a round on every route now (e.g. new verdicts were committed). Thread-safe.
    void wake();

    // Operator calls (admin API). retry: a failed withdrawal (any route) back to observed,
    // attempts reset. set_paused: see the header comment.
    Status retry(const eth::Hash32& hash);
    Status set_paused(const std::string& route, bool paused);
    // The withdrawal `hash` of any route.
    Result<std::optional<WithdrawalRecord>> find(const eth::Hash32& hash) const;

  private:
    struct Route;
    struct Metrics;
    void work(Route& route);
    Route* route(const std::string& name) const;

    const core::Config& config_;
    core::Store& store_;
    std::shared_ptr<prometheus::Registry> registry_;
    std::unique_ptr<Metrics> metrics_;
    core::Logger log_;
    chains::SignerPool& signers_;
    Options options_;
    std::vector<std::unique_ptr<Route>> routes_;
    std::vector<std::thread> threads_;
    std::atomic<int> live_{0};
    std::atomic<bool> stopping_{false};
    mutable std::mutex mu_;
    std::condition_variable wake_;
    std::optional<Error> fatal_;
};

}  // namespace vigil::relayer
