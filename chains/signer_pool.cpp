#include "chains/signer_pool.h"

#include <cmath>

#include "chains/chain_clients.h"
#include "chains/rpc/json_fields.h"

namespace vigil::chains {
namespace {

double as_double(const eth::U256& v) {
    double out = 0;
    for (int i = 3; i >= 0; --i)
        out = out * 18446744073709551616.0 + static_cast<double>(v.limbs[i]);
    return out;
}

}  // namespace

SignerPool::SignerPool(const core::Config& config, core::Store& store, KeyLoader keys,
                       core::Logger log, std::shared_ptr<prometheus::Registry> registry)
    : config_(config),
      store_(store),
      keys_(std::move(keys)),
      log_(std::move(log)),
      registry_(std::move(registry)) {
    if (registry_)
        balance_ = &prometheus::BuildGauge()
                        .Name("vigil_signer_balance_wei")
                        .Help("The signer's balance on the chain it sends on, in wei")
                        .Register(*registry_);
}

SignerPool::~SignerPool() = default;

Result<SignerLane*> SignerPool::lane(const core::ChainConfig& chain, const std::string& name) {
    const std::string id = chain.name + "/" + name;
    if (auto it = lanes_.find(id); it != lanes_.end()) return it->second.get();
    auto sc = config_.signers.find(name);
    if (sc == config_.signers.end()) return fail("signer '" + name + "' is not configured");
    auto key = keys_ ? keys_(sc->second) : Result<eth::PrivateKey>(fail("no key loader"));
    if (!key) return fail("signer '" + name + "': " + key.error().message, key.error().code);
    auto lane = std::make_unique<SignerLane>();
    lane->signer = name;
    lane->chain = &chain;
    lane->low_balance_wei = sc->second.low_balance_wei;
    lane->rpc = std::make_unique<rpc::RpcClient>(rpc_options(chain));
    if (Status s = lane->rpc->connect(); !s.ok())
        return fail("signer '" + name + "' on " + chain.name + ": " + s.error().message,
                    s.error().code);
    SenderOptions so;
    so.chain_id = chain.chain_id;
    so.confirmations = chain.finality.kind == core::Finality::Kind::confirmations
                           ? std::max<uint64_t>(1, chain.finality.confirmations)
                           : 1;
    lane->sender = std::make_unique<Sender>(chain.name, *lane->rpc, store_, std::move(key).value(),
                                            so, log_.with("sender", chain.name));
    if (Status s = lane->sender->start(); !s.ok())
        return fail("signer '" + name + "' on " + chain.name + ": " + s.error().message,
                    s.error().code);
    log_.info("signer ready", {{"signer", name},
                               {"chain", chain.name},
                               {"address", lane->sender->address().to_checksum_hex()}});
    SignerLane* out = lane.get();
    lanes_.emplace(id, std::move(lane));
    return out;
}

void SignerPool::poll_balances(std::chrono::milliseconds every) {
    const auto now = std::chrono::steady_clock::now();
    for (auto& [id, lane] : lanes_) {
        if (lane->balance_at != std::chrono::steady_clock::time_point{} &&
            now - lane->balance_at < every)
            continue;
        Result<rpc::Json> answer = fail("unset");
        {
            // The caller's thread also handles signals: never wait for a round of sends
            // that holds the lane; try again on the next call.
            std::unique_lock<std::mutex> lock(lane->mu, std::try_to_lock);
            if (!lock.owns_lock()) continue;
            lane->balance_at = now;
            answer = lane->rpc->call(
                "eth_getBalance", rpc::Json::array({lane->sender->address().to_hex(), "latest"}));
        }
        Result<eth::U256> wei = fail("eth_getBalance: the answer is not a hex quantity");
        if (!answer)
            wei = answer.error();
        else if (answer->is_string())
            wei = eth::U256::from_string(answer->get<std::string>());
        if (!wei) {
            log_.warn("cannot read the signer's balance", {{"signer", lane->signer},
                                                           {"chain", lane->chain->name},
                                                           {"error", wei.error().message}});
            continue;
        }
        if (balance_)
            balance_->Add({{"chain", lane->chain->name}, {"signer", lane->signer}})
                .Set(as_double(*wei));
        const bool low = *wei < lane->low_balance_wei;
        if (low && !lane->low)
            log_.warn("signer balance is low: top it up before its transactions stall",
                      {{"signer", lane->signer},
                       {"chain", lane->chain->name},
                       {"balance_wei", wei->to_dec()},
                       {"low_balance_wei", lane->low_balance_wei.to_dec()}});
        else if (!low && lane->low)
            log_.info("signer balance is back above its threshold",
                      {{"signer", lane->signer},
                       {"chain", lane->chain->name},
                       {"balance_wei", wei->to_dec()}});
        lane->low = low;
    }
}

}  // namespace vigil::chains
