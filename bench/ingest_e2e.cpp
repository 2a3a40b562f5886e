// End-to-end ingest benchmark (not a test): a local Anvil holding >= 100,000 logs is
// backfilled by Vigil's listener (fetch, decode, verify, commit each log to LevelDB), and,
// in the same run, the same block ranges are fetched raw with the curl CLI (batched
// eth_getLogs, answers discarded). Prints logs/s for both, the ratio, and Vigil's CPU
// time per log. Target (BENCHMARKS.md): Vigil >= 0.8x the raw fetch.
//
//   build/ingest_e2e_bench [--calls 500] [--logs-per-call 200] [--range 50]
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "bench/e2e_clock.h"
#include "chains/listener.h"
#include "tests/support/anvil.h"
#include "tests/support/chain_driver.h"

using namespace vigil;
using bench::cpu_seconds;
using bench::now_seconds;

namespace {

const eth::Address kEmitter = *eth::Address::from_hex("0x000000000000000000000000000000000000beef");

// The consumer a real component would be: one store entry per log, committed with the cursor.
class StoringConsumer : public chains::LogConsumer {
  public:
    Status on_confirmed(uint64_t, const chains::BlockRef&,
                        const std::vector<chains::ConfirmedLog>& logs,
                        core::WriteBatch& batch) override {
        for (const auto& l : logs) {
            std::string key = core::be_key(l.block_number) + core::be_key(l.log_index);
            std::string value(l.data.begin(), l.data.end());
            batch.put("bench", key, value);
        }
        count += logs.size();
        return {};
    }
    Status on_reorg(uint64_t, core::WriteBatch&) override { return {}; }
    uint64_t count = 0;
};

}  // namespace

int main(int argc, char** argv) {
    uint64_t calls = 500, per_call = 200, range = 50;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string a = argv[i];
        uint64_t v = std::stoull(argv[i + 1]);
        if (a == "--calls")
            calls = v;
        else if (a == "--logs-per-call")
            per_call = v;
        else if (a == "--range")
            range = v;
    }
    testing::AnvilOptions o;
    o.extra_args = {"--gas-limit", "100000000"};
    auto anvil = testing::AnvilProcess::start(o);
    if (!anvil) {
        std::cerr << anvil.error().message << "\n";
        return 1;
    }
    testing::ChainDriver driver((*anvil)->rpc_url(), o.chain_id);
    if (!driver.set_code(kEmitter, testing::emitter_runtime_hex()).ok()) return 1;
    std::cerr << "filling Anvil with " << calls * per_call << " logs...\n";
    std::string last_tx;
    for (uint64_t i = 0; i < calls; ++i) {
        auto sent =
            driver.send(kEmitter, testing::emitter_calldata(per_call, i * per_call), 30'000'000);
        if (!sent.ok()) return 1;
        last_tx = *sent;
    }
    // Sends return when the pool has the transaction: wait until the last one is mined.
    for (;;) {
        auto receipt = driver.rpc().call("eth_getTransactionReceipt", rpc::Json::array({last_tx}));
        if (receipt.ok() && !receipt->is_null()) break;
        usleep(20000);
    }
    const uint64_t head = *driver.block_number();
    const uint64_t total = calls * per_call;

    // Reference: the curl CLI, batched eth_getLogs (4 ranges per request), same ranges.
    char tmpl[] = "/tmp/vigil-ingest-XXXXXX";
    std::filesystem::path dir = mkdtemp(tmpl);
    std::vector<std::filesystem::path> bodies;
    for (uint64_t from = 0, n = 0; from <= head; ++n) {
        std::ostringstream body;
        body << "[";
        for (int k = 0; k < 4 && from <= head; ++k, from += range) {
            uint64_t to = std::min(head, from + range - 1);
            body << (k ? "," : "") << R"({"jsonrpc":"2.0","id":)" << k
                 << R"(,"method":"eth_getLogs","params":[{"fromBlock":")" << eth::to_quantity(from)
                 << R"(","toBlock":")" << eth::to_quantity(to) << R"(","address":")"
                 << kEmitter.to_hex() << R"("}]})";
        }
        body << "]";
        bodies.push_back(dir / ("batch" + std::to_string(n) + ".json"));
        std::ofstream(bodies.back()) << body.str();
    }
    std::string cmd = "curl -s -H 'Content-Type: application/json'";
    for (size_t i = 0; i < bodies.size(); ++i)
        cmd += (i ? " --next -s -H 'Content-Type: application/json'" : "") + std::string(" -d @") +
               bodies[i].string() + " " + (*anvil)->rpc_url() + " -o " +
               (dir / ("out" + std::to_string(i))).string();
    double t0 = now_seconds();
    if (std::system(cmd.c_str()) != 0) {
        std::cerr << "curl failed\n";
        return 1;
    }
    const double raw_seconds = now_seconds() - t0;
    // The reference must have fetched every log too (counted outside the timing).
    uint64_t raw_logs = 0;
    for (size_t i = 0; i < bodies.size(); ++i) {
        std::ifstream in(dir / ("out" + std::to_string(i)));
        std::stringstream ss;
        ss << in.rdbuf();
        const std::string text = ss.str();
        for (size_t p = text.find("\"logIndex\""); p != std::string::npos;
             p = text.find("\"logIndex\"", p + 1))
            ++raw_logs;
    }
    if (raw_logs != total) {
        std::cerr << "raw fetch returned " << raw_logs << " logs, expected " << total << "\n";
        return 1;
    }

    // Vigil: the listener backfilling into a real store.
    core::ChainConfig chain;
    chain.name = "bench";
    chain.chain_id = o.chain_id;
    chain.rpc = {(*anvil)->rpc_url()};
    chain.finality.confirmations = 0;
    chain.max_block_range = range;
    rpc::RpcClientOptions ro;
    ro.chain = "bench";
    ro.urls = chain.rpc;
    ro.expected_chain_id = o.chain_id;
    ro.requests_per_second = 0;
    ro.timeout = std::chrono::milliseconds(60000);
    rpc::RpcClient rpc(ro);
    if (!rpc.connect().ok()) return 1;
    auto store = core::Store::open(dir / "store");
    if (!store) return 1;
    StoringConsumer consumer;
    std::ostringstream sink;
    chains::Listener listener(chain, "bench", chains::LogFilter{{kEmitter}, {}}, rpc, **store,
                              consumer,
                              core::Logger(sink, core::LogFormat::json, core::LogLevel::error));
    if (!listener.start().ok()) return 1;
    double c0 = cpu_seconds();
    t0 = now_seconds();
    for (;;) {
        auto r = listener.step();
        if (!r) {
            std::cerr << r.error().message << "\n";
            return 1;
        }
        if (r->caught_up) break;
    }
    const double vigil_seconds = now_seconds() - t0;
    const double vigil_cpu = cpu_seconds() - c0;
    std::filesystem::remove_all(dir);
    if (consumer.count != total) {
        std::cerr << "ingested " << consumer.count << " logs, expected " << total << "\n";
        return 1;
    }
    const double raw_rate = total / raw_seconds, vigil_rate = total / vigil_seconds;
    std::printf("logs: %llu over %llu blocks, range %llu blocks\n", (unsigned long long)total,
                (unsigned long long)head, (unsigned long long)range);
    std::printf("raw curl fetch:   %8.0f logs/s (%.2f s)\n", raw_rate, raw_seconds);
    std::printf(
        "vigil listener:   %8.0f logs/s (%.2f s), CPU %.2f us/log (decoded, checked, committed)\n",
        vigil_rate, vigil_seconds, vigil_cpu / total * 1e6);
    std::printf("ratio vigil/raw:  %.2f (target >= 0.8)\n", vigil_rate / raw_rate);
    return 0;
}
