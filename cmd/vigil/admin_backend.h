// DaemonAdmin: the daemon's side of the admin API (core/admin_api.h): withdrawals and
// route controls from the RelayerService (when the relayer runs), verdicts from the store.
//
// Thread-safety: as AdminBackend requires (the services and the store are thread-safe
// for these calls).
#pragma once

#include <functional>
#include <string>

#include "core/admin_api.h"
#include "core/config.h"
#include "core/store.h"

namespace vigil::relayer {
class RelayerService;
}

namespace vigil::cmd {

class DaemonAdmin : public core::AdminBackend {
  public:
    // `relayer` may be null (a verifier-only daemon: withdrawal calls answer 404).
    // `status_json` renders the daemon's status object.
    DaemonAdmin(const core::Config& config, core::Store& store, relayer::RelayerService* relayer,
                std::function<std::string()> status_json);

    Result<std::string> status() override;
    // Pending and failed withdrawals (finalized ones only when `state` asks for them),
    // oldest L2 block first per state.
    Result<std::string> list_withdrawals(const std::string& route, const std::string& state,
                                         size_t limit) override;
    Result<std::string> get_withdrawal(const std::string& hash) override;
    Result<std::string> list_verdicts(const std::string& rollup, size_t limit) override;
    Status retry_withdrawal(const std::string& hash) override;
    Status set_route_paused(const std::string& route, bool paused) override;

  private:
    const core::Config& config_;
    core::Store& store_;
    relayer::RelayerService* relayer_;
    std::function<std::string()> status_json_;
};

}  // namespace vigil::cmd
