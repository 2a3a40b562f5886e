#include "chains/chain_metrics.h"

#include <algorithm>
#include <map>

namespace vigil::chains {

ChainMetrics::ChainMetrics(prometheus::Registry& r)
    : head_(prometheus::BuildGauge()
                .Name("vigil_chain_head_block")
                .Help("Latest block number the node announced")
                .Register(r)),
      confirmed_(prometheus::BuildGauge()
                     .Name("vigil_chain_confirmed_block")
                     .Help("Highest block that passes the chain's finality rule")
                     .Register(r)),
      lag_(prometheus::BuildGauge()
               .Name("vigil_chain_lag_blocks")
               .Help("Confirmed blocks not yet processed by the slowest consumer")
               .Register(r)) {}

void ChainMetrics::publish(const std::vector<ListenerStatus>& listeners) {
    struct Agg {
        uint64_t head = 0, confirmed = 0, lag = 0;
        bool known = false;
    };
    std::map<std::string, Agg> by_chain;
    for (const ListenerStatus& s : listeners) {
        Agg& a = by_chain[s.chain];
        if (s.head == 0) continue;  // no answer from the node yet
        a.known = true;
        a.head = std::max(a.head, s.head);
        a.confirmed = std::max(a.confirmed, s.confirmed);
        const uint64_t cursor = s.cursor ? s.cursor->number : 0;
        a.lag = std::max(a.lag, s.confirmed > cursor ? s.confirmed - cursor : 0);
    }
    for (const auto& [chain, a] : by_chain) {
        if (!a.known) continue;
        const prometheus::Labels l = {{"chain", chain}};
        head_.Add(l).Set(static_cast<double>(a.head));
        confirmed_.Add(l).Set(static_cast<double>(a.confirmed));
        lag_.Add(l).Set(static_cast<double>(a.lag));
    }
}

}  // namespace vigil::chains
