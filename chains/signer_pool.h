// SignerPool: one Sender per (chain, signer) for the whole process. The verifier's
// challenger and the relayer's routes may send with the same key on the same L1; two
// Senders for one key would race for nonces, so every user of a key on a chain gets the
// same lane and holds its mutex around every use of its Sender.
//
// The pool also watches each lane's balance (vigil_signer_balance_wei{chain,signer}) and
// warns when it falls below the signer's low_balance_eth.
//
// Thread-safety: lane() from the owner thread while starting; poll_balances() from one
// thread; a lane's Sender only under the lane's mutex.
#pragma once

#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "chains/eth/secp256k1.h"
#include "chains/rpc/http_client.h"
#include "chains/sender.h"
#include "core/config.h"
#include "core/log.h"
#include "core/store.h"

namespace vigil::chains {

struct SignerLane {
    std::string signer;
    const core::ChainConfig* chain = nullptr;
    eth::U256 low_balance_wei;
    std::unique_ptr<rpc::RpcClient> rpc;
    std::unique_ptr<Sender> sender;
    std::mutex mu;  // one nonce sequence: every use of `sender` holds it
    bool low = false;
    std::chrono::steady_clock::time_point balance_at{};
};

class SignerPool {
  public:
    using KeyLoader = std::function<Result<eth::PrivateKey>(const core::SignerConfig&)>;

    // `config` and `store` must outlive the pool; `registry` may be null (no metrics).
    SignerPool(const core::Config& config, core::Store& store, KeyLoader keys, core::Logger log,
               std::shared_ptr<prometheus::Registry> registry);
    ~SignerPool();
    SignerPool(const SignerPool&) = delete;
    SignerPool& operator=(const SignerPool&) = delete;

    // The lane of `signer` on `chain`, created (key loaded, Sender started) on first use.
    // Errors name the signer, never the key.
    Result<SignerLane*> lane(const core::ChainConfig& chain, const std::string& signer);

    // Reads every lane's balance (at most once per `every`), publishes it and warns once
    // per crossing below the lane's threshold. Never blocks on a lane in use (it is read
    // on a later call). Errors are logged, not returned.
    void poll_balances(std::chrono::milliseconds every = std::chrono::seconds(15));

  private:
    const core::Config& config_;
    core::Store& store_;
    KeyLoader keys_;
    core::Logger log_;
    std::shared_ptr<prometheus::Registry> registry_;
    prometheus::Family<prometheus::Gauge>* balance_ = nullptr;
    std::map<std::string, std::unique_ptr<SignerLane>> lanes_;  // by "chain/signer"
};

}  // namespace vigil::chains
