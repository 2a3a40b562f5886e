// The RPC client settings of a configured chain, so that every component talks to a
// chain the same way (endpoints in failover order, its chain id checked, its timeout
// and request rate).
#pragma once

#include "chains/rpc/http_client.h"
#include "core/config.h"

namespace vigil::chains {

rpc::RpcClientOptions rpc_options(const core::ChainConfig& chain);

}  // namespace vigil::chains
