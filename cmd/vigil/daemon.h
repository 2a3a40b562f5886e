// What every long-running vigil command shares: the config, the store, logs, the
// operational HTTP endpoints (/metrics, /healthz, /readyz) and signal handling.
//
// Signals: SIGTERM/SIGINT ask the services to stop (they finish or persist what is in
// flight and return); a second signal exits at once, which loses nothing either,
// since every state change is committed atomically before it is acted upon.
#pragma once

#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/health.h"
#include "core/http_server.h"
#include "core/log.h"
#include "core/store.h"

namespace vigil::cmd {

struct Daemon {
    std::string name;  // for messages: "vigil verify"
    core::Config config;
    std::unique_ptr<core::Store> store;
    std::unique_ptr<core::Logger> log;
    std::shared_ptr<prometheus::Registry> registry;
    core::Readiness readiness;
    core::HttpServer http;

    // Loads the config (--config or VIGIL_CONFIG) and opens the store. Prints the
    // error and returns nullopt on failure.
    static std::unique_ptr<Daemon> open(const std::string& name,
                                        const std::vector<std::string>& args);
    // Blocks SIGTERM/SIGINT in this and every thread started afterwards; call before
    // starting services.
    static void block_signals();
    // Serves the operational endpoints on config.metrics_listen.
    Status serve_http();
    // Waits until a signal arrives (then calls `stop` and waits for `finished`; a second
    // signal exits at once) or `finished` turns true by itself. Calls `tick` (if set)
    // about every 250 ms meanwhile (metrics from status).
    void wait(const std::function<void()>& stop, const std::function<bool()>& finished,
              const std::function<void()>& tick = {});
};

// Which services a daemon command runs (all on the daemon's one store and signer pool).
struct ServiceSet {
    bool verifier = false;      // the verifier for every rollup (with challenges and alarms)
    bool relayer = false;       // the relayer for every route
    bool judge_routes = false;  // with relayer and no verifier: judge the routes' rollups
                                // (verdicts only: no challenges, alarms or resolutions)
};

// Runs `services` until a signal or a fatal error; the process exit code (0 stopped,
// 1 configuration or start error, 4 a fatal chain condition).
int run_services(Daemon& d, const ServiceSet& services);

}  // namespace vigil::cmd
