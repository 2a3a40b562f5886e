// WebSocket newHeads subscriptions against a real Anvil node behind a TCP proxy that can
// cut, stall or inject bytes into the socket: every head arrives in order, the listener
// steps at once on a head, polls while the socket is down, and the subscriber survives
// garbage, subscription errors and oversize frames by reconnecting.
#include "chains/rpc/ws_client.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

#include "chains/head_subscription.h"
#include "chains/listener.h"
#include "tests/support/anvil.h"
#include "tests/support/chain_driver.h"
#include "tests/support/tcp_proxy.h"

namespace vigil::chains {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using rpc::NewHead;
using rpc::WsHeadSubscriber;
using rpc::WsHeadSubscriberOptions;
using rpc::WsHeadSubscriberStatus;
using testing::AnvilOptions;
using testing::AnvilProcess;
using testing::ChainDriver;
using testing::TcpProxy;

const eth::Address kEmitter = *eth::Address::from_hex("0x000000000000000000000000000000000000beef");

// Polls `done` every 5 ms until it holds or `limit` passes.
bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds limit) {
    const auto deadline = Clock::now() + limit;
    while (!done()) {
        if (Clock::now() > deadline) return false;
        std::this_thread::sleep_for(5ms);
    }
    return true;
}

long long ms_since(Clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

uint64_t word_value(const eth::Bytes& data) {
    uint64_t v = 0;
    for (size_t i = 24; i < 32 && i < data.size(); ++i) v = v << 8 | data[i];
    return v;
}

// Records the emitter values of confirmed logs and when each arrived.
class TimedConsumer : public LogConsumer {
  public:
    Status on_confirmed(uint64_t, const BlockRef& last, const std::vector<ConfirmedLog>& logs,
                        core::WriteBatch&) override {
        std::lock_guard<std::mutex> lock(mu_);
        for (const ConfirmedLog& l : logs) values_.push_back({word_value(l.data), Clock::now()});
        confirmed_ = last.number;
        return {};
    }
    Status on_reorg(uint64_t, core::WriteBatch&) override { return {}; }

    size_t count() const {
        std::lock_guard<std::mutex> lock(mu_);
        return values_.size();
    }
    std::vector<uint64_t> values() const {
        std::lock_guard<std::mutex> lock(mu_);
        std::vector<uint64_t> out;
        for (const auto& v : values_) out.push_back(v.value);
        return out;
    }
    // When the log with emitter value `value` arrived, if it did.
    std::optional<Clock::time_point> arrival(uint64_t value) const {
        std::lock_guard<std::mutex> lock(mu_);
        for (const auto& v : values_)
            if (v.value == value) return v.at;
        return std::nullopt;
    }
    uint64_t confirmed() const {
        std::lock_guard<std::mutex> lock(mu_);
        return confirmed_;
    }

  private:
    struct Arrival {
        uint64_t value;
        Clock::time_point at;
    };
    mutable std::mutex mu_;
    std::vector<Arrival> values_;
    uint64_t confirmed_ = 0;
};

// Collects heads from a subscriber's callback.
class HeadLog {
  public:
    void add(const NewHead& h) {
        std::lock_guard<std::mutex> lock(mu_);
        heads_.push_back(h);
    }
    std::vector<NewHead> heads() const {
        std::lock_guard<std::mutex> lock(mu_);
        return heads_;
    }
    size_t size() const {
        std::lock_guard<std::mutex> lock(mu_);
        return heads_.size();
    }
    uint64_t last() const {
        std::lock_guard<std::mutex> lock(mu_);
        return heads_.empty() ? 0 : heads_.back().number;
    }

  private:
    mutable std::mutex mu_;
    std::vector<NewHead> heads_;
};

class TempDir {
  public:
    TempDir() {
        char tmpl[] = "/tmp/vigil-ws-XXXXXX";
        path = mkdtemp(tmpl);
    }
    ~TempDir() { std::filesystem::remove_all(path); }
    std::filesystem::path path;
};

core::Logger quiet_logger() {
    static std::ostringstream sink;
    return core::Logger(sink, core::LogFormat::json, core::LogLevel::error);
}

// Short timeouts and backoff, so that faults resolve within a test's few seconds.
WsHeadSubscriberOptions fast_options(const std::string& url) {
    WsHeadSubscriberOptions o;
    o.url = url;
    o.chain = "l1";
    o.connect_timeout = 1000ms;
    o.subscribe_timeout = 1000ms;
    o.backoff_base = 50ms;
    o.backoff_max = 400ms;
    o.max_message_bytes = 64 * 1024;
    return o;
}

std::unique_ptr<WsHeadSubscriber> subscribe(const WsHeadSubscriberOptions& o, HeadLog& log) {
    std::string error;
    auto s = WsHeadSubscriber::start(o, {[&log](const NewHead& h) { log.add(h); }, {}}, error);
    EXPECT_TRUE(s) << error;
    return s;
}

bool wait_subscribed(const std::function<WsHeadSubscriberStatus()>& status,
                     std::chrono::milliseconds limit = 5000ms) {
    return wait_until([&] { return status().subscribed(); }, limit);
}

struct Chain {
    std::unique_ptr<AnvilProcess> anvil;
    std::unique_ptr<TcpProxy> proxy;  // in front of anvil's WebSocket (and HTTP) port
    std::unique_ptr<ChainDriver> driver;
};

Chain start_chain() {
    Chain c;
    auto anvil = AnvilProcess::start(AnvilOptions{});
    EXPECT_TRUE(anvil.ok()) << anvil.error().message;
    if (!anvil.ok()) return c;
    c.anvil = std::move(anvil).value();
    auto proxy = TcpProxy::start(c.anvil->port());
    EXPECT_TRUE(proxy.ok()) << proxy.error().message;
    if (!proxy.ok()) return c;
    c.proxy = std::move(proxy).value();
    c.driver = std::make_unique<ChainDriver>(c.anvil->rpc_url(), 31337);
    return c;
}

// A listener (run() on its own thread) with a HeadSubscription through the proxy.
struct Following {
    TempDir dir;
    core::ChainConfig config;
    std::unique_ptr<core::Store> store;
    std::unique_ptr<rpc::RpcClient> rpc;
    TimedConsumer consumer;
    std::unique_ptr<Listener> listener;
    std::unique_ptr<HeadSubscription> heads;
    std::thread thread;

    ~Following() {
        heads.reset();
        if (listener) listener->request_stop();
        if (thread.joinable()) thread.join();
    }
};

void follow(Following& f, Chain& c, uint64_t poll_interval_ms, uint64_t confirmations) {
    f.config.name = "l1";
    f.config.chain_id = 31337;
    f.config.rpc = {c.anvil->rpc_url()};  // HTTP straight to the node: only the socket is cut
    f.config.ws = c.proxy->ws_url();
    f.config.finality.kind = core::Finality::Kind::confirmations;
    f.config.finality.confirmations = confirmations;
    f.config.poll_interval_ms = poll_interval_ms;
    f.config.max_block_range = 1000;
    f.config.reorg_window = 64;
    auto store = core::Store::open(f.dir.path / "store");
    ASSERT_TRUE(store.ok()) << store.error().message;
    f.store = std::move(store).value();
    rpc::RpcClientOptions ro;
    ro.chain = "l1";
    ro.urls = f.config.rpc;
    ro.expected_chain_id = 31337;
    ro.requests_per_second = 0;
    ro.timeout = 3000ms;
    f.rpc = std::make_unique<rpc::RpcClient>(ro);
    ASSERT_TRUE(f.rpc->connect().ok());
    f.listener = std::make_unique<Listener>(f.config, "test", LogFilter{{kEmitter}, {}}, *f.rpc,
                                            *f.store, f.consumer, quiet_logger());
    ASSERT_TRUE(f.listener->start().ok());
    auto heads = HeadSubscription::start(f.config, *f.listener, quiet_logger(), fast_options(""));
    ASSERT_TRUE(heads.ok()) << heads.error().message;
    ASSERT_TRUE(*heads);
    f.heads = std::move(heads).value();
    f.thread = std::thread([l = f.listener.get()] { (void)l->run(); });
}

// --- Parsing (no node) ---------------------------------------------------------------

const std::string kHash = "0x88df016429689c079f3b2f6ad39fa052532c56795b733da78a91ebe6a713944b";
const std::string kParent = "0x7736fab79e05dc611604d22470dadad26f56fe494421b5b333de816ce1f25701";

std::string notification(const std::string& sub, const std::string& result) {
    return R"({"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":")" + sub +
           R"(","result":)" + result + "}}";
}

TEST(WsParse, NewHeadsNotificationFields) {
    NewHead h;
    std::string error;
    // 0x1b4 = 436; upper-case hex digits are accepted and returned in lower case.
    std::string upper = kHash;
    for (size_t i = 2; i < upper.size(); ++i) upper[i] = static_cast<char>(std::toupper(upper[i]));
    ASSERT_TRUE(rpc::parse_new_head_notification(
        notification("0xabc", R"({"number":"0x1b4","hash":")" + upper + R"(","parentHash":")" +
                                  kParent + R"(","miner":"0x0","extra":[1,{"a":null}]})"),
        "0xabc", h, error))
        << error;
    EXPECT_EQ(h.number, 436u);
    EXPECT_EQ(h.hash, kHash);
    EXPECT_EQ(h.parent_hash, kParent);
    EXPECT_TRUE(error.empty());
}

TEST(WsParse, RejectsWhatIsNotAHeadOfOurSubscription) {
    const std::string good = R"({"number":"0x10","hash":")" + kHash + R"("})";
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"not json", "not JSON"},
        {std::string(100, '['), "nested deeper"},
        {"[1,2]", "not a JSON object"},
        {notification("0xother", good), "unknown subscription"},
        {R"({"jsonrpc":"2.0","method":"eth_foo","params":{}})", "unexpected notification method"},
        {R"({"jsonrpc":"2.0","method":"eth_subscription","params":[]})", "params object"},
        {notification("0xabc", "[]"), "result object"},
        {notification("0xabc", R"({"hash":")" + kHash + R"("})"), "'number'"},
        {notification("0xabc", R"({"number":"0x10000000000000000","hash":")" + kHash + R"("})"),
         "'number'"},
        {notification("0xabc", R"({"number":"0x","hash":")" + kHash + R"("})"), "'number'"},
        {notification("0xabc", R"({"number":"12","hash":")" + kHash + R"("})"), "'number'"},
        {notification("0xabc", R"({"number":"0x10","hash":"0x1234"})"), "'hash'"},
        {notification("0xabc",
                      R"({"number":"0x10","hash":")" + kHash.substr(0, 65) + "g" + R"("})"),
         "'hash'"},
        {notification("0xabc", R"({"number":"0x10","hash":")" + kHash + R"(","parentHash":7})"),
         "'parentHash'"},
    };
    for (const auto& [message, why] : cases) {
        NewHead h;
        std::string error;
        EXPECT_FALSE(rpc::parse_new_head_notification(message, "0xabc", h, error)) << message;
        EXPECT_NE(error.find(why), std::string::npos) << message << " -> " << error;
    }
    // An answer (not a notification) is not a head, and not an error either.
    NewHead h;
    std::string error;
    EXPECT_FALSE(rpc::parse_new_head_notification(R"({"jsonrpc":"2.0","id":1,"result":"0x1"})",
                                                  "0xabc", h, error));
    EXPECT_TRUE(error.empty()) << error;
    EXPECT_TRUE(rpc::parse_new_head_notification(notification("0xabc", good), "0xabc", h, error))
        << error;
    EXPECT_EQ(h.number, 16u);
}

TEST(WsSubscriber, RejectsBadOptions) {
    std::string error;
    WsHeadSubscriber::Callbacks cb{[](const NewHead&) {}, {}};
    for (const std::string url : {"http://127.0.0.1:8545", "127.0.0.1:8545", "ws://", ""}) {
        WsHeadSubscriberOptions o;
        o.url = url;
        EXPECT_FALSE(WsHeadSubscriber::start(o, cb, error)) << url;
        EXPECT_NE(error.find("not a ws:// or wss:// URL"), std::string::npos) << error;
    }
    WsHeadSubscriberOptions o;
    o.url = "ws://127.0.0.1:1";
    o.max_message_bytes = 10;
    EXPECT_FALSE(WsHeadSubscriber::start(o, cb, error));
    o.max_message_bytes = 4096;
    EXPECT_FALSE(WsHeadSubscriber::start(o, {}, error));  // no callback
    EXPECT_NE(error.find("no head callback"), std::string::npos) << error;
}

TEST(HeadSubscriptionConfig, NoWsEndpointCreatesNothingAndABadOneIsAnError) {
    TempDir dir;
    auto store = core::Store::open(dir.path / "store");
    ASSERT_TRUE(store.ok());
    core::ChainConfig config;
    config.name = "l1";
    config.chain_id = 31337;
    config.rpc = {"http://127.0.0.1:1"};
    rpc::RpcClient rpc(rpc::RpcClientOptions{});
    TimedConsumer consumer;
    Listener listener(config, "test", {}, rpc, **store, consumer, quiet_logger());
    auto none = HeadSubscription::start(config, listener, quiet_logger());
    ASSERT_TRUE(none.ok());
    EXPECT_EQ(*none, nullptr);
    config.ws = "https://user:secret@example.invalid/key";
    auto bad = HeadSubscription::start(config, listener, quiet_logger());
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message.find("not a ws:// or wss:// URL"), std::string::npos)
        << bad.error().message;
    EXPECT_EQ(bad.error().message.find("secret"), std::string::npos)
        << "the URL's credentials leaked";
}

// --- Against Anvil -------------------------------------------------------------------

TEST(WsHeads, EveryHeadArrivesInOrderAndMatchesTheChain) {
    Chain c = start_chain();
    ASSERT_TRUE(c.proxy);
    HeadLog log;
    auto sub = subscribe(fast_options(c.proxy->ws_url()), log);
    ASSERT_TRUE(sub);
    ASSERT_TRUE(wait_subscribed([&] { return sub->status(); })) << sub->status().last_error;
    auto first = c.driver->block_number();
    ASSERT_TRUE(first.ok());

    // 20 blocks in one anvil_mine, then 10 one by one.
    const auto t0 = Clock::now();
    ASSERT_TRUE(c.driver->mine(20).ok());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(c.driver->mine(1).ok());
    const uint64_t last = *first + 30;
    ASSERT_TRUE(wait_until([&] { return log.last() >= last; }, 3000ms))
        << "last head seen " << log.last() << ", expected " << last;
    std::printf("[ timing ] 30 heads delivered %lld ms after the first anvil_mine\n", ms_since(t0));

    const auto heads = log.heads();
    ASSERT_EQ(heads.size(), 30u);
    for (size_t i = 0; i < heads.size(); ++i) {
        EXPECT_EQ(heads[i].number, *first + 1 + i);
        // The head's hash and parent are the chain's, read independently over HTTP.
        auto block = c.driver->rpc().call(
            "eth_getBlockByNumber", rpc::Json::array({eth::to_quantity(heads[i].number), false}));
        ASSERT_TRUE(block.ok());
        EXPECT_EQ(heads[i].hash, (*block)["hash"].get<std::string>());
        EXPECT_EQ(heads[i].parent_hash, (*block)["parentHash"].get<std::string>());
    }
    const auto s = sub->status();
    EXPECT_EQ(s.heads, 30u);
    EXPECT_EQ(s.last_head, last);
    EXPECT_EQ(s.malformed, 0u);
    EXPECT_EQ(s.connects, 1u);
    EXPECT_EQ(s.reconnects, 0u);
    EXPECT_FALSE(s.subscription_id.empty());
}

TEST(WsHeads, ListenerWithATenSecondPollEmitsWithinASecondOfTheBlock) {
    Chain c = start_chain();
    ASSERT_TRUE(c.proxy);
    ASSERT_TRUE(c.driver->set_code(kEmitter, testing::emitter_runtime_hex()).ok());
    Following f;
    follow(f, c, /*poll_interval_ms=*/10000, /*confirmations=*/1);
    ASSERT_TRUE(wait_until([&] { return f.heads->socket_up(); }, 5000ms))
        << f.heads->status().last_error;
    // Let the first step finish, so the listener is waiting out its 10 s poll interval.
    ASSERT_TRUE(wait_until([&] { return f.listener->status().cursor.has_value(); }, 3000ms));
    std::this_thread::sleep_for(200ms);

    // Three rounds: a log in a new block, then one more block to confirm it (depth 1).
    // Polling alone would take up to 10 s for each.
    for (uint64_t round = 0; round < 3; ++round) {
        ASSERT_TRUE(c.driver->send(kEmitter, testing::emitter_calldata(1, round)).ok());
        const auto t0 = Clock::now();
        ASSERT_TRUE(c.driver->mine(1).ok());
        ASSERT_TRUE(wait_until([&] { return f.consumer.arrival(round).has_value(); }, 3000ms))
            << "round " << round << ": no confirmed log within 3 s";
        const auto latency =
            std::chrono::duration_cast<std::chrono::milliseconds>(*f.consumer.arrival(round) - t0);
        std::printf("[ timing ] round %llu: confirmed log %lld ms after the confirming block\n",
                    static_cast<unsigned long long>(round),
                    static_cast<long long>(latency.count()));
        EXPECT_LT(latency.count(), 1000) << "round " << round;
    }
    EXPECT_EQ(f.consumer.values(), (std::vector<uint64_t>{0, 1, 2}));
    EXPECT_GE(f.heads->status().heads, 6u);
}

TEST(WsHeads, CutSocketListenerPollsThenSubscriberReconnectsAndResubscribes) {
    Chain c = start_chain();
    ASSERT_TRUE(c.proxy);
    ASSERT_TRUE(c.driver->set_code(kEmitter, testing::emitter_runtime_hex()).ok());
    Following f;
    follow(f, c, /*poll_interval_ms=*/200, /*confirmations=*/1);
    ASSERT_TRUE(wait_until([&] { return f.heads->socket_up(); }, 5000ms))
        << f.heads->status().last_error;
    const auto before = f.heads->status();
    EXPECT_EQ(before.connects, 1u);

    // Cut: the subscriber reports the socket down and keeps failing to reconnect.
    c.proxy->cut();
    const auto t_cut = Clock::now();
    ASSERT_TRUE(wait_until([&] { return !f.heads->socket_up(); }, 2000ms));
    std::printf("[ timing ] socket reported down %lld ms after the cut\n", ms_since(t_cut));
    const uint64_t heads_before = f.heads->status().heads;

    // Meanwhile the listener keeps up by polling.
    const auto t_logs = Clock::now();
    for (uint64_t i = 0; i < 3; ++i)
        ASSERT_TRUE(c.driver->send(kEmitter, testing::emitter_calldata(1, i)).ok());
    ASSERT_TRUE(c.driver->mine(1).ok());
    ASSERT_TRUE(wait_until([&] { return f.consumer.count() >= 3; }, 3000ms))
        << "polling did not deliver";
    std::printf("[ timing ] 3 logs delivered by polling %lld ms after their blocks\n",
                ms_since(t_logs));
    EXPECT_EQ(f.consumer.values(), (std::vector<uint64_t>{0, 1, 2}));
    std::this_thread::sleep_for(500ms);  // a few refused attempts
    auto down = f.heads->status();
    EXPECT_FALSE(down.subscribed());
    EXPECT_EQ(down.heads, heads_before) << "heads arrived through a cut socket";
    EXPECT_GE(down.failures, 2u) << "refused reconnect attempts were not counted";
    EXPECT_FALSE(down.last_error.empty());
    EXPECT_TRUE(down.subscription_id.empty());
    EXPECT_EQ(down.reconnects, 0u);

    // Restore: it reconnects, subscribes again, and heads flow again.
    ASSERT_TRUE(c.proxy->restore().ok());
    const auto t_restore = Clock::now();
    ASSERT_TRUE(wait_until([&] { return f.heads->socket_up(); }, 3000ms))
        << f.heads->status().last_error;
    std::printf("[ timing ] resubscribed %lld ms after the restore\n", ms_since(t_restore));
    auto up = f.heads->status();
    EXPECT_EQ(up.connects, 2u);
    EXPECT_EQ(up.reconnects, 1u);
    EXPECT_EQ(up.subscriptions, 2u);
    EXPECT_FALSE(up.subscription_id.empty());
    auto head = c.driver->block_number();
    ASSERT_TRUE(head.ok());
    ASSERT_TRUE(c.driver->send(kEmitter, testing::emitter_calldata(1, 3)).ok());
    ASSERT_TRUE(c.driver->mine(1).ok());
    ASSERT_TRUE(wait_until([&] { return f.heads->status().last_head == *head + 2; }, 2000ms))
        << "no heads after the restore; last " << f.heads->status().last_head;
    ASSERT_TRUE(wait_until([&] { return f.consumer.count() >= 4; }, 2000ms));
    EXPECT_EQ(f.consumer.values(), (std::vector<uint64_t>{0, 1, 2, 3}));
}

// Sends `bytes` into the subscriber's socket as if the node had sent them, and waits
// for the reconnect that must follow; returns the status after it.
WsHeadSubscriberStatus inject_and_expect_reconnect(TcpProxy& proxy, WsHeadSubscriber& sub,
                                                   const std::string& bytes) {
    const uint64_t connects = sub.status().connects;
    EXPECT_EQ(proxy.inject_to_clients(bytes), 1u);
    const auto t0 = Clock::now();
    EXPECT_TRUE(wait_until(
        [&] { return sub.status().connects > connects && sub.status().subscribed(); }, 4000ms))
        << "no reconnect; last error: " << sub.status().last_error;
    std::printf("[ timing ] resubscribed %lld ms after the injection\n", ms_since(t0));
    return sub.status();
}

TEST(WsHeads, GarbageAndSubscriptionErrorsNeverCrashAndReconnect) {
    Chain c = start_chain();
    ASSERT_TRUE(c.proxy);
    HeadLog log;
    auto sub = subscribe(fast_options(c.proxy->ws_url()), log);
    ASSERT_TRUE(sub);
    ASSERT_TRUE(wait_subscribed([&] { return sub->status(); })) << sub->status().last_error;

    // Well-framed but malformed messages: counted and ignored, the socket stays up.
    const std::vector<std::string> malformed = {
        "this is not json",
        std::string(5000, '['),
        R"({"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"0xnot-ours","result":{}}})",
        R"({"jsonrpc":"2.0","id":77,"result":"0x1"})",
        R"({"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":")" +
            sub->status().subscription_id + R"(","result":{"number":"0xzz"}}})",
    };
    for (const auto& m : malformed)
        ASSERT_EQ(c.proxy->inject_to_clients(testing::websocket_server_frame(m)), 1u);
    ASSERT_EQ(c.proxy->inject_to_clients(testing::websocket_server_frame("\x01\x02", 2)),
              1u);  // binary
    ASSERT_TRUE(wait_until([&] { return sub->status().malformed >= malformed.size() + 1; }, 2000ms))
        << "malformed " << sub->status().malformed;
    auto s = sub->status();
    EXPECT_EQ(s.malformed, malformed.size() + 1);
    EXPECT_TRUE(s.subscribed());
    EXPECT_EQ(s.connects, 1u);
    EXPECT_EQ(s.heads, 0u);

    // Bytes that are not WebSocket frames (reserved bits, unknown opcode): reconnect.
    s = inject_and_expect_reconnect(*c.proxy, *sub, std::string("\x7f\xff garbage \x00\x01", 14));
    EXPECT_EQ(s.reconnects, 1u);
    EXPECT_EQ(s.subscriptions, 2u);

    // An error answer to eth_subscribe: the subscription is gone, reconnect.
    s = inject_and_expect_reconnect(
        *c.proxy, *sub,
        testing::websocket_server_frame(
            R"({"jsonrpc":"2.0","id":1,"error":{"code":-32000,"message":"subscription lost"}})"));
    EXPECT_EQ(s.reconnects, 2u);
    EXPECT_NE(s.last_error.find("eth_subscribe failed (-32000): subscription lost"),
              std::string::npos)
        << s.last_error;

    // A frame announcing 1 GiB (above max_message_bytes): refused before it is read.
    std::string huge;
    huge += '\x81';
    huge += '\x7f';
    for (int shift = 56; shift >= 0; shift -= 8)
        huge += static_cast<char>(((uint64_t{1} << 30) >> shift) & 0xff);
    huge += "xxxx";
    s = inject_and_expect_reconnect(*c.proxy, *sub, huge);
    EXPECT_EQ(s.reconnects, 3u);
    EXPECT_GE(s.failures, 3u);

    // After all that, heads still arrive, in order.
    auto first = c.driver->block_number();
    ASSERT_TRUE(first.ok());
    ASSERT_TRUE(c.driver->mine(3).ok());
    ASSERT_TRUE(wait_until([&] { return log.last() == *first + 3; }, 2000ms)) << log.last();
    const auto heads = log.heads();
    ASSERT_EQ(heads.size(), 3u);
    for (size_t i = 0; i < heads.size(); ++i) EXPECT_EQ(heads[i].number, *first + 1 + i);
}

TEST(WsHeads, StalledPeerIsDetectedByPingAndShutdownIsBounded) {
    Chain c = start_chain();
    ASSERT_TRUE(c.proxy);
    HeadLog log;
    auto o = fast_options(c.proxy->ws_url());
    o.ping_interval = 200ms;
    o.pong_timeout = 300ms;
    auto sub = subscribe(o, log);
    ASSERT_TRUE(sub);
    ASSERT_TRUE(wait_subscribed([&] { return sub->status(); })) << sub->status().last_error;
    std::this_thread::sleep_for(600ms);  // pings are answered: still the first connection
    EXPECT_EQ(sub->status().connects, 1u);
    EXPECT_TRUE(sub->status().subscribed());

    // Unsolicited pongs (allowed by RFC 6455) must not disturb the liveness check.
    for (int i = 0; i < 3; ++i) {
        ASSERT_EQ(c.proxy->inject_to_clients(testing::websocket_server_frame("", 0xA)), 1u);
    }
    std::this_thread::sleep_for(100ms);

    // The peer goes silent without closing: only the missing pong can tell.
    c.proxy->stall();
    const auto t0 = Clock::now();
    ASSERT_TRUE(wait_until([&] { return !sub->status().subscribed(); }, 2000ms));
    std::printf("[ timing ] stalled socket detected after %lld ms\n", ms_since(t0));
    ASSERT_TRUE(wait_until(
        [&] { return sub->status().last_error.find("pong") != std::string::npos; }, 2000ms))
        << sub->status().last_error;
    c.proxy->unstall();
    ASSERT_TRUE(wait_subscribed([&] { return sub->status(); }, 4000ms)) << sub->status().last_error;
    EXPECT_GE(sub->status().reconnects, 1u);

    // Destruction while a handshake hangs (stalled proxy) is bounded too.
    c.proxy->stall();
    HeadLog log2;
    auto hanging = subscribe(o, log2);
    std::this_thread::sleep_for(100ms);
    EXPECT_EQ(hanging->status().state, WsHeadSubscriberStatus::State::connecting);
    auto t1 = Clock::now();
    hanging.reset();
    EXPECT_LT(ms_since(t1), 1500);
    std::printf("[ timing ] destroyed during a hanging handshake in %lld ms\n", ms_since(t1));
    t1 = Clock::now();
    sub.reset();
    EXPECT_LT(ms_since(t1), 1500);
    std::printf("[ timing ] destroyed with a stalled socket in %lld ms\n", ms_since(t1));
}

TEST(WsHeads, WssToAPlainSocketFailsTheHandshakeAndKeepsTrying) {
    Chain c = start_chain();
    ASSERT_TRUE(c.proxy);
    HeadLog log;
    auto o = fast_options("wss://127.0.0.1:" + std::to_string(c.proxy->port()));
    auto sub = subscribe(o, log);
    ASSERT_TRUE(sub);
    ASSERT_TRUE(wait_until([&] { return sub->status().failures >= 2; }, 4000ms))
        << sub->status().last_error;
    const auto s = sub->status();
    EXPECT_FALSE(s.connected());
    EXPECT_EQ(s.connects, 0u);
    EXPECT_NE(s.last_error.find("connection failed"), std::string::npos) << s.last_error;
    const auto t0 = Clock::now();
    sub.reset();
    EXPECT_LT(ms_since(t0), 1500);
}

}  // namespace
}  // namespace vigil::chains

namespace vigil::chains {
namespace {

TEST(WsHeads, WssVerifiesTheCertificateChainAndTheHostName) {
    Chain c = start_chain();
    ASSERT_TRUE(c.anvil);
    auto identity = testing::self_signed_identity({"localhost"});
    ASSERT_TRUE(identity.ok()) << identity.error().message;
    auto tls = TcpProxy::start(c.anvil->port(), *identity);
    ASSERT_TRUE(tls.ok()) << tls.error().message;
    TempDir dir;
    const std::string ca_file = (dir.path / "ca.pem").string();
    {
        std::ofstream out(ca_file);
        out << identity->cert_pem;
    }
    auto expect_refused = [&](WsHeadSubscriberOptions o, const char* what,
                              const std::string& reason) {
        HeadLog log;
        auto sub = subscribe(o, log);
        ASSERT_TRUE(sub);
        ASSERT_TRUE(wait_until([&] { return sub->status().failures >= 2; }, 4000ms)) << what;
        const auto s = sub->status();
        EXPECT_EQ(s.connects, 0u) << what;
        EXPECT_NE(s.last_error.find("certificate verify failed: " + reason), std::string::npos)
            << what << ": " << s.last_error;
        std::printf("[ refused  ] %s: %s\n", what, s.last_error.c_str());
    };
    auto expect_heads = [&](WsHeadSubscriberOptions o, const char* what) {
        HeadLog log;
        auto sub = subscribe(o, log);
        ASSERT_TRUE(sub);
        ASSERT_TRUE(wait_subscribed([&] { return sub->status(); }, 4000ms))
            << what << ": " << sub->status().last_error;
        auto first = c.driver->block_number();
        ASSERT_TRUE(first.ok());
        ASSERT_TRUE(c.driver->mine(2).ok());
        ASSERT_TRUE(wait_until([&] { return log.last() == *first + 2; }, 2000ms)) << what;
        EXPECT_EQ(log.size(), 2u) << what;
    };

    // Unknown issuer (only the system trust store): refused.
    expect_refused(fast_options((*tls)->wss_url("localhost")), "untrusted certificate",
                   "self-signed certificate");
    // Trusted certificate, but the URL names a host the certificate does not.
    auto wrong_host = fast_options((*tls)->wss_url("127.0.0.1"));
    wrong_host.ca_file = ca_file;
    expect_refused(wrong_host, "host name mismatch",
                   "the certificate does not name host 127.0.0.1");
    // Trusted certificate for the URL's host: heads flow over TLS.
    auto good = fast_options((*tls)->wss_url("localhost"));
    good.ca_file = ca_file;
    expect_heads(good, "trusted");
    // Verification off (development only): accepted despite both problems.
    auto unverified = fast_options((*tls)->wss_url("127.0.0.1"));
    unverified.verify_peer = false;
    expect_heads(unverified, "unverified");
}

}  // namespace
}  // namespace vigil::chains
