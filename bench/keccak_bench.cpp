// keccak256 throughput: ours vs OpenSSL's SHA3-256 (same permutation, other padding) and
// Crypto++'s Keccak_256, at the sizes Ethereum hashes most (a word, one rate block, a page).
//
//   build/keccak_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <cryptopp/keccak.h>
#include <cstdio>
#include <cstdlib>

#include "chains/eth/keccak.h"

namespace {

using vigil::eth::Bytes;

Bytes input(size_t n) {
    Bytes out(n);
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(i * 131 + 7);
    return out;
}

void BM_Keccak256_Vigil(benchmark::State& state) {
    Bytes data = input(static_cast<size_t>(state.range(0)));
    for (auto _ : state) {
        auto digest = vigil::eth::keccak256(data);
        benchmark::DoNotOptimize(digest);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_Sha3_256_OpenSSL(benchmark::State& state) {
    Bytes data = input(static_cast<size_t>(state.range(0)));
    // Fetched once: EVP_sha3_256() would look the implementation up on every call.
    EVP_MD* md = EVP_MD_fetch(nullptr, "SHA3-256", nullptr);
    if (!md) {
        state.SkipWithError("EVP_MD_fetch(SHA3-256) failed");
        return;
    }
    unsigned char digest[32];
    unsigned int len = 0;
    for (auto _ : state) {
        if (!EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr)) {
            state.SkipWithError("EVP_Digest failed");
            break;
        }
        benchmark::DoNotOptimize(digest);
    }
    EVP_MD_free(md);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

void BM_Keccak256_CryptoPP(benchmark::State& state) {
    Bytes data = input(static_cast<size_t>(state.range(0)));
    CryptoPP::Keccak_256 hash;
    uint8_t digest[32];
    // Not a comparison of different functions: check the digests agree before timing.
    hash.CalculateDigest(digest, data.data(), data.size());
    if (std::memcmp(digest, vigil::eth::keccak256(data).data(), 32) != 0) {
        state.SkipWithError("Crypto++ and vigil keccak256 disagree");
        return;
    }
    for (auto _ : state) {
        hash.CalculateDigest(digest, data.data(), data.size());
        benchmark::DoNotOptimize(digest);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

// Streaming through the incremental class in 64-byte updates (how the 1 GiB KAT runs).
void BM_Keccak256_VigilStreaming64(benchmark::State& state) {
    Bytes data = input(static_cast<size_t>(state.range(0)));
    for (auto _ : state) {
        vigil::eth::Keccak256 h;
        for (size_t pos = 0; pos < data.size(); pos += 64)
            h.update(
                vigil::eth::BytesView(data).subspan(pos, std::min<size_t>(64, data.size() - pos)));
        auto digest = h.finalize();
        benchmark::DoNotOptimize(digest);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * state.range(0));
}

constexpr int64_t kSizes[] = {32, 136, 4096};

void sizes(benchmark::internal::Benchmark* b) {
    for (int64_t n : kSizes) b->Arg(n);
}

BENCHMARK(BM_Keccak256_Vigil)->Apply(sizes);
BENCHMARK(BM_Sha3_256_OpenSSL)->Apply(sizes);
BENCHMARK(BM_Keccak256_CryptoPP)->Apply(sizes);
BENCHMARK(BM_Keccak256_VigilStreaming64)->Arg(4096);

}  // namespace

BENCHMARK_MAIN();
