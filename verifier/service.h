// VerifierService: the `vigil verify` daemon. For every rollup of `verifier.rollups` it
// runs one L1 listener (its own cursor) feeding a ProposalWatcher, an L2 client for the
// output roots, and, with `challenge: true`, a Challenger that attacks invalid games and
// resolves games whose clocks ran out. Alarms go through one durable webhook outbox.
//
// Signers come from the process's SignerPool: rollups (and relayer routes) that send on
// the same L1 with the same signer share one Sender (one nonce sequence), used under its
// lane's lock.
//
// Judge-only mode (Options::judge_only, for `vigil relay`): the proposals are judged and
// the verdicts stored, which is what gates the relayer, but nothing is challenged,
// resolved or alarmed: that is the job of the `vigil verify` process, so that two
// processes never send with one key or raise one alarm twice.
//
// Thread-safety: start(), request_stop() and wait() from the owner thread; status() and
// request_stop() from any thread.
#pragma once

#include <prometheus/registry.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "chains/eth/secp256k1.h"
#include "chains/listener.h"
#include "core/config.h"
#include "core/health.h"
#include "core/log.h"
#include "core/store.h"
#include "verifier/watcher.h"

namespace vigil::chains {
class HeadSubscription;
class Sender;
class SignerPool;
struct SignerLane;
class WebhookOutbox;
}  // namespace vigil::chains

namespace vigil::verifier {

class Challenger;

struct RollupStatus {
    RollupStats stats;
    chains::ListenerStatus l1;
    bool l1_socket_up = false;
};

class VerifierService {
  public:
    struct Options {
        ProposalWatcher::Options watcher;
        // Judge and store verdicts only: no challenges, resolutions or alarms.
        bool judge_only = false;
        // The rollups to follow (by name); empty: every rollup of verifier.rollups.
        std::vector<std::string> only_rollups;
        // Called (on a listener thread) after each committed batch of a rollup's L1
        // listener, e.g. to wake the relayer when new verdicts may be in the store.
        std::function<void()> on_commit;
        // How often games are checked for resolution and bonds (per rollup).
        std::chrono::milliseconds resolve_every{2000};
    };

    // All references must outlive the service.
    VerifierService(const core::Config& config, core::Store& store,
                    std::shared_ptr<prometheus::Registry> registry, core::Logger log,
                    chains::SignerPool& signers, Options options);
    ~VerifierService();
    VerifierService(const VerifierService&) = delete;
    VerifierService& operator=(const VerifierService&) = delete;

    // Connects every client (chain ids checked), loads signers, starts the listeners.
    // An error names the rollup, chain or signer.
    Status start();
    void request_stop();
    // Until every listener has stopped; the first fatal error, if any.
    Status wait();
    // True while some rollup is still being followed.
    bool running() const { return live_ > 0; }

    std::vector<RollupStatus> status() const;
    // /readyz checks: each rollup's L1 listener within its chain's lag threshold.
    void add_readiness(core::Readiness& readiness) const;

  private:
    struct Lane;

    const core::Config& config_;
    core::Store& store_;
    std::shared_ptr<prometheus::Registry> registry_;
    std::shared_ptr<VerifierMetrics> metrics_;
    core::Logger log_;
    chains::SignerPool& signers_;
    Options options_;
    std::unique_ptr<chains::WebhookOutbox> outbox_;
    std::vector<std::unique_ptr<Lane>> lanes_;
    std::vector<std::thread> threads_;
    std::atomic<int> live_{0};
    std::atomic<bool> stop_reexecution_{false};
    mutable std::mutex mu_;
    std::optional<Error> fatal_;
};

}  // namespace vigil::verifier
