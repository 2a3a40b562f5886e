// The operational HTTP server over real sockets, with libcurl as the client.
#include "core/http_server.h"

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/counter.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "core/health.h"

namespace vigil::core {
namespace {

struct Reply {
    long status = 0;
    std::string body;
    CURLcode rc = CURLE_OK;
};

size_t collect(char* p, size_t s, size_t n, void* u) {
    static_cast<std::string*>(u)->append(p, s * n);
    return s * n;
}

Reply fetch(uint16_t port, const std::string& path, const std::string& post = {},
            const char* method = nullptr) {
    Reply r;
    CURL* c = curl_easy_init();
    std::string url = "http://127.0.0.1:" + std::to_string(port) + path;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
    if (!post.empty()) curl_easy_setopt(c, CURLOPT_POSTFIELDS, post.c_str());
    if (method) curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    r.rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    curl_easy_cleanup(c);
    return r;
}

TEST(HttpServer, ServesMetricsHealthAndReadiness) {
    auto registry = std::make_shared<prometheus::Registry>();
    auto& family = prometheus::BuildCounter()
                       .Name("vigil_test_events_total")
                       .Help("Events seen.")
                       .Register(*registry);
    family.Add({{"chain", "l1"}}).Increment(3);
    Readiness readiness;
    std::atomic<bool> l1_ok = false;
    readiness.add("chain l1",
                  [&] { return l1_ok ? std::string() : std::string("lag 80 blocks > 64"); });
    HttpServer server;
    add_operational_routes(server, registry, readiness);
    ASSERT_TRUE(server.start("127.0.0.1:0").ok());
    ASSERT_GT(server.port(), 0);

    Reply m = fetch(server.port(), "/metrics");
    EXPECT_EQ(m.status, 200);
    EXPECT_NE(m.body.find("# TYPE vigil_test_events_total counter"), std::string::npos) << m.body;
    EXPECT_NE(m.body.find("vigil_test_events_total{chain=\"l1\"} 3"), std::string::npos) << m.body;

    EXPECT_EQ(fetch(server.port(), "/healthz").status, 200);
    Reply notready = fetch(server.port(), "/readyz");
    EXPECT_EQ(notready.status, 503);
    EXPECT_NE(notready.body.find("lag 80 blocks > 64"), std::string::npos);
    l1_ok = true;
    Reply ready = fetch(server.port(), "/readyz");
    EXPECT_EQ(ready.status, 200);
    EXPECT_EQ(ready.body, "{\"chain l1\":\"ok\"}\n");
    EXPECT_EQ(fetch(server.port(), "/nope").status, 404);
    EXPECT_EQ(fetch(server.port(), "/metrics", "x=1").status, 405);
}

TEST(HttpServer, BoundsBodiesAndSurvivesThrowingHandlers) {
    HttpServer::Options o;
    o.max_body_bytes = 100;
    o.read_timeout_ms = 300;
    HttpServer server(o);
    server.route("/echo", [](const HttpRequest& r) {
        return HttpResponse::text(200, r.method + ":" + r.body);
    });
    server.route("/throw",
                 [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
    ASSERT_TRUE(server.start("127.0.0.1:0").ok());
    Reply echo = fetch(server.port(), "/echo?x=1", "hello");
    EXPECT_EQ(echo.status, 200);
    EXPECT_EQ(echo.body, "POST:hello");
    EXPECT_EQ(fetch(server.port(), "/echo", std::string(101, 'a')).status, 413);
    EXPECT_EQ(fetch(server.port(), "/throw").status, 500);
    // A client that connects and says nothing is cut off after the read timeout.
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(server.port());
    ASSERT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    char buf[256];
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    ASSERT_GT(n, 0);
    EXPECT_EQ(std::string(buf, 12), "HTTP/1.1 408");
    ::close(fd);
    // Still serving.
    EXPECT_EQ(fetch(server.port(), "/echo", "again").status, 200);
}

TEST(HttpServer, PrefixRoutesYieldToExactRoutesAndTheLongestPrefixWins) {
    HttpServer server;
    server.route("/v1/status", [](const HttpRequest&) { return HttpResponse::text(200, "exact"); });
    server.route_prefix("/v1/", [](const HttpRequest& r) {
        return HttpResponse::text(200, "v1:" + r.path + "?" + r.query);
    });
    server.route_prefix("/v1/routes/", [](const HttpRequest& r) {
        return HttpResponse::text(200, "routes:" + r.path);
    });
    ASSERT_TRUE(server.start("127.0.0.1:0").ok());
    EXPECT_EQ(fetch(server.port(), "/v1/status").body, "exact");
    EXPECT_EQ(fetch(server.port(), "/v1/status/x").body, "v1:/v1/status/x?");
    EXPECT_EQ(fetch(server.port(), "/v1/withdrawals/0xab?a=1").body, "v1:/v1/withdrawals/0xab?a=1");
    EXPECT_EQ(fetch(server.port(), "/v1/routes/op-a/pause").body, "routes:/v1/routes/op-a/pause");
    EXPECT_EQ(fetch(server.port(), "/v1/routes").body, "v1:/v1/routes?");
    // A prefix covers only what starts with it.
    EXPECT_EQ(fetch(server.port(), "/v1").status, 404);
    EXPECT_EQ(fetch(server.port(), "/v2/status").status, 404);
}

TEST(HttpServer, BadListenAddressIsAClearError) {
    HttpServer server;
    EXPECT_FALSE(server.start("nonsense").ok());
    EXPECT_FALSE(server.start("127.0.0.1:99999").ok());
    HttpServer a, b;
    ASSERT_TRUE(a.start("127.0.0.1:0").ok());
    Status clash = b.start("127.0.0.1:" + std::to_string(a.port()));
    ASSERT_FALSE(clash.ok());
    EXPECT_NE(clash.error().message.find("in use"), std::string::npos) << clash.error().message;
}

}  // namespace
}  // namespace vigil::core
