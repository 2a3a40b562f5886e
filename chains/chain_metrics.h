// Chain metrics from the listeners' status: vigil_chain_head_block{chain},
// vigil_chain_confirmed_block{chain} and vigil_chain_lag_blocks{chain} (how far the
// slowest consumer's cursor is behind the confirmed height), published by the daemon
// every few hundred milliseconds.
//
// Thread-safety: publish() from one thread at a time.
#pragma once

#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <vector>

#include "chains/listener.h"

namespace vigil::chains {

class ChainMetrics {
  public:
    explicit ChainMetrics(prometheus::Registry& registry);
    // Several listeners may follow one chain (one per consumer): the head and confirmed
    // height are the highest seen, the lag the largest.
    void publish(const std::vector<ListenerStatus>& listeners);

  private:
    prometheus::Family<prometheus::Gauge>& head_;
    prometheus::Family<prometheus::Gauge>& confirmed_;
    prometheus::Family<prometheus::Gauge>& lag_;
};

}  // namespace vigil::chains
