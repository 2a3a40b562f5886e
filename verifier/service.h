// VerifierService: the `vigil verify` daemon. For every rollup of `verifier.rollups` it
// runs one L1 listener (its own cursor) feeding a ProposalWatcher, an L2 client for the
// output roots, and, with `challenge: true`, a Challenger that attacks invalid games and
// resolves games whose clocks ran out. Alarms go through one durable webhook outbox.
//
// Signers are shared: rollups that challenge on the same L1 with the same signer share
// one Sender (one nonce sequence), used under a lock.
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
    using KeyLoader = std::function<Result<eth::PrivateKey>(const core::SignerConfig&)>;

    struct Options {
        ProposalWatcher::Options watcher;
        // How often games are checked for resolution and bonds (per rollup).
        std::chrono::milliseconds resolve_every{2000};
    };

    // All references must outlive the service.
    VerifierService(const core::Config& config, core::Store& store,
                    std::shared_ptr<prometheus::Registry> registry, core::Logger log,
                    KeyLoader keys, Options options);
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
    struct SignerLane;
    struct Lane;
    Result<SignerLane*> signer_lane(const core::ChainConfig& l1, const std::string& signer);

    const core::Config& config_;
    core::Store& store_;
    std::shared_ptr<prometheus::Registry> registry_;
    std::shared_ptr<VerifierMetrics> metrics_;
    core::Logger log_;
    KeyLoader keys_;
    Options options_;
    std::unique_ptr<chains::WebhookOutbox> outbox_;
    std::map<std::string, std::unique_ptr<SignerLane>> signers_;  // by "chain/signer"
    std::vector<std::unique_ptr<Lane>> lanes_;
    std::vector<std::thread> threads_;
    std::atomic<int> live_{0};
    mutable std::mutex mu_;
    std::optional<Error> fatal_;
};

}  // namespace vigil::verifier
