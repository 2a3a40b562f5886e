// The chains/ listener against real Anvil chains: ordering, exactly-once, reorgs above and
// below the confirmation depth, faulty endpoints, and SIGKILL during a backfill.
#include "chains/listener.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "tests/support/anvil.h"
#include "tests/support/chain_driver.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/temp_dir.h"

namespace vigil::chains {
namespace {

using testing::AnvilOptions;
using testing::AnvilProcess;
using testing::ChainDriver;
using testing::Fault;
using testing::FaultProxy;

const eth::Address kEmitter = *eth::Address::from_hex("0x000000000000000000000000000000000000beef");

uint64_t word_value(const eth::Bytes& data) {
    uint64_t v = 0;
    for (size_t i = 24; i < 32 && i < data.size(); ++i) v = v << 8 | data[i];
    return v;
}

std::string log_key(const std::string& chain, uint64_t block, uint64_t log_index) {
    return chain + "/" + core::be_key(block) + core::be_key(log_index);
}

// Records every confirmed log in the store (with an emission count, so a repeat shows)
// and in memory; drops orphaned ones on a reorg.
class RecordingConsumer : public LogConsumer {
  public:
    RecordingConsumer(std::string chain, core::Store& store)
        : chain_(std::move(chain)), store_(store) {}

    Status on_confirmed(uint64_t, const BlockRef& last, const std::vector<ConfirmedLog>& logs,
                        core::WriteBatch& batch) override {
        for (const ConfirmedLog& l : logs) {
            const std::string k = log_key(chain_, l.block_number, l.log_index);
            VIGIL_TRY(auto prior, store_.get("seen", k));
            int count = prior ? std::stoi(prior->substr(prior.value().find(':') + 1)) : 0;
            batch.put("seen", k,
                      std::to_string(word_value(l.data)) + ":" + std::to_string(count + 1));
        }
        std::lock_guard<std::mutex> lock(mu_);
        for (const ConfirmedLog& l : logs)
            emitted.push_back({l.block_number, l.block_hash, word_value(l.data)});
        last_confirmed = last.number;
        return {};
    }

    Status on_reorg(uint64_t first_orphaned, core::WriteBatch& batch) override {
        VIGIL_CHECK(store_.scan("seen", chain_ + "/", [&](std::string_view k, std::string_view) {
            uint64_t block = *core::parse_be_key(k.substr(chain_.size() + 1, 8));
            if (block >= first_orphaned) batch.erase("seen", std::string(k));
            return true;
        }));
        std::lock_guard<std::mutex> lock(mu_);
        std::erase_if(emitted, [&](const Emitted& e) { return e.block >= first_orphaned; });
        reorgs.push_back(first_orphaned);
        return {};
    }

    struct Emitted {
        uint64_t block;
        eth::Hash32 hash;
        uint64_t value;
    };
    std::vector<uint64_t> values() {
        std::lock_guard<std::mutex> lock(mu_);
        std::vector<uint64_t> out;
        for (const auto& e : emitted) out.push_back(e.value);
        return out;
    }

    std::mutex mu_;
    std::vector<Emitted> emitted;
    std::vector<uint64_t> reorgs;
    uint64_t last_confirmed = 0;

  private:
    std::string chain_;
    core::Store& store_;
};

core::ChainConfig chain_config(const std::string& name, uint64_t chain_id, const std::string& url,
                               uint64_t confirmations) {
    core::ChainConfig c;
    c.name = name;
    c.chain_id = chain_id;
    c.rpc = {url};
    c.finality.kind = core::Finality::Kind::confirmations;
    c.finality.confirmations = confirmations;
    c.poll_interval_ms = 50;
    c.max_block_range = 1000;
    c.reorg_window = 64;
    return c;
}

rpc::RpcClientOptions rpc_options(const core::ChainConfig& c) {
    rpc::RpcClientOptions o;
    o.chain = c.name;
    o.urls = c.rpc;
    o.expected_chain_id = c.chain_id;
    o.requests_per_second = 0;
    o.timeout = std::chrono::milliseconds(3000);
    o.backoff_base = std::chrono::milliseconds(5);
    o.backoff_max = std::chrono::milliseconds(100);
    o.endpoint_rest = std::chrono::milliseconds(50);
    return o;
}

using testing::TempDir;

// Steps a listener until it is caught up (bounded).
void step_until_caught_up(Listener& l) {
    for (int i = 0; i < 500; ++i) {
        auto r = l.step();
        ASSERT_TRUE(r.ok()) << r.error().message;
        if (r->caught_up) return;
    }
    FAIL() << "listener did not catch up";
}

core::Logger quiet_logger() {
    static std::ostringstream sink;
    return core::Logger(sink, core::LogFormat::json, core::LogLevel::error);
}

std::unique_ptr<AnvilProcess> start_chain(uint64_t chain_id) {
    AnvilOptions o;
    o.chain_id = chain_id;
    auto a = AnvilProcess::start(o);
    EXPECT_TRUE(a.ok()) << a.error().message;
    return a.ok() ? std::move(a).value() : nullptr;
}

// A listener on one chain, with its own RPC client, recording the logs of `filter`
// (kEmitter's by default) into `store`. Not copyable: the listener holds references to
// the client and the consumer.
struct RecordingListener {
    RecordingListener(const core::ChainConfig& config, core::Store& store,
                      LogFilter filter = LogFilter{{kEmitter}, {}})
        : rpc(rpc_options(config)),
          consumer(config.name, store),
          listener(config, "test", std::move(filter), rpc, store, consumer, quiet_logger()) {}
    RecordingListener(const RecordingListener&) = delete;
    RecordingListener& operator=(const RecordingListener&) = delete;

    // Connects to the chain and loads the cursor.
    Status start() {
        VIGIL_CHECK(rpc.connect());
        return listener.start();
    }

    rpc::RpcClient rpc;
    RecordingConsumer consumer;
    Listener listener;
};

TEST(Listener, ThreeChainsInOrderEachLogExactlyOnce) {
    TempDir dir;
    auto store = core::Store::open(dir.path / "store");
    ASSERT_TRUE(store.ok());
    struct Chain {
        std::unique_ptr<AnvilProcess> anvil;
        core::ChainConfig config;
        std::unique_ptr<RecordingListener> recording;
        std::thread thread;
    };
    std::vector<Chain> chains(3);
    for (size_t i = 0; i < chains.size(); ++i) {
        Chain& c = chains[i];
        c.anvil = start_chain(900 + i);
        ASSERT_TRUE(c.anvil);
        c.config = chain_config("chain" + std::to_string(i), 900 + i, c.anvil->rpc_url(), 2);
        c.recording = std::make_unique<RecordingListener>(
            c.config, **store, LogFilter{{kEmitter}, {{testing::emitter_topic()}}});
        ASSERT_TRUE(c.recording->start().ok());
        c.thread = std::thread([&c] { (void)c.recording->listener.run(); });
    }
    // Traffic while the listeners run: 40 calls per chain, 1-3 logs each, in sequence.
    std::map<size_t, std::vector<uint64_t>> expected;
    for (size_t i = 0; i < chains.size(); ++i) {
        ChainDriver d(chains[i].anvil->rpc_url(), 900 + i);
        ASSERT_TRUE(d.set_code(kEmitter, testing::emitter_runtime_hex()).ok());
        uint64_t next = 0;
        for (int call = 0; call < 40; ++call) {
            uint64_t count = 1 + call % 3;
            ASSERT_TRUE(d.send(kEmitter, testing::emitter_calldata(count, next)).ok());
            for (uint64_t k = 0; k < count; ++k) expected[i].push_back(next++);
        }
        ASSERT_TRUE(d.mine(3).ok());  // confirm the last ones
    }
    for (auto& c : chains) {
        for (int i = 0;
             i < 400 && c.recording->consumer.values().size() < expected[&c - chains.data()].size();
             ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    for (auto& c : chains) {
        c.recording->listener.request_stop();
        c.thread.join();
    }
    for (size_t i = 0; i < chains.size(); ++i) {
        EXPECT_EQ(chains[i].recording->consumer.values(), expected[i]) << chains[i].config.name;
        size_t stored = 0;
        ASSERT_TRUE((*store)
                        ->scan("seen", chains[i].config.name + "/",
                               [&](std::string_view, std::string_view v) {
                                   EXPECT_EQ(v.substr(v.find(':')), ":1");  // emitted exactly once
                                   ++stored;
                                   return true;
                               })
                        .ok());
        EXPECT_EQ(stored, expected[i].size());
    }
}

TEST(Listener, ReorgBelowConfirmationDepthNeverEmitsOrphans) {
    TempDir dir;
    auto anvil = start_chain(31337);
    ASSERT_TRUE(anvil);
    ChainDriver d(anvil->rpc_url(), 31337);
    ASSERT_TRUE(d.set_code(kEmitter, testing::emitter_runtime_hex()).ok());
    for (uint64_t i = 0; i < 5; ++i)
        ASSERT_TRUE(d.send(kEmitter, testing::emitter_calldata(1, i)).ok());
    auto store = core::Store::open(dir.path / "store");
    ASSERT_TRUE(store.ok());
    auto config = chain_config("l1", 31337, anvil->rpc_url(), 3);
    RecordingListener recording(config, **store);
    ASSERT_TRUE(recording.start().ok());
    step_until_caught_up(recording.listener);
    // Head 6 (code set in block 1), confirmed 3: logs 0 and 1 (blocks 2, 3) are out.
    EXPECT_EQ(recording.consumer.values(), (std::vector<uint64_t>{0, 1}));

    // Replace blocks 5 and 6 (unconfirmed, holding logs 3 and 4) with one log 100.
    ASSERT_TRUE(d.reorg(2, {{kEmitter, testing::emitter_calldata(1, 100)}}).ok());
    ASSERT_TRUE(d.mine(4).ok());
    step_until_caught_up(recording.listener);
    EXPECT_EQ(recording.consumer.values(), (std::vector<uint64_t>{0, 1, 2, 100}));
    EXPECT_TRUE(recording.consumer.reorgs.empty());
    // Every emitted log is from a block that is canonical now.
    for (const auto& e : recording.consumer.emitted) {
        auto b = recording.rpc.call("eth_getBlockByNumber",
                                    rpc::Json::array({eth::to_quantity(e.block), false}));
        ASSERT_TRUE(b.ok());
        EXPECT_EQ((*b)["hash"].get<std::string>(), e.hash.to_hex());
    }
}

TEST(Listener, ReorgAboveConfirmationDepthRollsBackAndReemitsOnce) {
    TempDir dir;
    auto anvil = start_chain(31337);
    ASSERT_TRUE(anvil);
    ChainDriver d(anvil->rpc_url(), 31337);
    ASSERT_TRUE(d.set_code(kEmitter, testing::emitter_runtime_hex()).ok());
    for (uint64_t i = 0; i < 8; ++i)
        ASSERT_TRUE(d.send(kEmitter, testing::emitter_calldata(1, i)).ok());
    auto store = core::Store::open(dir.path / "store");
    ASSERT_TRUE(store.ok());
    auto config = chain_config("l1", 31337, anvil->rpc_url(), 1);
    config.max_block_range = 2;
    RecordingListener recording(config, **store);
    ASSERT_TRUE(recording.start().ok());
    step_until_caught_up(recording.listener);
    EXPECT_EQ(recording.consumer.values(),
              (std::vector<uint64_t>{0, 1, 2, 3, 4, 5, 6}));  // head 9, confirmed 8

    // Replace blocks 6..9 (logs 4..7; 4..6 already confirmed) with one log 200.
    ASSERT_TRUE(d.reorg(4, {{kEmitter, testing::emitter_calldata(1, 200)}}).ok());
    ASSERT_TRUE(d.mine(2).ok());
    step_until_caught_up(recording.listener);
    EXPECT_EQ(recording.consumer.values(), (std::vector<uint64_t>{0, 1, 2, 3, 200}));
    ASSERT_EQ(recording.consumer.reorgs.size(), 1u);
    EXPECT_LE(recording.consumer.reorgs[0], 6u);
    EXPECT_EQ(recording.listener.status().reorgs, 1u);
    size_t stored = 0;
    ASSERT_TRUE((*store)
                    ->scan("seen", "l1/",
                           [&](std::string_view, std::string_view) {
                               ++stored;
                               return true;
                           })
                    .ok());
    EXPECT_EQ(stored, 5u);
}

TEST(Listener, ReorgDeeperThanTheWindowIsFatal) {
    TempDir dir;
    auto anvil = start_chain(31337);
    ASSERT_TRUE(anvil);
    ChainDriver d(anvil->rpc_url(), 31337);
    ASSERT_TRUE(d.mine(12).ok());
    auto store = core::Store::open(dir.path / "store");
    ASSERT_TRUE(store.ok());
    auto config = chain_config("l1", 31337, anvil->rpc_url(), 1);
    config.max_block_range = 1;
    config.reorg_window = 3;
    RecordingListener recording(config, **store);
    ASSERT_TRUE(recording.start().ok());
    step_until_caught_up(recording.listener);
    ASSERT_TRUE(d.reorg(10, {}).ok());
    Status s = recording.listener.run();
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, kListenerFatal);
    EXPECT_NE(s.error().message.find("deeper than the kept window"), std::string::npos)
        << s.error().message;
}

TEST(Listener, FaultyEndpointsLoseNothing) {
    TempDir dir;
    auto anvil = start_chain(31337);
    ASSERT_TRUE(anvil);
    ChainDriver d(anvil->rpc_url(), 31337);
    ASSERT_TRUE(d.set_code(kEmitter, testing::emitter_runtime_hex()).ok());
    std::vector<uint64_t> expected;
    for (uint64_t i = 0; i < 60; ++i) {
        ASSERT_TRUE(d.send(kEmitter, testing::emitter_calldata(5, i * 5)).ok());
        for (uint64_t k = 0; k < 5; ++k) expected.push_back(i * 5 + k);
    }
    ASSERT_TRUE(d.mine(2).ok());
    auto proxy = FaultProxy::start(anvil->rpc_url());
    ASSERT_TRUE(proxy.ok());
    // "Too many results" for any eth_getLogs over more than 4 blocks, plus random drops,
    // 500s, 429s, truncated and garbled answers on a third of the requests.
    std::mt19937 rng(7);
    std::mutex rng_mu;
    int too_many = 0;
    (*proxy)->set_policy([&](const rpc::Json& req) {
        std::lock_guard<std::mutex> lock(rng_mu);
        if (req.is_object() && req.value("method", "") == "eth_getLogs") {
            const auto& f = req["params"][0];
            uint64_t from = *eth::parse_quantity(f["fromBlock"].get<std::string>());
            uint64_t to = *eth::parse_quantity(f["toBlock"].get<std::string>());
            if (to - from + 1 > 4) {
                ++too_many;
                return Fault::of(Fault::Kind::rpc_error);
            }
        }
        switch (rng() % 12) {
            case 0:
                return Fault::of(Fault::Kind::drop);
            case 1: {
                Fault f = Fault::of(Fault::Kind::http_status);
                f.status = 500;
                return f;
            }
            case 2: {
                Fault f = Fault::of(Fault::Kind::http_status);
                f.status = 429;
                return f;
            }
            case 3:
                return Fault::of(Fault::Kind::truncate);
            default:
                return Fault::pass_through();
        }
    });
    auto store = core::Store::open(dir.path / "store");
    ASSERT_TRUE(store.ok());
    // Two endpoints: the faulty proxy first, and a dead one.
    auto config = chain_config("l1", 31337, (*proxy)->url(), 1);
    config.rpc.push_back("http://127.0.0.1:1");
    RecordingListener recording(config, **store);
    ASSERT_TRUE(recording.start().ok());
    std::thread t([&] { (void)recording.listener.run(); });
    for (int i = 0; i < 600 && recording.consumer.values().size() < expected.size(); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    recording.listener.request_stop();
    t.join();
    EXPECT_EQ(recording.consumer.values(), expected);
    EXPECT_GT((*proxy)->faults(), 10u);
    // The range shrank to what the endpoint accepts and stayed there instead of probing
    // the limit on every other request (about 16 ranges of 4 blocks were needed).
    EXPECT_GT(too_many, 0);
    EXPECT_LE(too_many, 12);
}

TEST(Listener, SigkillDuringBackfillNeitherSkipsNorRepeats) {
    TempDir dir;
    auto anvil = start_chain(31337);
    ASSERT_TRUE(anvil);
    ChainDriver d(anvil->rpc_url(), 31337);
    ASSERT_TRUE(d.set_code(kEmitter, testing::emitter_runtime_hex()).ok());
    constexpr uint64_t kCalls = 100, kPerCall = 200;  // 20,000 logs
    for (uint64_t i = 0; i < kCalls; ++i)
        ASSERT_TRUE(
            d.send(kEmitter, testing::emitter_calldata(kPerCall, i * kPerCall), 8'000'000).ok());
    ASSERT_TRUE(d.mine(2).ok());
    auto config = chain_config("l1", 31337, anvil->rpc_url(), 1);
    config.max_block_range = 2;  // ~400 logs per committed step
    const auto store_dir = dir.path / "store";

    // Kill the backfilling process at random points 8 times, then let it finish.
    std::mt19937 rng(12345);
    int kills = 0;
    for (int run = 0; run < 9; ++run) {
        pid_t pid = fork();
        ASSERT_GE(pid, 0);
        if (pid == 0) {
            auto store = core::Store::open(store_dir);
            if (!store) _exit(3);
            RecordingListener recording(config, **store);
            if (!recording.start().ok()) _exit(4);
            for (;;) {
                auto r = recording.listener.step();
                if (!r.ok()) _exit(6);
                if (r->caught_up) _exit(0);
            }
        }
        int status = 0;
        if (run == 8) {
            waitpid(pid, &status, 0);
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(5 + rng() % 50));
        }
        if (run < 8 && waitpid(pid, &status, WNOHANG) == 0) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            ++kills;
            continue;
        }
        ASSERT_TRUE(WIFEXITED(status)) << "child died unexpectedly";
        ASSERT_EQ(WEXITSTATUS(status), 0) << "child failed";
        break;
    }
    EXPECT_GE(kills, 3) << "the backfill finished before it could be interrupted";
    auto store = core::Store::open(store_dir);
    ASSERT_TRUE(store.ok()) << store.error().message;
    std::set<uint64_t> values;
    size_t entries = 0;
    ASSERT_TRUE((*store)
                    ->scan("seen", "l1/",
                           [&](std::string_view, std::string_view v) {
                               ++entries;
                               EXPECT_EQ(v.substr(v.find(':')), ":1") << "a log was emitted twice";
                               values.insert(std::stoull(std::string(v.substr(0, v.find(':')))));
                               return true;
                           })
                    .ok());
    EXPECT_EQ(entries, kCalls * kPerCall);
    EXPECT_EQ(values.size(), kCalls * kPerCall);
    if (!values.empty()) {
        EXPECT_EQ(*values.rbegin(), kCalls * kPerCall - 1);
    }
}

}  // namespace
}  // namespace vigil::chains
