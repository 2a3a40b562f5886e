// Fuzzes every precompile with arbitrary input and gas: byte 0 picks the precompile, bytes
// 1–8 the gas (little-endian), the rest is the call's input. No input may crash or hang,
// and every outcome must keep the contract of run_precompile: a success charges at most
// the gas given and has the output length its precompile defines, a failure consumes all
// the gas and returns nothing, and only 0x0a (and modexp beyond its operand bound) may be
// unsupported.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "verifier/evm/precompiles.h"

namespace {

using vigil::evm::PrecompileResult;
using vigil::evm::PrecompileStatus;

// The work a precompile does is bounded by the gas it is paid (blake2f's rounds, modexp's
// exponent, the pairing's pairs). The EVM never passes more than a block's gas; 2^20
// keeps every run well under the fuzzer's timeout while reaching every branch.
constexpr uint64_t kMaxFuzzGas = uint64_t{1} << 20;

constexpr uint16_t kIds[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x100};

void check(bool ok) {
    if (!ok) std::abort();
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
    const uint16_t id = kIds[data[0] % (sizeof kIds / sizeof kIds[0])];
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
