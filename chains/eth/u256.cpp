#include "chains/eth/u256.h"

#include <algorithm>
#include <cstring>

namespace vigil::eth {

using u128 = unsigned __int128;

Result<U256> U256::from_be_bytes(BytesView data) {
    if (data.size() > 32) return fail("u256: " + std::to_string(data.size()) + " bytes exceed 32");
    uint8_t word[32] = {};
    std::memcpy(word + 32 - data.size(), data.data(), data.size());
    return from_be_word(word);
}

U256 U256::from_be_word(const uint8_t word[32]) {
    U256 out;
    for (int limb = 0; limb < 4; ++limb) {
        uint64_t v = 0;
        const uint8_t* p = word + 32 - 8 * (limb + 1);
        for (int i = 0; i < 8; ++i) v = v << 8 | p[i];
        out.limbs[limb] = v;
    }
    return out;
}

std::array<uint8_t, 32> U256::to_be_word() const {
    std::array<uint8_t, 32> out{};
    for (int limb = 0; limb < 4; ++limb) {
        uint64_t v = limbs[limb];
        uint8_t* p = out.data() + 32 - 8 * (limb + 1);
        for (int i = 7; i >= 0; --i, v >>= 8) p[i] = static_cast<uint8_t>(v);
    }
    return out;
}

Bytes U256::to_be_bytes_trimmed() const {
    auto word = to_be_word();
    auto first = std::find_if(word.begin(), word.end(), [](uint8_t b) { return b != 0; });
    return Bytes(first, word.end());
}

Result<U256> U256::from_string(std::string_view text) {
    if (text.empty()) return fail("u256: empty number");
    bool hex = text.size() >= 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
    std::string_view digits = hex ? text.substr(2) : text;
    if (digits.empty()) return fail("u256: no digits in '" + std::string(text) + "'");
    U256 value;
    if (hex) {
        if (digits.size() > 64) {
            size_t lead = digits.find_first_not_of('0');
            if (lead == std::string_view::npos) return U256();
            if (digits.size() - lead > 64) return fail("u256: hex number exceeds 256 bits");
            digits.remove_prefix(lead);
        }
        for (char c : digits) {
            int d;
            if (c >= '0' && c <= '9')
                d = c - '0';
            else if (c >= 'a' && c <= 'f')
                d = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F')
                d = c - 'A' + 10;
            else
                return fail("u256: invalid hex digit '" + std::string(1, c) + "'");
            value = (value << 4) | U256(static_cast<uint64_t>(d));
        }
        return value;
    }
    for (char c : digits) {
        if (c < '0' || c > '9')
            return fail("u256: invalid decimal digit '" + std::string(1, c) + "'");
        // value * 10 + d, detecting overflow through the 512-bit product's high half.
        auto wide = mul_wide(value, U256(10));
        if (wide[4] | wide[5] | wide[6] | wide[7])
            return fail("u256: decimal number exceeds 256 bits");
        U256 next(wide[0], wide[1], wide[2], wide[3]);
        U256 sum = next + U256(static_cast<uint64_t>(c - '0'));
        if (sum < next) return fail("u256: decimal number exceeds 256 bits");
        value = sum;
    }
    return value;
}

std::string U256::to_dec() const {
    if (is_zero()) return "0";
    std::string out;
    U256 v = *this;
    // Divide by 10^19 (the largest power of ten in 64 bits) limb-wise.
    constexpr uint64_t kChunk = 10000000000000000000ULL;
    while (!v.is_zero()) {
        u128 rem = 0;
        for (int i = 3; i >= 0; --i) {
            u128 cur = (rem << 64) | v.limbs[i];
            v.limbs[i] = static_cast<uint64_t>(cur / kChunk);
            rem = cur % kChunk;
        }
        uint64_t r = static_cast<uint64_t>(rem);
        for (int i = 0; i < 19; ++i) {
            out.push_back(static_cast<char>('0' + r % 10));
            r /= 10;
            if (v.is_zero() && r == 0) break;
        }
    }
    while (out.size() > 1 && out.back() == '0') out.pop_back();
    return std::string(out.rbegin(), out.rend());
}

std::string U256::to_hex() const {
    auto word = to_be_word();
    std::string h = to_hex_bare(BytesView(word.data(), 32));
    size_t lead = h.find_first_not_of('0');
    return lead == std::string::npos ? "0x0" : "0x" + h.substr(lead);
}

unsigned U256::bit_length() const {
    for (int i = 3; i >= 0; --i)
        if (limbs[i]) return static_cast<unsigned>(64 * i + 64 - __builtin_clzll(limbs[i]));
    return 0;
}

std::strong_ordering operator<=>(const U256& a, const U256& b) {
    for (int i = 3; i >= 0; --i)
        if (a.limbs[i] != b.limbs[i]) return a.limbs[i] <=> b.limbs[i];
    return std::strong_ordering::equal;
}

U256 operator+(const U256& a, const U256& b) {
    U256 r;
    unsigned long long carry = 0;
    for (int i = 0; i < 4; ++i) {
        unsigned long long s;
        unsigned long long c1 = __builtin_uaddll_overflow(a.limbs[i], b.limbs[i], &s);
        unsigned long long c2 = __builtin_uaddll_overflow(s, carry, &s);
        r.limbs[i] = s;
        carry = c1 | c2;
    }
    return r;
}

U256 operator-(const U256& a, const U256& b) {
    U256 r;
    unsigned long long borrow = 0;
    for (int i = 0; i < 4; ++i) {
        unsigned long long d;
        unsigned long long b1 = __builtin_usubll_overflow(a.limbs[i], b.limbs[i], &d);
        unsigned long long b2 = __builtin_usubll_overflow(d, borrow, &d);
        r.limbs[i] = d;
        borrow = b1 | b2;
    }
    return r;
}

std::array<uint64_t, 8> mul_wide(const U256& a, const U256& b) {
    std::array<uint64_t, 8> r{};
    for (int i = 0; i < 4; ++i) {
        uint64_t carry = 0;
        for (int j = 0; j < 4; ++j) {
            u128 t = static_cast<u128>(a.limbs[i]) * b.limbs[j] + r[i + j] + carry;
            r[i + j] = static_cast<uint64_t>(t);
            carry = static_cast<uint64_t>(t >> 64);
        }
        r[i + 4] = carry;
    }
    return r;
}

U256 operator*(const U256& a, const U256& b) {
    U256 r;
    for (int i = 0; i < 4; ++i) {
        uint64_t carry = 0;
        for (int j = 0; i + j < 4; ++j) {
            u128 t = static_cast<u128>(a.limbs[i]) * b.limbs[j] + r.limbs[i + j] + carry;
            r.limbs[i + j] = static_cast<uint64_t>(t);
            carry = static_cast<uint64_t>(t >> 64);
        }
    }
    return r;
}

U256 operator&(const U256& a, const U256& b) {
    return U256(a.limbs[0] & b.limbs[0], a.limbs[1] & b.limbs[1], a.limbs[2] & b.limbs[2],
                a.limbs[3] & b.limbs[3]);
}
U256 operator|(const U256& a, const U256& b) {
    return U256(a.limbs[0] | b.limbs[0], a.limbs[1] | b.limbs[1], a.limbs[2] | b.limbs[2],
                a.limbs[3] | b.limbs[3]);
}
U256 operator^(const U256& a, const U256& b) {
    return U256(a.limbs[0] ^ b.limbs[0], a.limbs[1] ^ b.limbs[1], a.limbs[2] ^ b.limbs[2],
                a.limbs[3] ^ b.limbs[3]);
}
U256 operator~(const U256& a) { return U256(~a.limbs[0], ~a.limbs[1], ~a.limbs[2], ~a.limbs[3]); }
U256 operator-(const U256& a) { return U256() - a; }

U256 operator<<(const U256& a, unsigned shift) {
    if (shift >= 256) return U256();
    U256 r;
    unsigned limb_shift = shift / 64, bit_shift = shift % 64;
    for (int i = 3; i >= static_cast<int>(limb_shift); --i) {
        uint64_t v = a.limbs[i - limb_shift] << bit_shift;
        if (bit_shift && i - static_cast<int>(limb_shift) - 1 >= 0)
            v |= a.limbs[i - limb_shift - 1] >> (64 - bit_shift);
        r.limbs[i] = v;
    }
    return r;
}

U256 operator>>(const U256& a, unsigned shift) {
    if (shift >= 256) return U256();
    U256 r;
    unsigned limb_shift = shift / 64, bit_shift = shift % 64;
    for (unsigned i = 0; i + limb_shift < 4; ++i) {
        uint64_t v = a.limbs[i + limb_shift] >> bit_shift;
        if (bit_shift && i + limb_shift + 1 < 4)
            v |= a.limbs[i + limb_shift + 1] << (64 - bit_shift);
        r.limbs[i] = v;
    }
    return r;
}

// Division and the EVM's signed/modular operations are in u256_ops.cpp.

}  // namespace vigil::eth
