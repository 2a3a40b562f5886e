// ABI codec throughput on the two payloads a bridge relayer handles most:
//  - the data of an L2ToL1MessagePasser MessagePassed log (one per withdrawal), and
//  - OptimismPortal proveWithdrawalTransaction calldata (tuple + output root proof + bytes[]
//    of Merkle-Patricia proof nodes).
// Payloads are built here with realistic sizes (a relayMessage call of 484 bytes; nine proof
// nodes of 100..532 bytes, as in a storage proof of the message passer).
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "chains/eth/abi.h"
#include "chains/eth/keccak.h"
#include "chains/eth/opstack.h"

namespace {

namespace abi = vigil::eth::abi;
namespace opstack = vigil::eth::opstack;
using vigil::eth::Address;
using vigil::eth::Bytes;
using vigil::eth::Hash32;
using vigil::eth::U256;

template <class T>
T must(vigil::Result<T> r) {
    if (!r.ok()) {
        std::fprintf(stderr, "abi_bench: %s\n", r.error().message.c_str());
        std::abort();
    }
    return std::move(r).value();
}

Bytes filled(size_t n, uint8_t seed) {
    Bytes b(n);
    for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 31);
    return b;
}

Address address_ending(uint8_t last) {
    Address a;
    a[0] = 0x42;
    a[19] = last;
    return a;
}

struct MessagePassedLog {
    std::vector<Hash32> topics;
    Bytes data;
};

MessagePassedLog message_passed_log() {
    opstack::WithdrawalTransaction tx;
    tx.nonce = must(opstack::versioned_nonce(1, U256(123456)));
    tx.sender = address_ending(0x07);
    tx.target = address_ending(0x02);
    tx.value = U256(1000000000000000000ULL);
    tx.gas_limit = U256(203648);
    tx.data = filled(484, 0xd7);
    const Hash32 hash = opstack::withdrawal_hash(tx);
    abi::Type data_type = must(abi::parse_type("(uint256,uint256,bytes,bytes32)"));
    abi::Value data_value = abi::Value::tuple(
        {abi::Value::uint(tx.value), abi::Value::uint(tx.gas_limit), abi::Value::bytes(tx.data),
         abi::Value::fixed_bytes(Bytes(hash.bytes.begin(), hash.bytes.end()))});
    MessagePassedLog log;
    log.data = must(abi::encode_params(data_type, data_value));
    auto word = [](const U256& x) {
        Hash32 h;
        h.bytes = x.to_be_word();
        return h;
    };
    Hash32 sender, target;
    std::copy(tx.sender.bytes.begin(), tx.sender.bytes.end(), sender.bytes.begin() + 12);
    std::copy(tx.target.bytes.begin(), tx.target.bytes.end(), target.bytes.begin() + 12);
    log.topics = {opstack::message_passed_topic(), word(tx.nonce), sender, target};
    return log;
}

const abi::Signature& prove_signature() {
    static const abi::Signature sig = must(abi::parse_signature(
        "proveWithdrawalTransaction((uint256,address,address,uint256,uint256,bytes),uint256,"
        "(bytes32,bytes32,bytes32,bytes32),bytes[])"));
    return sig;
}

abi::Value prove_args() {
    auto word = [](uint8_t seed) { return abi::Value::fixed_bytes(filled(32, seed)); };
    abi::Value tx =
        abi::Value::tuple({abi::Value::uint(must(opstack::versioned_nonce(1, U256(42)))),
                           abi::Value::address(address_ending(0x07)),
                           abi::Value::address(address_ending(0x02)), abi::Value::uint(U256(0)),
                           abi::Value::uint(U256(203648)), abi::Value::bytes(filled(484, 0xd7))});
    std::vector<abi::Value> nodes;
    for (size_t n : {532, 532, 532, 532, 532, 532, 500, 200, 100})
        nodes.push_back(abi::Value::bytes(filled(n, static_cast<uint8_t>(n))));
    return abi::Value::tuple({tx, abi::Value::uint(U256(4711)),
                              abi::Value::tuple({word(0), word(1), word(2), word(3)}),
                              abi::Value::array(std::move(nodes))});
}

void BM_DecodeMessagePassedData(benchmark::State& state) {
    const MessagePassedLog log = message_passed_log();
    const abi::Type type = must(abi::parse_type("(uint256,uint256,bytes,bytes32)"));
    for (auto _ : state) benchmark::DoNotOptimize(must(abi::decode_params(type, log.data)));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * log.data.size()));
}
BENCHMARK(BM_DecodeMessagePassedData);

// The whole MessagePassed check: topic0, topics, strict data decode, hash recomputation.
void BM_DecodeMessagePassedLogVerified(benchmark::State& state) {
    const MessagePassedLog log = message_passed_log();
    const Address emitter = opstack::message_passer_address();
    for (auto _ : state)
        benchmark::DoNotOptimize(
            must(opstack::decode_message_passed(emitter, log.topics, log.data)));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * log.data.size()));
}
BENCHMARK(BM_DecodeMessagePassedLogVerified);

void BM_EncodeMessagePassedData(benchmark::State& state) {
    const MessagePassedLog log = message_passed_log();
    const abi::Type type = must(abi::parse_type("(uint256,uint256,bytes,bytes32)"));
    const abi::Value value = must(abi::decode_params(type, log.data));
    for (auto _ : state) benchmark::DoNotOptimize(must(abi::encode_params(type, value)));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * log.data.size()));
}
BENCHMARK(BM_EncodeMessagePassedData);

void BM_DecodeProveWithdrawalCalldata(benchmark::State& state) {
    const Bytes calldata = must(abi::encode_call(prove_signature(), prove_args()));
    if (calldata[0] != 0x48 || calldata[1] != 0x70 || calldata[2] != 0x49 || calldata[3] != 0x6f)
        std::abort();  // op-stack.md: proveWithdrawalTransaction selector 0x4870496f
    for (auto _ : state)
        benchmark::DoNotOptimize(must(abi::decode_call(prove_signature(), calldata)));
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * calldata.size()));
    state.counters["calldata_bytes"] = static_cast<double>(calldata.size());
}
BENCHMARK(BM_DecodeProveWithdrawalCalldata);

void BM_EncodeProveWithdrawalCalldata(benchmark::State& state) {
    const abi::Value args = prove_args();
    size_t size = 0;
    for (auto _ : state) {
        Bytes calldata = must(abi::encode_call(prove_signature(), args));
        size = calldata.size();
        benchmark::DoNotOptimize(calldata);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
}
BENCHMARK(BM_EncodeProveWithdrawalCalldata);

void BM_WithdrawalHash(benchmark::State& state) {
    opstack::WithdrawalTransaction tx;
    tx.nonce = must(opstack::versioned_nonce(1, U256(7)));
    tx.sender = address_ending(0x07);
    tx.target = address_ending(0x02);
    tx.gas_limit = U256(203648);
    tx.data = filled(484, 0xd7);
    for (auto _ : state) benchmark::DoNotOptimize(opstack::withdrawal_hash(tx));
}
BENCHMARK(BM_WithdrawalHash);

}  // namespace

BENCHMARK_MAIN();
