// The admin API over real HTTP on loopback (core::HttpServer, libcurl as the client), with
// an in-memory backend standing in for the daemon, and the `vigil relay` client against it.
#include "core/admin_api.h"

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>

#include "core/config.h"
#include "tests/support/temp_dir.h"

#include "cmd/vigil/admin_client.h"

namespace vigil::core {
namespace {

using nlohmann::json;

constexpr const char* kToken = "s3cret-admin-token-7f3a9c2e41d8";
constexpr const char* kWrongToken = "guess-not-the-token-0123456789";
const std::string kFailed = "0x" + std::string(63, '0') + "1";
const std::string kProven = "0x" + std::string(63, '0') + "2";
const std::string kUnknown = "0x" + std::string(64, 'e');

// The daemon's side, in memory: withdrawals by hash with a route and a state, routes with
// a paused flag, verdicts. Records the arguments it was called with.
class MemoryBackend : public AdminBackend {
  public:
    struct Withdrawal {
        std::string route, state;
    };
    std::mutex mu;
    std::map<std::string, Withdrawal> withdrawals = {{kFailed, {"op-a", "failed"}},
                                                     {kProven, {"op-b", "proven"}}};
    std::map<std::string, bool> routes = {{"op-a", false}, {"op-b", false}};
    std::vector<std::pair<std::string, std::string>> verdicts = {
        {"op-a", "valid"}, {"op-a", "invalid"}, {"op-b", "valid"}};
    std::string last_route, last_state, last_hash, last_rollup;
    size_t last_limit = 0;

    Result<std::string> status() override {
        std::lock_guard lock(mu);
        json j = {{"withdrawals", withdrawals.size()}, {"routes", routes.size()}};
        return j.dump();
    }
    Result<std::string> list_withdrawals(const std::string& route, const std::string& state,
                                         size_t limit) override {
        std::lock_guard lock(mu);
        last_route = route, last_state = state, last_limit = limit;
        if (!state.empty() && state != "failed" && state != "proven" && state != "queued")
            return fail("unknown state '" + state + "'", kAdminBadRequest);
        json out = json::array();
        for (const auto& [hash, w] : withdrawals)
            if ((route.empty() || w.route == route) && (state.empty() || w.state == state) &&
                out.size() < limit)
                out.push_back({{"hash", hash}, {"route", w.route}, {"state", w.state}});
        return out.dump();
    }
    Result<std::string> get_withdrawal(const std::string& hash) override {
        std::lock_guard lock(mu);
        last_hash = hash;
        auto it = withdrawals.find(hash);
        if (it == withdrawals.end()) return fail("no withdrawal " + hash, kAdminNotFound);
        return json{{"hash", hash}, {"route", it->second.route}, {"state", it->second.state}}
            .dump();
    }
    Result<std::string> list_verdicts(const std::string& rollup, size_t limit) override {
        std::lock_guard lock(mu);
        last_rollup = rollup, last_limit = limit;
        if (rollup == "broken") return fail("store: verdicts unreadable");
        if (!rollup.empty() && !routes.count(rollup))
            return fail("no rollup " + rollup, kAdminNotFound);
        json out = json::array();
        for (const auto& [r, v] : verdicts)
            if ((rollup.empty() || r == rollup) && out.size() < limit)
                out.push_back({{"rollup", r}, {"verdict", v}});
        return out.dump();
    }
    Status retry_withdrawal(const std::string& hash) override {
        std::lock_guard lock(mu);
        last_hash = hash;
        auto it = withdrawals.find(hash);
        if (it == withdrawals.end()) return fail("no withdrawal " + hash, kAdminNotFound);
        if (it->second.state != "failed")
            return fail("withdrawal " + hash + " is " + it->second.state + ", not failed",
                        kAdminConflict);
        it->second.state = "queued";
        return {};
    }
    Status set_route_paused(const std::string& route, bool paused) override {
        std::lock_guard lock(mu);
        auto it = routes.find(route);
        if (it == routes.end()) return fail("no route " + route, kAdminNotFound);
        it->second = paused;
        return {};
    }
};

struct Reply {
    long status = 0;
    std::string body;
    json parsed;  // null unless the body is JSON
};

size_t append_body(char* p, size_t s, size_t n, void* u) {
    static_cast<std::string*>(u)->append(p, s * n);
    return s * n;
}

// One request; `authorization` is sent verbatim as the Authorization header if non-empty.
Reply call(uint16_t port, const std::string& method, const std::string& path,
           const std::string& authorization) {
    Reply r;
    CURL* c = curl_easy_init();
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
    curl_slist* headers = nullptr;
    if (!authorization.empty())
        headers = curl_slist_append(headers, ("Authorization: " + authorization).c_str());
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);  // send "..", do not squash it
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    if (method == "POST") {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
    } else if (method != "GET") {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    EXPECT_EQ(curl_easy_perform(c), CURLE_OK) << method << " " << path;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(c);
    r.parsed = json::parse(r.body, nullptr, false);
    if (r.parsed.is_discarded()) r.parsed = nullptr;
    return r;
}

void write_file(const std::filesystem::path& path, const std::string& content, mode_t mode) {
    std::filesystem::remove(path);
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    ASSERT_EQ(::chmod(path.c_str(), mode), 0);
}

std::string repeat(const std::string& text, int times) {
    std::string out;
    for (int i = 0; i < times; ++i) out += text;
    return out;
}

std::string error_of(const Reply& r) {
    return r.parsed.is_object() && r.parsed.contains("error")
               ? r.parsed["error"].get<std::string>()
               : "<no error field in " + r.body + ">";
}

class AdminApiTest : public ::testing::Test {
  protected:
    void SetUp() override {
        token_file = dir.path / "admin-token";
        write_file(token_file, std::string(kToken) + "\n", 0600);
        ASSERT_TRUE(api.load_token(token_file).ok());
        api.install(server);
        ASSERT_TRUE(server.start("127.0.0.1:0").ok());
    }
    void TearDown() override {
        server.stop();
        const std::string logged = log_sink.str();
        EXPECT_EQ(logged.find(kToken), std::string::npos) << "the token reached the log";
        EXPECT_EQ(logged.find(kWrongToken), std::string::npos) << "a presented token was logged";
    }

    Reply get(const std::string& path) { return call(server.port(), "GET", path, bearer); }
    Reply post(const std::string& path) { return call(server.port(), "POST", path, bearer); }

    // The parsed audit lines of the log so far.
    std::vector<json> audit_lines() {
        std::vector<json> out;
        std::istringstream in(log_sink.str());
        for (std::string line; std::getline(in, line);) {
            json j = json::parse(line, nullptr, false);
            EXPECT_FALSE(j.is_discarded()) << "not a JSON log line: " << line;
            if (!j.is_discarded() && j.value("audit", false)) out.push_back(j);
        }
        return out;
    }
    bool audited(const std::string& action, const std::string& target, const std::string& outcome,
                 const std::string& level) {
        for (const json& j : audit_lines())
            if (j.value("action", "") == action && j.value("target", "") == target &&
                j.value("outcome", "") == outcome && j.value("level", "") == level &&
                j.value("component", "") == "admin")
                return true;
        return false;
    }

    vigil::testing::TempDir dir{"admin-api"};
    std::filesystem::path token_file;
    std::ostringstream log_sink;
    MemoryBackend backend;
    AdminApi api{backend, Logger(log_sink, LogFormat::json, LogLevel::debug)};
    HttpServer server;
    const std::string bearer = std::string("Bearer ") + kToken;
};

TEST_F(AdminApiTest, EveryEndpointNeedsTheBearerToken) {
    for (const auto& [method, path] : std::vector<std::pair<std::string, std::string>>{
             {"GET", "/v1/status"},
             {"GET", "/v1/withdrawals"},
             {"GET", "/v1/withdrawals/" + kFailed},
             {"GET", "/v1/verdicts"},
             {"POST", "/v1/withdrawals/" + kFailed + "/retry"},
             {"POST", "/v1/routes/op-a/pause"},
             {"GET", "/v1/no-such-endpoint"}}) {
        for (const std::string& auth :
             {std::string(), std::string("Bearer ") + kWrongToken, std::string("Basic ") + kToken,
              std::string(kToken), std::string("Bearer"), std::string("Bearer ") + kToken + "x",
              std::string("Bearer ") + std::string(kToken).substr(1)}) {
            Reply r = call(server.port(), method, path, auth);
            EXPECT_EQ(r.status, 401) << method << " " << path << " with '" << auth << "'";
            EXPECT_EQ(r.body.find(kToken), std::string::npos);
            EXPECT_NE(error_of(r).find("unauthorized"), std::string::npos) << r.body;
        }
    }
    // Nothing reached the backend.
    EXPECT_EQ(backend.withdrawals.at(kFailed).state, "failed");
    EXPECT_FALSE(backend.routes.at("op-a"));
    EXPECT_TRUE(audited("authenticate", "GET /v1/status", "unauthorized", "warn"));
    EXPECT_TRUE(audited("authenticate", "POST /v1/routes/op-a/pause", "unauthorized", "warn"));
    EXPECT_EQ(audit_lines().size(), 7u * 7u);

    // The scheme is case-insensitive (RFC 7235); trailing spaces are not part of the token.
    EXPECT_EQ(call(server.port(), "GET", "/v1/status", bearer).status, 200);
    EXPECT_EQ(call(server.port(), "GET", "/v1/status", std::string("bearer ") + kToken).status,
              200);
    EXPECT_EQ(
        call(server.port(), "GET", "/v1/status", std::string("BEARER ") + kToken + "  ").status,
        200);
}

TEST_F(AdminApiTest, StatusAndWrongMethods) {
    Reply r = get("/v1/status");
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.parsed, json({{"withdrawals", 2}, {"routes", 2}}));
    EXPECT_EQ(post("/v1/status").status, 405);
    EXPECT_EQ(call(server.port(), "DELETE", "/v1/withdrawals", bearer).status, 405);
    EXPECT_EQ(call(server.port(), "PUT", "/v1/verdicts", bearer).status, 405);
    Reply wrong = post("/v1/withdrawals/" + kFailed);
    EXPECT_EQ(wrong.status, 405);
    EXPECT_NE(error_of(wrong).find("use GET"), std::string::npos) << wrong.body;
    Reply retry_by_get = get("/v1/withdrawals/" + kFailed + "/retry");
    EXPECT_EQ(retry_by_get.status, 405);
    EXPECT_NE(error_of(retry_by_get).find("use POST"), std::string::npos);
    EXPECT_EQ(get("/v1/routes/op-a/pause").status, 405);
    EXPECT_EQ(backend.withdrawals.at(kFailed).state, "failed");
    EXPECT_FALSE(backend.routes.at("op-a"));
    // Unknown endpoints, empty segments and trailing slashes are 404 (after auth).
    for (const char* path : {"/v1/nope", "/v1/withdrawals/", "/v1//status", "/v1/status/",
                             "/v1/routes/op-a", "/v1/routes/op-a/stop", "/v1/"})
        EXPECT_EQ(get(path).status, 404) << path;
    EXPECT_EQ(get("/v1/status?verbose=1").status, 400);
}

TEST_F(AdminApiTest, ListsWithdrawalsWithDecodedValidatedFilters) {
    Reply all = get("/v1/withdrawals");
    ASSERT_EQ(all.status, 200) << all.body;
    EXPECT_EQ(all.parsed.size(), 2u);
    EXPECT_EQ(backend.last_limit, kAdminDefaultLimit);
    EXPECT_EQ(backend.last_route, "");
    EXPECT_EQ(backend.last_state, "");

    // %2D is '-', %61 is 'a': the filter arrives decoded.
    Reply filtered = get("/v1/withdrawals?route=op%2D%61&state=failed&limit=1000");
    ASSERT_EQ(filtered.status, 200) << filtered.body;
    ASSERT_EQ(filtered.parsed.size(), 1u);
    EXPECT_EQ(filtered.parsed[0]["hash"], kFailed);
    EXPECT_EQ(backend.last_route, "op-a");
    EXPECT_EQ(backend.last_state, "failed");
    EXPECT_EQ(backend.last_limit, 1000u);
    EXPECT_EQ(get("/v1/withdrawals?limit=1").parsed.size(), 1u);
    EXPECT_EQ(get("/v1/withdrawals?route=op-b&").parsed.size(), 1u);

    backend.last_limit = 0;
    for (const char* bad :
         {"?limit=0", "?limit=1001", "?limit=-1", "?limit=1e3",
          "?limit=", "?limit=99999999999999999999", "?route=op%20a", "?route=op+a", "?route=a/b",
          "?route=%2e%2e%2fx%00", "?state=fail%ZZ", "?state=%4", "?route=x&route=y" /* repeated */,
          "?routes=op-a", "?hash=0x1234",
          "?hash=" /* and another filter */
          "0x0000000000000000000000000000000000000000000000000000000000000001"
          "&route=op-a",
          "?route=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"}) {
        Reply r = get(std::string("/v1/withdrawals") + bad);
        EXPECT_EQ(r.status, 400) << bad << ": " << r.body;
        EXPECT_FALSE(error_of(r).empty());
    }
    EXPECT_EQ(backend.last_limit, 0u) << "a refused query reached the backend";
    // The backend's own refusal of a well-formed but unknown state is a 400 too.
    Reply unknown_state = get("/v1/withdrawals?state=lost");
    EXPECT_EQ(unknown_state.status, 400);
    EXPECT_EQ(error_of(unknown_state), "unknown state 'lost'");
}

TEST_F(AdminApiTest, InspectsOneWithdrawalByPathOrQuery) {
    Reply r = get("/v1/withdrawals/" + kFailed);
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.parsed["state"], "failed");
    EXPECT_EQ(r.parsed["route"], "op-a");
    // Upper-case hex (and percent-encoded digits) reach the backend as lower-case hex.
    std::string upper = "0x" + std::string(64, 'E');
    EXPECT_EQ(get("/v1/withdrawals/" + upper).status, 404);
    EXPECT_EQ(backend.last_hash, kUnknown);
    EXPECT_EQ(get("/v1/withdrawals/%30x" + kFailed.substr(2)).status, 200);
    Reply q = get("/v1/withdrawals?hash=" + kProven);
    EXPECT_EQ(q.status, 200);
    EXPECT_EQ(q.parsed["state"], "proven");
    Reply missing = get("/v1/withdrawals/" + kUnknown);
    EXPECT_EQ(missing.status, 404);
    EXPECT_EQ(error_of(missing), "no withdrawal " + kUnknown);

    backend.last_hash.clear();
    for (const std::string& bad :
         {std::string("0x1234"), "0X" + kFailed.substr(2), kFailed.substr(2), kFailed + "0",
          kFailed.substr(0, 65) + "g", "0x" + repeat("%20", 64), std::string("%zz"),
          kFailed.substr(0, 65) + "%00", std::string("..")}) {
        Reply b = get("/v1/withdrawals/" + bad);
        EXPECT_EQ(b.status, 400) << bad << ": " << b.body;
        Reply b2 = post("/v1/withdrawals/" + bad + "/retry");
        EXPECT_EQ(b2.status, 400) << bad << ": " << b2.body;
    }
    EXPECT_EQ(backend.last_hash, "") << "a malformed hash reached the backend";
}

TEST_F(AdminApiTest, ListsVerdicts) {
    Reply all = get("/v1/verdicts");
    ASSERT_EQ(all.status, 200);
    EXPECT_EQ(all.parsed.size(), 3u);
    EXPECT_EQ(backend.last_limit, kAdminDefaultLimit);
    Reply some = get("/v1/verdicts?rollup=op-a&limit=1");
    ASSERT_EQ(some.status, 200);
    EXPECT_EQ(some.parsed, json::parse(R"([{"rollup":"op-a","verdict":"valid"}])"));
    EXPECT_EQ(backend.last_rollup, "op-a");
    EXPECT_EQ(get("/v1/verdicts?rollup=op-z").status, 404);
    EXPECT_EQ(get("/v1/verdicts?rollup=op%20a").status, 400);
    EXPECT_EQ(get("/v1/verdicts?route=op-a").status, 400);
    EXPECT_EQ(get("/v1/verdicts?limit=2000").status, 400);
    // A backend failure without a code is a 500 carrying its message.
    Reply broken = get("/v1/verdicts?rollup=broken");
    EXPECT_EQ(broken.status, 500);
    EXPECT_EQ(error_of(broken), "store: verdicts unreadable");
}

TEST_F(AdminApiTest, RetriesAFailedWithdrawalAndAuditsEveryAttempt) {
    Reply ok = post("/v1/withdrawals/" + kFailed + "/retry");
    ASSERT_EQ(ok.status, 200) << ok.body;
    EXPECT_EQ(ok.parsed["result"], "queued again");
    EXPECT_EQ(ok.parsed["target"], kFailed);
    EXPECT_EQ(backend.withdrawals.at(kFailed).state, "queued");
    EXPECT_TRUE(audited("retry_withdrawal", kFailed, "ok", "info"));

    Reply again = post("/v1/withdrawals/" + kFailed + "/retry");
    EXPECT_EQ(again.status, 409);
    EXPECT_EQ(error_of(again), "withdrawal " + kFailed + " is queued, not failed");
    EXPECT_TRUE(audited("retry_withdrawal", kFailed, "conflict", "warn"));

    EXPECT_EQ(post("/v1/withdrawals/" + kUnknown + "/retry").status, 404);
    EXPECT_TRUE(audited("retry_withdrawal", kUnknown, "not_found", "warn"));

    EXPECT_EQ(post("/v1/withdrawals/0xabc/retry").status, 400);
    EXPECT_TRUE(audited("retry_withdrawal", "0xabc", "bad_request", "warn"));
    EXPECT_EQ(audit_lines().size(), 4u);
}

TEST_F(AdminApiTest, PausesAndResumesRoutesAndAuditsEveryAttempt) {
    Reply paused = post("/v1/routes/op-b/pause");
    ASSERT_EQ(paused.status, 200) << paused.body;
    EXPECT_EQ(paused.parsed["result"], "paused");
    EXPECT_TRUE(backend.routes.at("op-b"));
    EXPECT_FALSE(backend.routes.at("op-a"));
    EXPECT_TRUE(audited("pause_route", "op-b", "ok", "info"));

    Reply resumed = post("/v1/routes/op%2Db/resume");
    ASSERT_EQ(resumed.status, 200) << resumed.body;
    EXPECT_EQ(resumed.parsed["result"], "resumed");
    EXPECT_FALSE(backend.routes.at("op-b"));
    EXPECT_TRUE(audited("resume_route", "op-b", "ok", "info"));

    Reply unknown = post("/v1/routes/op-z/pause");
    EXPECT_EQ(unknown.status, 404);
    EXPECT_EQ(error_of(unknown), "no route op-z");
    EXPECT_TRUE(audited("pause_route", "op-z", "not_found", "warn"));

    EXPECT_EQ(post("/v1/routes/op%20b/pause").status, 400);
    EXPECT_TRUE(audited("pause_route", "op b", "bad_request", "warn"));
    EXPECT_EQ(post("/v1/routes/op%2Fb/resume").status, 400);
    EXPECT_TRUE(audited("resume_route", "op/b", "bad_request", "warn"));
    EXPECT_FALSE(backend.routes.at("op-b"));
    // Reads are not audited, nor is a path that cannot be decoded (it names no call).
    EXPECT_EQ(get("/v1/status").status, 200);
    EXPECT_EQ(post("/v1/routes/%/pause").status, 400);
    EXPECT_EQ(audit_lines().size(), 5u);
}

TEST(AdminToken, FileChecks) {
    vigil::testing::TempDir dir("admin-token");
    const auto path = dir.path / "token";
    const std::string secret = "abcdefghijklmnop-secret";

    write_file(path, secret + "\r\n", 0600);
    auto ok = read_admin_token(path);
    ASSERT_TRUE(ok.ok()) << ok.error().message;
    EXPECT_EQ(*ok, secret);
    write_file(path, secret, 0400);
    EXPECT_TRUE(read_admin_token(path).ok());
    // Group read is how Kubernetes hands secrets to a non-root pod (root:fsGroup 0440).
    write_file(path, secret, 0440);
    EXPECT_TRUE(read_admin_token(path).ok());

    const auto expect_refused = [&](const std::string& content, mode_t mode,
                                    const std::string& needle) {
        write_file(path, content, mode);
        auto r = read_admin_token(path);
        ASSERT_FALSE(r.ok()) << "accepted mode " << std::oct << mode << " content '" << content
                             << "'";
        EXPECT_NE(r.error().message.find(path.string()), std::string::npos) << r.error().message;
        EXPECT_NE(r.error().message.find(needle), std::string::npos) << r.error().message;
        if (content.find_first_not_of(" \n") != std::string::npos) {
            const std::string trimmed = content.substr(0, content.find_first_of(" \n"));
            EXPECT_EQ(r.error().message.find(trimmed), std::string::npos) << r.error().message;
        }
    };
    expect_refused(secret, 0644, "mode 0644");
    expect_refused(secret, 0604, "mode 0604");
    expect_refused(secret, 0660, "mode 0660");
    expect_refused(secret, 0666, "mode 0666");
    expect_refused("", 0600, "empty");
    expect_refused(" \n\n", 0600, "empty");
    expect_refused("fifteen-chars15", 0600, "shorter than 16");
    expect_refused("abcdefgh ijklmnopq", 0600, "one word");
    expect_refused(secret + "\n" + secret, 0600, "one word");
    expect_refused(std::string(5000, 'a'), 0600, "larger than");

    auto missing = read_admin_token(dir.path / "absent");
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message.find("absent"), std::string::npos);
    EXPECT_FALSE(read_admin_token(dir.path).ok());  // a directory
    const auto fifo = dir.path / "fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    auto from_fifo = read_admin_token(fifo);  // must neither hang nor be accepted
    ASSERT_FALSE(from_fifo.ok());
    EXPECT_NE(from_fifo.error().message.find("not a regular file"), std::string::npos);
}

TEST(AdminToken, AnApiWithoutATokenRefusesEverything) {
    vigil::testing::TempDir dir("admin-token");
    const auto path = dir.path / "token";
    write_file(path, std::string(kToken) + "\n", 0644);
    std::ostringstream sink;
    MemoryBackend backend;
    AdminApi api(backend, Logger(sink, LogFormat::json, LogLevel::debug));
    Status loaded = api.load_token(path);
    ASSERT_FALSE(loaded.ok());
    EXPECT_EQ(loaded.error().message.find(kToken), std::string::npos);
    HttpServer server;
    api.install(server);
    ASSERT_TRUE(server.start("127.0.0.1:0").ok());
    EXPECT_EQ(call(server.port(), "GET", "/v1/status", std::string("Bearer ") + kToken).status,
              401);
    EXPECT_EQ(call(server.port(), "GET", "/v1/status", "Bearer ").status, 401);
    EXPECT_NE(sink.str().find("no token loaded"), std::string::npos) << sink.str();
}

// The operator's client: admin_request() and `vigil relay ...` against the live API.
class AdminClientTest : public AdminApiTest {
  protected:
    void SetUp() override {
        AdminApiTest::SetUp();
        ::unsetenv("VIGIL_CONFIG");
        config_file =
            write_config("vigil.yaml", "127.0.0.1:" + std::to_string(server.port()), "admin-token");
    }

    std::string write_config(const std::string& name, const std::string& listen,
                             const std::string& token) {
        const auto path = dir.path / name;
        std::ofstream(path) << "store:\n  path: store\n"
                               "admin:\n  listen: "
                            << listen << "\n  token_file: " << token
                            << "\n"
                               "chains:\n  - name: l1\n    chain_id: 1\n    rpc: "
                               "http://127.0.0.1:8545\n    confirmations: 1\n";
        return path.string();
    }
    Config config(const std::string& file) {
        auto cfg = load_config(file);
        EXPECT_TRUE(cfg.ok()) << cfg.error().message;
        return cfg.ok() ? *cfg : Config{};
    }

    struct Run {
        int code;
        std::string out, err;
    };
    Run relay(const std::vector<std::string>& args) {
        ::testing::internal::CaptureStdout();
        ::testing::internal::CaptureStderr();
        int code = cmd::run_relay_admin(args);
        std::string out = ::testing::internal::GetCapturedStdout();
        std::string err = ::testing::internal::GetCapturedStderr();
        return {code, out, err};
    }

    std::string config_file;
};

TEST_F(AdminClientTest, AdminRequestReturnsBodiesAndCarriesRefusals) {
    Config cfg = config(config_file);
    auto status = cmd::admin_request(cfg, "GET", "/v1/status");
    ASSERT_TRUE(status.ok()) << status.error().message;
    EXPECT_EQ(json::parse(*status), json({{"withdrawals", 2}, {"routes", 2}}));

    auto missing = cmd::admin_request(cfg, "GET", "/v1/withdrawals/" + kUnknown);
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error().code, 404);
    EXPECT_EQ(missing.error().message, "no withdrawal " + kUnknown + " (HTTP 404)");
    auto conflict = cmd::admin_request(cfg, "POST", "/v1/withdrawals/" + kProven + "/retry");
    ASSERT_FALSE(conflict.ok());
    EXPECT_EQ(conflict.error().code, 409);

    // An unspecified host means this machine.
    Config any =
        config(write_config("any.yaml", "0.0.0.0:" + std::to_string(server.port()), "admin-token"));
    EXPECT_TRUE(cmd::admin_request(any, "GET", "/v1/status").ok());

    // A wrong token in the operator's file: 401, and the error shows neither token.
    write_file(dir.path / "wrong-token", std::string(kWrongToken) + "\n", 0600);
    Config wrong = config(
        write_config("wrong.yaml", "127.0.0.1:" + std::to_string(server.port()), "wrong-token"));
    auto refused = cmd::admin_request(wrong, "GET", "/v1/status");
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.error().code, 401);
    EXPECT_EQ(refused.error().message.find(kWrongToken), std::string::npos);
    EXPECT_EQ(refused.error().message.find(kToken), std::string::npos);

    Config no_admin = cfg;
    no_admin.admin_listen.reset();
    auto unconfigured = cmd::admin_request(no_admin, "GET", "/v1/status");
    ASSERT_FALSE(unconfigured.ok());
    EXPECT_EQ(unconfigured.error().code, cmd::kAdminNotConfigured);

    const uint16_t port = server.port();
    server.stop();
    auto down = cmd::admin_request(cfg, "GET", "/v1/status");
    ASSERT_FALSE(down.ok());
    EXPECT_EQ(down.error().code, cmd::kAdminUnreachable);
    EXPECT_NE(down.error().message.find("127.0.0.1:" + std::to_string(port)), std::string::npos)
        << down.error().message;
}

TEST_F(AdminClientTest, RelayCommands) {
    Run retried = relay({"retry", "--config", config_file, "--withdrawal", kFailed});
    EXPECT_EQ(retried.code, 0) << retried.err;
    EXPECT_EQ(retried.out, "retried " + kFailed + ": queued again\n");
    EXPECT_EQ(backend.withdrawals.at(kFailed).state, "queued");

    Run again = relay({"retry", "--config", config_file, "--withdrawal", kFailed});
    EXPECT_EQ(again.code, 3);
    EXPECT_EQ(again.out, "");
    EXPECT_EQ(again.err,
              "vigil relay retry: withdrawal " + kFailed + " is queued, not failed (HTTP 409)\n");
    EXPECT_EQ(relay({"retry", "--config", config_file, "--withdrawal", kUnknown}).code, 3);

    // VIGIL_CONFIG stands in for --config.
    ::setenv("VIGIL_CONFIG", config_file.c_str(), 1);
    Run paused = relay({"pause", "--route", "op-a"});
    ::unsetenv("VIGIL_CONFIG");
    EXPECT_EQ(paused.code, 0) << paused.err;
    EXPECT_EQ(paused.out, "paused route op-a\n");
    EXPECT_TRUE(backend.routes.at("op-a"));
    Run resumed = relay({"resume", "--config", config_file, "--route", "op-a"});
    EXPECT_EQ(resumed.code, 0) << resumed.err;
    EXPECT_EQ(resumed.out, "resumed route op-a\n");
    EXPECT_FALSE(backend.routes.at("op-a"));
    EXPECT_EQ(relay({"pause", "--config", config_file, "--route", "op-z"}).code, 3);
    EXPECT_TRUE(audited("pause_route", "op-a", "ok", "info"));
    EXPECT_TRUE(audited("resume_route", "op-a", "ok", "info"));

    Run listed = relay({"list", "--config", config_file, "--route", "op-b", "--limit", "5"});
    EXPECT_EQ(listed.code, 0) << listed.err;
    ASSERT_FALSE(listed.out.empty());
    EXPECT_EQ(std::count(listed.out.begin(), listed.out.end(), '\n'), 1);
    EXPECT_EQ(json::parse(listed.out),
              json::parse(R"([{"hash":")" + kProven + R"(","route":"op-b","state":"proven"}])"));
    EXPECT_EQ(backend.last_limit, 5u);
    Run by_state = relay({"list", "--config", config_file, "--state", "queued"});
    EXPECT_EQ(by_state.code, 0) << by_state.err;
    EXPECT_EQ(json::parse(by_state.out).size(), 1u);
    EXPECT_EQ(backend.last_limit, kAdminDefaultLimit);
    EXPECT_EQ(relay({"list", "--config", config_file, "--state", "lost"}).code, 3);
}

TEST_F(AdminClientTest, RelayUsageConfigAndReachabilityErrors) {
    Run help = relay({"retry", "--help"});
    EXPECT_EQ(help.code, 0);
    EXPECT_NE(help.out.find("usage: vigil relay retry"), std::string::npos);
    EXPECT_EQ(relay({}).code, 1);
    const std::vector<std::vector<std::string>> usage_errors = {
        {"explode", "--config", config_file},
        {"retry", "--config", config_file},
        {"retry", "--config", config_file, "--withdrawal", "0x1234"},
        {"retry", "--config", config_file, "--withdrawal", kFailed, "--route", "op-a"},
        {"pause", "--config", config_file, "--route", "op a"},
        {"pause", "--config", config_file, "--route"},
        {"resume", "--config", config_file},
        {"list", "--config", config_file, "--limit", "0"},
        {"list", "--config", config_file, "--limit", "1001"},
        {"list", "--config", config_file, "--state", "a&limit=5"},
        {"list", "--config", config_file, "--route", "a", "--route", "b"},
        {"list"},  // no config at all
        {"list", "--config", (dir.path / "absent.yaml").string()},
    };
    for (const auto& args : usage_errors) {
        Run r = relay(args);
        EXPECT_EQ(r.code, 1) << args[0] << " " << (args.size() > 3 ? args[3] : "") << ": " << r.err;
        EXPECT_EQ(r.out, "");
        EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
        EXPECT_EQ(r.err.rfind("vigil relay", 0), 0u) << r.err;
    }
    EXPECT_EQ(backend.withdrawals.at(kFailed).state, "failed");

    // A config with no admin section: a config error (1), with what to set.
    const auto bare = dir.path / "bare.yaml";
    std::ofstream(bare) << "store:\n  path: store\nchains:\n  - name: l1\n    chain_id: 1\n"
                           "    rpc: http://127.0.0.1:8545\n    confirmations: 1\n";
    Run bare_run = relay({"list", "--config", bare.string()});
    EXPECT_EQ(bare_run.code, 1);
    EXPECT_NE(bare_run.err.find("admin.listen"), std::string::npos) << bare_run.err;

    // An unreadable (group/world-readable) token file on the operator's side: 1.
    write_file(dir.path / "loose-token", std::string(kToken) + "\n", 0644);
    const std::string loose =
        write_config("loose.yaml", "127.0.0.1:" + std::to_string(server.port()), "loose-token");
    Run loose_run = relay({"list", "--config", loose});
    EXPECT_EQ(loose_run.code, 1);
    EXPECT_EQ(loose_run.err.find(kToken), std::string::npos);

    // The daemon is down: 2.
    server.stop();
    Run down = relay({"retry", "--config", config_file, "--withdrawal", kFailed});
    EXPECT_EQ(down.code, 2) << down.err;
    EXPECT_NE(down.err.find("unreachable"), std::string::npos) << down.err;
}

}  // namespace
}  // namespace vigil::core
