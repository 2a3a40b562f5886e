// U256 division and the EVM's signed and modular operations (yellow paper, appendix H).
//
// Division is Knuth's algorithm D (TAOCP vol. 2, 4.3.1) on 64-bit limbs, with each quotient
// limb estimated by a precomputed reciprocal instead of a hardware 128/64 division:
// Möller and Granlund, "Improved division by invariant integers" (IEEE Trans. Computers,
// 2011), algorithms 4 (2-by-1), 5 (3-by-2) and 6 (3-by-2 reciprocal).
#include <bit>
#include <cstring>

#include "chains/eth/u256.h"

namespace vigil::eth {
namespace {

using u128 = unsigned __int128;

inline uint64_t hi64(u128 x) { return static_cast<uint64_t>(x >> 64); }
inline uint64_t lo64(u128 x) { return static_cast<uint64_t>(x); }
inline u128 make_u128(uint64_t hi, uint64_t lo) { return (static_cast<u128>(hi) << 64) | lo; }

// floor((2^128 - 1) / d) - 2^64 for a normalized d (top bit set); M&G section 3. That is
// (~d : ~0) / d, whose quotient fits 64 bits, so x86-64 does it with one DIV instead of
// the compiler's generic 128/128-bit division routine.
inline uint64_t reciprocal_2by1(uint64_t d) {
#if defined(__x86_64__)
    uint64_t quot, rem;
    __asm__("divq %4" : "=a"(quot), "=d"(rem) : "a"(~0ULL), "d"(~d), "r"(d));
    return quot;
#else
    return lo64(~u128(0) / d);
#endif
}

// (u1:u0) / d for normalized d with u1 < d, using v = reciprocal_2by1(d); M&G algorithm 4.
inline uint64_t udivrem_2by1(uint64_t u1, uint64_t u0, uint64_t d, uint64_t v, uint64_t& rem) {
    u128 q = static_cast<u128>(v) * u1 + make_u128(u1, u0);
    uint64_t q1 = hi64(q) + 1, q0 = lo64(q);
    uint64_t r = u0 - q1 * d;
    if (r > q0) {
        --q1;
        r += d;
    }
    if (r >= d) {
        ++q1;
        r -= d;
    }
    rem = r;
    return q1;
}

// Reciprocal of the normalized two-limb divisor (d1:d0); M&G algorithm 6.
inline uint64_t reciprocal_3by2(uint64_t d1, uint64_t d0) {
    uint64_t v = reciprocal_2by1(d1);
    uint64_t p = d1 * v + d0;
    if (p < d0) {
        --v;
        if (p >= d1) {
            --v;
            p -= d1;
        }
        p -= d1;
    }
    u128 t = static_cast<u128>(v) * d0;
    uint64_t t1 = hi64(t), t0 = lo64(t);
    p += t1;
    if (p < t1) {
        --v;
        if (make_u128(p, t0) >= make_u128(d1, d0)) --v;
    }
    return v;
}

// (u2:u1:u0) / (d1:d0) for a normalized divisor with (u2:u1) < (d1:d0); M&G algorithm 5.
inline uint64_t udivrem_3by2(uint64_t u2, uint64_t u1, uint64_t u0, u128 d, uint64_t v, u128& rem) {
    const uint64_t d1 = hi64(d), d0 = lo64(d);
    u128 q = static_cast<u128>(v) * u2 + make_u128(u2, u1);
    uint64_t q1 = hi64(q), q0 = lo64(q);
    uint64_t r1 = u1 - q1 * d1;
    u128 r = make_u128(r1, u0) - static_cast<u128>(d0) * q1 - d;
    ++q1;
    if (hi64(r) >= q0) {
        --q1;
        r += d;
    }
    if (r >= d) {
        ++q1;
        r -= d;
    }
    rem = r;
    return q1;
}

// x[0..n) -= y[0..n) * m; returns the limb that borrows out of the top.
inline uint64_t submul(uint64_t* x, const uint64_t* y, int n, uint64_t m) {
    uint64_t borrow = 0;
    for (int i = 0; i < n; ++i) {
        u128 prod = static_cast<u128>(y[i]) * m + borrow;
        uint64_t p = lo64(prod);
        borrow = hi64(prod) + (x[i] < p);
        x[i] -= p;
    }
    return borrow;
}

// x[0..n) += y[0..n); returns the carry out.
inline uint64_t add_into(uint64_t* x, const uint64_t* y, int n) {
    uint64_t carry = 0;
    for (int i = 0; i < n; ++i) {
        u128 s = static_cast<u128>(x[i]) + y[i] + carry;
        x[i] = lo64(s);
        carry = hi64(s);
    }
    return carry;
}

inline int significant_limbs(const uint64_t* x, int n) {
    while (n > 0 && x[n - 1] == 0) --n;
    return n;
}

// Unsigned division of u[0..ulen) by d[0..dlen), ulen <= 8, dlen <= 4: the quotient goes to
// q[0..ulen) and the remainder to r[0..dlen). Requires d != 0.
void udivrem(const uint64_t* u, int ulen, const uint64_t* d, int dlen, uint64_t* q, uint64_t* r) {
    std::memset(q, 0, sizeof(uint64_t) * ulen);
    std::memset(r, 0, sizeof(uint64_t) * dlen);
    const int dn = significant_limbs(d, dlen);
    const int un = significant_limbs(u, ulen);
    if (un < dn) {
        std::memcpy(r, u, sizeof(uint64_t) * un);
        return;
    }
    if (un == 1) {  // both fit 64 bits: the hardware divides
        q[0] = u[0] / d[0];
        r[0] = u[0] % d[0];
        return;
    }

    // Normalize: shift both so the divisor's top limb has its top bit set (D1).
    const unsigned shift = static_cast<unsigned>(std::countl_zero(d[dn - 1]));
    uint64_t dnorm[4], unorm[9];
    for (int i = dn - 1; i > 0; --i)
        dnorm[i] = shift ? (d[i] << shift) | (d[i - 1] >> (64 - shift)) : d[i];
    dnorm[0] = d[0] << shift;
    unorm[un] = shift ? u[un - 1] >> (64 - shift) : 0;
    for (int i = un - 1; i > 0; --i)
        unorm[i] = shift ? (u[i] << shift) | (u[i - 1] >> (64 - shift)) : u[i];
    unorm[0] = u[0] << shift;

    if (dn == 1) {
        const uint64_t dv = dnorm[0], v = reciprocal_2by1(dv);
        uint64_t rem = unorm[un];
        for (int i = un - 1; i >= 0; --i) q[i] = udivrem_2by1(rem, unorm[i], dv, v, rem);
        r[0] = rem >> shift;
        return;
    }

    // D2-D7 with 3-by-2 quotient-limb estimates: the estimate from the top three limbs of
    // the window and the top two of the divisor is exact or one too large (normalized).
    const u128 dtop = make_u128(dnorm[dn - 1], dnorm[dn - 2]);
    const uint64_t v = reciprocal_3by2(dnorm[dn - 1], dnorm[dn - 2]);
    for (int j = un - dn; j >= 0; --j) {
        uint64_t* w = unorm + j;  // the window w[0..dn] < dnorm * 2^64
        const uint64_t u2 = w[dn], u1 = w[dn - 1], u0 = w[dn - 2];
        uint64_t qhat;
        if (make_u128(u2, u1) == dtop) {
            // The 3-by-2 quotient would overflow; the true digit is then 2^64 - 1.
            qhat = ~0ULL;
            w[dn] = u2 - submul(w, dnorm, dn, qhat);
        } else {
            u128 rhat;
            qhat = udivrem_3by2(u2, u1, u0, dtop, v, rhat);
            // Subtract qhat * (the divisor's lower limbs) from the lower window limbs; the
            // top two window limbs are rhat minus that product's borrow.
            uint64_t borrow = submul(w, dnorm, dn - 2, qhat);
            uint64_t low = lo64(rhat), high = hi64(rhat);
            uint64_t b1 = low < borrow;
            w[dn - 2] = low - borrow;
            uint64_t b2 = high < b1;
            w[dn - 1] = high - b1;
            if (b2) {  // the estimate was one too large: add the divisor back (D6)
                --qhat;
                w[dn - 1] += dnorm[dn - 1] + add_into(w, dnorm, dn - 1);
            }
        }
        q[j] = qhat;
    }
    // Unnormalize the remainder (D8); it is unorm[0..dn) (limb dn was consumed: it is stale).
    for (int i = 0; i < dn; ++i) {
        uint64_t above = i + 1 < dn ? unorm[i + 1] : 0;
        r[i] = shift ? (unorm[i] >> shift) | (above << (64 - shift)) : unorm[i];
    }
}

// Two's-complement absolute value.
inline U256 abs_value(const U256& x) { return x.is_negative() ? -x : x; }

}  // namespace

U256DivMod divmod(const U256& n, const U256& d) {
    U256DivMod out;
    if (d.is_zero()) return out;
    if (n.fits_u64() && d.fits_u64()) {
        out.quot = U256(n.limbs[0] / d.limbs[0]);
        out.rem = U256(n.limbs[0] % d.limbs[0]);
        return out;
    }
    if (n < d) {
        out.rem = n;
        return out;
    }
    udivrem(n.limbs.data(), 4, d.limbs.data(), 4, out.quot.limbs.data(), out.rem.limbs.data());
    return out;
}

U256 operator/(const U256& a, const U256& b) { return divmod(a, b).quot; }
U256 operator%(const U256& a, const U256& b) { return divmod(a, b).rem; }

U256 sdiv(const U256& a, const U256& b) {
    if (b.is_zero()) return U256();
    // |-2^255| wraps to 2^255, so sdiv(-2^255, -1) = 2^255 = -2^255 as the EVM requires.
    U256 q = divmod(abs_value(a), abs_value(b)).quot;
    return a.is_negative() != b.is_negative() ? -q : q;
}

U256 smod(const U256& a, const U256& b) {
    if (b.is_zero()) return U256();
    U256 r = divmod(abs_value(a), abs_value(b)).rem;  // the result takes the dividend's sign
    return a.is_negative() ? -r : r;
}

U256 addmod(const U256& a, const U256& b, const U256& m) {
    if (m.is_zero()) return U256();
    if (a < m && b < m) {  // the common case: one conditional subtraction
        U256 s = a + b;
        return (s < a || s >= m) ? s - m : s;
    }
    // The 257-bit sum, reduced by a full division.
    U256 s = a + b;
    uint64_t wide[5] = {s.limbs[0], s.limbs[1], s.limbs[2], s.limbs[3], s < a ? 1ULL : 0ULL};
    uint64_t q[5];
    U256 r;
    udivrem(wide, 5, m.limbs.data(), 4, q, r.limbs.data());
    return r;
}

U256 mulmod(const U256& a, const U256& b, const U256& m) {
    if (m.is_zero()) return U256();
    std::array<uint64_t, 8> product = mul_wide(a, b);
    uint64_t q[8];
    U256 r;
    udivrem(product.data(), 8, m.limbs.data(), 4, q, r.limbs.data());
    return r;
}

U256 exp(const U256& base, const U256& exponent) {
    // Right-to-left square-and-multiply over the exponent's significant bits.
    U256 result(1), power = base;
    const unsigned bits = exponent.bit_length();
    for (unsigned i = 0; i < bits; ++i) {
        if ((exponent.limbs[i / 64] >> (i % 64)) & 1) result *= power;
        if (i + 1 < bits) power *= power;
    }
    return result;
}

U256 signextend(const U256& byte_index, const U256& value) {
    if (!byte_index.fits_u64() || byte_index.low64() >= 31) return value;
    const unsigned sign_bit = 8 * static_cast<unsigned>(byte_index.low64()) + 7;
    const U256 low_mask = (U256(1) << (sign_bit + 1)) - U256(1);
    const bool negative = ((value >> sign_bit).low64() & 1) != 0;
    return negative ? (value | ~low_mask) : (value & low_mask);
}

U256 byte_at(const U256& index, const U256& value) {
    if (!index.fits_u64() || index.low64() >= 32) return U256();
    const unsigned shift = 8 * (31 - static_cast<unsigned>(index.low64()));
    return U256((value >> shift).low64() & 0xff);
}

U256 sar(const U256& shift, const U256& value) {
    const bool negative = value.is_negative();
    if (!shift.fits_u64() || shift.low64() >= 256) return negative ? U256::max() : U256();
    const unsigned s = static_cast<unsigned>(shift.low64());
    return negative ? ~(~value >> s) : value >> s;
}

bool slt(const U256& a, const U256& b) {
    if (a.is_negative() != b.is_negative()) return a.is_negative();
    return a < b;  // same sign: two's-complement order equals unsigned order
}

bool sgt(const U256& a, const U256& b) { return slt(b, a); }

}  // namespace vigil::eth
