// The relayer (`vigil run`: verifier and relayer in one process) on a real devnet: an L1
// and two L2 Anvil chains mining every second, 200 withdrawals (data from 0 to 10 KiB)
// across both L2s, valid and invalid proposals, and the daemon SIGKILLed five times at
// random moments meanwhile (then stopped once with SIGTERM and started again). Judged from the
// outside, as the chains see it:
//  - every withdrawal is finalized, exactly one WithdrawalFinalized each (success);
//  - exactly one WithdrawalProven per (withdrawal, game), and every game proved against
//    is one the test proposed valid;
//  - the withdrawals whose only covering game is invalid wait (not proved), and are
//    proved once a later valid game covers them;
//  - no transaction of the relayer's key reverted, and it sent nothing but those proofs
//    and finalizations;
//  - the persisted counts survive the kills: the metrics say 100 finalized per route.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "chains/eth/abi.h"
#include "chains/eth/keccak.h"
#include "chains/eth/opstack.h"
#include "chains/rpc/json_fields.h"
#include "tests/support/devnet.h"
#include "tests/support/http.h"
#include "tests/support/process.h"
#include "tests/support/temp_dir.h"

namespace vigil {
namespace {

using eth::abi::Value;
using nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint64_t kConfirmations = 2;
constexpr size_t kPerL2 = 100;
constexpr size_t kMaxData = 10 * 1024;

struct Sent {
    std::string l2;
    eth::Hash32 hash;
    uint64_t l2_block = 0;
};

using testing::http_get;
using testing::metric_sum;

struct Rig {
    testing::TempDir dir;
    std::unique_ptr<testing::Devnet> devnet;
    std::unique_ptr<testing::DevnetClient> client;
    uint16_t metrics_port = 0;
    std::filesystem::path config, output;
    std::map<std::string, std::string> env;
    std::mutex mu;  // vigil
    std::optional<testing::ChildProcess> vigil;
    int launches = 0;

    void start() {
        testing::DevnetOptions o;
        o.l2_count = 2;
        o.block_time_secs = 1;
        o.max_clock_duration_secs = 30;
        o.proof_maturity_delay_secs = 5;
        o.dispute_game_finality_delay_secs = 3;
        auto d = testing::Devnet::start(o);
        ASSERT_TRUE(d.ok()) << d.error().message;
        devnet = std::move(d).value();
        auto c = testing::DevnetClient::connect(devnet->info());
        ASSERT_TRUE(c.ok()) << c.error().message;
        client = std::move(c).value();
        const testing::DevnetInfo& info = devnet->info();
        metrics_port = testing::free_tcp_port();
        config = dir.path / "vigil.yaml";
        std::ofstream(config) << info.vigil_yaml(
            "store", "127.0.0.1:" + std::to_string(metrics_port), kConfirmations);
        env = info.signer_env();
    }

    void launch() {
        output = dir.path / ("vigil-" + std::to_string(++launches) + ".log");
        auto p = testing::ChildProcess::spawn(
            {std::string(VIGIL_BINARY_DIR) + "/vigil", "run", "--config", config.string()}, env,
            output);
        ASSERT_TRUE(p.ok()) << p.error().message;
        vigil.emplace(std::move(p).value());
    }

    // The last lines of the running launch's log.
    std::string current_log_tail() const {
        std::ifstream in(output);
        std::string all(std::istreambuf_iterator<char>(in), {});
        return all.size() > 6000 ? all.substr(all.size() - 6000) : all;
    }

    std::string logs() const {
        std::string all;
        for (int i = 1; i <= launches; ++i) {
            std::ifstream in(dir.path / ("vigil-" + std::to_string(i) + ".log"));
            all += "--- launch " + std::to_string(i) + " ---\n" +
                   std::string(std::istreambuf_iterator<char>(in), {});
        }
        return all.size() > 20000 ? all.substr(all.size() - 20000) : all;
    }

    // `count` withdrawals from the user key on `l2`, broadcast at once (explicit nonces),
    // data sizes spread over 0..10 KiB; their hashes from the receipts' MessagePassed.
    std::vector<Sent> burst(const std::string& l2, size_t count, size_t first) {
        std::vector<Sent> out;
        auto user = client->key("user");
        EXPECT_TRUE(user.ok());
        const testing::DevnetL2* chain = devnet->info().l2(l2);
        auto nonce_json = client->rpc(l2)->call("eth_getTransactionCount",
                                                json::array({user->address().to_hex(), "pending"}));
        EXPECT_TRUE(nonce_json.ok());
        auto nonce = eth::parse_quantity(nonce_json->get<std::string>());
        EXPECT_TRUE(nonce.ok());
        static const auto sig =
            *eth::abi::parse_signature("initiateWithdrawal(address,uint256,bytes)");
        std::vector<eth::Hash32> txs;
        for (size_t i = 0; i < count; ++i) {
            const size_t n = first + i;
            const size_t size = n % 7 == 0 ? 0 : (n * 2053) % (kMaxData + 1);
            eth::Bytes data(size);
            for (size_t j = 0; j < size; ++j) data[j] = static_cast<uint8_t>(n * 13 + j * 7 + 1);
            auto call = eth::abi::encode_call(
                sig,
                Value::tuple({Value::address(user->address()),
                              Value::uint(eth::U256(100'000 + 16 * size)), Value::bytes(data)}));
            EXPECT_TRUE(call.ok());
            auto tx = client->submit(l2, *user, chain->message_passer, *call, eth::U256(),
                                     *nonce + i, 250'000 + 64 * size);
            EXPECT_TRUE(tx.ok()) << tx.error().message;
            if (tx.ok()) txs.push_back(*tx);
        }
        for (const auto& h : txs) {
            auto receipt = client->wait_receipt(l2, h);
            EXPECT_TRUE(receipt.ok() && receipt->success) << h.to_hex();
            if (!receipt.ok()) continue;
            for (const auto& log : receipt->logs) {
                auto m = eth::opstack::decode_message_passed(log.address, log.topics, log.data);
                if (m) out.push_back({l2, m->withdrawal_hash, receipt->block});
            }
        }
        EXPECT_EQ(out.size(), count);
        return out;
    }

    // An L2 block at or above `at_least` that is settled under the config's confirmations.
    uint64_t settled(const std::string& l2, uint64_t at_least) {
        for (;;) {
            auto head = client->block_number(l2);
            if (head.ok() && *head >= at_least + kConfirmations) return *head - kConfirmations;
            std::this_thread::sleep_for(milliseconds(250));
        }
    }

    // provenWithdrawals(hash, relayer).timestamp on L1.
    uint64_t proven_at(const Sent& w) {
        auto relayer = client->key("relayer");
        auto v = client->view(
            "l1", devnet->info().l2(w.l2)->optimism_portal, "provenWithdrawals(bytes32,address)",
            {Value::fixed_bytes(eth::Bytes(w.hash.bytes.begin(), w.hash.bytes.end())),
             Value::address(relayer->address())},
            "(address,uint64)");
        if (!v.ok()) return 0;
        return v->as<eth::abi::TupleValue>().items[1].as<eth::abi::UintValue>().value.low64();
    }

    bool finalized(const Sent& w) {
        auto v = client->view(
            "l1", devnet->info().l2(w.l2)->optimism_portal, "finalizedWithdrawals(bytes32)",
            {Value::fixed_bytes(eth::Bytes(w.hash.bytes.begin(), w.hash.bytes.end()))}, "(bool)");
        return v.ok() && v->as<eth::abi::TupleValue>().items[0].as<bool>();
    }
};

eth::Hash32 topic(const char* event) {
    return eth::abi::event_topic(*eth::abi::parse_signature(event));
}

TEST(Relayer, TwoHundredWithdrawalsExactlyOnceThroughFiveSigkillsOnlyAgainstValidGames) {
    Rig rig;
    rig.start();
    if (HasFatalFailure()) return;
    rig.launch();
    if (HasFatalFailure()) return;
    const std::vector<std::string> l2s = {"op-a", "op-b"};

    // Five SIGKILLs at random moments while traffic and finalizations run; each time the
    // daemon is started again at once.
    std::atomic<bool> traffic_done{false};
    std::atomic<int> kills{0};
    // Written by the killer thread before it ends.
    std::optional<int> sigterm_exit;
    int64_t sigterm_ms = 0;
    std::string sigterm_log;
    std::thread killer([&] {
        std::mt19937 rng(20261124);
        std::uniform_int_distribution<int> pause_ms(4000, 14000);
        for (int k = 0; k < 5; ++k) {
            std::this_thread::sleep_for(milliseconds(pause_ms(rng)));
            std::lock_guard<std::mutex> lock(rig.mu);
            rig.vigil->signal(SIGKILL);
            rig.vigil->wait(seconds(10));
            rig.launch();
            ++kills;
        }
        // And once the graceful way: SIGTERM, exit 0, started again.
        std::this_thread::sleep_for(milliseconds(pause_ms(rng)));
        std::lock_guard<std::mutex> lock(rig.mu);
        const auto asked = std::chrono::steady_clock::now();
        rig.vigil->signal(SIGTERM);
        // Within the chart's terminationGracePeriodSeconds (60), as Kubernetes would allow.
        sigterm_exit = rig.vigil->wait(seconds(60));
        sigterm_ms =
            std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - asked)
                .count();
        if (!sigterm_exit) {
            // Not stopped in time: what it was doing (then SIGKILL, as an orchestrator would).
            sigterm_log = rig.current_log_tail();
            rig.vigil->signal(SIGKILL);
            rig.vigil->wait(seconds(10));
        }
        rig.launch();
    });

    std::map<std::string, std::set<uint64_t>> valid_games;  // by L2: factory indexes
    auto propose = [&](const std::string& l2, uint64_t block, bool invalid) {
        auto p = rig.client->propose(l2, block, invalid);
        ASSERT_TRUE(p.ok()) << p.error().message;
        if (!invalid) valid_games[l2].insert(p->game_index);
    };

    std::vector<Sent> all;
    size_t n = 0;
    // Wave 1: 30 per L2, covered by valid games.
    for (const auto& l2 : l2s) {
        auto sent = rig.burst(l2, 30, n);
        n += 30;
        uint64_t top = 0;
        for (const auto& w : sent) top = std::max(top, w.l2_block);
        all.insert(all.end(), sent.begin(), sent.end());
        propose(l2, rig.settled(l2, top), false);
    }
    // Wave 2: 30 per L2; on op-a only an invalid game covers them at first.
    std::vector<Sent> waiting;
    for (const auto& l2 : l2s) {
        auto sent = rig.burst(l2, 30, n);
        n += 30;
        uint64_t top = 0;
        for (const auto& w : sent) top = std::max(top, w.l2_block);
        all.insert(all.end(), sent.begin(), sent.end());
        propose(l2, rig.settled(l2, top), l2 == "op-a");
        if (l2 == "op-a") waiting = sent;
    }
    // They wait: the relayer has judged the invalid game and proves nothing against it.
    std::this_thread::sleep_for(seconds(10));
    size_t proved_early = 0;
    for (const auto& w : waiting) proved_early += rig.proven_at(w) != 0;
    EXPECT_EQ(proved_early, 0u) << "withdrawals covered only by an invalid game were proved";
    {
        auto head = rig.client->block_number("op-a");
        ASSERT_TRUE(head.ok());
        propose("op-a", rig.settled("op-a", *head), false);
    }
    // Wave 3: 40 per L2, valid games, then a newer invalid game on op-b (ignored).
    for (const auto& l2 : l2s) {
        auto sent = rig.burst(l2, 40, n);
        n += 40;
        uint64_t top = 0;
        for (const auto& w : sent) top = std::max(top, w.l2_block);
        all.insert(all.end(), sent.begin(), sent.end());
        const uint64_t at = rig.settled(l2, top);
        propose(l2, at, false);
        if (l2 == "op-b") propose(l2, rig.settled(l2, at + 1), true);
    }
    ASSERT_EQ(all.size(), 2 * kPerL2);
    traffic_done = true;

    // Everything is finalized (games resolve after their 30 s clocks; the verifier
    // resolves them, the relayer finalizes after the 5 s + 3 s delays).
    const auto until = std::chrono::steady_clock::now() + seconds(300);
    size_t done = 0;
    while (std::chrono::steady_clock::now() < until) {
        done = 0;
        for (const auto& w : all) done += rig.finalized(w);
        if (done == all.size() && kills == 5) break;
        std::this_thread::sleep_for(seconds(2));
    }
    killer.join();
    ASSERT_EQ(done, all.size()) << rig.logs();
    for (const auto& w : waiting) EXPECT_NE(rig.proven_at(w), 0u);

    // Metrics from the persisted counts, after five kills: 100 finalized on each route
    // (once the finalizations are `confirmations` deep: the chain says finalized first).
    std::string page;
    for (int i = 0; i < 120; ++i) {
        page = http_get(rig.metrics_port, "/metrics");
        if (metric_sum(page, "vigil_relayer_messages", "route=\"op-a\",state=\"finalized\"") ==
                kPerL2 &&
            metric_sum(page, "vigil_relayer_messages", "route=\"op-b\",state=\"finalized\"") ==
                kPerL2)
            break;
        std::this_thread::sleep_for(milliseconds(250));
    }
    for (const auto& l2 : l2s) {
        EXPECT_EQ(
            metric_sum(page, "vigil_relayer_messages", "route=\"" + l2 + "\",state=\"finalized\""),
            static_cast<double>(kPerL2))
            << page;
        EXPECT_EQ(metric_sum(page, "vigil_relayer_queue_depth", "route=\"" + l2 + "\""), 0.0)
            << [&] {
                   std::string lines;
                   std::istringstream in(page);
                   for (std::string line; std::getline(in, line);)
                       if (line.rfind("vigil_relayer_messages", 0) == 0) lines += line + "\n";
                   return lines;
               }();
        EXPECT_EQ(
            metric_sum(page, "vigil_relayer_messages", "route=\"" + l2 + "\",state=\"failed\""),
            0.0);
    }
    {
        std::lock_guard<std::mutex> lock(rig.mu);
        rig.vigil->signal(SIGTERM);
        EXPECT_EQ(rig.vigil->wait(seconds(30)), std::optional<int>(0));
    }

    // `vigil status` (the daemon stopped, the store free) lists the routes' counts.
    auto status = testing::run_command({std::string(VIGIL_BINARY_DIR) + "/vigil", "status",
                                        "--config", rig.config.string(), "--json"});
    ASSERT_TRUE(status.ok()) << status.error().message;
    auto report = json::parse(status->out, nullptr, false);
    ASSERT_TRUE(report.is_object()) << status->combined();
    ASSERT_EQ(report["routes"].size(), 2u) << status->out;
    for (const auto& route : report["routes"]) {
        EXPECT_EQ(route["counts"]["finalized"], kPerL2) << route.dump();
        EXPECT_TRUE(route["oldest_pending"].empty()) << route.dump();
        EXPECT_TRUE(route["failed"].empty()) << route.dump();
    }

    // What L1 says: the portals' events and the relayer's transactions.
    auto relayer = rig.client->key("relayer");
    ASSERT_TRUE(relayer.ok());
    rpc::RpcClient* l1 = rig.client->rpc("l1");
    std::set<eth::Hash32> ours;
    std::map<eth::Hash32, std::string> l2_of;
    for (const auto& w : all) {
        ours.insert(w.hash);
        l2_of[w.hash] = w.l2;
    }
    std::map<std::pair<eth::Hash32, uint64_t>, int> proofs;  // (withdrawal, game index)
    std::map<eth::Hash32, int> finalizations;
    size_t proof_events = 0;
    for (const auto& l2 : l2s) {
        const auto portal = rig.devnet->info().l2(l2)->optimism_portal;
        auto logs = l1->call(
            "eth_getLogs",
            json::array(
                {{{"address", portal.to_hex()},
                  {"fromBlock", "0x0"},
                  {"toBlock", "latest"},
                  {"topics", json::array({json::array(
                                 {topic("WithdrawalProven(bytes32,address,address)").to_hex(),
                                  topic("WithdrawalFinalized(bytes32,bool)").to_hex()})})}}}));
        ASSERT_TRUE(logs.ok()) << logs.error().message;
        for (const auto& log : *logs) {
            auto t0 = eth::Hash32::from_hex(log["topics"][0].get<std::string>());
            auto h = eth::Hash32::from_hex(log["topics"][1].get<std::string>());
            ASSERT_TRUE(t0.ok() && h.ok());
            EXPECT_TRUE(ours.count(*h)) << "an unknown withdrawal " << h->to_hex();
            EXPECT_EQ(l2_of[*h], l2);
            if (*t0 == topic("WithdrawalFinalized(bytes32,bool)")) {
                ++finalizations[*h];
                EXPECT_EQ(log["data"].get<std::string>().back(), '1') << "target call failed";
                continue;
            }
            ++proof_events;
            auto tx = l1->call("eth_getTransactionByHash",
                               json::array({log["transactionHash"].get<std::string>()}));
            ASSERT_TRUE(tx.ok());
            auto input = eth::from_hex((*tx)["input"].get<std::string>());
            ASSERT_TRUE(input.ok() && input->size() >= 68);
            auto index = eth::U256::from_be_bytes(eth::BytesView(input->data() + 36, 32));
            ASSERT_TRUE(index.ok());
            EXPECT_TRUE(valid_games[l2].count(index->low64()))
                << "withdrawal " << h->to_hex() << " proved against game " << index->low64()
                << ", which is not a valid one";
            ++proofs[{*h, index->low64()}];
        }
    }
    for (const auto& [key, count] : proofs)
        EXPECT_EQ(count, 1) << "withdrawal " << key.first.to_hex() << " proved " << count
                            << " times against game " << key.second;
    for (const auto& w : all) EXPECT_EQ(finalizations[w.hash], 1) << w.hash.to_hex();

    // Every transaction of the relayer's key succeeded, and they are exactly the proofs
    // and finalizations above.
    auto head = rig.client->block_number("l1");
    ASSERT_TRUE(head.ok());
    size_t relayer_txs = 0;
    for (uint64_t b = 0; b <= *head; ++b) {
        auto block = l1->call("eth_getBlockByNumber", json::array({eth::to_quantity(b), true}));
        ASSERT_TRUE(block.ok());
        for (const auto& tx : (*block)["transactions"]) {
            auto from = eth::Address::from_hex(tx["from"].get<std::string>());
            if (!from.ok() || *from != relayer->address()) continue;
            ++relayer_txs;
            auto receipt =
                l1->call("eth_getTransactionReceipt", json::array({tx["hash"].get<std::string>()}));
            ASSERT_TRUE(receipt.ok());
            EXPECT_EQ((*receipt)["status"].get<std::string>(), "0x1")
                << "relayer transaction " << tx["hash"].get<std::string>() << " reverted";
        }
    }
    EXPECT_EQ(relayer_txs, proof_events + all.size());
    EXPECT_EQ(kills.load(), 5);
    EXPECT_EQ(sigterm_exit, std::optional<int>(0))
        << "SIGTERM: no exit within " << sigterm_ms << " ms; the log's tail:\n"
        << sigterm_log;
    EXPECT_TRUE(traffic_done.load());
}

}  // namespace
}  // namespace vigil
