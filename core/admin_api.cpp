#include "core/admin_api.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

namespace vigil::core {
namespace {

// A token file is a line or so; anything bigger is the wrong file.
constexpr size_t kMaxTokenFileBytes = 4096;
constexpr size_t kMaxNameLength = 64;
// Client-supplied text echoed into logs and errors is cut to this length.
constexpr size_t kMaxEchoLength = 128;

std::string echo(std::string_view text) {
    if (text.size() <= kMaxEchoLength) return std::string(text);
    return std::string(text.substr(0, kMaxEchoLength)) + "...";
}

std::string json_string(std::string_view text) {
    std::string out = "\"";
    append_json_escaped(out, text);
    out += "\"";
    return out;
}

HttpResponse json_error(int status, std::string_view message) {
    return HttpResponse::json(status, "{\"error\":" + json_string(message) + "}\n");
}

int http_status_for(const Error& e) {
    switch (e.code) {
        case kAdminNotFound:
            return 404;
        case kAdminBadRequest:
            return 400;
        case kAdminConflict:
            return 409;
        default:
            return 500;
    }
}

const char* outcome_for(int http_status) {
    switch (http_status) {
        case 200:
            return "ok";
        case 400:
            return "bad_request";
        case 404:
            return "not_found";
        case 409:
            return "conflict";
        default:
            return "error";
    }
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// RFC 3986 percent-decoding; in a query string '+' also means a space (HTML forms).
std::optional<std::string> percent_decode(std::string_view in, bool plus_is_space) {
    std::string out;
    out.reserve(in.size());
    for (size_t i = 0; i < in.size(); ++i) {
        if (in[i] == '%') {
            if (i + 2 >= in.size()) return std::nullopt;
            int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) return std::nullopt;
            out.push_back(static_cast<char>(hi << 4 | lo));
            i += 2;
        } else if (in[i] == '+' && plus_is_space) {
            out.push_back(' ');
        } else {
            out.push_back(in[i]);
        }
    }
    return out;
}

}  // namespace

bool is_admin_name(std::string_view s) {
    return !s.empty() && s.size() <= kMaxNameLength && std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '.' || c == '_' || c == '-';
    });
}

std::optional<std::string> normalize_withdrawal_hash(std::string_view s) {
    if (s.size() != 66 || s[0] != '0' || s[1] != 'x') return std::nullopt;
    std::string out = "0x";
    for (char c : s.substr(2)) {
        int v = hex_value(c);
        if (v < 0) return std::nullopt;
        out.push_back("0123456789abcdef"[v]);
    }
    return out;
}

namespace {

Error bad_request(std::string message) { return fail(std::move(message), kAdminBadRequest); }

Result<std::string> checked_hash(std::string_view raw) {
    if (auto h = normalize_withdrawal_hash(raw)) return *h;
    return bad_request("withdrawal hash '" + echo(raw) + "': expected 0x and 64 hex digits");
}

Result<std::string> checked_name(const char* what, std::string_view raw) {
    if (is_admin_name(raw)) return std::string(raw);
    return bad_request(std::string(what) + " '" + echo(raw) + "': expected 1.." +
                       std::to_string(kMaxNameLength) + " characters of A-Z a-z 0-9 . _ -");
}

using Query = std::map<std::string, std::string>;

// Decodes "a=1&b=x%20y" into a map; refuses bad escapes and parameters not in `allowed`
// or given twice, so a typo in a filter cannot silently widen a listing.
Result<Query> parse_query(std::string_view query, const std::set<std::string>& allowed) {
    Query out;
    while (!query.empty()) {
        size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        size_t eq = pair.find('=');
        auto key = percent_decode(pair.substr(0, eq), true);
        auto value = percent_decode(
            eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1), true);
        if (!key || !value)
            return bad_request("query: bad percent-encoding in '" + echo(pair) + "'");
        if (!allowed.count(*key))
            return bad_request("query: unknown parameter '" + echo(*key) + "'");
        if (!out.emplace(*key, *value).second)
            return bad_request("query: parameter '" + *key + "' given twice");
    }
    return out;
}

Result<size_t> parse_limit(const Query& q) {
    auto it = q.find("limit");
    if (it == q.end()) return kAdminDefaultLimit;
    const std::string& s = it->second;
    const auto bad = [&] {
        return bad_request("limit '" + echo(s) + "': expected an integer 1.." +
                           std::to_string(kAdminMaxLimit));
    };
    if (s.empty() || s.size() > 4 ||
        !std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return bad();
    size_t n = std::stoul(s);
    if (n < 1 || n > kAdminMaxLimit) return bad();
    return n;
}

std::string optional_param(const Query& q, const char* key) {
    auto it = q.find(key);
    return it == q.end() ? std::string() : it->second;
}

// Runs a backend call; an exception (which a backend should not throw) becomes an error,
// so the audit line is still written.
template <class F>
auto guarded(F&& call) -> decltype(call()) {
    try {
        return call();
    } catch (const std::exception& e) {
        return fail(std::string("admin backend failed: ") + e.what());
    }
}

HttpResponse json_answer(const Result<std::string>& r) {
    if (!r.ok()) return json_error(http_status_for(r.error()), r.error().message);
    return HttpResponse::json(200, *r + "\n");
}

std::array<unsigned char, 32> sha256(std::string_view data) {
    std::array<unsigned char, 32> out{};
    unsigned int len = 0;
    EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr);
    return out;
}

bool ascii_iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) ==
                      std::tolower(static_cast<unsigned char>(y));
           });
}

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    while (true) {
        size_t slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path = path.substr(slash + 1);
    }
    return out;
}

}  // namespace

Result<std::string> read_admin_token(const std::filesystem::path& file) {
    const std::string what = "admin token file " + file.string();
    // O_NONBLOCK: opening a FIFO must not hang; it is refused below as not a regular file.
    int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) return fail(what + ": " + std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st {};
    if (::fstat(fd, &st) != 0) return fail(what + ": " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return fail(what + ": not a regular file");
    // Others get nothing and the group may not write; group read stays allowed because
    // Kubernetes mounts secrets root:fsGroup 0440 and the daemon reads them as the group.
    if (st.st_mode & (S_IRWXO | S_IWGRP | S_IXGRP)) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        return fail(what + ": mode " + mode +
                    " lets other users read or change it; chmod 600 it (0440 with a group)");
    }
    if (static_cast<uint64_t>(st.st_size) > kMaxTokenFileBytes)
        return fail(what + ": larger than " + std::to_string(kMaxTokenFileBytes) +
                    " bytes; not a token file");
    std::string content(kMaxTokenFileBytes + 1, '\0');
    size_t got = 0;
    while (got < content.size()) {
        ssize_t n = ::read(fd, content.data() + got, content.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return fail(what + ": " + std::strerror(errno));
        if (n == 0) break;
        got += static_cast<size_t>(n);
    }
    content.resize(got);
    const auto is_space = [](char c) {
        return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
    };
    while (!content.empty() && is_space(content.back())) content.pop_back();
    size_t start = 0;
    while (start < content.size() && is_space(content[start])) ++start;
    std::string token = content.substr(start);
    OPENSSL_cleanse(content.data(), content.size());
    if (token.empty()) return fail(what + ": empty (expected a bearer token)");
    if (token.size() > kMaxTokenFileBytes || !std::all_of(token.begin(), token.end(), [](char c) {
            auto u = static_cast<unsigned char>(c);
            return u > 0x20 && u < 0x7f;
        })) {
        OPENSSL_cleanse(token.data(), token.size());
        return fail(what + ": the token must be one word of printable ASCII characters");
    }
    if (token.size() < kAdminMinTokenLength) {
        OPENSSL_cleanse(token.data(), token.size());
        return fail(what + ": the token is shorter than " + std::to_string(kAdminMinTokenLength) +
                    " characters");
    }
    return token;
}

AdminApi::AdminApi(AdminBackend& backend, Logger log)
    : backend_(backend), log_(log.with("admin")) {}

Status AdminApi::load_token(const std::filesystem::path& file) {
    VIGIL_TRY(std::string token, read_admin_token(file));
    token_digest_ = sha256(token);
    OPENSSL_cleanse(token.data(), token.size());
    has_token_ = true;
    return {};
}

void AdminApi::install(HttpServer& server) {
    server.route_prefix("/v1/", [this](const HttpRequest& r) { return handle(r); });
}

bool AdminApi::authorized(const HttpRequest& request, std::string& why_not) const {
    auto it = request.headers.find("authorization");
    if (it == request.headers.end()) {
        why_not = "no Authorization header";
        return false;
    }
    std::string_view value = it->second;
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
    constexpr std::string_view kScheme = "bearer";
    if (value.size() <= kScheme.size() ||
        !ascii_iequals(value.substr(0, kScheme.size()), kScheme) || value[kScheme.size()] != ' ') {
        why_not = "not a bearer token";
        return false;
    }
    value.remove_prefix(kScheme.size());
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    // Compares digests, so the time taken says nothing about the token's length or
    // content; CRYPTO_memcmp is constant-time.
    const auto presented = sha256(value);
    if (!has_token_ ||
        CRYPTO_memcmp(presented.data(), token_digest_.data(), presented.size()) != 0) {
        why_not = has_token_ ? "wrong token" : "no token loaded";
        return false;
    }
    return true;
}

HttpResponse AdminApi::mutate(const std::string& action, const std::string& target,
                              const std::string& done, const Status& outcome) const {
    const int status = outcome.ok() ? 200 : http_status_for(outcome.error());
    const char* word = outcome_for(status);
    if (outcome.ok()) {
        log_.info("admin call",
                  {{"audit", true}, {"action", action}, {"target", target}, {"outcome", word}});
        return HttpResponse::json(200, "{\"action\":" + json_string(action) +
                                           ",\"target\":" + json_string(target) +
                                           ",\"result\":" + json_string(done) + "}\n");
    }
    log_.warn("admin call", {{"audit", true},
                             {"action", action},
                             {"target", echo(target)},
                             {"outcome", word},
                             {"error", outcome.error().message}});
    return json_error(status, outcome.error().message);
}

HttpResponse AdminApi::handle(const HttpRequest& request) const {
    std::string why_not;
    if (!authorized(request, why_not)) {
        log_.warn("admin request refused",
                  {{"audit", true},
                   {"action", "authenticate"},
                   {"target", echo(request.method) + " " + echo(request.path)},
                   {"outcome", "unauthorized"},
                   {"reason", why_not}});
        return json_error(401, "unauthorized: a valid bearer token is required");
    }
    constexpr std::string_view kPrefix = "/v1/";
    std::string_view rest = request.path;
    if (rest.substr(0, kPrefix.size()) != kPrefix)
        return json_error(404, "no such endpoint: " + echo(request.path));
    rest.remove_prefix(kPrefix.size());
    std::vector<std::string> segments;
    for (std::string_view raw : split_path(rest)) {
        if (raw.empty()) return json_error(404, "no such endpoint: " + echo(request.path));
        auto decoded = percent_decode(raw, false);
        if (!decoded) return json_error(400, "path: bad percent-encoding in '" + echo(raw) + "'");
        segments.push_back(std::move(*decoded));
    }
    const auto method_is = [&](const char* want) { return request.method == want; };
    const auto wrong_method = [&](const char* want) {
        return json_error(405, "method " + echo(request.method) + " not allowed on " +
                                   echo(request.path) + "; use " + want);
    };
    const auto bad = [](const Error& e) { return json_error(http_status_for(e), e.message); };
    const size_t n = segments.size();

    if (n == 1 && segments[0] == "status") {
        if (!method_is("GET")) return wrong_method("GET");
        auto q = parse_query(request.query, {});
        if (!q) return bad(q.error());
        return json_answer(guarded([&] { return backend_.status(); }));
    }
    if (n == 1 && segments[0] == "withdrawals") {
        if (!method_is("GET")) return wrong_method("GET");
        auto q = parse_query(request.query, {"route", "state", "limit", "hash"});
        if (!q) return bad(q.error());
        if (q->count("hash")) {
            if (q->size() > 1) return json_error(400, "query: hash excludes the other filters");
            auto hash = checked_hash(q->at("hash"));
            if (!hash) return bad(hash.error());
            return json_answer(guarded([&] { return backend_.get_withdrawal(*hash); }));
        }
        std::string route = optional_param(*q, "route"), state = optional_param(*q, "state");
        if (!route.empty())
            if (auto r = checked_name("route", route); !r) return bad(r.error());
        if (!state.empty())
            if (auto s = checked_name("state", state); !s) return bad(s.error());
        auto limit = parse_limit(*q);
        if (!limit) return bad(limit.error());
        return json_answer(
            guarded([&] { return backend_.list_withdrawals(route, state, *limit); }));
    }
    if (n == 2 && segments[0] == "withdrawals") {
        if (!method_is("GET")) return wrong_method("GET");
        auto q = parse_query(request.query, {});
        if (!q) return bad(q.error());
        auto hash = checked_hash(segments[1]);
        if (!hash) return bad(hash.error());
        return json_answer(guarded([&] { return backend_.get_withdrawal(*hash); }));
    }
    if (n == 1 && segments[0] == "verdicts") {
        if (!method_is("GET")) return wrong_method("GET");
        auto q = parse_query(request.query, {"rollup", "limit"});
        if (!q) return bad(q.error());
        std::string rollup = optional_param(*q, "rollup");
        if (!rollup.empty())
            if (auto r = checked_name("rollup", rollup); !r) return bad(r.error());
        auto limit = parse_limit(*q);
        if (!limit) return bad(limit.error());
        return json_answer(guarded([&] { return backend_.list_verdicts(rollup, *limit); }));
    }
    if (n == 3 && segments[0] == "withdrawals" && segments[2] == "retry") {
        if (!method_is("POST")) return wrong_method("POST");
        const std::string action = "retry_withdrawal";
        auto hash = checked_hash(segments[1]);
        if (!hash) return mutate(action, segments[1], "", hash.error());
        return mutate(action, *hash, "queued again",
                      guarded([&] { return backend_.retry_withdrawal(*hash); }));
    }
    if (n == 3 && segments[0] == "routes" && (segments[2] == "pause" || segments[2] == "resume")) {
        if (!method_is("POST")) return wrong_method("POST");
        const bool pause = segments[2] == "pause";
        const std::string action = pause ? "pause_route" : "resume_route";
        auto route = checked_name("route", segments[1]);
        if (!route) return mutate(action, segments[1], "", route.error());
        return mutate(action, *route, pause ? "paused" : "resumed",
                      guarded([&] { return backend_.set_route_paused(*route, pause); }));
    }
    return json_error(404, "no such endpoint: " + echo(request.path));
}

}  // namespace vigil::core
