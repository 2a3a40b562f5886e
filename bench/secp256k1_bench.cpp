// Signing and recovery through Vigil's API against libsecp256k1 called directly (same
// work on both sides: sign + compact serialisation; recover + pubkey serialisation +
// keccak256 for the address), plus raw-transaction decode + sender recovery.
//
// Run: build/secp256k1_bench --benchmark_counters_tabular=true
// Target: ours >= 0.95x direct, per operation.
#include <benchmark/benchmark.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>

#include <cstring>

#include "chains/eth/keccak.h"
#include "chains/eth/secp256k1.h"
#include "chains/eth/transaction.h"

namespace {

using namespace vigil::eth;

// The EIP-155 example key (public test key).
constexpr const char* kKeyHex = "4646464646464646464646464646464646464646464646464646464646464646";

const PrivateKey& key() {
    static const PrivateKey k = *PrivateKey::from_hex(kKeyHex);
    return k;
}

// A context of the bench's own for the direct calls, set up as ours is.
secp256k1_context* direct_context() {
    static secp256k1_context* ctx = [] {
        secp256k1_context* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
        unsigned char seed[32] = {7};
        if (!secp256k1_context_randomize(c, seed)) std::abort();
        return c;
    }();
    return ctx;
}

Hash32 digest_for(uint64_t i) {
    Hash32 d;
    std::memcpy(d.data(), &i, sizeof i);
    return keccak256(d.view());
}

void BM_SignOurs(benchmark::State& state) {
    uint64_t i = 0;
    for (auto _ : state) {
        const Hash32 d = digest_for(i++);
        auto sig = sign_hash(d, key());
        benchmark::DoNotOptimize(sig);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignOurs);

void BM_SignDirect(benchmark::State& state) {
    uint64_t i = 0;
    const uint8_t* secret = key().secret_data();
    for (auto _ : state) {
        const Hash32 d = digest_for(i++);
        secp256k1_ecdsa_recoverable_signature sig;
        if (!secp256k1_ecdsa_sign_recoverable(direct_context(), &sig, d.data(), secret, nullptr,
                                              nullptr))
            state.SkipWithError("sign failed");
        unsigned char compact[64];
        int recid;
        secp256k1_ecdsa_recoverable_signature_serialize_compact(direct_context(), compact, &recid,
                                                                &sig);
        benchmark::DoNotOptimize(compact);
        benchmark::DoNotOptimize(recid);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SignDirect);

constexpr size_t kSignatures = 64;

struct Signed {
    Hash32 digest;
    Signature sig;
    unsigned char compact[64];
};

const std::vector<Signed>& signatures() {
    static const std::vector<Signed> all = [] {
        std::vector<Signed> v;
        for (uint64_t i = 0; i < kSignatures; ++i) {
            Signed s;
            s.digest = digest_for(i);
            s.sig = *sign_hash(s.digest, key());
            const auto r = s.sig.r.to_be_word();
            const auto sv = s.sig.s.to_be_word();
            std::memcpy(s.compact, r.data(), 32);
            std::memcpy(s.compact + 32, sv.data(), 32);
            v.push_back(s);
        }
        return v;
    }();
    return all;
}

void BM_RecoverOurs(benchmark::State& state) {
    const auto& sigs = signatures();
    size_t i = 0;
    for (auto _ : state) {
        const Signed& s = sigs[i++ % sigs.size()];
        auto address = recover_address(s.digest, s.sig);
        benchmark::DoNotOptimize(address);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecoverOurs);

void BM_RecoverDirect(benchmark::State& state) {
    const auto& sigs = signatures();
    size_t i = 0;
    for (auto _ : state) {
        const Signed& s = sigs[i++ % sigs.size()];
        secp256k1_ecdsa_recoverable_signature rsig;
        secp256k1_pubkey pub;
        if (!secp256k1_ecdsa_recoverable_signature_parse_compact(direct_context(), &rsig, s.compact,
                                                                 s.sig.y_parity) ||
            !secp256k1_ecdsa_recover(direct_context(), &pub, &rsig, s.digest.data()))
            state.SkipWithError("recover failed");
        unsigned char serialized[65];
        size_t len = sizeof serialized;
        secp256k1_ec_pubkey_serialize(direct_context(), serialized, &len, &pub,
                                      SECP256K1_EC_UNCOMPRESSED);
        const Hash32 h = keccak256(BytesView(serialized + 1, 64));
        benchmark::DoNotOptimize(h);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_RecoverDirect);

void BM_TxDecodeRecover(benchmark::State& state) {
    Transaction tx;
    tx.type = TxType::kDynamicFee;
    tx.chain_id = 1;
    tx.nonce = 42;
    tx.max_priority_fee_per_gas = U256(1'000'000'000);
    tx.max_fee_per_gas = U256(30'000'000'000ULL);
    tx.gas_limit = 100'000;
    tx.to = *Address::from_hex("0x3535353535353535353535353535353535353535");
    tx.value = U256(1'000'000'000'000'000'000ULL);
    tx.data = Bytes(68, 0xab);  // an ERC-20 transfer's calldata size
    const Bytes raw = *encode_transaction(*sign_transaction(tx, key()));
    for (auto _ : state) {
        auto decoded = decode_transaction(raw);
        auto sender = recover_sender(*decoded);
        benchmark::DoNotOptimize(sender);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TxDecodeRecover);

}  // namespace

BENCHMARK_MAIN();
