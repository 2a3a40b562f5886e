// Reading a daemon's operational endpoints from tests, benches and the demo: a plain HTTP
// GET on loopback and the sum of a metric's samples in a Prometheus text page.
#pragma once

#include <cstdint>
#include <string>

namespace vigil::testing {

// GET http://127.0.0.1:<port><path> (2 s timeout). The body, or empty when the request
// failed; `status` (if given) gets the HTTP status, 0 on failure.
std::string http_get(uint16_t port, const std::string& path, long* status = nullptr);

// The sum of every sample of `name` (any label set) whose line contains `label_filter`
// (e.g. `verdict="valid"`); 0 when there is none.
double metric_sum(const std::string& page, const std::string& name,
                  const std::string& label_filter = "");

}  // namespace vigil::testing
