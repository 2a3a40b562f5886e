// U256: 256-bit unsigned integer with the EVM's unsigned and two's-complement signed
// arithmetic (all operations wrap modulo 2^256, division by zero yields 0 as in the EVM).
//
// Four little-endian 64-bit limbs; a trivially copyable value type. Text (decimal or 0x
// hex) and big-endian bytes only at the edges.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "chains/eth/bytes.h"

namespace vigil::eth {

class U256 {
  public:
    // limbs[0] is the least significant.
    std::array<uint64_t, 4> limbs{};

    constexpr U256() = default;
    constexpr U256(uint64_t v) : limbs{v, 0, 0, 0} {}
    constexpr U256(uint64_t l0, uint64_t l1, uint64_t l2, uint64_t l3) : limbs{l0, l1, l2, l3} {}

    static constexpr U256 max() { return U256(~0ULL, ~0ULL, ~0ULL, ~0ULL); }

    // Big-endian bytes, at most 32 (shorter input is left-padded); longer is an error.
    static Result<U256> from_be_bytes(BytesView data);
    // Exactly 32 big-endian bytes (no error possible).
    static U256 from_be_word(const uint8_t word[32]);
    // Decimal digits, or 0x-prefixed hex (1..64 digits); overflow or junk is an error.
    static Result<U256> from_string(std::string_view text);

    std::array<uint8_t, 32> to_be_word() const;
    // Minimal big-endian bytes (empty for zero), as RLP encodes integers.
    Bytes to_be_bytes_trimmed() const;
    std::string to_dec() const;
    // "0x" + minimal lowercase hex, "0x0" for zero (a JSON-RPC quantity).
    std::string to_hex() const;

    constexpr bool is_zero() const { return (limbs[0] | limbs[1] | limbs[2] | limbs[3]) == 0; }
    constexpr bool fits_u64() const { return (limbs[1] | limbs[2] | limbs[3]) == 0; }
    constexpr uint64_t low64() const { return limbs[0]; }
    // Number of significant bits (0 for zero).
    unsigned bit_length() const;
    // The sign bit (bit 255) for two's-complement views.
    constexpr bool is_negative() const { return (limbs[3] >> 63) != 0; }

    friend constexpr bool operator==(const U256&, const U256&) = default;
    friend std::strong_ordering operator<=>(const U256& a, const U256& b);

    friend U256 operator+(const U256& a, const U256& b);
    friend U256 operator-(const U256& a, const U256& b);
    friend U256 operator*(const U256& a, const U256& b);
    friend U256 operator/(const U256& a, const U256& b);  // 0 when b == 0
    friend U256 operator%(const U256& a, const U256& b);  // 0 when b == 0
    friend U256 operator&(const U256& a, const U256& b);
    friend U256 operator|(const U256& a, const U256& b);
    friend U256 operator^(const U256& a, const U256& b);
    friend U256 operator~(const U256& a);
    friend U256 operator-(const U256& a);                   // two's-complement negation
    friend U256 operator<<(const U256& a, unsigned shift);  // 0 when shift >= 256
    friend U256 operator>>(const U256& a, unsigned shift);  // 0 when shift >= 256

    U256& operator+=(const U256& b) { return *this = *this + b; }
    U256& operator-=(const U256& b) { return *this = *this - b; }
    U256& operator*=(const U256& b) { return *this = *this * b; }
};

// Quotient and remainder in one pass; both 0 when d == 0.
struct U256DivMod {
    U256 quot, rem;
};
U256DivMod divmod(const U256& n, const U256& d);

// EVM semantics (yellow paper, appendix H).
U256 sdiv(const U256& a, const U256& b);
U256 smod(const U256& a, const U256& b);
U256 addmod(const U256& a, const U256& b, const U256& m);  // 512-bit intermediate
U256 mulmod(const U256& a, const U256& b, const U256& m);  // 512-bit intermediate
U256 exp(const U256& base, const U256& exponent);
U256 signextend(const U256& byte_index, const U256& value);
U256 byte_at(const U256& index, const U256& value);  // BYTE: index 0 = most significant
U256 sar(const U256& shift, const U256& value);      // arithmetic shift right
bool slt(const U256& a, const U256& b);
bool sgt(const U256& a, const U256& b);

// Full 256x256 -> 512-bit product, little-endian limbs.
std::array<uint64_t, 8> mul_wide(const U256& a, const U256& b);

}  // namespace vigil::eth
