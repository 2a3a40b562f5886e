// WebhookOutbox against a real receiver: core::HttpServer on a free localhost port, real
// sockets, real libcurl, a real LevelDB store in a temp directory.
#include "chains/webhook.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <prometheus/registry.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "core/health.h"
#include "core/http_server.h"
#include "core/version.h"

namespace vigil::chains {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

// Polls `done` until it holds or `limit` passes.
template <class F>
bool eventually(F done, std::chrono::milliseconds limit = 5000ms) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > until) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

// A port nothing listens on (bound once by the kernel's choice, then released).
uint16_t unused_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    ::close(fd);
    return ntohs(a.sin_port);
}

// The receiving end: records every request to /hook and answers with the scripted
// statuses in turn, then 200.
class Receiver {
  public:
    Receiver() : server_(options()) {
        server_.route("/hook", [this](const core::HttpRequest& r) {
            std::unique_lock<std::mutex> lock(mu_);
            got_.push_back(r);
            cv_.notify_all();
            cv_.wait(lock, [&] { return !hold_; });
            int status = 200;
            if (!script_.empty()) {
                status = script_.front();
                script_.pop_front();
            }
            return core::HttpResponse::json(
                status, status < 300 ? "{\"ok\":true}"
                                     : "{\"error\":\"status " + std::to_string(status) + "\"}");
        });
    }
    ~Receiver() {
        release();
        server_.stop();
    }

    void start(uint16_t port = 0) {
        Status s = server_.start("127.0.0.1:" + std::to_string(port));
        ASSERT_TRUE(s.ok()) << s.error().message;
    }
    uint16_t port() const { return server_.port(); }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/hook"; }

    void script(std::initializer_list<int> statuses) {
        std::lock_guard<std::mutex> lock(mu_);
        script_.assign(statuses);
    }
    // While held, requests are recorded but not answered.
    void hold() {
        std::lock_guard<std::mutex> lock(mu_);
        hold_ = true;
    }
    void release() {
        {
            std::lock_guard<std::mutex> lock(mu_);
            hold_ = false;
        }
        cv_.notify_all();
    }
    size_t count() {
        std::lock_guard<std::mutex> lock(mu_);
        return got_.size();
    }
    std::vector<core::HttpRequest> requests() {
        std::lock_guard<std::mutex> lock(mu_);
        return got_;
    }

  private:
    static core::HttpServer::Options options() {
        core::HttpServer::Options o;
        o.max_body_bytes = 4 << 20;
        return o;
    }

    core::HttpServer server_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::vector<core::HttpRequest> got_;
    std::deque<int> script_;
    bool hold_ = false;
};

class WebhookTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/vigil-webhook-test-XXXXXX";
        ASSERT_NE(mkdtemp(tmpl), nullptr);
        dir_ = tmpl;
        reopen();
    }
    void TearDown() override {
        store_.reset();
        std::filesystem::remove_all(dir_);
    }
    void reopen() {
        store_.reset();
        auto s = core::Store::open(dir_);
        ASSERT_TRUE(s.ok()) << s.error().message;
        store_ = std::move(*s);
    }

    static WebhookOptions fast() {
        WebhookOptions o;
        o.timeout = 2000ms;
        o.initial_backoff = 20ms;
        o.max_backoff = 80ms;
        return o;
    }
    std::unique_ptr<WebhookOutbox> outbox(WebhookOptions o = fast()) {
        return std::make_unique<WebhookOutbox>(*store_, "verifier", o, log_, registry_);
    }
    // Stages the alarms and commits them in one batch; their ids.
    std::vector<std::string> commit(WebhookOutbox& box, const std::string& url,
                                    const std::vector<std::string>& bodies) {
        core::WriteBatch batch;
        std::vector<std::string> ids;
        for (const auto& b : bodies) ids.push_back(box.stage(url, b, batch));
        Status s = store_->commit(batch);
        EXPECT_TRUE(s.ok()) << s.error().message;
        box.notify();
        return ids;
    }
    // The value of one sample in /metrics form, e.g. `x_total{result="ok"}`; -1 if absent.
    double metric(const std::string& sample) {
        std::istringstream text(core::render_metrics(*registry_));
        for (std::string line; std::getline(text, line);)
            if (line.rfind(sample + " ", 0) == 0) return std::stod(line.substr(sample.size() + 1));
        return -1;
    }
    double deliveries(const std::string& result) {
        return metric("vigil_webhook_deliveries_total{outbox=\"verifier\",result=\"" + result +
                      "\"}");
    }
    std::vector<Json> failed_records() {
        std::vector<Json> out;
        Status s = store_->scan("webhook/verifier", "failed/", [&](auto, std::string_view v) {
            out.push_back(Json::parse(v));
            return true;
        });
        EXPECT_TRUE(s.ok());
        return out;
    }

    std::filesystem::path dir_;
    std::unique_ptr<core::Store> store_;
    std::ostringstream logs_;
    core::Logger log_{logs_, core::LogFormat::json, core::LogLevel::debug};
    std::shared_ptr<prometheus::Registry> registry_ = std::make_shared<prometheus::Registry>();
};

TEST_F(WebhookTest, DeliversInOrderWithTheExactBodyAndHeaders) {
    Receiver rx;
    rx.start();
    auto box = outbox();
    // Larger than 1 MiB (curl would otherwise wait for "100 Continue"), and not ASCII.
    const std::string big = "{\"evidence\":\"" + std::string((1 << 20) + 100, 'e') + "\"}";
    const std::vector<std::string> bodies = {
        R"({"verdict":"invalid","rollup":"op","claimed":"0x01","computed":"0x02"})", big,
        "{\"note\":\"r\u00e9sum\u00e9 \\\"quoted\\\"\"}"};
    const auto ids = commit(*box, rx.url(), bodies);
    EXPECT_EQ(box->pending(), 3u);
    const auto t0 = std::chrono::steady_clock::now();
    box->start();
    ASSERT_TRUE(eventually([&] { return box->pending() == 0; }));
    const auto took = std::chrono::steady_clock::now() - t0;
    box->stop();

    auto got = rx.requests();
    ASSERT_EQ(got.size(), 3u);
    for (size_t i = 0; i < got.size(); ++i) {
        SCOPED_TRACE(i);
        EXPECT_EQ(got[i].method, "POST");
        EXPECT_EQ(got[i].path, "/hook");
        EXPECT_EQ(got[i].body, bodies[i]);
        EXPECT_EQ(got[i].headers["content-type"], "application/json");
        EXPECT_EQ(got[i].headers["user-agent"], std::string("vigil/") + core::kVersion);
        EXPECT_EQ(got[i].headers["idempotency-key"], ids[i]);
        EXPECT_EQ(got[i].headers.count("expect"), 0u);
    }
    // Ids are distinct and increase in staging order.
    EXPECT_LT(std::stoull(ids[0].substr(ids[0].find('-') + 1)),
              std::stoull(ids[1].substr(ids[1].find('-') + 1)));
    EXPECT_LT(std::stoull(ids[1].substr(ids[1].find('-') + 1)),
              std::stoull(ids[2].substr(ids[2].find('-') + 1)));
    EXPECT_EQ(ids[0].rfind("verifier-", 0), 0u);
    EXPECT_LT(took, 900ms) << "no POST may wait for 100 Continue";
    EXPECT_EQ(deliveries("ok"), 3);
    EXPECT_EQ(deliveries("retry"), 0);
    EXPECT_EQ(metric("vigil_webhook_pending{outbox=\"verifier\"}"), 0);
}

TEST_F(WebhookTest, NotifyWakesTheIdleDeliveryThread) {
    Receiver rx;
    rx.start();
    WebhookOptions o = fast();
    o.idle_poll = 60s;
    auto box = outbox(o);
    box->start();
    std::this_thread::sleep_for(50ms);  // idle, waiting for a minute
    commit(*box, rx.url(), {"{}"});     // commits, then notify()
    EXPECT_TRUE(eventually([&] { return rx.count() == 1; }));
}

TEST_F(WebhookTest, ServerErrorsAreRetriedAndTheAlarmIsDeliveredOnce) {
    Receiver rx;
    rx.script({500, 500, 200});
    rx.start();
    auto box = outbox();
    const auto ids = commit(*box, rx.url(), {R"({"n":1})"});
    box->start();
    ASSERT_TRUE(eventually([&] { return box->pending() == 0; }));
    std::this_thread::sleep_for(200ms);  // several backoffs' worth: nothing more is sent
    box->stop();
    auto got = rx.requests();
    ASSERT_EQ(got.size(), 3u);
    for (auto& r : got) {
        EXPECT_EQ(r.body, R"({"n":1})");
        EXPECT_EQ(r.headers["idempotency-key"], ids[0]);  // the same id on every attempt
    }
    EXPECT_EQ(deliveries("retry"), 2);
    EXPECT_EQ(deliveries("ok"), 1);
    EXPECT_EQ(box->failed(), 0u);
}

TEST_F(WebhookTest, RateLimitAndRequestTimeoutAreRetried) {
    Receiver rx;
    rx.script({429, 408, 503, 200});
    rx.start();
    auto box = outbox();
    commit(*box, rx.url(), {"{}"});
    box->start();
    ASSERT_TRUE(eventually([&] { return box->pending() == 0; }));
    box->stop();
    EXPECT_EQ(rx.count(), 4u);
    EXPECT_EQ(deliveries("retry"), 3);
    EXPECT_EQ(deliveries("ok"), 1);
}

TEST_F(WebhookTest, ClientErrorIsKeptAsFailedAndNotRetried) {
    Receiver rx;
    rx.script({400});
    rx.start();
    auto box = outbox();
    commit(*box, rx.url(), {R"({"bad":true})", R"({"next":true})"});
    box->start();
    ASSERT_TRUE(eventually([&] { return box->pending() == 0; }));
    std::this_thread::sleep_for(200ms);
    box->stop();
    // The rejected alarm was sent once; the one behind it was not held up.
    auto got = rx.requests();
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(got[0].body, R"({"bad":true})");
    EXPECT_EQ(got[1].body, R"({"next":true})");
    EXPECT_EQ(box->failed(), 1u);
    auto failed = failed_records();
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0]["body"], R"({"bad":true})");
    EXPECT_EQ(failed[0]["url"], rx.url());
    EXPECT_EQ(failed[0]["reason"], "HTTP 400");
    EXPECT_EQ(failed[0]["attempts"], 1);
    EXPECT_EQ(failed[0]["response"], R"({"error":"status 400"})");
    EXPECT_EQ(deliveries("failed"), 1);
    EXPECT_EQ(deliveries("ok"), 1);
    EXPECT_EQ(deliveries("retry"), 0);
    EXPECT_NE(logs_.str().find("\"level\":\"error\""), std::string::npos) << logs_.str();
    EXPECT_NE(logs_.str().find("FAILED permanently"), std::string::npos) << logs_.str();
}

TEST_F(WebhookTest, MaxAttemptsMovesARetriedAlarmToFailed) {
    Receiver rx;
    rx.script({500, 500, 500, 500});
    rx.start();
    WebhookOptions o = fast();
    o.max_attempts = 2;
    auto box = outbox(o);
    commit(*box, rx.url(), {"{}"});
    box->start();
    ASSERT_TRUE(eventually([&] { return box->failed() == 1; }));
    box->stop();
    EXPECT_EQ(rx.count(), 2u);
    EXPECT_EQ(box->pending(), 0u);
    auto failed = failed_records();
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0]["reason"], "gave up after 2 attempts: HTTP 500");
}

TEST_F(WebhookTest, ReceiverDownAtFirstThenUp) {
    const uint16_t port = unused_port();
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
    auto box = outbox();
    commit(*box, url, {R"({"late":true})"});
    box->start();
    ASSERT_TRUE(eventually([&] { return deliveries("retry") >= 2; }));
    EXPECT_EQ(box->pending(), 1u);
    Receiver rx;
    rx.start(port);
    ASSERT_TRUE(eventually([&] { return box->pending() == 0; }));
    box->stop();
    ASSERT_EQ(rx.count(), 1u);
    EXPECT_EQ(rx.requests()[0].body, R"({"late":true})");
    EXPECT_NE(logs_.str().find("transport"), std::string::npos) << logs_.str();
}

TEST_F(WebhookTest, AnUncommittedBatchSendsNothing) {
    Receiver rx;
    rx.start();
    auto box = outbox();
    {
        core::WriteBatch dropped;
        box->stage(rx.url(), R"({"dropped":true})", dropped);
        box->stage(rx.url(), R"({"dropped":2})", dropped);
    }  // never committed, e.g. the verdict's commit was abandoned
    box->notify();
    commit(*box, rx.url(), {R"({"kept":true})"});
    box->start();
    ASSERT_TRUE(eventually([&] { return box->pending() == 0 && rx.count() == 1; }));
    std::this_thread::sleep_for(100ms);
    box->stop();
    ASSERT_EQ(rx.count(), 1u);
    EXPECT_EQ(rx.requests()[0].body, R"({"kept":true})");
}

TEST_F(WebhookTest, ARestartDeliversWhatThePreviousRunLeft) {
    const uint16_t port = unused_port();
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/hook";
    std::vector<std::string> ids;
    {
        auto box = outbox();
        ids = commit(*box, url, {R"({"a":1})", R"({"a":2})"});
        box->start();
        ASSERT_TRUE(eventually([&] { return deliveries("retry") >= 1; }));
    }  // the process ends with both alarms undelivered
    reopen();
    Receiver rx;
    rx.start(port);
    auto box = outbox();
    EXPECT_EQ(box->pending(), 2u);
    const auto later = commit(*box, url, {R"({"a":3})"});
    box->start();
    ASSERT_TRUE(eventually([&] { return box->pending() == 0; }));
    box->stop();
    auto got = rx.requests();
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].body, R"({"a":1})");
    EXPECT_EQ(got[0].headers["idempotency-key"], ids[0]);  // the same id as before the restart
    EXPECT_EQ(got[1].body, R"({"a":2})");
    EXPECT_EQ(got[1].headers["idempotency-key"], ids[1]);
    EXPECT_EQ(got[2].body, R"({"a":3})");
    EXPECT_EQ(got[2].headers["idempotency-key"], later[0]);
}

TEST_F(WebhookTest, SequenceNeverRepeatsEvenWhenTheClockGoesBack) {
    Receiver rx;
    rx.start();
    const auto t0 = std::chrono::system_clock::time_point(std::chrono::hours(480000));
    WebhookOptions o = fast();
    o.clock = [t0] { return t0; };
    std::vector<std::string> first;
    {
        auto box = outbox(o);
        first = commit(*box, rx.url(), {"{}", "{}"});
        box->start();
        ASSERT_TRUE(eventually([&] { return box->pending() == 0; }));
    }
    // Every alarm was delivered (no key left but the high-water mark) and the clock is an
    // hour behind: the next id must still be new, or receivers would drop it as a repeat.
    o.clock = [t0] { return t0 - std::chrono::hours(1); };
    auto box = outbox(o);
    const auto next = commit(*box, rx.url(), {"{}"});
    auto seq = [](const std::string& id) { return std::stoull(id.substr(id.find('-') + 1)); };
    EXPECT_GT(seq(next[0]), seq(first[1]));
}

TEST_F(WebhookTest, AnUnreadableRecordIsSetAsideAndDoesNotBlockTheRest) {
    Receiver rx;
    rx.start();
    auto box = outbox();
    ASSERT_TRUE(
        store_->put("webhook/verifier", "pending/00000000000000000001", "\xff not json").ok());
    commit(*box, rx.url(), {R"({"ok":1})"});
    box->start();
    ASSERT_TRUE(eventually([&] { return box->pending() == 0; }));
    box->stop();
    EXPECT_EQ(rx.count(), 1u);
    EXPECT_EQ(box->failed(), 1u);
    EXPECT_EQ(failed_records()[0]["reason"], "unreadable pending record");
}

TEST_F(WebhookTest, SecretsInTheUrlNeverReachLogsOrMetrics) {
    Receiver rx;
    rx.script({500, 200, 401});
    rx.start();
    const std::string secret = "s3cr3t-T0KEN-value";
    const std::string url = "http://alarm-user:" + secret +
                            "-pw@127.0.0.1:" + std::to_string(rx.port()) + "/hook?token=" + secret;
    // And a receiver that is down, for transport errors.
    const std::string down_url = "http://127.0.0.1:" + std::to_string(unused_port()) + "/hook/" +
                                 secret + "?token=" + secret;
    WebhookOptions o = fast();
    o.max_attempts = 2;
    auto box = outbox(o);
    commit(*box, url, {R"({"x":1})", R"({"x":2})"});
    commit(*box, down_url, {R"({"x":3})"});
    box->start();
    ASSERT_TRUE(eventually([&] { return box->pending() == 0; }));
    box->stop();
    // The full URL was used: the receiver saw the token.
    auto got = rx.requests();
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[0].query, "token=" + secret);
    EXPECT_NE(got[0].headers["authorization"].find("Basic "), std::string::npos);
    const std::string logs = logs_.str();
    // The logs say where (redacted), what happened, and nothing secret.
    EXPECT_NE(logs.find("http://127.0.0.1:" + std::to_string(rx.port()) + "\""), std::string::npos)
        << logs;
    EXPECT_NE(logs.find("delivered"), std::string::npos);
    EXPECT_NE(logs.find("HTTP 401"), std::string::npos);
    EXPECT_NE(logs.find("transport"), std::string::npos);
    EXPECT_EQ(logs.find(secret), std::string::npos) << logs;
    EXPECT_EQ(logs.find("alarm-user"), std::string::npos) << logs;
    const std::string metrics = core::render_metrics(*registry_);
    EXPECT_EQ(metrics.find(secret), std::string::npos);
    EXPECT_EQ(metrics.find("127.0.0.1"), std::string::npos);
}

TEST_F(WebhookTest, StopIsPromptMidBackoffAndMidPost) {
    Receiver rx;
    rx.script({500});
    rx.start();
    WebhookOptions o = fast();
    o.initial_backoff = 30s;
    o.max_backoff = 30s;
    o.timeout = 20s;
    {
        auto box = outbox(o);
        commit(*box, rx.url(), {"{}"});
        box->start();
        ASSERT_TRUE(eventually([&] { return deliveries("retry") == 1; }));
        const auto t0 = std::chrono::steady_clock::now();
        box->stop();
        EXPECT_LT(std::chrono::steady_clock::now() - t0, 500ms);
        EXPECT_EQ(box->pending(), 1u);
    }
    // A receiver that does not answer: curl is told to give up.
    rx.hold();
    auto box = outbox(o);
    box->start();
    ASSERT_TRUE(eventually([&] { return rx.count() == 2; }));
    const auto t0 = std::chrono::steady_clock::now();
    box->stop();
    EXPECT_LT(std::chrono::steady_clock::now() - t0, 2500ms);
    EXPECT_EQ(box->pending(), 1u);  // interrupted: sent again by the next run
    box.reset();

    // At-least-once: the receiver may have seen it; the next run sends it again, same id.
    rx.release();
    box = outbox(o);
    box->start();
    ASSERT_TRUE(eventually([&] { return box->pending() == 0; }));
    auto got = rx.requests();
    ASSERT_EQ(got.size(), 3u);
    EXPECT_EQ(got[1].headers["idempotency-key"], got[2].headers["idempotency-key"]);
}

TEST_F(WebhookTest, StagingFromSeveralThreadsWhileDelivering) {
    Receiver rx;
    rx.start();
    auto box = outbox();
    box->start();
    constexpr int kThreads = 4, kEach = 25;
    std::vector<std::thread> stagers;
    for (int t = 0; t < kThreads; ++t)
        stagers.emplace_back([&, t] {
            for (int i = 0; i < kEach; ++i) commit(*box, rx.url(), {std::to_string(t * 1000 + i)});
        });
    for (auto& t : stagers) t.join();
    ASSERT_TRUE(eventually([&] { return box->pending() == 0; }, 20000ms));
    box->stop();
    // Every alarm once, each thread's in its order, no id twice.
    auto got = rx.requests();
    ASSERT_EQ(got.size(), size_t(kThreads * kEach));
    std::vector<int> last(kThreads, -1);
    std::set<std::string> ids;
    for (auto& r : got) {
        const int v = std::stoi(r.body);
        EXPECT_EQ(v % 1000, last[v / 1000] + 1) << r.body;
        last[v / 1000] = v % 1000;
        EXPECT_TRUE(ids.insert(r.headers["idempotency-key"]).second);
    }
    EXPECT_EQ(deliveries("ok"), kThreads * kEach);
}

}  // namespace
}  // namespace vigil::chains
