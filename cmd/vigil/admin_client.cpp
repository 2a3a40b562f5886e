// `vigil relay retry | pause | resume | list`: operator commands over the daemon's admin
// API (see admin_client.h).
#include "cmd/vigil/admin_client.h"

#include <curl/curl.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>

#include "cmd/vigil/commands.h"
#include "core/admin_api.h"
#include "core/http_server.h"

namespace vigil::cmd {
namespace {

constexpr long kTimeoutMs = 10'000;
constexpr long kConnectTimeoutMs = 3'000;
// Listings are bounded by the API (1000 entries); a bigger answer is not the daemon's.
constexpr size_t kMaxAnswerBytes = 64 << 20;

void global_curl_init() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

struct CurlDeleter {
    void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
struct SlistDeleter {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

size_t collect(char* data, size_t size, size_t count, void* user) {
    auto* out = static_cast<std::string*>(user);
    const size_t n = size * count;
    if (out->size() + n > kMaxAnswerBytes) return 0;  // aborts the transfer
    out->append(data, n);
    return n;
}

// The base URL for admin.listen: an unspecified host (all interfaces) means this machine.
Result<std::string> base_url(const std::string& listen) {
    VIGIL_TRY(auto host_port, core::parse_listen_address(listen));
    std::string host = host_port.first;
    if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
    if (host == "::") host = "::1";
    if (host.find(':') != std::string::npos) host = "[" + host + "]";
    return "http://" + host + ":" + std::to_string(host_port.second);
}

// The server's {"error": "..."} text, else the start of the body.
std::string error_text(const std::string& body) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_object() && j.contains("error") && j["error"].is_string())
        return j["error"].get<std::string>();
    std::string text = body.substr(0, 200);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    return text.empty() ? "no details" : text;
}

void print_usage(std::ostream& out) {
    out << "usage: vigil relay retry  --config FILE --withdrawal HASH\n"
           "       vigil relay pause  --config FILE --route NAME\n"
           "       vigil relay resume --config FILE --route NAME\n"
           "       vigil relay list   --config FILE [--route NAME] [--state STATE] [--limit N]\n"
           "  Ask a running daemon through its admin API (admin.listen in the config, bearer\n"
           "  token from admin.token_file): queue a failed withdrawal again, pause or resume a\n"
           "  route, list withdrawals (JSON, newest first, limit 1..1000, default 100).\n"
           "  VIGIL_CONFIG=FILE may replace --config.\n"
           "  exit: 0 done, 1 usage or config error, 2 daemon unreachable, 3 refused by the\n"
           "  daemon (unknown withdrawal or route, not failed, bad token, ...)\n";
}

}  // namespace

Result<std::string> admin_request(const core::Config& cfg, const std::string& method,
                                  const std::string& path_and_query) {
    if (!cfg.admin_listen || !cfg.admin_token_file)
        return fail(
            "no admin API in " + cfg.source.string() + " (set admin.listen and admin.token_file)",
            kAdminNotConfigured);
    if (method != "GET" && method != "POST")
        return fail("admin request: method " + method + " not supported", kAdminNotConfigured);
    auto base = base_url(*cfg.admin_listen);
    if (!base) return fail(base.error().message, kAdminNotConfigured);
    auto token = core::read_admin_token(*cfg.admin_token_file);
    if (!token) return fail(token.error().message, kAdminNotConfigured);
    std::string auth_header = "Authorization: Bearer " + *token;
    OPENSSL_cleanse(token->data(), token->size());

    global_curl_init();
    std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
    if (!curl) {
        OPENSSL_cleanse(auth_header.data(), auth_header.size());
        return fail("admin request: curl_easy_init failed", kAdminUnreachable);
    }
    const std::string url = *base + path_and_query;
    std::unique_ptr<curl_slist, SlistDeleter> headers(
        curl_slist_append(nullptr, auth_header.c_str()));
    OPENSSL_cleanse(auth_header.data(), auth_header.size());
    std::string body;
    char error_buffer[CURL_ERROR_SIZE] = {};
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http");
    // The token must go to the daemon only, never through an http_proxy from the env.
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, kTimeoutMs);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error_buffer);
    if (method == "POST") {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
    }
    const CURLcode rc = curl_easy_perform(c);
    // The slist holds a copy of the header; wipe it before it is freed.
    for (curl_slist* h = headers.get(); h; h = h->next)
        OPENSSL_cleanse(h->data, std::strlen(h->data));
    if (rc != CURLE_OK) {
        const std::string detail = error_buffer[0] ? error_buffer : curl_easy_strerror(rc);
        return fail("admin API at " + *cfg.admin_listen + " unreachable: " + detail,
                    kAdminUnreachable);
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299)
        return fail(error_text(body) + " (HTTP " + std::to_string(status) + ")",
                    static_cast<int>(status));
    return body;
}

int run_relay_admin(const std::vector<std::string>& args) {
    for (const auto& a : args)
        if (a == "--help" || a == "-h") {
            print_usage(std::cout);
            return 0;
        }
    if (args.empty()) {
        print_usage(std::cerr);
        return 1;
    }
    const std::string sub = args[0];
    const std::string prefix = "vigil relay " + sub + ": ";
    const std::map<std::string, std::vector<std::string>> allowed = {
        {"retry", {"--config", "--withdrawal"}},
        {"pause", {"--config", "--route"}},
        {"resume", {"--config", "--route"}},
        {"list", {"--config", "--route", "--state", "--limit"}},
    };
    auto flags_of = allowed.find(sub);
    if (flags_of == allowed.end()) {
        std::cerr << "vigil relay: unknown sub-command '" << sub
                  << "' (retry, pause, resume, list; see --help)\n";
        return 1;
    }
    std::map<std::string, std::string> flags;
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    for (size_t i = 0; i < rest.size(); i += 2) {
        const std::string& flag = rest[i];
        const auto& names = flags_of->second;
        if (std::find(names.begin(), names.end(), flag) == names.end()) {
            std::cerr << prefix << "unexpected argument '" << flag << "' (see --help)\n";
            return 1;
        }
        if (i + 1 >= rest.size()) {
            std::cerr << prefix << flag << " needs a value\n";
            return 1;
        }
        if (!flags.emplace(flag, rest[i + 1]).second) {
            std::cerr << prefix << flag << " given twice\n";
            return 1;
        }
    }

    // Check what we send before loading anything, so a typo is a usage error (exit 1).
    std::string method, path, done;
    if (sub == "retry") {
        auto it = flags.find("--withdrawal");
        if (it == flags.end()) {
            std::cerr << prefix << "--withdrawal HASH is required\n";
            return 1;
        }
        auto hash = core::normalize_withdrawal_hash(it->second);
        if (!hash) {
            std::cerr << prefix << "withdrawal hash '" << it->second
                      << "': expected 0x and 64 hex digits\n";
            return 1;
        }
        method = "POST";
        path = "/v1/withdrawals/" + *hash + "/retry";
        done = "retried " + *hash + ": queued again";
    } else if (sub == "pause" || sub == "resume") {
        auto it = flags.find("--route");
        if (it == flags.end()) {
            std::cerr << prefix << "--route NAME is required\n";
            return 1;
        }
        if (!core::is_admin_name(it->second)) {
            std::cerr << prefix << "route '" << it->second
                      << "': expected 1..64 characters of A-Z a-z 0-9 . _ -\n";
            return 1;
        }
        method = "POST";
        path = "/v1/routes/" + it->second + "/" + sub;
        done = (sub == "pause" ? "paused route " : "resumed route ") + it->second;
    } else {
        method = "GET";
        std::string query;
        for (const char* name : {"route", "state"}) {
            auto it = flags.find(std::string("--") + name);
            if (it == flags.end()) continue;
            if (!core::is_admin_name(it->second)) {
                std::cerr << prefix << name << " '" << it->second
                          << "': expected 1..64 characters of A-Z a-z 0-9 . _ -\n";
                return 1;
            }
            // Names are [A-Za-z0-9._-]: nothing to percent-encode.
            query += std::string(query.empty() ? "?" : "&") + name + "=" + it->second;
        }
        if (auto it = flags.find("--limit"); it != flags.end()) {
            const std::string& s = it->second;
            const bool digits =
                !s.empty() && s.size() <= 4 &&
                std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
            if (!digits || std::stoul(s) < 1 || std::stoul(s) > core::kAdminMaxLimit) {
                std::cerr << prefix << "--limit '" << s << "': expected 1.." << core::kAdminMaxLimit
                          << "\n";
                return 1;
            }
            query += std::string(query.empty() ? "?" : "&") + "limit=" + s;
        }
        path = "/v1/withdrawals" + query;
    }

    auto config_path = config_path_from(rest);
    if (!config_path) {
        std::cerr << prefix << "no config given (--config FILE or VIGIL_CONFIG)\n";
        return 1;
    }
    auto cfg = core::load_config(*config_path);
    if (!cfg) {
        std::cerr << prefix << cfg.error().message << "\n";
        return 1;
    }
    auto answer = admin_request(*cfg, method, path);
    if (!answer) {
        std::cerr << prefix << answer.error().message << "\n";
        const int code = answer.error().code;
        if (code == kAdminUnreachable) return 2;
        if (code >= 400 && code <= 599) return 3;
        return 1;
    }
    if (sub == "list") {
        std::string body = *answer;
        while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) body.pop_back();
        std::cout << body << "\n";
    } else {
        std::cout << done << "\n";
    }
    return 0;
}

}  // namespace vigil::cmd
