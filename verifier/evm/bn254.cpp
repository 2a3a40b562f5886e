#include "verifier/evm/bn254.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <string>

namespace vigil::evm::bn254 {
namespace {

using Limbs = std::array<uint64_t, 4>;  // little-endian 64-bit limbs
using u128 = unsigned __int128;

// The base field modulus p (EIP-196).
constexpr Limbs kP = {0x3c208c16d87cfd47ULL, 0x97816a916871ca8dULL, 0xb85045b68181585dULL,
                      0x30644e72e131a029ULL};
// p - 2, the Fermat inversion exponent.
constexpr Limbs kPMinus2 = {0x3c208c16d87cfd45ULL, 0x97816a916871ca8dULL, 0xb85045b68181585dULL,
                            0x30644e72e131a029ULL};
// (p - 1) / 6: ξ raised to it is the Frobenius twisting constant γ1 (p ≡ 1 mod 6).
constexpr Limbs kPMinus1Over6 = {0x34b017592414d4e1ULL, 0xee9591c2e6bda1c2ULL,
                                 0xf40d60f3c0403964ULL, 0x0810b7bdd032f006ULL};
// Montgomery constants for R = 2^256: R mod p, R^2 mod p and -p^-1 mod 2^64.
constexpr Limbs kROne = {0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL, 0x666ea36f7879462cULL,
                         0x0e0a77c19a07df2fULL};
constexpr Limbs kR2 = {0xf32cfc5b538afa89ULL, 0xb5e71911d44501fbULL, 0x47ab1eff0a417ff6ULL,
                       0x06d89f71cab8351fULL};
constexpr uint64_t kPInv = 0x87d20782e4866389ULL;

// The BN seed u = 4965661367192848881 (EIP-197's curve is BN(u)).
constexpr Limbs kBnSeed = {0x44e992b44a6909f1ULL, 0, 0, 0};
// The optimal ate loop count 6u + 2.
constexpr u128 kAteLoop = (u128{0x1} << 64) | 0x9d797039be763ba8ULL;
constexpr int kAteLoopTopBit = 64;

// The hard part of the final exponentiation, (p^4 - p^2 + 1) / r, written in base p:
// d0 + d1·p + d2·p^2 + p^3 (so f^hard = f^d0 · frob(f)^d1 · frob²(f)^d2 · frob³(f)).
constexpr Limbs kHardD0 = {0x85989436d0f9fa91ULL, 0x5cea24f6fd736beaULL, 0x048b6e193fd84104ULL,
                           0x30644e72e131a029ULL};
constexpr Limbs kHardD1 = {0x138f3176606a30c5ULL, 0x3b852988dae41fe4ULL, 0x048b6e193fd84105ULL,
                           0x30644e72e131a029ULL};
constexpr Limbs kHardD2 = {0xf83e9682e87cfd46ULL, 0x6f4d8248eeb859fbULL, 0, 0};

constexpr size_t kFieldBytes = 32;
constexpr size_t kG1Bytes = 64;
constexpr size_t kG2Bytes = 128;
constexpr size_t kPairBytes = kG1Bytes + kG2Bytes;  // EIP-197: 192 bytes per pair

bool bit(const Limbs& x, int i) { return (x[i / 64] >> (i % 64)) & 1; }

// a >= b
bool geq(const Limbs& a, const Limbs& b) {
    for (int i = 3; i >= 0; --i)
        if (a[i] != b[i]) return a[i] > b[i];
    return true;
}

// a - b, wrapping; the borrow is dropped (callers ensure a >= b or want the wrap).
Limbs sub_limbs(const Limbs& a, const Limbs& b) {
    Limbs r;
    uint64_t borrow = 0;
    for (int i = 0; i < 4; ++i) {
        const u128 d = static_cast<u128>(a[i]) - b[i] - borrow;
        r[i] = static_cast<uint64_t>(d);
        borrow = static_cast<uint64_t>(d >> 64) & 1;
    }
    return r;
}

// ---- Fp: integers mod p in Montgomery form (value·R mod p), fully reduced. ----

struct Fp {
    Limbs v{};
    friend bool operator==(const Fp&, const Fp&) = default;
};

// One limb of a carry chain: a + b + carry_in, and the carry out.
inline uint64_t add_carry(uint64_t a, uint64_t b, uint64_t carry_in, uint64_t& carry_out) {
    const u128 s = static_cast<u128>(a) + b + carry_in;
    carry_out = static_cast<uint64_t>(s >> 64);
    return static_cast<uint64_t>(s);
}

// One limb of a borrow chain: a − b − borrow_in, and the borrow out (0 or 1).
inline uint64_t sub_borrow(uint64_t a, uint64_t b, uint64_t borrow_in, uint64_t& borrow_out) {
    const u128 d = static_cast<u128>(a) - b - borrow_in;
    borrow_out = static_cast<uint64_t>(d >> 64) & 1;
    return static_cast<uint64_t>(d);
}

Fp fp_add(const Fp& a, const Fp& b) {
    // p < 2^254, so a + b < 2^255 never carries out of four limbs; then subtract p
    // unless that borrows.
    uint64_t c = 0, d = 0;
    Fp sum, reduced;
    for (int i = 0; i < 4; ++i) sum.v[i] = add_carry(a.v[i], b.v[i], c, c);
    for (int i = 0; i < 4; ++i) reduced.v[i] = sub_borrow(sum.v[i], kP[i], d, d);
    return d ? sum : reduced;
}

Fp fp_sub(const Fp& a, const Fp& b) {
    uint64_t borrow = 0, c = 0;
    Fp diff, wrapped;
    for (int i = 0; i < 4; ++i) diff.v[i] = sub_borrow(a.v[i], b.v[i], borrow, borrow);
    if (!borrow) return diff;
    for (int i = 0; i < 4; ++i) wrapped.v[i] = add_carry(diff.v[i], kP[i], c, c);
    return wrapped;
}

Fp fp_neg(const Fp& a) { return fp_sub(Fp{}, a); }

// Montgomery multiplication: a·b·R^-1 mod p for a, b < p. CIOS without the extra carry
// words, which is valid because p's top limb is below 2^63 − 1 (the sums never exceed
// four limbs and the result is below 2p before the final subtraction).
Fp fp_mul_limbs(const Limbs& a, const Limbs& b) {
    uint64_t t[4] = {};
    for (int i = 0; i < 4; ++i) {
        u128 s = static_cast<u128>(a[0]) * b[i] + t[0];
        uint64_t carry_ab = static_cast<uint64_t>(s >> 64);
        t[0] = static_cast<uint64_t>(s);
        const uint64_t m = t[0] * kPInv;
        s = static_cast<u128>(m) * kP[0] + t[0];
        uint64_t carry_mp = static_cast<uint64_t>(s >> 64);
        for (int j = 1; j < 4; ++j) {
            s = static_cast<u128>(a[j]) * b[i] + t[j] + carry_ab;
            carry_ab = static_cast<uint64_t>(s >> 64);
            t[j] = static_cast<uint64_t>(s);
            s = static_cast<u128>(m) * kP[j] + t[j] + carry_mp;
            carry_mp = static_cast<uint64_t>(s >> 64);
            t[j - 1] = static_cast<uint64_t>(s);
        }
        t[3] = carry_mp + carry_ab;
    }
    Fp r;
    r.v = {t[0], t[1], t[2], t[3]};
    if (geq(r.v, kP)) r.v = sub_limbs(r.v, kP);
    return r;
}

Fp fp_mul(const Fp& a, const Fp& b) { return fp_mul_limbs(a.v, b.v); }
Fp fp_sqr(const Fp& a) { return fp_mul_limbs(a.v, a.v); }
bool fp_is_zero(const Fp& a) { return (a.v[0] | a.v[1] | a.v[2] | a.v[3]) == 0; }

Fp fp_one() { return Fp{kROne}; }
Fp fp_from_u64(uint64_t x) { return fp_mul_limbs({x, 0, 0, 0}, kR2); }

Fp fp_pow(const Fp& a, const Limbs& e) {
    Fp r = fp_one();
    for (int i = 255; i >= 0; --i) {
        r = fp_sqr(r);
        if (bit(e, i)) r = fp_mul(r, a);
    }
    return r;
}

// Fermat: a^(p−2) = a^-1 (and 0 for 0). Only the final exponentiation, affine conversion
// and setup invert, a handful of times per call.
Fp fp_inv(const Fp& a) { return fp_pow(a, kPMinus2); }

// 32 big-endian bytes, which must encode an integer below p.
bool fp_from_bytes(const uint8_t* in, Fp& out) {
    Limbs x{};
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 8; ++j) x[3 - i] = (x[3 - i] << 8) | in[8 * i + j];
    if (geq(x, kP)) return false;
    out = fp_mul_limbs(x, kR2);
    return true;
}

void fp_to_bytes(const Fp& a, uint8_t* out) {
    const Fp plain = fp_mul_limbs(a.v, {1, 0, 0, 0});
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 8; ++j)
            out[8 * i + j] = static_cast<uint8_t>(plain.v[3 - i] >> (8 * (7 - j)));
}

Limbs scalar_from_bytes(const uint8_t* in) {
    Limbs x{};
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 8; ++j) x[3 - i] = (x[3 - i] << 8) | in[8 * i + j];
    return x;
}

// ---- Fp2 = Fp[i] / (i^2 + 1): c0 + c1·i. ----

struct Fp2 {
    Fp c0, c1;
    friend bool operator==(const Fp2&, const Fp2&) = default;
};

Fp2 add(const Fp2& a, const Fp2& b) { return {fp_add(a.c0, b.c0), fp_add(a.c1, b.c1)}; }
Fp2 sub(const Fp2& a, const Fp2& b) { return {fp_sub(a.c0, b.c0), fp_sub(a.c1, b.c1)}; }
Fp2 neg(const Fp2& a) { return {fp_neg(a.c0), fp_neg(a.c1)}; }
Fp2 conj(const Fp2& a) { return {a.c0, fp_neg(a.c1)}; }
bool is_zero(const Fp2& a) { return fp_is_zero(a.c0) && fp_is_zero(a.c1); }

Fp2 mul(const Fp2& a, const Fp2& b) {
    const Fp v0 = fp_mul(a.c0, b.c0), v1 = fp_mul(a.c1, b.c1);
    const Fp cross = fp_mul(fp_add(a.c0, a.c1), fp_add(b.c0, b.c1));
    return {fp_sub(v0, v1), fp_sub(fp_sub(cross, v0), v1)};
}

Fp2 sqr(const Fp2& a) {
    const Fp t = fp_mul(a.c0, a.c1);
    return {fp_mul(fp_add(a.c0, a.c1), fp_sub(a.c0, a.c1)), fp_add(t, t)};
}

Fp2 mul_fp(const Fp2& a, const Fp& b) { return {fp_mul(a.c0, b), fp_mul(a.c1, b)}; }

Fp2 inv(const Fp2& a) {
    const Fp norm_inv = fp_inv(fp_add(fp_sqr(a.c0), fp_sqr(a.c1)));
    return {fp_mul(a.c0, norm_inv), fp_neg(fp_mul(a.c1, norm_inv))};
}

// Multiplication by ξ = 9 + i, the non-residue the tower is built on (EIP-197).
Fp2 mul_xi(const Fp2& a) {
    auto times9 = [](const Fp& x) {
        const Fp x2 = fp_add(x, x), x4 = fp_add(x2, x2), x8 = fp_add(x4, x4);
        return fp_add(x8, x);
    };
    return {fp_sub(times9(a.c0), a.c1), fp_add(a.c0, times9(a.c1))};
}

Fp2 fp2_one() { return {fp_one(), Fp{}}; }

Fp2 pow(const Fp2& a, const Limbs& e) {
    Fp2 r = fp2_one();
    for (int i = 255; i >= 0; --i) {
        r = sqr(r);
        if (bit(e, i)) r = mul(r, a);
    }
    return r;
}

// EIP-197 writes a·i + b as a ‖ b.
bool fp2_from_bytes(const uint8_t* in, Fp2& out) {
    return fp_from_bytes(in, out.c1) && fp_from_bytes(in + kFieldBytes, out.c0);
}

void fp2_to_bytes(const Fp2& a, uint8_t* out) {
    fp_to_bytes(a.c1, out);
    fp_to_bytes(a.c0, out + kFieldBytes);
}

// Field-generic helpers the curve templates use.
Fp add(const Fp& a, const Fp& b) { return fp_add(a, b); }
Fp sub(const Fp& a, const Fp& b) { return fp_sub(a, b); }
Fp mul(const Fp& a, const Fp& b) { return fp_mul(a, b); }
Fp sqr(const Fp& a) { return fp_sqr(a); }
Fp inv(const Fp& a) { return fp_inv(a); }
bool is_zero(const Fp& a) { return fp_is_zero(a); }

// ---- Fp6 = Fp2[v] / (v^3 - ξ): c0 + c1·v + c2·v^2. ----

struct Fp6 {
    Fp2 c0, c1, c2;
};

Fp6 add(const Fp6& a, const Fp6& b) { return {add(a.c0, b.c0), add(a.c1, b.c1), add(a.c2, b.c2)}; }
Fp6 sub(const Fp6& a, const Fp6& b) { return {sub(a.c0, b.c0), sub(a.c1, b.c1), sub(a.c2, b.c2)}; }
Fp6 neg(const Fp6& a) { return {neg(a.c0), neg(a.c1), neg(a.c2)}; }
bool is_zero(const Fp6& a) { return is_zero(a.c0) && is_zero(a.c1) && is_zero(a.c2); }

Fp6 mul(const Fp6& a, const Fp6& b) {
    const Fp2 t0 = mul(a.c0, b.c0), t1 = mul(a.c1, b.c1), t2 = mul(a.c2, b.c2);
    // a1·b2 + a2·b1, a0·b1 + a1·b0 and a0·b2 + a2·b0 by Karatsuba.
    const Fp2 m12 = sub(sub(mul(add(a.c1, a.c2), add(b.c1, b.c2)), t1), t2);
    const Fp2 m01 = sub(sub(mul(add(a.c0, a.c1), add(b.c0, b.c1)), t0), t1);
    const Fp2 m02 = sub(sub(mul(add(a.c0, a.c2), add(b.c0, b.c2)), t0), t2);
    return {add(t0, mul_xi(m12)), add(m01, mul_xi(t2)), add(m02, t1)};
}

// Multiplication by v: v^3 = ξ.
Fp6 mul_v(const Fp6& a) { return {mul_xi(a.c2), a.c0, a.c1}; }

Fp6 inv(const Fp6& a) {
    const Fp2 A = sub(sqr(a.c0), mul_xi(mul(a.c1, a.c2)));
    const Fp2 B = sub(mul_xi(sqr(a.c2)), mul(a.c0, a.c1));
    const Fp2 C = sub(sqr(a.c1), mul(a.c0, a.c2));
    const Fp2 F = add(mul(a.c0, A), mul_xi(add(mul(a.c2, B), mul(a.c1, C))));
    const Fp2 F_inv = inv(F);
    return {mul(A, F_inv), mul(B, F_inv), mul(C, F_inv)};
}

// ---- Fp12 = Fp6[w] / (w^2 - v): c0 + c1·w. As a polynomial in w over Fp2 (w^6 = ξ) its
// coefficients of w^0..w^5 are c0.c0, c1.c0, c0.c1, c1.c1, c0.c2, c1.c2. ----

struct Fp12 {
    Fp6 c0, c1;
};

Fp12 fp12_one() { return {{fp2_one(), {}, {}}, {}}; }

Fp12 mul(const Fp12& a, const Fp12& b) {
    const Fp6 t0 = mul(a.c0, b.c0), t1 = mul(a.c1, b.c1);
    const Fp6 cross = mul(add(a.c0, a.c1), add(b.c0, b.c1));
    return {add(t0, mul_v(t1)), sub(sub(cross, t0), t1)};
}

Fp12 sqr(const Fp12& a) {
    // (a0 + a1·w)^2 = a0^2 + v·a1^2 + 2·a0·a1·w, with a0^2 + v·a1^2 from one product.
    const Fp6 t = mul(a.c0, a.c1);
    const Fp6 c0 = sub(sub(mul(add(a.c0, a.c1), add(a.c0, mul_v(a.c1))), t), mul_v(t));
    return {c0, add(t, t)};
}

Fp12 conj(const Fp12& a) { return {a.c0, neg(a.c1)}; }  // the p^6-power Frobenius

Fp12 inv(const Fp12& a) {
    const Fp6 t = inv(sub(mul(a.c0, a.c0), mul_v(mul(a.c1, a.c1))));
    return {mul(a.c0, t), neg(mul(a.c1, t))};
}

bool is_one(const Fp12& a) {
    return a.c0.c0 == fp2_one() && is_zero(a.c0.c1) && is_zero(a.c0.c2) && is_zero(a.c1);
}

// ---- Constants derived once from the ones above. ----

struct Derived {
    Fp2 twist_b;              // b' = 3 / ξ, the twist curve's constant (EIP-197)
    std::array<Fp2, 6> frob;  // γ_k = ξ^(k(p-1)/6): (w^k)^p = γ_k·w^k
};

const Derived& derived() {
    static const Derived d = [] {
        Derived out;
        const Fp2 xi = {fp_from_u64(9), fp_one()};
        out.twist_b = mul(Fp2{fp_from_u64(3), Fp{}}, inv(xi));
        const Fp2 g1 = pow(xi, kPMinus1Over6);
        out.frob[0] = fp2_one();
        for (int k = 1; k < 6; ++k) out.frob[k] = mul(out.frob[k - 1], g1);
        return out;
    }();
    return d;
}

// The p-power Frobenius: each w^k coefficient is conjugated and scaled by γ_k.
Fp12 frobenius(const Fp12& a) {
    const auto& g = derived().frob;
    return {{conj(a.c0.c0), mul(conj(a.c0.c1), g[2]), mul(conj(a.c0.c2), g[4])},
            {mul(conj(a.c1.c0), g[1]), mul(conj(a.c1.c1), g[3]), mul(conj(a.c1.c2), g[5])}};
}

// ---- Curve points: Jacobian (X, Y, Z) ↦ (X/Z^2, Y/Z^3), Z = 0 at infinity; a = 0. ----

template <class F>
struct Jacobian {
    F x, y, z;  // default: all zero, the point at infinity
};

template <class F>
struct Affine {
    F x, y;
    bool infinity = true;
};

template <class F>
Jacobian<F> to_jacobian(const Affine<F>& p, const F& one) {
    if (p.infinity) return {};
    return {p.x, p.y, one};
}

// dbl-2009-l (a = 0).
template <class F>
Jacobian<F> dbl(const Jacobian<F>& p) {
    if (is_zero(p.z)) return p;
    const F A = sqr(p.x), B = sqr(p.y), C = sqr(B);
    F D = sub(sub(sqr(add(p.x, B)), A), C);
    D = add(D, D);
    const F E = add(add(A, A), A);
    const F x3 = sub(sqr(E), add(D, D));
    F C8 = add(C, C);
    C8 = add(C8, C8);
    C8 = add(C8, C8);
    const F y3 = sub(mul(E, sub(D, x3)), C8);
    const F yz = mul(p.y, p.z);
    return {x3, y3, add(yz, yz)};
}

// add-2007-bl, falling back to doubling for equal points.
template <class F>
Jacobian<F> add(const Jacobian<F>& p, const Jacobian<F>& q) {
    if (is_zero(p.z)) return q;
    if (is_zero(q.z)) return p;
    const F z1z1 = sqr(p.z), z2z2 = sqr(q.z);
    const F u1 = mul(p.x, z2z2), u2 = mul(q.x, z1z1);
    const F s1 = mul(mul(p.y, q.z), z2z2), s2 = mul(mul(q.y, p.z), z1z1);
    const F h = sub(u2, u1);
    F r = sub(s2, s1);
    if (is_zero(h)) return is_zero(r) ? dbl(p) : Jacobian<F>{};
    r = add(r, r);
    const F i = sqr(add(h, h));
    const F j = mul(h, i);
    const F v = mul(u1, i);
    const F x3 = sub(sub(sqr(r), j), add(v, v));
    const F s1j = mul(s1, j);
    const F y3 = sub(mul(r, sub(v, x3)), add(s1j, s1j));
    const F z3 = mul(sub(sub(sqr(add(p.z, q.z)), z1z1), z2z2), h);
    return {x3, y3, z3};
}

// k·p with fixed 4-bit windows: 15 precomputed multiples, then four doublings and at most
// one addition per window (about 60% of the additions of bit-by-bit double-and-add).
template <class F>
Jacobian<F> scalar_mul(const Jacobian<F>& p, const Limbs& k) {
    std::array<Jacobian<F>, 16> multiples;  // multiples[i] = i·p
    multiples[1] = p;
    for (size_t i = 2; i < multiples.size(); ++i) multiples[i] = add(multiples[i - 1], p);
    Jacobian<F> r;
    for (int window = 63; window >= 0; --window) {
        for (int i = 0; i < 4; ++i) r = dbl(r);
        const uint64_t digit = (k[window / 16] >> (4 * (window % 16))) & 0xf;
        if (digit != 0) r = add(r, multiples[digit]);
    }
    return r;
}

template <class F>
Affine<F> to_affine(const Jacobian<F>& p) {
    if (is_zero(p.z)) return {};
    const F zi = inv(p.z), zi2 = sqr(zi);
    return {mul(p.x, zi2), mul(mul(p.y, zi2), zi), false};
}

using G1 = Affine<Fp>;
using G2 = Affine<Fp2>;

// ---- Decoding and validation. ----

Result<G1> decode_g1(const uint8_t* in, const char* what) {
    G1 p;
    if (!fp_from_bytes(in, p.x) || !fp_from_bytes(in + kFieldBytes, p.y))
        return fail(std::string("bn254: ") + what + ": coordinate not below the field modulus");
    if (fp_is_zero(p.x) && fp_is_zero(p.y)) return G1{};
    // y^2 = x^3 + 3 (EIP-196); G1 has cofactor 1, so on the curve means in the group.
    if (!(fp_sqr(p.y) == fp_add(fp_mul(fp_sqr(p.x), p.x), fp_from_u64(3))))
        return fail(std::string("bn254: ") + what + ": point not on the curve");
    p.infinity = false;
    return p;
}

void encode_g1(const G1& p, uint8_t* out) {
    if (p.infinity) {
        std::memset(out, 0, kG1Bytes);
        return;
    }
    fp_to_bytes(p.x, out);
    fp_to_bytes(p.y, out + kFieldBytes);
}

// ψ, the untwist-Frobenius-twist endomorphism (Galbraith–Scott), on Jacobian coordinates:
// conjugation is a field automorphism, so it maps X, Y, Z alike and γ_2, γ_3 scale x, y.
Jacobian<Fp2> psi(const Jacobian<Fp2>& q) {
    const auto& g = derived().frob;
    return {mul(conj(q.x), g[2]), mul(conj(q.y), g[3]), conj(q.z)};
}

template <class F>
bool same_point(const Jacobian<F>& a, const Jacobian<F>& b) {
    if (is_zero(a.z) || is_zero(b.z)) return is_zero(a.z) && is_zero(b.z);
    const F za2 = sqr(a.z), zb2 = sqr(b.z);
    return mul(a.x, zb2) == mul(b.x, za2) && mul(a.y, mul(zb2, b.z)) == mul(b.y, mul(za2, a.z));
}

// Membership of a finite twist point in the order-r subgroup without multiplying by r:
// [u+1]Q + ψ([u]Q) + ψ²([u]Q) = ψ³([2u]Q), which holds exactly on that subgroup for BN
// curves whose seed u satisfies u ≢ 4 (mod 13) and u ≢ 92 (mod 97), as bn254's does
// (Dai, Lin, Zhao, Zhou, eprint 2022/348; for bn254: ethresear.ch/t/13974).
bool in_g2_subgroup(const G2& q) {
    const Jacobian<Fp2> p = to_jacobian(q, fp2_one());
    const Jacobian<Fp2> up = scalar_mul(p, kBnSeed);
    const Jacobian<Fp2> psi_up = psi(up);
    const Jacobian<Fp2> lhs = add(add(add(up, p), psi_up), psi(psi_up));
    return same_point(lhs, psi(psi(psi(dbl(up)))));
}

Result<G2> decode_g2(const uint8_t* in, const char* what) {
    G2 q;
    if (!fp2_from_bytes(in, q.x) || !fp2_from_bytes(in + 2 * kFieldBytes, q.y))
        return fail(std::string("bn254: ") + what + ": coordinate not below the field modulus");
    if (is_zero(q.x) && is_zero(q.y)) return G2{};
    if (!(sqr(q.y) == add(mul(sqr(q.x), q.x), derived().twist_b)))
        return fail(std::string("bn254: ") + what + ": point not on the twist curve");
    q.infinity = false;
    // The twist has a large cofactor: only the order-r subgroup is a valid input (EIP-197).
    if (!in_g2_subgroup(q))
        return fail(std::string("bn254: ") + what + ": point not in the order-r subgroup");
    return q;
}

void encode_g2(const G2& q, uint8_t* out) {
    if (q.infinity) {
        std::memset(out, 0, kG2Bytes);
        return;
    }
    fp2_to_bytes(q.x, out);
    fp2_to_bytes(q.y, out + 2 * kFieldBytes);
}

// ---- The optimal ate pairing. ----

// The twist point (x, y) on E'(Fp2) maps to (x·w^2, y·w^3) on E(Fp12), so a line through
// twist points with twist slope λ = N / D, evaluated at P = (xp, yp) in G1 and multiplied
// by D, is D·yp − N·xp·w + (N·x − D·y)·w^3 for any point (x, y) on it. Factors in Fp2
// (such as D, or the Jacobian Z powers below) lie in a proper subfield, which the final
// exponentiation sends to 1, so the lines need no inversion.
Fp12 line_value(const Fp2& n, const Fp2& d, const Fp2& x_n, const Fp2& y_d, const G1& p) {
    Fp12 l;
    l.c0.c0 = mul_fp(d, p.y);
    l.c1.c0 = neg(mul_fp(n, p.x));
    l.c1.c1 = sub(x_n, y_d);
    return l;
}

// T ← 2T; returns the tangent line at T evaluated at P. With x = X/Z^2 and y = Y/Z^3 the
// slope is 3X^2 / (2YZ); scaled by 2YZ^3 the line is 2YZ^3·yp − 3X^2Z^2·xp·w +
// (3X^3 − 2Y^2)·w^3. T is never infinity or of order 2 here (r is odd).
Fp12 double_step(Jacobian<Fp2>& t, const G1& p) {
    const Fp2 x2 = sqr(t.x), z2 = sqr(t.z), y2 = sqr(t.y);
    const Fp2 three_x2 = add(add(x2, x2), x2);
    const Fp2 yz = mul(t.y, t.z);
    const Fp12 l =
        line_value(mul(three_x2, z2), mul(add(yz, yz), z2), mul(three_x2, t.x), add(y2, y2), p);
    t = dbl(t);
    return l;
}

// T ← T + Q for an affine Q; returns the line through T and Q evaluated at P, with
// slope N / D for N = yQ·Z^3 − Y, D = Z·(xQ·Z^2 − X), taken at Q. A vertical line (T = −Q)
// lies in a proper subfield that the final exponentiation sends to 1, so it is dropped.
Fp12 add_step(Jacobian<Fp2>& t, const G2& q, const G1& p) {
    const Jacobian<Fp2> q_jacobian = to_jacobian(q, fp2_one());
    if (is_zero(t.z)) {
        t = q_jacobian;
        return fp12_one();
    }
    const Fp2 z2 = sqr(t.z);
    const Fp2 h = sub(mul(q.x, z2), t.x);
    const Fp2 n = sub(mul(q.y, mul(z2, t.z)), t.y);
    if (is_zero(h)) {
        if (is_zero(n)) return double_step(t, p);
        t = Jacobian<Fp2>{};
        return fp12_one();
    }
    const Fp2 d = mul(t.z, h);
    const Fp12 l = line_value(n, d, mul(n, q.x), mul(d, q.y), p);
    t = add(t, q_jacobian);
    return l;
}

// The p-power Frobenius endomorphism on the twist: untwist, raise to p, twist back.
G2 frobenius(const G2& q) {
    const auto& g = derived().frob;
    return {mul(conj(q.x), g[2]), mul(conj(q.y), g[3]), q.infinity};
}

// The Miller loop of the optimal ate pairing: f_{6u+2,Q}(P) · l_{T,π(Q)}(P) ·
// l_{T+π(Q),−π²(Q)}(P). Both points finite.
Fp12 miller_loop(const G1& p, const G2& q) {
    Fp12 f = fp12_one();
    Jacobian<Fp2> t = to_jacobian(q, fp2_one());
    for (int i = kAteLoopTopBit - 1; i >= 0; --i) {
        f = mul(sqr(f), double_step(t, p));
        if ((kAteLoop >> i) & 1) f = mul(f, add_step(t, q, p));
    }
    const G2 q1 = frobenius(q);
    G2 q2 = frobenius(q1);
    q2.y = neg(q2.y);
    f = mul(f, add_step(t, q1, p));
    f = mul(f, add_step(t, q2, p));
    return f;
}

// f^((p^12 − 1) / r) = ((f^(p^6 − 1))^(p^2 + 1))^((p^4 − p^2 + 1) / r).
Fp12 final_exponentiation(const Fp12& f) {
    Fp12 m = mul(conj(f), inv(f));
    m = mul(frobenius(frobenius(m)), m);
    // The hard part as one simultaneous exponentiation over base-p digits.
    const Fp12 m1 = frobenius(m), m2 = frobenius(m1), m3 = frobenius(m2);
    std::array<Fp12, 8> table;
    table[0] = fp12_one();
    table[1] = m;
    table[2] = m1;
    table[3] = mul(m, m1);
    table[4] = m2;
    table[5] = mul(m, m2);
    table[6] = mul(m1, m2);
    table[7] = mul(table[3], m2);
    Fp12 r = fp12_one();
    for (int i = 255; i >= 0; --i) {
        r = sqr(r);
        const int index = bit(kHardD0, i) | (bit(kHardD1, i) << 1) | (bit(kHardD2, i) << 2);
        if (index != 0) r = mul(r, table[index]);
    }
    return mul(r, m3);
}

}  // namespace

Result<eth::Bytes> g1_add(eth::BytesView input) {
    uint8_t in[2 * kG1Bytes] = {};
    if (!input.empty()) std::memcpy(in, input.data(), std::min(input.size(), sizeof in));
    auto a = decode_g1(in, "first point");
    if (!a) return a.error();
    auto b = decode_g1(in + kG1Bytes, "second point");
    if (!b) return b.error();
    const Jacobian<Fp> sum = add(to_jacobian(*a, fp_one()), to_jacobian(*b, fp_one()));
    eth::Bytes out(kG1Bytes);
    encode_g1(to_affine(sum), out.data());
    return out;
}

Result<eth::Bytes> g1_mul(eth::BytesView input) {
    uint8_t in[kG1Bytes + 32] = {};
    if (!input.empty()) std::memcpy(in, input.data(), std::min(input.size(), sizeof in));
    auto p = decode_g1(in, "point");
    if (!p) return p.error();
    const Jacobian<Fp> product =
        scalar_mul(to_jacobian(*p, fp_one()), scalar_from_bytes(in + kG1Bytes));
    eth::Bytes out(kG1Bytes);
    encode_g1(to_affine(product), out.data());
    return out;
}

Result<bool> pairing_check(eth::BytesView input) {
    if (input.size() % kPairBytes != 0)
        return fail("bn254: pairing input of " + std::to_string(input.size()) +
                    " bytes is not a multiple of 192");
    Fp12 f = fp12_one();
    for (size_t offset = 0; offset < input.size(); offset += kPairBytes) {
        const std::string pair = "pair " + std::to_string(offset / kPairBytes);
        auto p = decode_g1(input.data() + offset, (pair + " G1").c_str());
        if (!p) return p.error();
        auto q = decode_g2(input.data() + offset + kG1Bytes, (pair + " G2").c_str());
        if (!q) return q.error();
        if (p->infinity || q->infinity) continue;  // e(O, Q) = e(P, O) = 1
        f = mul(f, miller_loop(*p, *q));
    }
    return is_one(final_exponentiation(f));
}

Result<eth::Bytes> g2_mul(eth::BytesView point, eth::BytesView scalar) {
    if (point.size() != kG2Bytes || scalar.size() != 32)
        return fail("bn254: g2_mul needs a 128-byte point and a 32-byte scalar");
    auto q = decode_g2(point.data(), "G2 point");
    if (!q) return q.error();
    const Jacobian<Fp2> product =
        scalar_mul(to_jacobian(*q, fp2_one()), scalar_from_bytes(scalar.data()));
    eth::Bytes out(kG2Bytes);
    encode_g2(to_affine(product), out.data());
    return out;
}

}  // namespace vigil::evm::bn254
