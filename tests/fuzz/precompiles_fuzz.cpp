// Fuzzes every precompile with arbitrary input and gas: byte 0 picks the precompile (low
// seven bits) and the mode (top four bits), bytes 1–8 the gas (little-endian), the rest is the
// call's input. No input may crash or hang, and every outcome must keep the contract of
// run_precompile: a success charges at most the gas given and has the output length its
// precompile defines, a failure consumes all the gas and returns nothing, and only 0x0a
// (and modexp beyond its operand bound) may be unsupported.
//
// Random bytes are almost never curve points, so in the second mode ECADD and ECMUL get
// valid points built from the input as scalars, and the results must agree with the group
// law: [a]G + [b]G = [a+b]G, [a]G + (−[a]G) = O and [b]([a]G) = [ab]G. (Pairings are too slow under
// the sanitizers to fuzz this way; the unit tests check bilinearity on random scalars.)
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "chains/eth/u256.h"
#include "verifier/evm/bn254.h"
#include "verifier/evm/precompiles.h"

namespace {

using vigil::evm::PrecompileResult;
using vigil::evm::PrecompileStatus;

// The work a precompile does is bounded by the gas it is paid (blake2f's rounds, modexp's
// exponent, the pairing's pairs). The EVM never passes more than a block's gas; 2^20
// keeps every run well under the fuzzer's timeout while reaching every branch.
constexpr uint64_t kMaxFuzzGas = uint64_t{1} << 20;

// Byte 0 with these top bits set selects the group-law mode (one input in sixteen, so the
// plain mode keeps its pace).
constexpr uint8_t kAlgebraMode = 0xf0;

constexpr uint16_t kIds[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x100};

void check(bool ok) {
    if (!ok) std::abort();
}

using vigil::eth::Bytes;
using vigil::eth::U256;

// bn254's group order r and base field modulus p (EIP-196).
const U256 kOrder = *U256::from_string(
    "21888242871839275222246405745257275088548364400416034343698204186575808495617");
const U256 kField = *U256::from_string(
    "21888242871839275222246405745257275088696311157297823662689037894645226208583");

Bytes word(const U256& v) {
    const auto w = v.to_be_word();
    return Bytes(w.begin(), w.end());
}

Bytes cat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

// [k]G for the G1 generator (1, 2), through the precompile itself.
Bytes g1_times(const U256& k) {
    auto r = vigil::evm::bn254::g1_mul(cat({word(U256(1)), word(U256(2)), word(k)}));
    check(r.ok() && r->size() == 64);
    return *r;
}

Bytes g1_negate(const Bytes& point) {
    const U256 y = U256::from_be_word(point.data() + 32);
    return cat({Bytes(point.begin(), point.begin() + 32), word(y.is_zero() ? y : kField - y)});
}

// The group-law checks of the second mode; `scalars` holds at least 64 bytes.
void check_bn254_algebra(uint16_t id, const uint8_t* scalars) {
    const U256 a = U256::from_be_word(scalars), b = U256::from_be_word(scalars + 32);
    const Bytes a_g = g1_times(a);
    if (id == 0x06) {
        auto sum = vigil::evm::bn254::g1_add(cat({a_g, g1_times(b)}));
        check(sum.ok() && *sum == g1_times(vigil::eth::addmod(a, b, kOrder)));
        auto zero = vigil::evm::bn254::g1_add(cat({a_g, g1_negate(a_g)}));
        check(zero.ok() && *zero == Bytes(64, 0));
    } else if (id == 0x07) {
        auto product = vigil::evm::bn254::g1_mul(cat({a_g, word(b)}));
        check(product.ok() && *product == g1_times(vigil::eth::mulmod(a, b, kOrder)));
    }
}

bool is_word(const vigil::eth::Bytes& out, uint8_t last) {
    if (out.size() != 32) return false;
    for (size_t i = 0; i < 31; ++i)
        if (out[i] != 0) return false;
    return out[31] == last;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 9) return 0;
    const uint16_t id = kIds[(data[0] & 0x7f) % (sizeof kIds / sizeof kIds[0])];
    if ((data[0] & kAlgebraMode) == kAlgebraMode && size >= 9 + 64) {
        check_bn254_algebra(id, data + 9);
        return 0;
    }
    uint64_t gas = 0;
    for (int i = 8; i >= 1; --i) gas = (gas << 8) | data[i];
    // Keep the low bits (exact-price boundaries stay reachable), bounded as explained above.
    gas %= kMaxFuzzGas + 1;
    const vigil::eth::BytesView input(data + 9, size - 9);

    vigil::eth::Address address;
    address.bytes[18] = static_cast<uint8_t>(id >> 8);
    address.bytes[19] = static_cast<uint8_t>(id);
    const vigil::evm::PrecompileSet set{.p256verify = true};
    check(vigil::evm::is_precompile(address, set));
    const PrecompileResult r = vigil::evm::run_precompile(address, input, gas, set);

    switch (r.status) {
        case PrecompileStatus::kFailure:
            check(r.gas_used == gas);
            check(r.output.empty());
            return 0;
        case PrecompileStatus::kUnsupported:
            check(id == 0x0a || id == 0x05);
            check(!r.reason.empty());
            return 0;
        case PrecompileStatus::kSuccess:
            break;
    }
    check(r.gas_used <= gas);
    switch (id) {
        case 0x01:
            check(r.gas_used == 3000);
            check(r.output.empty() || (r.output.size() == 32 && r.output[0] == 0));
            break;
        case 0x02:
        case 0x03:
            check(r.output.size() == 32);
            break;
        case 0x04:
            check(r.output.size() == input.size() &&
                  (input.empty() || std::memcmp(r.output.data(), input.data(), input.size()) == 0));
            break;
        case 0x06:
        case 0x07:
            check(r.output.size() == 64);
            break;
        case 0x08:
            check(input.size() % 192 == 0);
            check(is_word(r.output, 0) || is_word(r.output, 1));
            break;
        case 0x09:
            check(input.size() == 213 && r.output.size() == 64);
            break;
        case 0x100:
            check(r.gas_used == 3450);
            check(r.output.empty() || is_word(r.output, 1));
            break;
        default:
            break;
    }
    if (id == 0x06) {
        // Adding the point at infinity changes nothing: sum + O = sum.
        uint8_t again[128] = {};
        std::memcpy(again, r.output.data(), 64);
        const PrecompileResult same = vigil::evm::run_precompile(
            address, vigil::eth::BytesView(again, sizeof again), 150, set);
        check(same.status == PrecompileStatus::kSuccess && same.output == r.output);
    }
    return 0;
}
