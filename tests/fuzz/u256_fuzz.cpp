// Fuzzes U256: from 64+ bytes builds full-width values and checks the arithmetic identities
// (division reconstructs, mulmod/addmod agree with a 512-bit schoolbook reduction, signed
// ops agree under negation); any input as text must parse to an error or round-trip.
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "chains/eth/u256.h"

namespace {

using vigil::eth::U256;

void check(bool ok) {
    if (!ok) std::abort();
}

U256 word(const uint8_t* p) { return U256::from_be_word(p); }

// n mod m for an 8-limb n by shift-and-subtract (independent of the library's division).
U256 slow_mod512(const std::array<uint64_t, 8>& n, const U256& m) {
    U256 r;
    for (int bit = 511; bit >= 0; --bit) {
        bool carry = r.is_negative();
        r = r << 1;
        if ((n[bit / 64] >> (bit % 64)) & 1) r = r | U256(1);
        if (carry || r >= m) r = r - m;
    }
    return r;
}

void check_arithmetic(const U256& a, const U256& b, const U256& m) {
    const U256 min_signed = U256(1) << 255;
    auto [q, r] = vigil::eth::divmod(a, b);
    if (b.is_zero()) {
        check(q.is_zero() && r.is_zero());
    } else {
        check(r < b);
        check(q * b + r == a);
        auto wide = vigil::eth::mul_wide(q, b);
        check((wide[4] | wide[5] | wide[6] | wide[7]) == 0);
    }
    if (m.is_zero()) {
        check(vigil::eth::mulmod(a, b, m).is_zero());
        check(vigil::eth::addmod(a, b, m).is_zero());
    } else {
        check(vigil::eth::mulmod(a, b, m) == slow_mod512(vigil::eth::mul_wide(a, b), m));
        U256 s = a + b;
        std::array<uint64_t, 8> sum{s.limbs[0], s.limbs[1], s.limbs[2], s.limbs[3],
                                    s < a ? 1ULL : 0ULL};
        check(vigil::eth::addmod(a, b, m) == slow_mod512(sum, m));
    }
    if (!b.is_zero()) {
        U256 sq = vigil::eth::sdiv(a, b), sr = vigil::eth::smod(a, b);
        check(sq * b + sr == a);
        check(sr.is_zero() || sr.is_negative() == a.is_negative());
        check(vigil::eth::smod(a, -b) == sr);
        if (a != min_signed) check(vigil::eth::sdiv(-a, b) == -sq);
    }
    check(vigil::eth::slt(a, b) == ((a ^ min_signed) < (b ^ min_signed)));
    check(vigil::eth::sgt(a, b) == vigil::eth::slt(b, a));
    unsigned shift = static_cast<unsigned>(m.low64() % 300);
    U256 sar = vigil::eth::sar(U256(shift), a);
    if (shift >= 256) {
        check(sar == (a.is_negative() ? U256::max() : U256()));
    } else {
        check(sar == (a.is_negative() ? ~(~a >> shift) : a >> shift));
    }
    unsigned byte_index = static_cast<unsigned>(m.low64() % 31);
    unsigned up = 248 - 8 * byte_index;
    check(vigil::eth::signextend(U256(byte_index), a) == vigil::eth::sar(U256(up), a << up));
    check(vigil::eth::byte_at(U256(byte_index), a) == ((a << (8 * byte_index)) >> 248));
    U256 e(m.low64() % 512);
    check(vigil::eth::exp(a, e + U256(1)) == vigil::eth::exp(a, e) * a);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size >= 64) {
        uint8_t third[32] = {};
        std::memcpy(third, data + 64, std::min<size_t>(size - 64, 32));
        check_arithmetic(word(data), word(data + 32), word(third));
    }
    // Any text: an error, or a value whose decimal and hex forms parse back to it.
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = U256::from_string(text);
    if (parsed.ok()) {
        auto dec = U256::from_string(parsed->to_dec());
        auto hex = U256::from_string(parsed->to_hex());
        check(dec.ok() && *dec == *parsed);
        check(hex.ok() && *hex == *parsed);
    } else {
        check(!parsed.error().message.empty());
    }
    return 0;
}
