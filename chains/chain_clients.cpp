#include "chains/chain_clients.h"

namespace vigil::chains {

rpc::RpcClientOptions rpc_options(const core::ChainConfig& chain) {
    rpc::RpcClientOptions o;
    o.chain = chain.name;
    o.urls = chain.rpc;
    o.expected_chain_id = chain.chain_id;
    o.timeout = std::chrono::milliseconds(chain.request_timeout_ms);
    o.requests_per_second = chain.requests_per_second;
    return o;
}

}  // namespace vigil::chains
