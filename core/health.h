// Operational endpoints: /metrics (Prometheus text format from a prometheus-cpp
// registry), /healthz (the process is alive and serving) and /readyz (every registered
// check passes: chains connected and within their lag threshold, store open, ...).
#pragma once

#include <prometheus/registry.h>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "core/http_server.h"

namespace vigil::core {

// Renders a registry in the Prometheus text exposition format (0.0.4).
std::string render_metrics(prometheus::Registry& registry);

// Readiness checks by name. Each check returns an empty string when ready, else why not.
// Thread-safe.
class Readiness {
  public:
    using Check = std::function<std::string()>;
    void add(const std::string& name, Check check);
    // {ready, JSON object of name -> "ok" | reason}.
    std::pair<bool, std::string> evaluate() const;

  private:
    mutable std::mutex mu_;
    std::map<std::string, Check> checks_;
};

// Adds /healthz and /readyz to `server` (also served on the admin address). `readiness`
// must outlive it.
void add_health_routes(HttpServer& server, const Readiness& readiness);

// Adds /metrics, /healthz and /readyz to `server`. `registry` and `readiness` must
// outlive it.
void add_operational_routes(HttpServer& server, std::shared_ptr<prometheus::Registry> registry,
                            const Readiness& readiness);

}  // namespace vigil::core
