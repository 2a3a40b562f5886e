#include "verifier/evm/modexp.h"

#include <openssl/bn.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

namespace vigil::evm {
namespace {

constexpr uint64_t kSaturated = std::numeric_limits<uint64_t>::max();
// EIP-198 header: three 32-byte lengths.
constexpr uint64_t kHeaderBytes = 96;
// EIP-2565: the minimum price and the divisor (GQUADDIVISOR).
constexpr uint64_t kMinGas = 200;
constexpr unsigned __int128 kQuadDivisor = 3;

// `len` bytes of `input` from `offset`, zero-padded where the input ends.
void read_padded(eth::BytesView input, uint64_t offset, uint64_t len, uint8_t* out) {
    std::memset(out, 0, len);
    if (offset >= input.size()) return;
    const uint64_t available = std::min<uint64_t>(len, input.size() - offset);
    std::memcpy(out, input.data() + offset, available);
}

// The length word at `index` (0 base, 1 exponent, 2 modulus), saturated at UINT64_MAX.
uint64_t length_word(eth::BytesView input, int index) {
    uint8_t word[32];
    read_padded(input, 32 * static_cast<uint64_t>(index), 32, word);
    for (int i = 0; i < 24; ++i)
        if (word[i] != 0) return kSaturated;
    uint64_t v = 0;
    for (int i = 24; i < 32; ++i) v = (v << 8) | word[i];
    return v;
}

struct Lengths {
    uint64_t base, exp, mod;
};

Lengths lengths_of(eth::BytesView input) {
    return {length_word(input, 0), length_word(input, 1), length_word(input, 2)};
}

// Bit length of the big-endian number in `bytes`.
unsigned bit_length(const uint8_t* bytes, size_t n) {
    for (size_t i = 0; i < n; ++i) {
        if (bytes[i] == 0) continue;
        unsigned bits = 8 * static_cast<unsigned>(n - i - 1);
        for (uint8_t b = bytes[i]; b != 0; b >>= 1) ++bits;
        return bits;
    }
    return 0;
}

struct BnFree {
    void operator()(BIGNUM* b) const { BN_free(b); }
    void operator()(BN_CTX* c) const { BN_CTX_free(c); }
};
using Bn = std::unique_ptr<BIGNUM, BnFree>;

Bn bn_from(const uint8_t* bytes, uint64_t len) {
    return Bn(BN_bin2bn(bytes, static_cast<int>(len), nullptr));
}

}  // namespace

uint64_t modexp_gas(eth::BytesView input) {
    const Lengths len = lengths_of(input);
    // EIP-2565 mult_complexity: ceil(max(base_len, mod_len) / 8)^2.
    const uint64_t max_len = std::max(len.base, len.mod);
    if (max_len > (uint64_t{1} << 40)) return kSaturated;  // words^2 alone exceeds 2^64
    const unsigned __int128 words = (max_len + 7) / 8;
    const unsigned __int128 complexity = words * words;

    // The first 32 bytes of the exponent (fewer if it is shorter), zero when the input
    // ends before the exponent starts.
    uint8_t head[32] = {};
    const uint64_t head_len = std::min<uint64_t>(len.exp, 32);
    if (len.base < kSaturated - kHeaderBytes)
        read_padded(input, kHeaderBytes + len.base, head_len, head);
    const unsigned head_bits = bit_length(head, head_len);

    // EIP-2565 iteration_count (EIP-198's adjusted exponent length), at least 1.
    unsigned __int128 iterations = head_bits > 0 ? head_bits - 1 : 0;
    if (len.exp > 32) iterations += static_cast<unsigned __int128>(len.exp - 32) * 8;
    iterations = std::max<unsigned __int128>(iterations, 1);

    if (complexity != 0 && iterations > ~static_cast<unsigned __int128>(0) / complexity)
        return kSaturated;
    const unsigned __int128 gas = complexity * iterations / kQuadDivisor;
    if (gas > kSaturated) return kSaturated;
    return std::max<uint64_t>(static_cast<uint64_t>(gas), kMinGas);
}

Result<eth::Bytes> modexp(eth::BytesView input) {
    const Lengths len = lengths_of(input);
    if (len.mod == 0) return eth::Bytes{};
    for (uint64_t l : {len.base, len.exp, len.mod})
        if (l > kModexpMaxOperandBytes)
            return fail("modexp: operand of " + std::to_string(l) + " bytes exceeds the " +
                        std::to_string(kModexpMaxOperandBytes) + "-byte bound");

    eth::Bytes buffer(std::max({len.base, len.exp, len.mod}));
    read_padded(input, kHeaderBytes, len.base, buffer.data());
    Bn base = bn_from(buffer.data(), len.base);
    read_padded(input, kHeaderBytes + len.base, len.exp, buffer.data());
    Bn exp = bn_from(buffer.data(), len.exp);
    read_padded(input, kHeaderBytes + len.base + len.exp, len.mod, buffer.data());
    Bn mod = bn_from(buffer.data(), len.mod);
    std::unique_ptr<BN_CTX, BnFree> ctx(BN_CTX_new());
    Bn result(BN_new());
    if (!base || !exp || !mod || !ctx || !result) return fail("modexp: out of memory");

    eth::Bytes out(len.mod, 0);
    if (BN_is_zero(mod.get())) return out;  // x mod 0 is 0 (EIP-198)
    if (BN_mod_exp(result.get(), base.get(), exp.get(), mod.get(), ctx.get()) != 1)
        return fail("modexp: BN_mod_exp failed");
    if (BN_bn2binpad(result.get(), out.data(), static_cast<int>(out.size())) < 0)
        return fail("modexp: result does not fit the modulus length");
    return out;
}

}  // namespace vigil::evm
