#include "chains/eth/u256.h"

#include <gtest/gtest.h>

#include <ostream>

namespace vigil::eth {

void PrintTo(const U256& v, std::ostream* os) { *os << v.to_hex(); }

namespace {

using u128 = unsigned __int128;
using i128 = __int128;

const U256 kMax = U256::max();
const U256 kMinSigned = U256(0, 0, 0, 1ULL << 63);  // -2^255
const U256 kMinusOne = kMax;

U256 hex(std::string_view text) {
    auto v = U256::from_string(text);
    EXPECT_TRUE(v.ok()) << text;
    return v.value_or(U256());
}

U256 from_u128(u128 v) {
    return U256(static_cast<uint64_t>(v), static_cast<uint64_t>(v >> 64), 0, 0);
}
// Two's-complement sign extension of a 128-bit signed value to 256 bits.
U256 from_i128(i128 v) {
    uint64_t ext = v < 0 ? ~0ULL : 0;
    u128 bits = static_cast<u128>(v);
    return U256(static_cast<uint64_t>(bits), static_cast<uint64_t>(bits >> 64), ext, ext);
}
U256 neg(uint64_t v) { return -U256(v); }

// Deterministic pseudo-random source (splitmix64) biased towards limb values that hit edge
// cases in carries and division (0, 1, all ones, top bit, small).
struct Rng {
    uint64_t state;
    uint64_t next() {
        uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    }
    uint64_t limb() {
        switch (next() % 8) {
            case 0:
                return 0;
            case 1:
                return ~0ULL;
            case 2:
                return 1ULL << 63;
            case 3:
                return next() % 16;
            case 4:
                return ~0ULL - next() % 16;
            default:
                return next();
        }
    }
    U256 full() {
        U256 v(limb(), limb(), limb(), limb());
        if (next() % 4 == 0) v = v >> static_cast<unsigned>(next() % 256);  // short values
        return v;
    }
};

// ---- Slow references, written independently of u256_ops.cpp -------------------------

// 512-bit product by 32-bit schoolbook (not mul_wide's algorithm).
std::array<uint64_t, 8> ref_mul_wide(const U256& a, const U256& b) {
    uint32_t x[8], y[8];
    for (int i = 0; i < 4; ++i) {
        x[2 * i] = static_cast<uint32_t>(a.limbs[i]);
        x[2 * i + 1] = static_cast<uint32_t>(a.limbs[i] >> 32);
        y[2 * i] = static_cast<uint32_t>(b.limbs[i]);
        y[2 * i + 1] = static_cast<uint32_t>(b.limbs[i] >> 32);
    }
    uint32_t r[16] = {};
    for (int i = 0; i < 8; ++i) {
        uint64_t carry = 0;
        for (int j = 0; j < 8; ++j) {
            uint64_t t = static_cast<uint64_t>(x[i]) * y[j] + r[i + j] + carry;
            r[i + j] = static_cast<uint32_t>(t);
            carry = t >> 32;
        }
        r[i + 8] = static_cast<uint32_t>(carry);
    }
    std::array<uint64_t, 8> out{};
    for (int i = 0; i < 8; ++i) out[i] = r[2 * i] | static_cast<uint64_t>(r[2 * i + 1]) << 32;
    return out;
}

// Shift-and-subtract division of a little-endian multi-limb number by m != 0: one bit at a
// time, keeping the running remainder below m (it needs 257 bits just before subtracting).
struct RefDivMod {
    std::array<uint64_t, 8> quot{};
    U256 rem;
};
RefDivMod ref_divmod(const uint64_t* u, int limbs, const U256& m) {
    RefDivMod out;
    for (int bit = 64 * limbs - 1; bit >= 0; --bit) {
        bool carry = out.rem.is_negative();  // the bit shifted out of 256
        out.rem = out.rem << 1;
        if ((u[bit / 64] >> (bit % 64)) & 1) out.rem = out.rem | U256(1);
        if (carry || out.rem >= m) {
            out.rem = out.rem - m;
            out.quot[bit / 64] |= 1ULL << (bit % 64);
        }
    }
    return out;
}

U256 ref_mulmod(const U256& a, const U256& b, const U256& m) {
    auto product = ref_mul_wide(a, b);
    return ref_divmod(product.data(), 8, m).rem;
}

U256 ref_addmod(const U256& a, const U256& b, const U256& m) {
    U256 s = a + b;
    uint64_t wide[5] = {s.limbs[0], s.limbs[1], s.limbs[2], s.limbs[3], s < a ? 1ULL : 0};
    return ref_divmod(wide, 5, m).rem;
}

// ---- Known answers: yellow paper appendix H, EIP-145, evm.codes examples ---------------

TEST(U256Known, DivisionByZeroIsZero) {  // yellow paper: DIV, SDIV, MOD, SMOD, *MOD with 0
    U256 a = hex("0x1234567890abcdef1234567890abcdef1234567890abcdef");
    EXPECT_EQ(a / U256(), U256());
    EXPECT_EQ(a % U256(), U256());
    EXPECT_EQ(divmod(a, U256()).quot, U256());
    EXPECT_EQ(divmod(a, U256()).rem, U256());
    EXPECT_EQ(sdiv(a, U256()), U256());
    EXPECT_EQ(smod(a, U256()), U256());
    EXPECT_EQ(addmod(a, a, U256()), U256());
    EXPECT_EQ(mulmod(a, a, U256()), U256());
    EXPECT_EQ(sdiv(kMinSigned, U256()), U256());
}

TEST(U256Known, SdivOverflowCase) {  // yellow paper: SDIV(-2^255, -1) = -2^255
    EXPECT_EQ(sdiv(kMinSigned, kMinusOne), kMinSigned);
    EXPECT_EQ(smod(kMinSigned, kMinusOne), U256());
}

TEST(U256Known, EvmCodesExamples) {
    EXPECT_EQ(U256(10) / U256(10), U256(1));
    EXPECT_EQ(U256(1) / U256(2), U256(0));
    EXPECT_EQ(U256(10) % U256(3), U256(1));
    EXPECT_EQ(U256(17) % U256(5), U256(2));
    EXPECT_EQ(sdiv(U256(10), U256(10)), U256(1));
    EXPECT_EQ(sdiv(neg(2), neg(1)), U256(2));
    EXPECT_EQ(smod(U256(10), U256(3)), U256(1));
    EXPECT_EQ(smod(neg(8), neg(3)), neg(2));
    EXPECT_EQ(addmod(U256(10), U256(10), U256(8)), U256(4));
    EXPECT_EQ(addmod(kMax, U256(2), U256(2)), U256(1));
    EXPECT_EQ(mulmod(U256(10), U256(10), U256(8)), U256(4));
    EXPECT_EQ(mulmod(kMax, kMax, U256(12)), U256(9));
    EXPECT_EQ(exp(U256(10), U256(2)), U256(100));
    EXPECT_EQ(exp(U256(2), U256(2)), U256(4));
    EXPECT_EQ(signextend(U256(0), U256(0xff)), kMax);
    EXPECT_EQ(signextend(U256(0), U256(0x7f)), U256(0x7f));
    EXPECT_EQ(byte_at(U256(31), U256(0xff)), U256(0xff));
    EXPECT_EQ(byte_at(U256(30), U256(0xff00)), U256(0xff));
    EXPECT_TRUE(slt(U256(9), U256(10)));
    EXPECT_TRUE(slt(kMinusOne, U256(0)));
    EXPECT_FALSE(slt(U256(10), U256(10)));
    EXPECT_TRUE(sgt(U256(10), U256(9)));
    EXPECT_TRUE(sgt(U256(0), kMinusOne));
    EXPECT_FALSE(sgt(U256(10), U256(10)));
}

TEST(U256Known, ModularArithmeticNeedsMoreThan256Bits) {
    // 2^256 = (2^256 - 1) + 1, so 2^255 * 2 mod (2^256 - 1) = 1: a truncated product gives 0.
    EXPECT_EQ(mulmod(U256(0, 0, 0, 1ULL << 63), U256(2), kMax), U256(1));
    EXPECT_EQ(mulmod(kMax, kMax, kMax), U256());
    // (2^256 - 1)^2 = 2^512 - 2^257 + 1; mod (2^256 - 2) (so 2^256 = 2): 4 - 4 + 1 = 1.
    EXPECT_EQ(mulmod(kMax, kMax, kMax - U256(1)), U256(1));
    // (2^256 - 1) + (2^256 - 1) = 2^257 - 2 = 2 (2^256 - 1): divisible.
    EXPECT_EQ(addmod(kMax, kMax, kMax), U256());
    EXPECT_EQ(addmod(kMax, U256(1), kMax), U256(1));
}

TEST(U256Known, Exp) {
    EXPECT_EQ(exp(U256(0), U256(0)), U256(1));  // EXP: 0^0 = 1
    EXPECT_EQ(exp(U256(2), U256(255)), kMinSigned);
    EXPECT_EQ(exp(U256(2), U256(256)), U256());  // wraps modulo 2^256
    EXPECT_EQ(exp(kMinusOne, kMax), kMinusOne);  // odd power of -1
    EXPECT_EQ(exp(kMinusOne, kMax - U256(1)), U256(1));
    EXPECT_EQ(exp(U256(3), U256(40)), U256(12157665459056928801ULL));  // 3^40
}

TEST(U256Known, Eip145ShiftExamples) {
    const U256 top = hex("0x8000000000000000000000000000000000000000000000000000000000000000");
    const U256 seven_f = hex("0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
    // SHL
    EXPECT_EQ(U256(1) << 0, U256(1));
    EXPECT_EQ(U256(1) << 1, U256(2));
    EXPECT_EQ(U256(1) << 0xff, top);
    EXPECT_EQ(U256(1) << 0x100, U256());
    EXPECT_EQ(kMax << 1, kMax - U256(1));
    EXPECT_EQ(kMax << 0xff, top);
    // SHR
    EXPECT_EQ(top >> 1, hex("0x4000000000000000000000000000000000000000000000000000000000000000"));
    EXPECT_EQ(top >> 0xff, U256(1));
    EXPECT_EQ(kMax >> 0x100, U256());
    // SAR
    EXPECT_EQ(sar(U256(0), U256(1)), U256(1));
    EXPECT_EQ(sar(U256(1), U256(1)), U256(0));
    EXPECT_EQ(sar(U256(1), top),
              hex("0xc000000000000000000000000000000000000000000000000000000000000000"));
    EXPECT_EQ(sar(U256(0xff), top), kMax);
    EXPECT_EQ(sar(U256(0x100), top), kMax);
    EXPECT_EQ(sar(U256(0x101), top), kMax);
    EXPECT_EQ(sar(U256(0), kMax), kMax);
    EXPECT_EQ(sar(U256(1), kMax), kMax);
    EXPECT_EQ(sar(U256(0xff), kMax), kMax);
    EXPECT_EQ(sar(U256(0x100), kMax), kMax);
    EXPECT_EQ(sar(U256(1), U256(0)), U256(0));
    EXPECT_EQ(
        sar(U256(0xfe), hex("0x4000000000000000000000000000000000000000000000000000000000000000")),
        U256(1));
    EXPECT_EQ(sar(U256(0xf8), seven_f), U256(0x7f));
    EXPECT_EQ(sar(U256(0xfe), seven_f), U256(1));
    EXPECT_EQ(sar(U256(0xff), seven_f), U256(0));
    EXPECT_EQ(sar(U256(0x100), seven_f), U256(0));
    EXPECT_EQ(sar(U256(0, 1, 0, 0), top), kMax);  // shift amounts beyond 64 bits
    EXPECT_EQ(sar(kMax, seven_f), U256(0));
}

TEST(U256Known, SignextendAndByteOutOfRange) {
    U256 x = hex("0x0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    EXPECT_EQ(signextend(U256(31), x), x);
    EXPECT_EQ(signextend(U256(32), x), x);
    EXPECT_EQ(signextend(kMax, x), x);
    EXPECT_EQ(signextend(U256(0, 1, 0, 0), x), x);
    EXPECT_EQ(signextend(U256(1), U256(0x8000)), hex("0x" + std::string(60, 'f') + "8000"));
    EXPECT_EQ(signextend(U256(30), kMinSigned), U256());  // bit 247 clear: upper byte zeroed
    EXPECT_EQ(byte_at(U256(0), x), U256(0x01));
    EXPECT_EQ(byte_at(U256(31), x), U256(0xef));
    EXPECT_EQ(byte_at(U256(32), x), U256());
    EXPECT_EQ(byte_at(U256(0, 0, 0, 1), x), U256());
}

// ---- Properties against __int128 for values that fit 128 bits ------------------------

TEST(U256Properties, UnsignedAgainstInt128) {
    Rng rng{1};
    for (int i = 0; i < 20000; ++i) {
        u128 a = static_cast<u128>(rng.limb()) << 64 | rng.limb();
        u128 b = static_cast<u128>(rng.next() % 2 ? rng.limb() : 0) << 64 | rng.limb();
        if (rng.next() % 3 == 0) a >>= rng.next() % 128;
        if (rng.next() % 3 == 0) b >>= rng.next() % 128;
        U256 A = from_u128(a), B = from_u128(b);
        uint64_t a64 = static_cast<uint64_t>(a), b64 = static_cast<uint64_t>(b);
        SCOPED_TRACE(A.to_hex() + " " + B.to_hex());
        EXPECT_EQ(U256(a64) * U256(b64), from_u128(static_cast<u128>(a64) * b64));
        if (a >= b) {
            EXPECT_EQ(A - B, from_u128(a - b));
        }
        EXPECT_EQ((A + B) >> 128, U256(a + b < a ? 1 : 0));
        EXPECT_EQ(A < B, a < b);
        if (b != 0) {
            EXPECT_EQ(A / B, from_u128(a / b));
            EXPECT_EQ(A % B, from_u128(a % b));
            EXPECT_EQ(mulmod(U256(a64), U256(b64), B), from_u128(static_cast<u128>(a64) * b64 % b));
            u128 m = b >> 1 | 1;  // odd, no bigger than 2^127: a % m + b % m cannot overflow
            EXPECT_EQ(addmod(A, B, from_u128(m)), from_u128((a % m + b % m) % m));
        }
        unsigned s = static_cast<unsigned>(rng.next() % 130);
        EXPECT_EQ(A >> s, from_u128(s < 128 ? a >> s : 0));
        if (s < 128) {
            EXPECT_EQ((A << s) & from_u128(~u128(0)), from_u128(a << s));
        }
        EXPECT_EQ(byte_at(U256(31 - s % 16), A),
                  U256(static_cast<uint64_t>(a >> (8 * (s % 16))) & 0xff));
    }
}

TEST(U256Properties, SignedAgainstInt128) {
    Rng rng{2};
    for (int i = 0; i < 20000; ++i) {
        i128 a = static_cast<i128>(static_cast<u128>(rng.limb()) << 64 | rng.limb());
        i128 b = static_cast<i128>(static_cast<u128>(rng.limb()) << 64 | rng.limb());
        if (rng.next() % 3 == 0) a >>= rng.next() % 127;  // arithmetic: keeps the sign
        if (rng.next() % 3 == 0) b >>= rng.next() % 127;
        U256 A = from_i128(a), B = from_i128(b);
        SCOPED_TRACE(A.to_hex() + " " + B.to_hex());
        EXPECT_EQ(slt(A, B), a < b);
        EXPECT_EQ(sgt(A, B), a > b);
        constexpr i128 kInt128Min = static_cast<i128>(static_cast<u128>(1) << 127);
        if (b != 0 && !(a == kInt128Min && b == -1)) {
            // C++ division truncates toward zero and % takes the dividend's sign, as in EVM.
            EXPECT_EQ(sdiv(A, B), from_i128(a / b));
            EXPECT_EQ(smod(A, B), from_i128(a % b));
        }
        unsigned s = static_cast<unsigned>(rng.next() % 128);
        EXPECT_EQ(sar(U256(s), A), from_i128(a >> s));
        unsigned byte_index = static_cast<unsigned>(rng.next() % 16);
        unsigned drop = 128 - 8 * (byte_index + 1);
        i128 extended = static_cast<i128>(static_cast<u128>(a) << drop) >> drop;
        EXPECT_EQ(signextend(U256(byte_index), A), from_i128(extended));
    }
}

TEST(U256Properties, ExpAgainstInt128) {
    Rng rng{3};
    for (int i = 0; i < 2000; ++i) {
        u128 base = rng.next() % 1000;
        unsigned e = static_cast<unsigned>(rng.next() % 12);
        u128 expected = 1;
        for (unsigned k = 0; k < e; ++k) expected *= base;  // < 1000^12 < 2^120
        EXPECT_EQ(exp(from_u128(base), U256(e)), from_u128(expected));
    }
}

// ---- Identities for full-width values ------------------------------------------------

TEST(U256Identities, DivModReconstructs) {
    Rng rng{4};
    for (int i = 0; i < 20000; ++i) {
        U256 n = rng.full(), d = rng.full();
        if (i % 5 == 0) d = U256(rng.limb());  // single-limb fast path
        SCOPED_TRACE(n.to_hex() + " / " + d.to_hex());
        auto [q, r] = divmod(n, d);
        if (d.is_zero()) {
            EXPECT_EQ(q, U256());
            EXPECT_EQ(r, U256());
            continue;
        }
        EXPECT_LT(r, d);
        EXPECT_EQ(q * d + r, n);
        auto wide = mul_wide(q, d);  // q * d must not wrap
        EXPECT_EQ(wide[4] | wide[5] | wide[6] | wide[7], 0u);
        auto ref = ref_divmod(n.limbs.data(), 4, d);
        EXPECT_EQ(q, U256(ref.quot[0], ref.quot[1], ref.quot[2], ref.quot[3]));
        EXPECT_EQ(r, ref.rem);
        EXPECT_EQ(n / d, q);
        EXPECT_EQ(n % d, r);
    }
}

TEST(U256Identities, DivisionEstimateOverflowBranch) {
    // Numerators whose leading limbs equal the divisor's, so the 3-by-2 estimate of a quotient
    // limb would overflow (Knuth D's qhat = b case).
    Rng rng{5};
    for (int i = 0; i < 5000; ++i) {
        U256 d(rng.next(), rng.next(), rng.next() | 1ULL << 63, 0);
        if (i % 2) d = d >> static_cast<unsigned>(rng.next() % 64);
        U256 n = (d << 64) - U256(rng.next() % 4) + U256(rng.next() % 3);
        auto [q, r] = divmod(n, d);
        auto ref = ref_divmod(n.limbs.data(), 4, d);
        ASSERT_EQ(q, U256(ref.quot[0], ref.quot[1], ref.quot[2], ref.quot[3])) << n.to_hex();
        ASSERT_EQ(r, ref.rem) << n.to_hex();
    }
}

TEST(U256Identities, MulModAndAddModAgainstSlowReference) {
    Rng rng{6};
    for (int i = 0; i < 3000; ++i) {
        U256 a = rng.full(), b = rng.full(), m = rng.full();
        if (i % 4 == 0) m = U256(rng.limb());
        SCOPED_TRACE(a.to_hex() + " " + b.to_hex() + " " + m.to_hex());
        if (m.is_zero()) {
            EXPECT_EQ(mulmod(a, b, m), U256());
            EXPECT_EQ(addmod(a, b, m), U256());
            continue;
        }
        EXPECT_EQ(mulmod(a, b, m), ref_mulmod(a, b, m));
        EXPECT_EQ(addmod(a, b, m), ref_addmod(a, b, m));
        EXPECT_EQ(mul_wide(a, b), ref_mul_wide(a, b));
        EXPECT_EQ(a * b, U256(ref_mul_wide(a, b)[0], ref_mul_wide(a, b)[1], ref_mul_wide(a, b)[2],
                              ref_mul_wide(a, b)[3]));
    }
}

TEST(U256Identities, SignedViaNegation) {
    Rng rng{7};
    for (int i = 0; i < 20000; ++i) {
        U256 a = rng.full(), b = rng.full();
        if (i % 7 == 0) a = kMinSigned;
        if (i % 11 == 0) b = kMinusOne;
        SCOPED_TRACE(a.to_hex() + " " + b.to_hex());
        if (b.is_zero()) continue;
        U256 q = sdiv(a, b), r = smod(a, b);
        EXPECT_EQ(q * b + r, a);  // holds in wrapping arithmetic, MIN / -1 included
        EXPECT_TRUE(r.is_zero() || r.is_negative() == a.is_negative());
        EXPECT_EQ(smod(a, -b), r);
        if (a != kMinSigned) {
            EXPECT_EQ(sdiv(-a, b), -q);
            EXPECT_EQ(smod(-a, b), -r);
            if (b != kMinSigned) {
                EXPECT_EQ(sdiv(-a, -b), q);
            }
        }
        if (!a.is_negative() && !b.is_negative()) {
            EXPECT_EQ(q, a / b);
            EXPECT_EQ(r, a % b);
        }
        // Two's-complement order is unsigned order after flipping the sign bit.
        EXPECT_EQ(slt(a, b), (a ^ kMinSigned) < (b ^ kMinSigned));
        EXPECT_EQ(sgt(a, b), (a ^ kMinSigned) > (b ^ kMinSigned));
    }
}

TEST(U256Identities, ShiftsSignextendByte) {
    Rng rng{8};
    for (int i = 0; i < 3000; ++i) {
        U256 v = rng.full();
        // SAR by s is s single-bit arithmetic shifts: (v >> 1) with the sign bit kept.
        U256 step = v;
        for (unsigned s = 0; s <= 260; ++s) {
            ASSERT_EQ(sar(U256(s), v), step) << v.to_hex() << " sar " << s;
            step = (step >> 1) | (step & kMinSigned);
        }
        for (unsigned b = 0; b < 31; ++b) {
            unsigned up = 248 - 8 * b;
            ASSERT_EQ(signextend(U256(b), v), sar(U256(up), v << up)) << v.to_hex() << " " << b;
        }
        for (unsigned k = 0; k < 32; ++k) ASSERT_EQ(byte_at(U256(k), v), (v << (8 * k)) >> 248);
    }
}

TEST(U256Identities, ExpLaws) {
    Rng rng{9};
    for (int i = 0; i < 500; ++i) {
        U256 a = rng.full(), b = rng.full(), c = rng.full();
        EXPECT_EQ(exp(a, b + c), exp(a, b) * exp(a, c));
        EXPECT_EQ(exp(a, U256(2)), a * a);
        EXPECT_EQ(exp(a, U256(1)), a);
        EXPECT_EQ(exp(a, U256()), U256(1));
        EXPECT_EQ(exp(a * b, c), exp(a, c) * exp(b, c));
    }
}

// ---- Text and bytes ------------------------------------------------------------------

TEST(U256Text, MaxAndOverflow) {
    const std::string max_dec =  // 2^256 - 1, the well-known decimal expansion
        "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    EXPECT_EQ(kMax.to_dec(), max_dec);
    EXPECT_EQ(hex(max_dec), kMax);
    EXPECT_EQ(kMax.to_hex(), "0x" + std::string(64, 'f'));
    EXPECT_EQ(hex("0x" + std::string(64, 'F')), kMax);
    EXPECT_EQ(hex("0x" + std::string(10, '0') + std::string(64, 'f')), kMax);
    auto over = U256::from_string(
        "115792089237316195423570985008687907853269984665640564039457584007913129639936");
    ASSERT_FALSE(over.ok());
    EXPECT_NE(over.error().message.find("exceeds 256 bits"), std::string::npos);
    EXPECT_FALSE(U256::from_string("1" + std::string(78, '0')).ok());
    EXPECT_FALSE(U256::from_string("0x1" + std::string(64, '0')).ok());
    EXPECT_EQ(U256(0).to_dec(), "0");
    EXPECT_EQ(U256(0).to_hex(), "0x0");
    EXPECT_EQ(U256(10000000000000000000ULL).to_dec(), "10000000000000000000");  // 10^19
    EXPECT_EQ(hex("000123"), U256(123));
}

TEST(U256Text, RejectsJunk) {
    for (const char* bad : {"", "0x", "0X", "-1", "+1", " 1", "1 ", "12a", "0xg", "0x12 ", "1e5",
                            "0b101", "0x-1", "١"}) {
        auto v = U256::from_string(bad);
        EXPECT_FALSE(v.ok()) << "'" << bad << "'";
        if (!v.ok()) {
            EXPECT_EQ(v.error().message.rfind("u256: ", 0), 0u) << v.error().message;
        }
    }
}

TEST(U256Text, RoundTrips) {
    Rng rng{10};
    for (int i = 0; i < 5000; ++i) {
        U256 v = rng.full();
        std::string dec = v.to_dec();
        ASSERT_EQ(hex(dec), v) << dec;
        ASSERT_TRUE(dec == "0" || dec[0] != '0') << dec;
        // The decimal digits, recomputed by repeated division by ten.
        std::string digits;
        U256 rest = v;
        do {
            auto [q, r] = divmod(rest, U256(10));
            digits.insert(digits.begin(), static_cast<char>('0' + r.low64()));
            rest = q;
        } while (!rest.is_zero());
        ASSERT_EQ(dec, digits);
        ASSERT_EQ(hex(v.to_hex()), v);
        auto word = v.to_be_word();
        ASSERT_EQ(U256::from_be_word(word.data()), v);
        auto trimmed = v.to_be_bytes_trimmed();
        ASSERT_TRUE(trimmed.empty() || trimmed[0] != 0);
        auto back = U256::from_be_bytes(trimmed);
        ASSERT_TRUE(back.ok());
        ASSERT_EQ(*back, v);
    }
    EXPECT_FALSE(U256::from_be_bytes(Bytes(33, 0)).ok());
}

}  // namespace
}  // namespace vigil::eth
