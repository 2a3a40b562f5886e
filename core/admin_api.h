// AdminApi: the operator's HTTP API of the daemon (issue 7), served on its own address
// (admin.listen, never the metrics port) and only when configured.
//
// Endpoints (JSON in, JSON out; errors are {"error": "..."} with 400/401/404/405/409/500):
//   GET  /v1/status                                   AdminBackend::status
//   GET  /v1/withdrawals?route=&state=&limit=         list_withdrawals (limit 1..1000, 100)
//   GET  /v1/withdrawals?hash=0x..  or
//   GET  /v1/withdrawals/<hash>                       get_withdrawal
//   GET  /v1/verdicts?rollup=&limit=                  list_verdicts
//   POST /v1/withdrawals/<hash>/retry                 retry_withdrawal
//   POST /v1/routes/<route>/pause                     set_route_paused(route, true)
//   POST /v1/routes/<route>/resume                    set_route_paused(route, false)
//
// Every request, reads included (withdrawal data is operator data), needs
// "Authorization: Bearer <token>", the token being read once from a file. Input is
// validated before the backend sees it: a hash is 0x + 64 hex digits (passed on in lower
// case), a route/rollup/state name is 1..64 of [A-Za-z0-9._-]; query strings and path
// segments are percent-decoded first; unknown or repeated query parameters are refused.
//
// Audit trail: every mutating call (whatever its outcome) and every refused
// authentication is logged with the fields audit=true, action, target, outcome. The token,
// and whatever a client presented as one, never reaches a log line or an answer.
#pragma once

#include <array>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "chains/eth/result.h"
#include "core/http_server.h"
#include "core/log.h"

namespace vigil::core {

// Error codes an AdminBackend returns (Error::code) to choose the HTTP status; any other
// code answers 500.
enum AdminError : int {
    kAdminNotFound = 7001,    // 404: no such withdrawal / route / rollup
    kAdminBadRequest = 7002,  // 400: e.g. an unknown state name
    kAdminConflict = 7003,    // 409: e.g. retrying a withdrawal that has not failed
};

// What the admin API exposes. The daemon implements it. Thread-safe: methods are called
// from HTTP connection threads, possibly concurrently. Arguments arrive validated (see
// the file comment); an empty filter means "all".
class AdminBackend {
  public:
    virtual ~AdminBackend() = default;

    // A JSON object: the daemon's state in brief (routes, chains, counts).
    virtual Result<std::string> status() = 0;
    // A JSON array of withdrawal objects, newest first, at most `limit`.
    virtual Result<std::string> list_withdrawals(const std::string& route, const std::string& state,
                                                 size_t limit) = 0;
    // A JSON object for one withdrawal (lower-case 0x hash); kAdminNotFound if unknown.
    virtual Result<std::string> get_withdrawal(const std::string& hash) = 0;
    // A JSON array of verdicts, newest first, at most `limit`; `rollup` empty = all.
    virtual Result<std::string> list_verdicts(const std::string& rollup, size_t limit) = 0;
    // Queues a failed withdrawal again. kAdminNotFound if unknown, kAdminConflict if it
    // is not in a failed state.
    virtual Status retry_withdrawal(const std::string& hash) = 0;
    // Pauses or resumes a relayer route; kAdminNotFound if there is no such route.
    virtual Status set_route_paused(const std::string& route, bool paused) = 0;
};

inline constexpr size_t kAdminDefaultLimit = 100;
inline constexpr size_t kAdminMaxLimit = 1000;
// A bearer token must be at least this long (16 random characters ≥ 80 bits even from a
// base32 alphabet: out of reach of guessing over HTTP).
inline constexpr size_t kAdminMinTokenLength = 16;

// The API's input rules, shared with its client: a route / rollup / state name is 1..64
// of [A-Za-z0-9._-]; a withdrawal hash is 0x + 64 hex digits, returned in lower case
// (nullopt if malformed).
bool is_admin_name(std::string_view text);
std::optional<std::string> normalize_withdrawal_hash(std::string_view text);

// Reads the admin bearer token from `file`: a regular file with no access for others and
// no write access for the group (group read is allowed: Kubernetes mounts secrets as
// root:fsGroup 0440), at most 4 KiB, trimmed of surrounding whitespace, at least
// kAdminMinTokenLength printable characters without spaces. Errors name the path, never
// the content.
Result<std::string> read_admin_token(const std::filesystem::path& file);

class AdminApi {
  public:
    // `backend` must outlive the API and the server it is installed in.
    AdminApi(AdminBackend& backend, Logger log);

    // Reads the token (read_admin_token); keeps only its SHA-256. Call before install().
    // Until it succeeds every request is refused with 401.
    Status load_token(const std::filesystem::path& file);

    // Routes /v1/... on `server` to this API. `server` must not outlive the API.
    void install(HttpServer& server);

    // Answers one request (what install() routes); thread-safe.
    HttpResponse handle(const HttpRequest& request) const;

  private:
    bool authorized(const HttpRequest& request, std::string& why_not) const;
    HttpResponse mutate(const std::string& action, const std::string& target,
                        const std::string& done, const Status& outcome) const;

    AdminBackend& backend_;
    Logger log_;
    bool has_token_ = false;
    std::array<unsigned char, 32> token_digest_{};
};

}  // namespace vigil::core
