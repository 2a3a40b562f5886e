// End-to-end verifier benchmark (not a test) on a local devnet (Anvil L1 + one L2):
//
//  1. audit: N past proposals (default 1,000) are posted to the L1 factory, then a fresh
//     verifier (L1 listener + ProposalWatcher, as `vigil verify` runs them) judges them
//     all from the factory's first block: proposals verified per second, CPU per proposal;
//  2. latency: with every chain mining a block per second, proposals are sent one at a
//     time while the verifier follows the chain (WebSocket heads); the time from sending
//     the proposal to its committed verdict, which includes the wait for the next block
//     (L1 confirmations: 0; a confirmation depth adds its blocks on top).
//
//   build/verifier_e2e_bench [--proposals 1000] [--latency-samples 20]
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <thread>

#include "bench/e2e_clock.h"
#include "chains/chain_clients.h"
#include "chains/eth/abi.h"
#include "chains/head_subscription.h"
#include "chains/listener.h"
#include "core/store.h"
#include "tests/support/devnet.h"
#include "verifier/watcher.h"

using namespace vigil;
using bench::cpu_seconds;
using bench::now_seconds;

namespace {

struct Verifier {
    core::ChainConfig l1, l2;
    core::RollupConfig rollup;
    std::unique_ptr<core::Store> store;
    std::unique_ptr<rpc::RpcClient> l1_rpc, l2_rpc;
    std::unique_ptr<verifier::ProposalWatcher> watcher;
    std::unique_ptr<chains::Listener> listener;

    bool start(const testing::DevnetInfo& info, const std::filesystem::path& dir,
               uint64_t l1_confirmations, std::ostream& log_sink) {
        l1 = testing::chain_config(info.l1, l1_confirmations);
        l2 = testing::chain_config(info.l2s[0], 2);
        rollup.name = info.l2s[0].name;
        rollup.l1_chain = l1.name;
        rollup.l2_chain = l2.name;
        rollup.dispute_game_factory = info.l2s[0].dispute_game_factory;
        auto s = core::Store::open(dir);
        if (!s) return false;
        store = std::move(s).value();
        l1_rpc = std::make_unique<rpc::RpcClient>(chains::rpc_options(l1));
        l2_rpc = std::make_unique<rpc::RpcClient>(chains::rpc_options(l2));
        if (!l1_rpc->connect().ok() || !l2_rpc->connect().ok()) return false;
        core::Logger log(log_sink, core::LogFormat::json, core::LogLevel::warn);
        watcher = std::make_unique<verifier::ProposalWatcher>(
            rollup, *l1_rpc, *l2_rpc, l2.finality, *store, verifier::WatcherHooks{}, nullptr, log,
            verifier::ProposalWatcher::Options{});
        if (!watcher->start().ok()) return false;
        listener = std::make_unique<chains::Listener>(
            l1, "bench", verifier::ProposalWatcher::filter(rollup), *l1_rpc, *store, *watcher, log);
        return listener->start().ok();
    }
};

int arg(int argc, char** argv, const std::string& name, int fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (argv[i] == name) return std::stoi(argv[i + 1]);
    return fallback;
}

}  // namespace

int main(int argc, char** argv) {
    const int proposals = arg(argc, argv, "--proposals", 1000);
    const int samples = arg(argc, argv, "--latency-samples", 20);
    std::ostringstream quiet;
    char tmpl[] = "/tmp/vigil-verifier-bench-XXXXXX";
    const std::filesystem::path dir = mkdtemp(tmpl);

    // ---- 1. Audit of past proposals ----
    {
        testing::DevnetOptions o;
        o.l2_count = 1;
        auto devnet = testing::Devnet::start(o);
        if (!devnet) {
            std::cerr << devnet.error().message << "\n";
            return 1;
        }
        auto client = testing::DevnetClient::connect((*devnet)->info());
        if (!client) return 1;
        const testing::DevnetL2& l2 = (*devnet)->info().l2s[0];
        // Some message-passer state, then one L2 block per proposal.
        if (!(*client)->withdraw_many(l2.name, 8, 64).ok()) return 1;
        if (!(*client)->mine(l2.name, static_cast<uint64_t>(proposals) + 4).ok()) return 1;
        std::cerr << "posting " << proposals << " proposals...\n";
        for (int i = 0; i < proposals; ++i) {
            auto p = (*client)->propose(l2.name, static_cast<uint64_t>(i + 1), i % 50 == 7);
            if (!p) {
                std::cerr << p.error().message << "\n";
                return 1;
            }
        }
        Verifier v;
        if (!v.start((*devnet)->info(), dir / "audit", 0, quiet)) {
            std::cerr << "verifier start failed\n" << quiet.str();
            return 1;
        }
        const double t0 = now_seconds(), c0 = cpu_seconds();
        for (;;) {
            auto r = v.listener->step();
            if (!r) {
                std::cerr << r.error().message << "\n";
                return 1;
            }
            if (r->caught_up) break;
        }
        const double wall = now_seconds() - t0, cpu = cpu_seconds() - c0;
        const verifier::RollupStats s = v.watcher->stats();
        std::cout << "audit: " << s.proposals << " proposals (" << s.valid << " valid, "
                  << s.invalid << " invalid, " << s.pending << " pending) in " << wall
                  << " s: " << static_cast<double>(s.valid + s.invalid) / wall << " proposals/s, "
                  << cpu / static_cast<double>(s.proposals) * 1e3 << " ms CPU per proposal\n";
        if (s.valid + s.invalid != static_cast<uint64_t>(proposals)) {
            std::cerr << "not every proposal was judged\n" << quiet.str();
            return 1;
        }
    }

    // ---- 2. Latency from inclusion to verdict ----
    {
        testing::DevnetOptions o;
        o.l2_count = 1;
        o.block_time_secs = 1;
        auto devnet = testing::Devnet::start(o);
        if (!devnet) return 1;
        auto client = testing::DevnetClient::connect((*devnet)->info());
        if (!client) return 1;
        const testing::DevnetL2& l2 = (*devnet)->info().l2s[0];
        Verifier v;
        if (!v.start((*devnet)->info(), dir / "latency", 0, quiet)) return 1;
        auto heads = chains::HeadSubscription::start(
            v.l1, *v.listener, core::Logger(quiet, core::LogFormat::json, core::LogLevel::warn));
        std::thread runner([&] { (void)v.listener->run(); });
        std::vector<double> latencies;
        uint64_t last_block = 0;
        for (int i = 0; i < samples; ++i) {
            uint64_t block = 0;
            for (;;) {
                auto head = (*client)->block_number(l2.name);
                if (head && *head >= 2 && *head - 2 > last_block) {
                    block = *head - 2;
                    break;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
            last_block = block;
            const uint64_t judged_before = v.watcher->stats().valid + v.watcher->stats().invalid;
            // The create() transaction is sent without waiting for its receipt: the clock
            // starts when it leaves, and so includes the wait for the next block.
            auto preimage = (*client)->output_at(l2.name, block);
            auto proposer = (*client)->key("proposer");
            auto nonce = (*client)->rpc("l1")->call(
                "eth_getTransactionCount",
                rpc::Json::array({proposer->address().to_hex(), "pending"}));
            if (!preimage || !proposer || !nonce) return 1;
            const auto word = eth::U256(block).to_be_word();
            const eth::Hash32 root = preimage->root();
            auto data = eth::abi::encode_call(
                *eth::abi::parse_signature("create(uint32,bytes32,bytes)"),
                eth::abi::Value::tuple(
                    {eth::abi::Value::uint(eth::U256(0)),
                     eth::abi::Value::fixed_bytes(eth::Bytes(root.bytes.begin(), root.bytes.end())),
                     eth::abi::Value::bytes(eth::Bytes(word.begin(), word.end()))}));
            if (!data) {
                std::cerr << data.error().message << "\n";
                return 1;
            }
            const double included = now_seconds();
            auto sent =
                (*client)->submit("l1", *proposer, l2.dispute_game_factory, *data, o.init_bond,
                                  *eth::parse_quantity(nonce->get<std::string>()), 5'000'000);
            if (!sent) {
                std::cerr << sent.error().message << "\n";
                return 1;
            }
            while (v.watcher->stats().valid + v.watcher->stats().invalid == judged_before) {
                if (now_seconds() - included > 60) {
                    auto receipt = (*client)->wait_receipt("l1", *sent);
                    std::cerr << "no verdict within 60 s; the proposal's receipt: "
                              << (receipt ? std::string(receipt->success ? "success" : "reverted") +
                                                " in block " + std::to_string(receipt->block)
                                          : receipt.error().message)
                              << "\n";
                    v.listener->request_stop();
                    runner.join();
                    return 1;
                }
                std::this_thread::sleep_for(std::chrono::milliseconds(2));
            }
            latencies.push_back(now_seconds() - included);
        }
        v.listener->request_stop();
        runner.join();
        std::sort(latencies.begin(), latencies.end());
        std::cout << "latency (create() sent -> verdict committed; includes the wait for "
                     "the next 1 s L1 block; L1 confirmations 0, WebSocket heads): median "
                  << latencies[latencies.size() / 2] * 1e3 << " ms, max " << latencies.back() * 1e3
                  << " ms over " << latencies.size() << " proposals\n";
    }
    std::filesystem::remove_all(dir);
    return 0;
}
