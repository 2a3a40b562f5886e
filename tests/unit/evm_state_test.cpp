// Runs the Ethereum GeneralStateTests (Cancun expectations) through Vigil's EVM: the
// state is built from `pre`, the transaction variant picked by `indexes` is executed
// under `env`, and the state root and the logs hash must equal `hash` and `logs`. An
// expected exception means the transaction must be rejected as invalid and the state
// left untouched. The only skips are cases whose execution needs a precompile Vigil does
// not implement (found by the execution's own error, never by a list of names).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "chains/eth/keccak.h"
#include "tests/unit/vectors.h"
#include "verifier/evm/memory_state.h"
#include "verifier/evm/transaction.h"

namespace vigil::evm {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

const std::string kRoot = "evm/ethereum-tests/GeneralStateTests/";

// The folders SOURCE.md lists (each a subset of upstream).
const std::vector<std::string> kFolders = {
    "Cancun",
    "Shanghai",
    "VMTests",
    "stArgsZeroOneBalance",
    "stAttackTest",
    "stCallCodes",
    "stCallCreateCallCodeTest",
    "stCallDelegateCodesCallCodeHomestead",
    "stCallDelegateCodesHomestead",
    "stChainId",
    "stCodeCopyTest",
    "stCodeSizeLimit",
    "stCreate2",
    "stCreateTest",
    "stDelegatecallTestHomestead",
    "stEIP150Specific",
    "stEIP150singleCodeGasPrices",
    "stEIP1559",
    "stEIP158Specific",
    "stEIP2930",
    "stEIP3607",
    "stExample",
    "stExtCodeHash",
    "stHomesteadSpecific",
    "stInitCodeTest",
    "stLogTests",
    "stMemExpandingEIP150Calls",
    "stMemoryTest",
    "stNonZeroCallsTest",
    "stPreCompiledContracts",
    "stPreCompiledContracts2",
    "stRandom",
    "stRecursiveCreate",
    "stRefundTest",
    "stReturnDataTest",
    "stRevertTest",
    "stSLoadTest",
    "stSStoreTest",
    "stSelfBalance",
    "stShift",
    "stSolidityTest",
    "stSpecialTest",
    "stStaticCall",
    "stStaticFlagEnabled",
    "stSystemOperationsTest",
    "stTransactionTest",
    "stTransitionTest",
    "stWalletTest",
    "stZeroCallsRevert",
    "stZeroCallsTest",
};

// vmPerformance is a benchmark (bench/evm_bench.cpp), too slow for a unit test.
const std::vector<std::string> kBenchOnly = {"vmPerformance"};

template <class T>
T must(Result<T> r, const std::string& what) {
    if (!r) throw std::runtime_error(what + ": " + r.error().message);
    return std::move(r).value();
}

eth::U256 u256(const json& j) { return must(eth::U256::from_string(j.get<std::string>()), "u256"); }
uint64_t u64(const json& j) { return must(eth::parse_quantity(j.get<std::string>()), "u64"); }
eth::Bytes bytes(const json& j) { return must(eth::from_hex(j.get<std::string>()), "bytes"); }
eth::Address address(const json& j) {
    return must(eth::Address::from_hex(j.get<std::string>()), "address");
}
eth::Hash32 hash(const json& j) {
    return must(eth::Hash32::from_hex(j.get<std::string>()), "hash");
}

MemoryState build_pre(const json& pre) {
    MemoryState state;
    for (const auto& [addr, acc] : pre.items()) {
        MemoryAccount a;
        a.nonce = u64(acc.at("nonce"));
        a.balance = u256(acc.at("balance"));
        a.code = bytes(acc.at("code"));
        for (const auto& [k, v] : acc.at("storage").items())
            a.storage[must(eth::U256::from_string(k), "slot")] = u256(v);
        state.set_account(address(json(addr)), std::move(a));
    }
    return state;
}

BlockEnv build_env(const json& env) {
    BlockEnv b;
    b.coinbase = address(env.at("currentCoinbase"));
    b.number = u64(env.at("currentNumber"));
    b.timestamp = u64(env.at("currentTimestamp"));
    b.gas_limit = u64(env.at("currentGasLimit"));
    if (env.contains("currentBaseFee")) b.base_fee = u256(env.at("currentBaseFee"));
    if (env.contains("currentRandom")) b.prev_randao = hash(env.at("currentRandom"));
    if (env.contains("currentExcessBlobGas"))
        b.excess_blob_gas = u64(env.at("currentExcessBlobGas"));
    b.chain_id = 1;
    // The state-test convention (go-ethereum's vmTestBlockHash): keccak256 of the block
    // number in decimal.
    b.block_hash = [](uint64_t n) { return eth::keccak256(std::to_string(n)); };
    return b;
}

// The variant of the template at `indexes`; an error when a field does not fit its type
// (such a transaction cannot exist, so it is invalid).
Result<eth::Transaction> build_tx(const json& t, const json& indexes) {
    try {
        eth::Transaction tx;
        const size_t d = indexes.at("data").get<size_t>();
        const size_t g = indexes.at("gas").get<size_t>();
        const size_t v = indexes.at("value").get<size_t>();
        tx.chain_id = 1;
        tx.nonce = u64(t.at("nonce"));
        tx.data = bytes(t.at("data").at(d));
        tx.gas_limit = u64(t.at("gasLimit").at(g));
        tx.value = u256(t.at("value").at(v));
        const std::string to = t.at("to").get<std::string>();
        if (!to.empty()) tx.to = address(t.at("to"));
        if (t.contains("blobVersionedHashes")) {
            tx.type = eth::TxType::kBlob;
            for (const json& h : t.at("blobVersionedHashes"))
                tx.blob_versioned_hashes.push_back(hash(h));
            tx.max_fee_per_blob_gas = u256(t.at("maxFeePerBlobGas"));
        } else if (t.contains("maxFeePerGas")) {
            tx.type = eth::TxType::kDynamicFee;
        } else if (t.contains("accessLists")) {
            tx.type = eth::TxType::kAccessList;
        }
        if (t.contains("maxFeePerGas")) {
            tx.max_fee_per_gas = u256(t.at("maxFeePerGas"));
            tx.max_priority_fee_per_gas = u256(t.at("maxPriorityFeePerGas"));
        } else {
            tx.gas_price = u256(t.at("gasPrice"));
        }
        if (t.contains("accessLists") && !t.at("accessLists").at(d).is_null()) {
            for (const json& e : t.at("accessLists").at(d)) {
                eth::AccessListEntry entry;
                entry.address = address(e.at("address"));
                for (const json& k : e.at("storageKeys")) entry.storage_keys.push_back(hash(k));
                tx.access_list.push_back(std::move(entry));
            }
        }
        return tx;
    } catch (const std::exception& e) {
        return fail(e.what());
    }
}

struct FolderStats {
    size_t files = 0, cases = 0, passed = 0, skipped = 0;
    std::vector<std::string> failures, skips;
    std::vector<std::string> bench_only;  // files left to the benchmark, not counted
};

void run_case(const std::string& name, const json& test, const json& post, FolderStats& stats) {
    ++stats.cases;
    const bool expect_invalid = post.contains("expectException");
    MemoryState state = build_pre(test.at("pre"));
    const BlockEnv env = build_env(test.at("env"));
    const eth::Address sender = address(test.at("transaction").at("sender"));
    const eth::Hash32 want_root = hash(post.at("hash"));
    const eth::Hash32 want_logs = hash(post.at("logs"));

    auto tx = build_tx(test.at("transaction"), post.at("indexes"));
    std::string problem;
    if (!tx) {
        if (!expect_invalid) problem = "template does not build: " + tx.error().message;
    } else {
        auto out = execute_transaction(state, env, *tx, sender);
        if (!out && out.error().code == kErrorUnsupportedPrecompile) {
            ++stats.skipped;
            stats.skips.push_back(name + " (" + out.error().message + ")");
            return;
        }
        if (expect_invalid) {
            if (out)
                problem = "accepted a transaction expected invalid (" +
                          post.at("expectException").get<std::string>() + ")";
            else if (out.error().code != kErrorInvalidTransaction)
                problem = "expected invalid, got error: " + out.error().message;
        } else if (!out) {
            problem = "rejected: " + out.error().message;
        } else {
            state.apply(out->diff);
            if (logs_hash(out->logs) != want_logs) problem = "logs hash differs";
        }
    }
    if (problem.empty() && state.state_root() != want_root) problem = "state root differs";
    if (problem.empty())
        ++stats.passed;
    else
        stats.failures.push_back(name + ": " + problem);
}

FolderStats run_folder(const fs::path& dir) {
    FolderStats stats;
    std::vector<fs::path> files;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (!e.is_regular_file() || e.path().extension() != ".json") continue;
        const std::string rel = fs::relative(e.path(), dir).string();
        bool bench_only = false;
        for (const std::string& b : kBenchOnly) bench_only |= rel.rfind(b + "/", 0) == 0;
        if (bench_only)
            stats.bench_only.push_back(rel);
        else
            files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
        ++stats.files;
        const json doc = test::load_json(file);
        const std::string rel = fs::relative(file, dir.parent_path()).string();
        for (const auto& [test_name, test] : doc.items()) {
            const json& posts = test.at("post").at("Cancun");
            for (size_t i = 0; i < posts.size(); ++i) {
                const std::string name = rel + "/" + test_name + "/" + std::to_string(i);
                try {
                    run_case(name, test, posts[i], stats);
                } catch (const std::exception& e) {
                    stats.failures.push_back(name + ": bad vector: " + e.what());
                }
            }
        }
    }
    return stats;
}

FolderStats g_total;

class EvmStateTests : public ::testing::TestWithParam<std::string> {};

TEST_P(EvmStateTests, MatchRootAndLogs) {
    VIGIL_VECTOR_PATH(dir, kRoot + GetParam());
    const auto start = std::chrono::steady_clock::now();
    const FolderStats s = run_folder(dir);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "evm state tests " << GetParam() << ": files " << s.files << ", cases " << s.cases
              << ", passed " << s.passed << ", skipped " << s.skipped << ", failed "
              << s.failures.size() << " (" << secs << " s)\n";
    for (const std::string& skip : s.skips) std::cout << "  skipped " << skip << "\n";
    for (const std::string& file : s.bench_only)
        std::cout << "  not run here (too slow; bench/evm_bench.cpp runs it): " << file << "\n";
    for (const std::string& f : s.failures) std::cout << "  FAILED " << f << "\n";
    g_total.files += s.files;
    g_total.cases += s.cases;
    g_total.passed += s.passed;
    g_total.skipped += s.skipped;
    g_total.failures.insert(g_total.failures.end(), s.failures.begin(), s.failures.end());
    EXPECT_GT(s.cases, 0u);
    EXPECT_EQ(s.passed + s.skipped + s.failures.size(), s.cases);
    EXPECT_TRUE(s.failures.empty()) << s.failures.size() << " failures in " << GetParam();
}

INSTANTIATE_TEST_SUITE_P(GeneralStateTests, EvmStateTests, ::testing::ValuesIn(kFolders),
                         [](const auto& info) { return info.param; });

class SummaryPrinter : public ::testing::Environment {
  public:
    void TearDown() override {
        if (g_total.cases == 0) return;
        std::cout << "evm state tests total: files " << g_total.files << ", cases " << g_total.cases
                  << ", passed " << g_total.passed << ", skipped " << g_total.skipped << ", failed "
                  << g_total.failures.size() << "\n";
    }
};
const auto* const kSummary = ::testing::AddGlobalTestEnvironment(new SummaryPrinter);

}  // namespace
}  // namespace vigil::evm
