// The operator's side of the admin API (core/admin_api.h): one HTTP call to a running
// daemon, and the `vigil relay retry | pause | resume | list` commands built on it.
#pragma once

#include <string>
#include <vector>

#include "chains/eth/result.h"
#include "core/config.h"

namespace vigil::cmd {

// Error::code of admin_request() when no answer came back (connection refused, timeout).
// A non-2xx answer carries its HTTP status (400..599) as the code instead.
inline constexpr int kAdminUnreachable = 7100;
// Error::code when the config has no admin API or its token file cannot be read.
inline constexpr int kAdminNotConfigured = 7101;

// Sends `method` (GET | POST) to `path_and_query` (e.g. "/v1/withdrawals?limit=5") on the
// admin API of the daemon that `cfg` configures (admin.listen; an unspecified host means
// this machine), with the bearer token from admin.token_file; 10 s timeout, no proxy.
// Returns the answer's body on 2xx; otherwise an error with the server's "error" text and
// the HTTP status (code = status), or kAdminUnreachable / kAdminNotConfigured.
Result<std::string> admin_request(const core::Config& cfg, const std::string& method,
                                  const std::string& path_and_query);

// `vigil relay retry | pause | resume | list ...`; args start with the sub-command word.
// Exit codes: 0 done, 1 usage or config error, 2 daemon unreachable, 3 refused by the
// daemon (any non-2xx answer: 401, 404, 409, ...).
int run_relay_admin(const std::vector<std::string>& args);

}  // namespace vigil::cmd
