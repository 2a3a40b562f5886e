// RLP decoding throughput, Merkle-Patricia roots of 10,000 entries, proof verification.
//
//   build/rlp_trie_bench --benchmark_counters_tabular=true
#include <benchmark/benchmark.h>

#include <random>

#include "chains/eth/keccak.h"
#include "chains/eth/proof.h"
#include "chains/eth/rlp.h"
#include "chains/eth/trie.h"

namespace {

using namespace vigil::eth;

constexpr size_t kEntries = 10'000;

Bytes random_bytes(std::mt19937_64& rng, size_t n) {
    Bytes out(n);
    for (auto& b : out) b = static_cast<uint8_t>(rng());
    return out;
}

// A receipt shaped like a typical ERC-20 transfer's: rlp([status, cumulativeGasUsed,
// logsBloom, [[address, [topic0, from, to], data(32)]]]).
Bytes typical_receipt(std::mt19937_64& rng, uint64_t cumulative_gas) {
    Bytes log;
    rlp::encode_bytes(log, random_bytes(rng, 20));
    Bytes topics;
    for (int t = 0; t < 3; ++t) rlp::encode_bytes(topics, random_bytes(rng, 32));
    append(log, rlp::wrap_list(topics));
    rlp::encode_bytes(log, random_bytes(rng, 32));
    Bytes logs = rlp::wrap_list(rlp::wrap_list(log));
    Bytes receipt;
    rlp::encode_uint(receipt, uint64_t{1});
    rlp::encode_uint(receipt, cumulative_gas);
    rlp::encode_bytes(receipt, random_bytes(rng, 256));
    append(receipt, logs);
    return rlp::wrap_list(receipt);
}

// 200 receipts wrapped in one list: the size of debug_getRawReceipts for a busy block.
Bytes receipt_list() {
    std::mt19937_64 rng(1);
    Bytes payload;
    for (uint64_t i = 0; i < 200; ++i) append(payload, typical_receipt(rng, 21'000 * (i + 1)));
    return rlp::wrap_list(payload);
}

void BM_RlpDecodeTree_Receipts(benchmark::State& state) {
    const Bytes blob = receipt_list();
    for (auto _ : state) {
        auto tree = rlp::decode_tree(blob);
        benchmark::DoNotOptimize(tree);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * blob.size()));
    state.counters["receipts/s"] = benchmark::Counter(
        200.0 * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RlpDecodeTree_Receipts);

// The hot-path reader: walks every receipt's fields without building a tree.
void BM_RlpListReader_Receipts(benchmark::State& state) {
    const Bytes blob = receipt_list();
    for (auto _ : state) {
        auto outer = rlp::decode_exact(blob);
        rlp::ListReader receipts(*outer);
        uint64_t gas = 0;
        while (!receipts.done()) {
            auto receipt = receipts.next_list();
            rlp::ListReader fields(*receipt);
            auto status = fields.next_uint64();
            auto cumulative = fields.next_uint64();
            auto bloom = fields.next_fixed<256>();
            auto logs = fields.next_list();
            benchmark::DoNotOptimize(status);
            benchmark::DoNotOptimize(bloom);
            benchmark::DoNotOptimize(logs);
            gas += *cumulative;
        }
        benchmark::DoNotOptimize(gas);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * blob.size()));
}
BENCHMARK(BM_RlpListReader_Receipts);

// transactionsRoot-style: 10,000 items of ~110 bytes under rlp(index).
void BM_OrderedTrieRoot_10k(benchmark::State& state) {
    std::mt19937_64 rng(2);
    std::vector<Bytes> items;
    for (size_t i = 0; i < kEntries; ++i) items.push_back(random_bytes(rng, 110));
    for (auto _ : state) benchmark::DoNotOptimize(ordered_trie_root(items));
    state.counters["entries/s"] = benchmark::Counter(
        static_cast<double>(kEntries * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_OrderedTrieRoot_10k)->Unit(benchmark::kMillisecond);

// State-style: 10,000 random 32-byte keys with account-sized (70-byte) values, built and
// hashed from scratch.
void BM_RandomKeyTrieRoot_10k(benchmark::State& state) {
    std::mt19937_64 rng(3);
    std::vector<std::pair<Bytes, Bytes>> entries;
    for (size_t i = 0; i < kEntries; ++i)
        entries.emplace_back(random_bytes(rng, 32), random_bytes(rng, 70));
    for (auto _ : state) {
        Trie trie;
        for (const auto& [k, v] : entries) (void)trie.put(k, v);
        benchmark::DoNotOptimize(trie.root_hash());
    }
    state.counters["entries/s"] = benchmark::Counter(
        static_cast<double>(kEntries * state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_RandomKeyTrieRoot_10k)->Unit(benchmark::kMillisecond);

// One changed value in a 10,000-entry trie: only its path is re-hashed.
void BM_RandomKeyTrieUpdateOne_10k(benchmark::State& state) {
    std::mt19937_64 rng(4);
    Trie trie;
    std::vector<Bytes> keys;
    for (size_t i = 0; i < kEntries; ++i) {
        keys.push_back(random_bytes(rng, 32));
        (void)trie.put(keys.back(), random_bytes(rng, 70));
    }
    trie.root_hash();
    Bytes value = random_bytes(rng, 70);
    size_t i = 0;
    for (auto _ : state) {
        value[0] = static_cast<uint8_t>(i);
        (void)trie.put(keys[i++ % kEntries], value);
        benchmark::DoNotOptimize(trie.root_hash());
    }
}
BENCHMARK(BM_RandomKeyTrieUpdateOne_10k);

// eth_getProof-shaped account proofs (secure trie of 10,000 accounts) verified per second.
void BM_VerifyAccountProof(benchmark::State& state) {
    std::mt19937_64 rng(5);
    Trie trie(/*secure=*/true);
    std::vector<Address> addresses;
    for (size_t i = 0; i < kEntries; ++i) {
        Address a;
        for (auto& b : a.bytes) b = static_cast<uint8_t>(rng());
        Account account{i, U256(rng()), kEmptyTrieRoot, kEmptyCodeHash};
        (void)trie.put(a.view(), account.encode());
        addresses.push_back(a);
    }
    const Hash32 root = trie.root_hash();
    std::vector<std::vector<Bytes>> proofs;
    for (size_t i = 0; i < 256; ++i) proofs.push_back(trie.prove(addresses[i].view()));
    size_t i = 0;
    for (auto _ : state) {
        const size_t k = i++ % proofs.size();
        auto account = verify_account(root, addresses[k], proofs[k]);
        if (!account.ok() || !account->has_value()) state.SkipWithError("proof did not verify");
        benchmark::DoNotOptimize(account);
    }
    state.counters["proofs/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_VerifyAccountProof);

}  // namespace

BENCHMARK_MAIN();
