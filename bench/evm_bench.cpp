// EVM throughput on the vmPerformance state tests (ethereum/tests, read from
// $VIGIL_VECTORS at run time): each benchmark executes one test variant's transaction on
// a fresh copy of its pre-state and reports the gas it burnt as a rate (Mgas/s, per CPU second).
// The unit tests leave vmPerformance here: its cases burn 0.5 to 6 G gas each.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "chains/eth/keccak.h"
#include "verifier/evm/memory_state.h"
#include "verifier/evm/transaction.h"

namespace {

using namespace vigil;
using nlohmann::json;
namespace fs = std::filesystem;

fs::path perf_dir() {
    const char* env = std::getenv("VIGIL_VECTORS");
    const fs::path root = env && *env ? fs::path(env) : fs::path("../shared/vectors");
    return root / "evm/ethereum-tests/GeneralStateTests/VMTests/vmPerformance";
}

template <class T>
T must(Result<T> r) {
    if (!r) throw std::runtime_error(r.error().message);
    return std::move(r).value();
}
eth::U256 u256(const json& j) { return must(eth::U256::from_string(j.get<std::string>())); }
uint64_t u64(const json& j) { return must(eth::parse_quantity(j.get<std::string>())); }

struct Case {
    std::string name;
    json pre;
    evm::BlockEnv env;
    eth::Transaction tx;
    eth::Address sender;
};

evm::MemoryState build(const json& pre) {
    evm::MemoryState state;
    for (const auto& [addr, acc] : pre.items()) {
        evm::MemoryAccount a;
        a.nonce = u64(acc.at("nonce"));
        a.balance = u256(acc.at("balance"));
        a.code = must(eth::from_hex(acc.at("code").get<std::string>()));
        for (const auto& [k, v] : acc.at("storage").items())
            a.storage[must(eth::U256::from_string(k))] = u256(v);
        state.set_account(must(eth::Address::from_hex(addr)), std::move(a));
    }
    return state;
}

void run_case(benchmark::State& bs, const Case& c) {
    uint64_t gas = 0;
    for (auto _ : bs) {
        bs.PauseTiming();
        evm::MemoryState state = build(c.pre);
        bs.ResumeTiming();
        auto out = evm::execute_transaction(state, c.env, c.tx, c.sender);
        if (!out) {
            bs.SkipWithError(out.error().message.c_str());
            return;
        }
        gas += out->gas_used;
    }
    bs.counters["Mgas"] =
        benchmark::Counter(static_cast<double>(gas) / 1e6, benchmark::Counter::kIsRate);
}

std::vector<Case> load_cases() {
    std::vector<Case> cases;
    if (!fs::is_directory(perf_dir())) return cases;
    for (const auto& entry : fs::directory_iterator(perf_dir())) {
        if (entry.path().extension() != ".json") continue;
        std::ifstream in(entry.path());
        std::stringstream ss;
        ss << in.rdbuf();
        const json doc = json::parse(ss.str());
        for (const auto& [name, t] : doc.items()) {
            const json& tt = t.at("transaction");
            const json& posts = t.at("post").at("Cancun");
            for (size_t i = 0; i < posts.size(); ++i) {
                const json& idx = posts[i].at("indexes");
                Case c;
                c.name = name + "/" + std::to_string(i);
                if (t.contains("_info") && t["_info"].contains("labels"))
                    c.name = name + "/" + t["_info"]["labels"].value(std::to_string(i), c.name);
                c.pre = t.at("pre");
                const json& env = t.at("env");
                c.env.coinbase =
                    must(eth::Address::from_hex(env.at("currentCoinbase").get<std::string>()));
                c.env.number = u64(env.at("currentNumber"));
                c.env.timestamp = u64(env.at("currentTimestamp"));
                c.env.gas_limit = u64(env.at("currentGasLimit"));
                c.env.base_fee = u256(env.at("currentBaseFee"));
                c.env.block_hash = [](uint64_t n) { return eth::keccak256(std::to_string(n)); };
                c.tx.chain_id = 1;
                c.tx.nonce = u64(tt.at("nonce"));
                c.tx.gas_price = u256(tt.at("gasPrice"));
                c.tx.data = must(eth::from_hex(
                    tt.at("data").at(idx.at("data").get<size_t>()).get<std::string>()));
                c.tx.gas_limit = u64(tt.at("gasLimit").at(idx.at("gas").get<size_t>()));
                c.tx.value = u256(tt.at("value").at(idx.at("value").get<size_t>()));
                c.tx.to = must(eth::Address::from_hex(tt.at("to").get<std::string>()));
                c.sender = must(eth::Address::from_hex(tt.at("sender").get<std::string>()));
                cases.push_back(std::move(c));
            }
        }
    }
    return cases;
}

}  // namespace

int main(int argc, char** argv) {
    static const std::vector<Case> cases = load_cases();
    if (cases.empty())
        std::cerr << "evm_bench: no vmPerformance vectors under " << perf_dir() << "\n";
    for (const Case& c : cases)
        benchmark::RegisterBenchmark(("vmPerformance/" + c.name).c_str(), [&c](
                                                                              benchmark::State& s) {
            run_case(s, c);
        })->Unit(benchmark::kMillisecond);
    benchmark::Initialize(&argc, argv);
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
