// U256 arithmetic throughput: the operations an EVM or a fee computation spends time in.
//
//   build/u256_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <vector>

#include "chains/eth/u256.h"

namespace {

using vigil::eth::U256;

// A fixed pool of operands (splitmix64), cycled so the branch predictor cannot learn one.
std::vector<U256> operands(size_t count, unsigned bits, uint64_t seed) {
    std::vector<U256> out;
    for (size_t i = 0; i < count; ++i) {
        uint64_t limbs[4];
        for (uint64_t& l : limbs) {
            uint64_t z = (seed += 0x9e3779b97f4a7c15ULL);
            z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
            z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
            l = z ^ (z >> 31);
        }
        U256 v(limbs[0], limbs[1], limbs[2], limbs[3] | 1ULL << 63);
        out.push_back(v >> (256 - bits));
    }
    return out;
}

constexpr size_t kPool = 256;

void BM_Mul(benchmark::State& state) {
    auto a = operands(kPool, 256, 1), b = operands(kPool, 256, 2);
    size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(a[i] * b[i]);
        i = (i + 1) % kPool;
    }
    state.SetItemsProcessed(state.iterations());
}

// Numerator 256 bits, divisor of range(0) bits (64: the single-limb fast path).
void BM_DivMod(benchmark::State& state) {
    auto n = operands(kPool, 256, 3);
    auto d = operands(kPool, static_cast<unsigned>(state.range(0)), 4);
    size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(vigil::eth::divmod(n[i], d[i]));
        i = (i + 1) % kPool;
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_MulMod(benchmark::State& state) {
    auto a = operands(kPool, 256, 5), b = operands(kPool, 256, 6);
    auto m = operands(kPool, static_cast<unsigned>(state.range(0)), 7);
    size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(vigil::eth::mulmod(a[i], b[i], m[i]));
        i = (i + 1) % kPool;
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_AddMod(benchmark::State& state) {
    auto a = operands(kPool, 256, 8), b = operands(kPool, 256, 9), m = operands(kPool, 256, 10);
    size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(vigil::eth::addmod(a[i], b[i], m[i]));
        i = (i + 1) % kPool;
    }
    state.SetItemsProcessed(state.iterations());
}

// Full 256-bit exponent: 256 squarings and ~128 multiplications.
void BM_Exp(benchmark::State& state) {
    auto base = operands(kPool, 256, 11), e = operands(kPool, 256, 12);
    size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(vigil::eth::exp(base[i], e[i]));
        i = (i + 1) % kPool;
    }
    state.SetItemsProcessed(state.iterations());
}

void BM_ToDec(benchmark::State& state) {
    auto a = operands(kPool, 256, 13);
    size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(a[i].to_dec());
        i = (i + 1) % kPool;
    }
    state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_Mul);
BENCHMARK(BM_DivMod)->Arg(64)->Arg(128)->Arg(192)->Arg(256);
BENCHMARK(BM_MulMod)->Arg(64)->Arg(256);
BENCHMARK(BM_AddMod);
BENCHMARK(BM_Exp);
BENCHMARK(BM_ToDec);

}  // namespace

BENCHMARK_MAIN();
